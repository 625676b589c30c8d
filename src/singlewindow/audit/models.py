import datetime
import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS = "0" * 64


class AppendOnlyError(Exception):
    pass


def event_hash(*, at, actor_id, actor_label, action, object_type, object_id, from_status, to_status, reason,
               ip, data, prev_hash):
    """SHA-256 over the canonical JSON of an event's fields (`at`, a datetime, as a UTC ISO string): the chain's
    link. The one statement of the hash body: AuditEvent.compute_hash and audit.services.record_many call it."""
    body = {
        "at": at.astimezone(datetime.UTC).isoformat(), "actor": actor_id, "actor_label": actor_label, "action": action,
        "object": f"{object_type}:{object_id}", "from": from_status, "to": to_status, "reason": reason,
        "ip": ip, "data": data, "prev": prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class AuditEventQuerySet(models.QuerySet):
    """Bulk update and delete would bypass the model's guard: refuse them too."""

    def update(self, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def delete(self):
        raise AppendOnlyError("audit events are append-only")


class AuditEvent(models.Model):
    """One business action. Each row carries the hash of the one before, so an edit breaks the chain."""

    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(_("操作人"), max_length=150)
    action = models.CharField(_("操作"), max_length=50)
    object_type = models.CharField(_("对象类型"), max_length=50)
    object_id = models.CharField(_("对象"), max_length=50)
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    ip = models.GenericIPAddressField(_("地址"), null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)  # PostgreSQL: no "_like" index (audit/0002, decision 0008)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"

    def compute_hash(self):
        return event_hash(
            at=self.at, actor_id=self.actor_id,
            actor_label=self.actor_label, action=self.action, object_type=self.object_type,
            object_id=self.object_id, from_status=self.from_status, to_status=self.to_status,
            reason=self.reason, ip=self.ip, data=self.data, prev_hash=self.prev_hash,
        )

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")


class AuditHead(models.Model):
    """A single row locked by every writer so the chain has one tail, on PostgreSQL as on SQLite."""

    last_hash = models.CharField(max_length=64, default=GENESIS)
