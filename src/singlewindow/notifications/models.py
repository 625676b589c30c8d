from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NoticeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Notices are the enterprise's own: its users see them, nobody else does (no region scope)."""
        from singlewindow.accounts.models import Role
        from singlewindow.accounts.scopes import enterprise_scope

        if getattr(user, "role", None) != Role.ENTERPRISE:
            return self.none()
        return self.filter(enterprise_scope(user))


class Notice(models.Model):
    """An in-app event for an enterprise (approved, returned, issued...), shown in the 通知 popup."""

    class Kind(models.TextChoices):
        ISSUED = "issue", _("新保单待确认")
        APPROVED = "approve", _("保单已生效")
        RETURNED = "return", _("保单被退回")
        CANCELLED = "cancel", _("保单已撤销")
        REMINDED = "remind", _("确认截止日临近")
        ALERT = "alert", _("风险预警")
        CLAIM = "claim", _("报损理赔进展")

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="notices")
    # A policy's notice names it; an alert's or a claim's says what it is in `title` and where to go in `link`.
    policy = models.ForeignKey("policies.Policy", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200, blank=True)
    link = models.CharField(max_length=200, blank=True)
    # The moment of the event itself (the policy's status change), not of writing the row after commit.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")


class NoticeRead(models.Model):
    """That one user has read one notice in the 消息中心 (colleagues read for themselves)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices_read")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="notice_read_once")]


class NoticeCursor(models.Model):
    """Up to when a user has dismissed the popup; events after it count as new."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_cursor")
    dismissed_at = models.DateTimeField()


class OutboundMessage(models.Model):
    """The SMS/email outbox: a row per message, written in the business transaction, drained by
    `send_outbox --loop`. Its status moves only along notifications/transitions.py."""

    class Channel(models.TextChoices):
        SMS = "sms", _("短信")
        EMAIL = "email", _("电子邮件")

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("接收人"), max_length=254)
    subject = models.CharField(_("标题"), max_length=200, blank=True)
    body = models.TextField(_("内容"))
    purpose = models.CharField(_("用途"), max_length=40, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    # A queued message is sent once this has passed; each failure pushes it further out (backoff).
    next_attempt_at = models.DateTimeField(_("下次发送时间"), default=timezone.now)
    # When the current `sending` claim was taken; a claim older than OUTBOX_STALE lost its drain.
    claimed_at = models.DateTimeField(_("开始发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")

    def __str__(self):
        return f"{self.get_channel_display()} #{self.pk} {self.get_status_display()}"
