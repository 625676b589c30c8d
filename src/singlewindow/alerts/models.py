"""风险预警: alerts an insurer branch writes for the enterprises it insures, and who has read them.

Who an alert reaches is worked out once, when it is published (AlertDelivery rows): the insurer's read
receipts ("who has not read it") are then about a fixed list, not one that shifts as policies change.
"""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AlertQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The insurer its own branch's alerts (drafts included); an enterprise the published ones delivered to
        it; the single-window administrator all; a bureau none (alerts are the insurer's service to its insureds)."""
        from singlewindow.accounts.models import Role
        from singlewindow.accounts.scopes import NOTHING

        role = getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None
        if role == Role.INSURER and user.insurer_branch_id:
            return self.filter(branch_id=user.insurer_branch_id)
        if role == Role.ENTERPRISE and user.enterprise_id:
            return self.filter(status=Alert.Status.PUBLISHED, deliveries__enterprise_id=user.enterprise_id)
        if role == Role.STAFF:
            return self.all()
        return self.filter(NOTHING)

    def delivered_to(self, user):
        """What was sent to the user's enterprise, a withdrawn alert included: its notices still link to it, and
        the enterprise's page of it then says it was withdrawn (without the text). Never a draft; nobody else's."""
        from singlewindow.accounts.models import Role
        from singlewindow.accounts.scopes import NOTHING

        if getattr(user, "is_authenticated", False) and user.role == Role.ENTERPRISE and user.enterprise_id:
            return self.filter(status__in=(Alert.Status.PUBLISHED, Alert.Status.WITHDRAWN),
                               deliveries__enterprise_id=user.enterprise_id)
        return self.filter(NOTHING)

    def current(self, today=None):
        """Still valid on `today` (Asia/Shanghai, valid_until inclusive)."""
        return self.filter(valid_until__gte=today or timezone.localdate())

    def archived(self, today=None):
        return self.filter(valid_until__lt=today or timezone.localdate())


class Alert(models.Model):
    class Level(models.TextChoices):
        LOW = "low", _("低")
        MEDIUM = "medium", _("中")
        HIGH = "high", _("高")

    class Kind(models.TextChoices):
        COUNTRY = "country", _("国别风险")
        BUYER = "buyer", _("买方风险")
        INDUSTRY = "industry", _("行业风险")

    class Audience(models.TextChoices):
        BRANCH = "branch", _("本机构全部参保企业")
        COUNTIES = "counties", _("指定区县的参保企业")
        BUYER_COUNTRY = "buyer_country", _("有指定国家（地区）买方的企业")
        BUYER = "buyer", _("有指定买方的企业")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已撤回")

    branch = models.ForeignKey("policies.InsurerBranch", verbose_name=_("发布机构"), on_delete=models.PROTECT,
                               related_name="alerts")
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"))
    level = models.CharField(_("风险等级"), max_length=10, choices=Level.choices)
    kind = models.CharField(_("预警类型"), max_length=10, choices=Kind.choices)
    countries = models.ManyToManyField("claims.Country", verbose_name=_("涉及国家（地区）"), blank=True,
                                       related_name="alerts")
    buyers = models.ManyToManyField("claims.Buyer", verbose_name=_("涉及买方"), blank=True, related_name="alerts")
    industries = models.CharField(_("涉及行业"), max_length=200, blank=True)
    audience = models.CharField(_("发送范围"), max_length=20, choices=Audience.choices, default=Audience.BRANCH)
    counties = models.ManyToManyField("regions.Region", verbose_name=_("指定区县"), blank=True, related_name="+")
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期止（含当日）"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdraw_reason = models.TextField(_("撤回原因"), blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at", "-id"]
        verbose_name = _("风险预警")
        verbose_name_plural = _("风险预警")

    def __str__(self):
        return self.title

    def expired(self, today=None):
        """Past its last day (valid_until inclusive, Asia/Shanghai): the enterprise's archive."""
        return self.valid_until < (today or timezone.localdate())

    def not_started(self, today=None):
        """Before its first day (valid_from inclusive, Asia/Shanghai): published ahead, shown as not yet in force."""
        return self.valid_from > (today or timezone.localdate())


class AlertDelivery(models.Model):
    """That a published alert was sent to one enterprise (fixed at publication)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="alert_deliveries")
    delivered_at = models.DateTimeField(_("送达时间"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "enterprise"], name="alert_delivered_once")]


class AlertRead(models.Model):
    """A read receipt: one user of a targeted enterprise opened the alert (first time only)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="reads")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(_("阅读时间"))

    class Meta:
        ordering = ["read_at", "id"]
        constraints = [models.UniqueConstraint(fields=["alert", "user"], name="alert_read_once")]
