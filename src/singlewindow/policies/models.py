import hashlib
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from singlewindow.accounts.models import LoginMethod
from singlewindow.validators import CONTACT_NAME_MAX_LENGTH

# A reason (退回, 撤销, 放弃投保, 例外出单) is at most this many characters: the forms' fields, their boxes'
# maxlength and services.check_reason all read it, and say so with reason_too_long().
REASON_MAX_LENGTH = 500


def reason_too_long():
    return gettext("原因不能超过%(n)d个字。") % {"n": REASON_MAX_LENGTH}


def reason_missing():
    return gettext("请填写原因。")


class InsurerBranch(models.Model):
    """An insurer's office (the notice: 中国信保粤东办事处) and the regions it serves."""

    code = models.CharField(_("机构代码"), max_length=20, unique=True)
    name = models.CharField(_("机构名称"), max_length=100)
    regions = models.ManyToManyField("regions.Region", verbose_name=_("服务区域"), related_name="insurer_branches")
    hotline = models.CharField(_("联系电话"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("保险公司机构")
        verbose_name_plural = _("保险公司机构")

    def __str__(self):
        return self.name


class Agreement(models.Model):
    """A version of the 客户网上服务协议. Its text is hashed so a confirmation proves what was accepted."""

    version = models.CharField(_("版本"), max_length=20, unique=True)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"))
    sha256 = models.CharField(max_length=64, editable=False)
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("服务协议")
        verbose_name_plural = _("服务协议")

    def __str__(self):
        return f"{self.title} {self.version}"

    def save(self, *args, **kwargs):
        self.sha256 = hashlib.sha256(f"{self.version}\n{self.title}\n{self.body}".encode()).hexdigest()
        super().save(*args, **kwargs)


class PremiumRule(models.TextChoices):
    FIXED = "fixed", _("每户固定金额")
    RATE = "rate", _("按基准年度出口额费率")


percent = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class SchemeQuerySet(models.QuerySet):
    def visible_to(self, user):
        from singlewindow.accounts.scopes import scheme_scope

        return self.filter(scheme_scope(user))


class Scheme(models.Model):
    """One year's government-funded programme in one region. Every rule is a setting, not a constant."""

    name = models.CharField(_("方案名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    region = models.ForeignKey("regions.Region", verbose_name=_("适用区域"), on_delete=models.PROTECT)
    basis_year = models.PositiveSmallIntegerField(_("基准年度"))
    # Every DecimalField here and elsewhere has at most 15 digits: SQLite keeps a decimal as a double and Django
    # reads it back at 15 significant digits, so a 16th is stored, then fails to read (a 500 on every page).
    threshold_usd = models.DecimalField(_("出口额上限（美元）"), max_digits=15, decimal_places=2)
    insurer_branch = models.ForeignKey(InsurerBranch, verbose_name=_("承保机构"), on_delete=models.PROTECT)
    cover_start = models.DateField(_("保险期间起"))
    cover_end = models.DateField(_("保险期间止（含当日）"))
    confirm_deadline = models.DateField(_("确认截止日（含当日）"))
    indemnity_ratio = models.DecimalField(_("赔偿比例（%）"), max_digits=5, decimal_places=2, validators=percent)
    max_indemnity_usd = models.DecimalField(_("最高赔偿限额（美元）"), max_digits=14, decimal_places=2)
    risks_covered = models.TextField(_("承保风险"))
    premium_rule = models.CharField(_("保费规则"), max_length=10, choices=PremiumRule.choices, default=PremiumRule.FIXED)
    premium_fixed = models.DecimalField(_("每户保费（元）"), max_digits=12, decimal_places=2, default=0)
    premium_rate = models.DecimalField(_("费率（%）"), max_digits=7, decimal_places=4, default=0)
    premium_min = models.DecimalField(_("最低保费（元）"), max_digits=12, decimal_places=2, default=0)
    premium_max = models.DecimalField(_("最高保费（元）"), max_digits=12, decimal_places=2, default=0)
    usd_cny_rate = models.DecimalField(
        _("美元兑人民币汇率"), max_digits=8, decimal_places=4, null=True, blank=True,
        help_text=_("按费率计收时，美元出口额按此汇率折算为人民币保费。"),
    )
    province_share = models.DecimalField(_("省级资助比例（%）"), max_digits=5, decimal_places=2, validators=percent)
    city_share = models.DecimalField(_("市级资助比例（%）"), max_digits=5, decimal_places=2, validators=percent)
    agreement = models.ForeignKey(Agreement, verbose_name=_("服务协议版本"), on_delete=models.PROTECT)
    # Claims (claims/services.py): the deadlines are inclusive days in Asia/Shanghai.
    notice_days = models.PositiveSmallIntegerField(
        _("报损期限（应付款日后天数）"), default=60,
        help_text=_("可能损失通知应在应付款日后此天数内提交；逾期仍受理，但标注为逾期报损。"))
    claim_days = models.PositiveSmallIntegerField(
        _("索赔期限（报损后天数）"), default=120, help_text=_("索赔应在提交可能损失通知后此天数内提出。"))
    recovery_restores_limit = models.BooleanField(
        _("追偿款恢复赔偿限额"), default=False,
        help_text=_("勾选后，保险公司分得的追偿款恢复本保单年度的剩余赔偿限额。"))
    # 名单公示 (enterprises/publication.py): when required, only enterprises on a confirmed list are eligible.
    publication_required = models.BooleanField(
        _("出单前须经名单公示"), default=False,
        help_text=_("勾选后，只有经商务主管部门公示并确认的名单内企业符合出单条件。"))

    objects = SchemeQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("投保方案")
        verbose_name_plural = _("投保方案")
        constraints = [
            # Within half a hundredth, not equal: SQLite keeps decimals as doubles (0.01 + 99.99 ≠ 100 there); the
            # shares have two decimals, so any real miss is refused on both databases (the form says so first).
            models.CheckConstraint(
                name="funding_split_is_whole",
                condition=models.Q(province_share__gte=models.Value(Decimal("99.995")) - models.F("city_share"),
                                   province_share__lte=models.Value(Decimal("100.005")) - models.F("city_share")),
            ),
        ]

    def __str__(self):
        return self.name


class PolicyStatus(models.TextChoices):
    # Order is the order of the enterprise's tabs: 待确认 first.
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("审批中")
    EFFECTIVE = "effective", _("已生效")
    RETURNED = "returned", _("已退回")
    DECLINED = "declined", _("已放弃")
    CANCELLED = "cancelled", _("已撤销")
    LAPSED = "lapsed", _("已过期")
    EXPIRED = "expired", _("已到期")


class PolicyQuerySet(models.QuerySet):
    def visible_to(self, user):
        from singlewindow.accounts.scopes import policy_scope

        return self.filter(policy_scope(user))


class ApplicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        from singlewindow.accounts.scopes import policy_scope

        return self.filter(policy_scope(user))


class IssuanceRunQuerySet(models.QuerySet):
    def visible_to(self, user):
        from singlewindow.accounts.scopes import staff_scope

        return self.filter(staff_scope(user, "scheme"))


class Policy(models.Model):
    # PostgreSQL: no "_like" index beside the unique one (policies/0003, decision 0008): searched by substring.
    number = models.CharField(_("保单号"), max_length=30, unique=True)
    # No index of their own: the unique (scheme, enterprise) and the (enterprise, status) indexes lead
    # with them, and batch issuance writes every index of 200,000 rows.
    scheme = models.ForeignKey(Scheme, verbose_name=_("投保方案"), on_delete=models.PROTECT, related_name="policies",
                               db_index=False)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("被保险人"), on_delete=models.PROTECT, related_name="policies",
        db_index=False,
    )
    status = models.CharField(_("状态"), max_length=20, choices=PolicyStatus.choices, default=PolicyStatus.PENDING)
    premium = models.DecimalField(_("保费（元）"), max_digits=12, decimal_places=2)
    issued_at = models.DateTimeField(_("出单时间"))
    contact_name = models.CharField(_("联系人"), max_length=CONTACT_NAME_MAX_LENGTH, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    cover_start = models.DateField(_("保险责任起期"), null=True, blank=True)
    cover_end = models.DateField(_("保险责任止期（含当日）"), null=True, blank=True)
    last_reason = models.TextField(_("退回/撤销/放弃原因"), blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"))

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-id"]
        # The second serves every status= filter and walks the insurer's queue (oldest change first) in order:
        # its first page reads 50 rows, not the sort of a whole tab (100,000 审批中 at a million policies).
        indexes = [models.Index(fields=["enterprise", "status"]),
                   models.Index(fields=["status", "status_changed_at", "id"], name="policy_queue")]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "enterprise"], name="one_policy_per_scheme_and_enterprise"),
        ]
        verbose_name = _("保单")
        verbose_name_plural = _("保单")

    def __str__(self):
        return self.number

    @property
    def awaits_confirmation(self):
        """Still waiting for 确认投保, so 确认截止日 still matters (the sources of confirm, by the table)."""
        from .transitions import WAITING

        return self.status in WAITING

    @property
    def days_to_deadline(self):
        """Days left to confirm, Asia/Shanghai: 0 on the deadline day itself (it is included), < 0 after it."""
        return (self.scheme.confirm_deadline - timezone.localdate()).days

    @property
    def province_premium(self):
        """The province's share, by the ledger's one rule (subsidies.services.split: half up, the city the rest)."""
        from singlewindow.subsidies.services import split

        return split(self.premium, self.scheme.province_share)[0]

    @property
    def city_premium(self):
        return self.premium - self.province_premium


class Confirmation(models.Model):
    """The record of one 确认投保: who, when, from where, what agreement text, how they logged in."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="confirmations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("确认时间"))
    ip = models.GenericIPAddressField(_("来源地址"), null=True)
    user_agent = models.CharField(max_length=300, blank=True)
    login_method = models.CharField(_("登录方式"), max_length=10, choices=LoginMethod.choices)
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="+")
    agreement_sha256 = models.CharField(_("协议摘要"), max_length=64)
    contact_name = models.CharField(_("联系人"), max_length=CONTACT_NAME_MAX_LENGTH)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    signature = models.TextField(_("卡签名"), blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("投保确认")
        verbose_name_plural = _("投保确认")


# --- applications, batch issuance and the calendar (policies/issuance.py) -----------------------

class Application(models.Model):
    """申领: an eligible enterprise without a policy asks the insurer to issue one."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待出单")
        ISSUED = "issued", _("已出单")

    scheme = models.ForeignKey(Scheme, verbose_name=_("投保方案"), on_delete=models.PROTECT, related_name="applications")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("申领企业"), on_delete=models.PROTECT, related_name="applications"
    )
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    created_at = models.DateTimeField(_("申领时间"))
    policy = models.ForeignKey(Policy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "enterprise"], name="one_application_per_scheme_and_enterprise"),
        ]
        verbose_name = _("申领")
        verbose_name_plural = _("申领")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("出错中断")


class IssuanceRun(models.Model):
    """One 批量出单 over a scheme; progress is polled by the page, a crashed run is resumed."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("投保方案"), on_delete=models.PROTECT, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(_("待出单企业数"), default=0)
    issued = models.PositiveIntegerField(_("已出单"), default=0)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    heartbeat = models.DateTimeField(_("最近进展"), null=True, blank=True)

    objects = IssuanceRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("批量出单")
        verbose_name_plural = _("批量出单")

    @property
    def percent(self):
        if self.status == JobStatus.DONE:
            return 100
        return min(99, self.issued * 100 // self.total) if self.total else 0


class CalendarRun(models.Model):
    """One pass of the calendar job (run_calendar): what it lapsed and expired for which day."""

    day = models.DateField(_("日期（Asia/Shanghai）"))
    lapsed = models.PositiveIntegerField(_("已过期"), default=0)
    expired = models.PositiveIntegerField(_("已到期"), default=0)
    reminded = models.PositiveIntegerField(_("已提醒确认"), default=0)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("日历任务")
        verbose_name_plural = _("日历任务")


class PolicyTally(models.Model):
    """How many policies of a scheme are in each status in each county, and their premiums: kept by the
    services in the transaction of every move (policies/tally.py), so the bureau's 统计分析 and the insurer's
    tab counts read a few rows instead of counting a million. `manage.py tally_policies` checks or rebuilds it."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="+", db_index=False)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", db_index=False)
    status = models.CharField(max_length=20, choices=PolicyStatus.choices)
    count = models.IntegerField(default=0)
    premium = models.DecimalField(max_digits=15, decimal_places=2, default=0)  # 15: what SQLite reads back
    # The province's share of those premiums, policy by policy by subsidies.services.split (the city's is the rest).
    province = models.DecimalField(max_digits=15, decimal_places=2, default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scheme", "region", "status"], name="one_tally_per_cell")]

    def __str__(self):
        return f"{self.scheme_id}/{self.region_id}/{self.status}: {self.count}"
