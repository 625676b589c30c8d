from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "singlewindow.api"
    verbose_name = _("开放接口")

    def ready(self):
        from singlewindow.audit.models import AuditEvent

        from .webhooks import on_audit_event

        # The business actions' audit events are the webhooks' events (webhooks.AUDITED).
        post_save.connect(on_audit_event, sender=AuditEvent, dispatch_uid="api.webhooks")
