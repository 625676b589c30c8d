"""提醒: the commerce bureau reminds enterprises of their policies waiting for 确认投保 (issue 14 #4).

A bureau writes templates (ReminderTemplate), picks recipients by a filter and sends a run (ReminderRun). Each
policy the run reached or skipped is a ReminderRecipient; each channel it went out on a ReminderDelivery, linked
to the in-app notice or to the outbox message whose delivery status it shows. The rule "no enterprise gets the
same reminder twice in a day" (services.DEDUPE) is kept by the partial unique constraint `reminder_once_a_day`
(docs/decisions/0032-reminders.md). A scheme's scheduled reminders (ReminderSchedule) are run by
`manage.py send_scheduled_reminders`.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from singlewindow.regions.models import within


def _bureau(user):
    """The bureau's region when `user` is a signed-in bureau user with one, else None."""
    from singlewindow.accounts.models import Role

    if getattr(user, "is_authenticated", False) and user.is_active and user.role == Role.BUREAU and user.region_id:
        return user.region
    return None


def enclosing_codes(region):
    """The province and prefecture a division lies in (GB/T 2260: 441521 in 441500 in 440000), itself excluded."""
    return [code for code in (region.code[:2] + "0000", region.code[:4] + "00") if code != region.code]


NOTHING = Q(pk__in=[])


def region_scope(user, field):
    """Rows whose region (at `field`) is the bureau's or lies under it; nobody else's (refused on every page).
    A county bureau sees its county, a city bureau the city and its counties (accounts/scopes.py's rule)."""
    region = _bureau(user)
    return within([region], field) if region else NOTHING


class TemplateQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A bureau's own templates and those under its region, and the ones of the regions around it (a county
        bureau may send its city's); the others' never."""
        region = _bureau(user)
        if region is None:
            return self.none()
        return self.filter(within([region], "region") | Q(region__code__in=enclosing_codes(region)))

    def editable_by(self, user):
        """Only the templates of the bureau's own region: a city's template is the city's to change."""
        region = _bureau(user)
        return self.filter(region=region) if region else self.none()


class ReminderTemplate(models.Model):
    """A reminder's words, with placeholders ({企业名称} {保单号} {确认截止日} {剩余天数}; rendering.py)."""

    region = models.ForeignKey("regions.Region", verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("模板名称"), max_length=50)
    subject = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"), max_length=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    objects = TemplateQuerySet.as_manager()

    class Meta:
        ordering = ["region", "name", "id"]
        verbose_name = _("提醒模板")
        verbose_name_plural = _("提醒模板")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="reminder_template_name_per_region")]

    def __str__(self):
        return f"{self.name}（{self.region}）"


class Channel(models.TextChoices):
    IN_APP = "in_app", _("站内通知")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")


class SkipReason(models.TextChoices):
    """Why a recipient or a channel was skipped: stored as the code, shown in the reader's language."""

    ALREADY_TODAY = "already_today", _("该企业今日已收到同一提醒，不再重复发送。")
    NO_PHONE = "no_phone", _("没有可用的手机号码（保单联系电话或企业账号手机）。")
    NO_EMAIL = "no_email", _("没有电子邮箱（保单或企业账号）。")


class ScheduleQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The schedules of the schemes the bureau works with (accounts.scopes.scheme_scope)."""
        from singlewindow.accounts.scopes import scheme_scope

        return self.filter(scheme_scope(user, "scheme")) if _bureau(user) else self.none()


class ReminderSchedule(models.Model):
    """定时提醒, a scheme's setting kept here (not on policies' Scheme): the days before its 确认截止日 on which every
    policy still waiting is reminded with `template`, e.g. "14,3"."""

    scheme = models.OneToOneField("policies.Scheme", verbose_name=_("投保方案"), on_delete=models.CASCADE,
                                  related_name="reminder_schedule")
    days = models.CharField(_("提前天数"), max_length=100, help_text=_(
        "确认截止日前第几天自动提醒，多个用逗号分隔，如 14,3；0 表示截止日当天。"))
    template = models.ForeignKey(ReminderTemplate, verbose_name=_("提醒模板"), on_delete=models.PROTECT,
                                 related_name="+")
    channels = models.JSONField(_("发送方式"), default=list)
    enabled = models.BooleanField(_("启用"), default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    objects = ScheduleQuerySet.as_manager()

    class Meta:
        verbose_name = _("定时提醒")
        verbose_name_plural = _("定时提醒")

    def __str__(self):
        return f"{self.scheme}: {self.days}"

    @property
    def offsets(self):
        return sorted({int(part) for part in self.days.split(",") if part.strip().isdigit()}, reverse=True)


class RunQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The runs made in the bureau's region or under it: a county bureau its county's (its own, and the
        scheduled ones for its county), a city bureau also the city's own."""
        return self.filter(region_scope(user, "region"))


class ReminderRun(models.Model):
    """One sending of a reminder: by a bureau user (manual) or by the scheme's schedule (scheduled, one run per
    county and day). The recipients are the policies its filter finds when it is sent, chunk by chunk."""

    class Kind(models.TextChoices):
        MANUAL = "manual", _("手动发送")
        SCHEDULED = "scheduled", _("定时提醒")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("发送中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("出错中断")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.MANUAL)
    # The scope the run was made in (the bureau's region, or the county of a scheduled run): who sees it.
    region = models.ForeignKey("regions.Region", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发送人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    schedule = models.ForeignKey(ReminderSchedule, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="runs")
    template = models.ForeignKey(ReminderTemplate, verbose_name=_("提醒模板"), on_delete=models.PROTECT,
                                 related_name="runs")
    # The words as sent (the template may change afterwards).
    subject = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"))
    # The filter
    scheme = models.ForeignKey("policies.Scheme", verbose_name=_("投保方案"), on_delete=models.PROTECT,
                               related_name="+")
    county = models.ForeignKey("regions.Region", verbose_name=_("县区"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    statuses = models.JSONField(_("保单状态"), default=list)
    within_days = models.PositiveSmallIntegerField(_("确认截止日在几天内"), null=True, blank=True)
    channels = models.JSONField(_("发送方式"), default=list)
    # The Asia/Shanghai day it is sent on: the day of the once-a-day rule, and of {剩余天数}.
    day = models.DateField(_("发送日期"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("目标保单数"), default=0)
    processed = models.PositiveIntegerField(_("已处理"), default=0)
    reached = models.PositiveIntegerField(_("已提醒企业"), default=0)
    skipped = models.PositiveIntegerField(_("已跳过"), default=0)
    last_policy_id = models.PositiveBigIntegerField(default=0)  # the keyset: policies after it are still to do
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    heartbeat = models.DateTimeField(_("最近进展"), null=True, blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("提醒批次")
        verbose_name_plural = _("提醒批次")
        constraints = [
            # A schedule sends once a day per county, however often the command runs or how many run at once.
            models.UniqueConstraint(fields=["schedule", "day", "region"], condition=Q(schedule__isnull=False),
                                    name="scheduled_reminder_once_a_day"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.subject}"

    @property
    def percent(self):
        if self.status == self.Status.DONE:
            return 100
        return min(99, self.processed * 100 // self.total) if self.total else 0

    def get_channels_display(self):
        return [Channel(c).label for c in self.channels if c in Channel.values]

    def get_statuses_display(self):
        from singlewindow.policies.models import PolicyStatus

        return [PolicyStatus(s).label for s in self.statuses if s in PolicyStatus.values]


class RecipientQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(region_scope(user, "run__region") & region_scope(user, "enterprise__region"))


class ReminderRecipient(models.Model):
    """A policy a run found: reminded (its enterprise reached by this run), or skipped with the reason.

    The once-a-day rule as a row: at most one `reached` row per enterprise, template and day."""

    class Outcome(models.TextChoices):
        REACHED = "reached", _("已提醒")
        SKIPPED = "skipped", _("已跳过")

    run = models.ForeignKey(ReminderRun, on_delete=models.CASCADE, related_name="recipients")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    policy = models.ForeignKey("policies.Policy", on_delete=models.CASCADE, related_name="+")
    template = models.ForeignKey(ReminderTemplate, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices)
    reason = models.CharField(_("原因"), max_length=200, choices=SkipReason.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RecipientQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("提醒对象")
        verbose_name_plural = _("提醒对象")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "template", "day"], condition=Q(outcome="reached"),
                                    name="reminder_once_a_day"),
            models.UniqueConstraint(fields=["run", "policy"], name="reminder_policy_once_per_run"),
        ]
        indexes = [models.Index(fields=["policy", "outcome"], name="reminder_recipient_policy")]


class DeliveryQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(region_scope(user, "run__region") & region_scope(user, "enterprise__region"))

    def with_state(self):
        """`state`: the delivery's status as it is now. An SMS or e-mail follows its outbox message (待发送 while
        queued or being sent, then 已发送 or 发送失败); an in-app notice is sent when written; a skip stays one."""
        from django.db.models import Case, F, Value, When

        from singlewindow.notifications.models import OutboundMessage

        O, S = OutboundMessage.Status, ReminderDelivery.Status
        return self.annotate(state=Case(
            When(outbound__status=O.SENT, then=Value(S.SENT)),
            When(outbound__status=O.FAILED, then=Value(S.FAILED)),
            When(outbound__status__in=[O.QUEUED, O.SENDING], then=Value(S.QUEUED)),
            default=F("status"), output_field=models.CharField()))


class ReminderDelivery(models.Model):
    """One channel of one reminder to one enterprise: the in-app notice, or an SMS or e-mail in the outbox."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        SKIPPED = "skipped", _("未发送")

    run = models.ForeignKey(ReminderRun, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(ReminderRecipient, on_delete=models.CASCADE, related_name="deliveries")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    policy = models.ForeignKey("policies.Policy", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("发送方式"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("原因"), max_length=200, choices=SkipReason.choices, blank=True)
    address = models.CharField(_("接收人"), max_length=254, blank=True)  # masked: 138****0000, l***@example.com
    notice = models.ForeignKey("notifications.Notice", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    outbound = models.ForeignKey("notifications.OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("提醒送达")
        verbose_name_plural = _("提醒送达")
        constraints = [models.UniqueConstraint(fields=["recipient", "channel"], name="reminder_delivery_per_channel")]
