from singlewindow.readonly_admin import register

from .models import Card

register(Card)
