from singlewindow.readonly_admin import register

from .models import Notice, OutboundMessage

register(Notice)
# The body of an SMS or e-mail may hold a verification code: the admin shows where and whether it went.
register(OutboundMessage, exclude=("body",), list_display=("channel", "purpose", "status", "attempts"),
         list_filter=("channel", "status"))
