"""The subsidy ledger (补贴台账), funding applications (申请拨付) and scheme budgets (docs/decisions/0031).

The province and the city pay every premium, each its share. When a policy takes effect, one commitment per
payer is appended to the ledger; when it stops being funded, a reversal is appended that points at the
commitment it undoes. Entries are never changed or deleted (the queryset and the model refuse), so the
ledger is the history of what was owed and why. The insurer files its funding applications from the
commitments; the bureau of the paying region reviews, pays and reconciles them.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from singlewindow.accounts.models import Role


class AppendOnlyError(Exception):
    pass


class Payer(models.TextChoices):
    """Who pays a share: the province (its finance, through the provincial commerce department) or the city."""

    PROVINCE = "province", _("省级")
    CITY = "city", _("市级")


# --- who sees what (accounts/scopes.py's rules, for these rows) --------------------------------------------

def _signed_in(user):
    return getattr(user, "is_authenticated", False) and user.is_active


def _region_within(region, path):
    """Rows whose paying region (the Region FK at `path`) lies in `region` (GB/T 2260 codes nest by prefix)."""
    return models.Q(**{f"{path}__code__startswith": region.prefix})


def ledger_scope(user, at=""):
    """Ledger rows (by `at`, the path to the entry): an insurer's of its branch's schemes; a bureau's of the
    enterprises of its region and below, and those its region pays (a city pays for a province-wide scheme's
    policies in it); the single-window administrator's all; an enterprise's none."""
    from singlewindow.accounts.scopes import NOTHING, scheme_scope
    from singlewindow.regions.models import within

    if not _signed_in(user):
        return NOTHING
    if user.role == Role.INSURER:
        return scheme_scope(user, f"{at}scheme")
    if user.role == Role.BUREAU:
        if not user.region_id:
            return NOTHING
        return within([user.region], f"{at}policy__enterprise__region") | _region_within(user.region, f"{at}region")
    if user.role == Role.STAFF:
        return models.Q()
    return NOTHING


def payer_scope(user, at=""):
    """Rows that belong to a paying region (applications, budgets; by `at`): an insurer's of its branch's
    schemes; a bureau's of its region and the regions below it (a province bureau reads its cities'
    applications; only the paying region's own bureau acts on them); the administrator's all; nobody else's."""
    from singlewindow.accounts.scopes import NOTHING, scheme_scope

    if not _signed_in(user):
        return NOTHING
    if user.role == Role.INSURER:
        return scheme_scope(user, f"{at}scheme")
    if user.role == Role.BUREAU:
        return _region_within(user.region, f"{at}region") if user.region_id else NOTHING
    if user.role == Role.STAFF:
        return models.Q()
    return NOTHING


# --- the ledger ----------------------------------------------------------------------------------------------

class LedgerEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(ledger_scope(user))

    def update(self, **kwargs):
        raise AppendOnlyError("ledger entries are append-only: a correction is a new entry")

    def delete(self):
        raise AppendOnlyError("ledger entries are append-only: a correction is a new entry")


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        COMMITMENT = "commitment", _("承担")
        REVERSAL = "reversal", _("冲回")

    policy = models.ForeignKey("policies.Policy", verbose_name=_("保单"), on_delete=models.PROTECT,
                               related_name="ledger_entries")
    scheme = models.ForeignKey("policies.Scheme", verbose_name=_("投保方案"), on_delete=models.PROTECT,
                               related_name="+", db_index=False)  # the (scheme, payer, region) index leads with it
    payer = models.CharField(_("资助方"), max_length=10, choices=Payer.choices)
    # The paying region: the province for its share, the city for its own (region codes, GB/T 2260).
    region = models.ForeignKey("regions.Region", verbose_name=_("资助地区"), on_delete=models.PROTECT,
                               related_name="+")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    # In 元, to the fen: positive for a commitment, negative (the commitment's amount) for its reversal.
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    premium = models.DecimalField(_("保费（元）"), max_digits=12, decimal_places=2)  # the policy's, at the time
    share = models.DecimalField(_("资助比例（%）"), max_digits=5, decimal_places=2)  # the payer's, at the time
    reverses = models.OneToOneField("self", verbose_name=_("冲回的承担记录"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reversal")
    # What caused it: the policy's audit event (approve, cancel…) and its action, or a repair's.
    event = models.ForeignKey("audit.AuditEvent", verbose_name=_("来源事件"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    cause = models.CharField(_("来源"), max_length=50)
    created_at = models.DateTimeField(_("记账时间"))

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("补贴台账记录")
        verbose_name_plural = _("补贴台账记录")
        indexes = [models.Index(fields=["scheme", "payer", "region", "created_at"], name="ledger_payer_period")]
        constraints = [
            models.CheckConstraint(name="ledger_commitment_is_positive", condition=(
                models.Q(kind="commitment", amount__gt=0, reverses__isnull=True)
                | models.Q(kind="reversal", amount__lt=0, reverses__isnull=False))),
        ]

    def __str__(self):
        return f"{self.policy_id} {self.payer} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("ledger entries are append-only: a correction is a new entry")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("ledger entries are append-only: a correction is a new entry")


# --- budgets -------------------------------------------------------------------------------------------------

class SchemeBudgetQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(payer_scope(user))


class SchemeBudget(models.Model):
    """What a paying region has set aside for its share of one scheme's premiums."""

    scheme = models.ForeignKey("policies.Scheme", verbose_name=_("投保方案"), on_delete=models.PROTECT,
                               related_name="+")
    payer = models.CharField(_("资助方"), max_length=10, choices=Payer.choices)
    region = models.ForeignKey("regions.Region", verbose_name=_("资助地区"), on_delete=models.PROTECT,
                               related_name="+")
    amount = models.DecimalField(_("预算（元）"), max_digits=14, decimal_places=2)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("设置时间"))

    objects = SchemeBudgetQuerySet.as_manager()

    class Meta:
        verbose_name = _("方案预算")
        verbose_name_plural = _("方案预算")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "payer", "region"], name="one_budget_per_scheme_and_payer"),
            models.CheckConstraint(name="budget_is_not_negative", condition=models.Q(amount__gte=0)),
        ]


# --- funding applications ------------------------------------------------------------------------------------

class FundingApplicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(payer_scope(user))


class FundingApplication(models.Model):
    """申请拨付: the insurer asks one paying region for its share of one scheme's premiums of one period."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审核")
        RETURNED = "returned", _("已退回")
        APPROVED = "approved", _("已审核")
        PAID = "paid", _("已拨付")
        RECONCILED = "reconciled", _("已对账")
        WITHDRAWN = "withdrawn", _("已作废")

    number = models.CharField(_("申请编号"), max_length=20, unique=True)
    scheme = models.ForeignKey("policies.Scheme", verbose_name=_("投保方案"), on_delete=models.PROTECT,
                               related_name="+")
    payer = models.CharField(_("资助方"), max_length=10, choices=Payer.choices)
    region = models.ForeignKey("regions.Region", verbose_name=_("资助地区"), on_delete=models.PROTECT,
                               related_name="+")
    period_start = models.DateField(_("期间起"))
    period_end = models.DateField(_("期间止（含当日）"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    # Kept with the lines (services recompute them whenever lines change): the lists show them without a sum.
    line_count = models.PositiveIntegerField(_("保单数"), default=0)
    premium_total = models.DecimalField(_("保费合计（元）"), max_digits=15, decimal_places=2, default=0)
    total = models.DecimalField(_("申请金额（元）"), max_digits=15, decimal_places=2, default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"))
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"))
    last_reason = models.TextField(_("退回原因"), blank=True)
    paid_on = models.DateField(_("拨付日期"), null=True, blank=True)
    paid_amount = models.DecimalField(_("拨付金额（元）"), max_digits=15, decimal_places=2, null=True, blank=True)
    payment_reference = models.CharField(_("拨付凭证号"), max_length=60, blank=True)
    difference = models.DecimalField(_("差额（元）"), max_digits=15, decimal_places=2, null=True, blank=True)
    difference_note = models.TextField(_("差额说明"), blank=True)

    objects = FundingApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("拨付申请")
        verbose_name_plural = _("拨付申请")
        indexes = [models.Index(fields=["region", "status"])]

    def __str__(self):
        return self.number

    @property
    def payer_label(self):
        """省级 · 广东省: who is asked to pay."""
        return f"{self.get_payer_display()} · {self.region.name}"


class ApplicationLineQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(payer_scope(user, "application__"))


class ApplicationLine(models.Model):
    """One policy of an application: its commitment (premium and share) and the insurer's invoice for it.

    `live` is False once the application is withdrawn (作废): a policy is in at most one live application per
    payer (the constraint), so a withdrawn one gives its policies back."""

    application = models.ForeignKey(FundingApplication, on_delete=models.CASCADE, related_name="lines")
    entry = models.ForeignKey(LedgerEntry, verbose_name=_("承担记录"), on_delete=models.PROTECT, related_name="+")
    policy = models.ForeignKey("policies.Policy", verbose_name=_("保单"), on_delete=models.PROTECT, related_name="+")
    payer = models.CharField(_("资助方"), max_length=10, choices=Payer.choices)
    premium = models.DecimalField(_("保费（元）"), max_digits=12, decimal_places=2)
    share = models.DecimalField(_("资助比例（%）"), max_digits=5, decimal_places=2)
    amount = models.DecimalField(_("申请金额（元）"), max_digits=14, decimal_places=2)
    invoice_number = models.CharField(_("发票号码"), max_length=30, blank=True)
    live = models.BooleanField(default=True)

    objects = ApplicationLineQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("拨付申请明细")
        verbose_name_plural = _("拨付申请明细")
        constraints = [
            models.UniqueConstraint(fields=["policy", "payer"], condition=models.Q(live=True),
                                    name="policy_in_one_live_application_per_payer"),
            models.UniqueConstraint(fields=["entry"], condition=models.Q(live=True),
                                    name="commitment_in_one_live_application"),
        ]
