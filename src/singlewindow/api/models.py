"""The REST API's own records: organisation tokens, stored idempotent results, webhooks (docs/decisions/0028).

A token belongs to one organisation (an insurer branch, a bureau's region or an enterprise) and acts through an
account of its own (`user`): the services take that account as their `actor`, so the token sees and does exactly
what the organisation's users may, through the same `visible_to` querysets, and every audit event names it.
The account cannot log in (inactive, no usable password, removed from every list of people).
"""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from singlewindow.accounts.models import Role

ORGANISATION_ROLES = (Role.INSURER, Role.BUREAU, Role.ENTERPRISE)


class Access(models.TextChoices):
    READ = "read", _("只读")
    WRITE = "write", _("读写")


class ApiTokenQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The tokens `user` may see and revoke: the single-window administrator all; an organisation's token
        administrator (tokens.may_manage) its own organisation's; nobody else any."""
        from .tokens import organisation_filter

        return self.filter(organisation_filter(user))

    def live(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    """One organisation's key to the API. Only the SHA-256 of its secret is kept; the secret is shown once."""

    name = models.CharField(_("令牌名称"), max_length=100)
    role = models.CharField(_("机构类型"), max_length=20, choices=[(r.value, r.label) for r in ORGANISATION_ROLES])
    insurer_branch = models.ForeignKey("policies.InsurerBranch", verbose_name=_("保险公司机构"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("regions.Region", verbose_name=_("管辖区域"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey("enterprises.Enterprise", verbose_name=_("企业"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    access = models.CharField(_("权限"), max_length=10, choices=Access.choices, default=Access.WRITE)
    prefix = models.CharField(_("令牌前缀"), max_length=16, unique=True)  # shown in lists, never enough to use
    secret_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_token",
                                editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("有效期至"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        permissions = [("manage_api_tokens", _("管理本机构的接口令牌"))]
        constraints = [
            models.CheckConstraint(name="api_token_names_its_organisation", condition=(
                models.Q(role="insurer", insurer_branch__isnull=False, region__isnull=True, enterprise__isnull=True)
                | models.Q(role="bureau", region__isnull=False, insurer_branch__isnull=True, enterprise__isnull=True)
                | models.Q(role="enterprise", enterprise__isnull=False, insurer_branch__isnull=True,
                           region__isnull=True))),
        ]

    def __str__(self):
        return f"{self.name}（{self.prefix}…）"

    @property
    def organisation(self):
        return {Role.INSURER: self.insurer_branch, Role.BUREAU: self.region,
                Role.ENTERPRISE: self.enterprise}[self.role]

    def state(self, now=None):
        """"revoked", "expired" or "live"."""
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        return "live"

    @property
    def state_label(self):
        return {"revoked": _("已撤销"), "expired": _("已过期"), "live": _("有效")}[self.state()]


class IdempotentRequest(models.Model):
    """The first answer to a POST under one Idempotency-Key of one token, replayed to its retries for 24 hours."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", _("处理中")
        DONE = "done", _("已完成")

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the method, path and body
    state = models.CharField(max_length=10, choices=State.choices, default=State.IN_FLIGHT)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="one_idempotency_key_per_token")]


# --- webhooks (webhooks.py) ---------------------------------------------------------------------------------

class WebhookEvent(models.TextChoices):
    POLICY_CONFIRMED = "policy.confirmed", _("企业确认投保")
    POLICY_APPROVED = "policy.approved", _("保单审批通过")
    POLICY_RETURNED = "policy.returned", _("保单被退回")
    CLAIM_SUBMITTED = "claim.submitted", _("企业提出索赔")
    IMPORT_FINISHED = "import.finished", _("出口数据导入结束")


class WebhookSubscription(models.Model):
    """An organisation's system asks to be told of events, at `url`, signed with `secret`. It belongs to the token
    that made it: it hears only of what that token may see, and ends when the token is revoked or expires."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(_("接收地址"), max_length=500)
    events = models.JSONField(_("订阅的事件"), default=list)
    secret = models.CharField(max_length=80, editable=False)  # needed in clear to sign; shown once
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("事件订阅")
        verbose_name_plural = _("事件订阅")


class WebhookDelivery(models.Model):
    """One event sent to one subscription: the delivery log, and the outbox a worker drains (tries, backoff)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待投递")
        SENDING = "sending", _("投递中")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("投递失败")

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("事件"), max_length=40, choices=WebhookEvent.choices)
    event_id = models.CharField(_("事件编号"), max_length=40)  # the same on a replay: receivers drop repeats
    body = models.TextField()
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("最近响应状态"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name = _("事件投递")
        verbose_name_plural = _("事件投递")
