from singlewindow.readonly_admin import register

from .models import Region

register(Region, search_fields=("code", "name"))
