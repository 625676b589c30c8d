from singlewindow.readonly_admin import register

from .models import AuditEvent

register(AuditEvent, list_display=("at", "actor_label", "action", "object_type", "object_id"),
         list_filter=("action",), search_fields=("object_id", "actor_label"))
