from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    """An in-app event for an enterprise (approved, returned, issued...), shown in the 通知 popup."""

    class Kind(models.TextChoices):
        ISSUED = "issue", _("新保单待确认")
        APPROVED = "approve", _("保单已生效")
        RETURNED = "return", _("保单被退回")
        CANCELLED = "cancel", _("保单已撤销")

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="notices")
    policy = models.ForeignKey("policies.Policy", on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class NoticeCursor(models.Model):
    """Up to when a user has dismissed the popup; events after it count as new."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_cursor")
    dismissed_at = models.DateTimeField()
