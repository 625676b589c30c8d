"""补贴台账 and 申请拨付: the ledger follows the policies; each action on an application is one function here.

The ledger (docs/decisions/0031-subsidy-ledger.md):
- `split` is the one rule for the shares, to the fen: the province's share is premium × province share ÷ 100
  rounded half up to the fen; the city's is the premium less the province's. The two add up to the premium
  exactly, and the remainder fen (if any) falls to the city.
- `follow` / `follow_many` are called by the policy services inside their transaction, after the status
  moved: a move into a funded status (transitions.FUNDED: 已生效, 已到期) commits the premium, one entry per
  payer; a move out of one reverses each outstanding commitment by a new, negative entry. Nothing else writes
  entries except `repair`, which the check_ledger command runs only when asked.

Applications: lock the row, re-check the rule, move by transitions.APPLICATION, audit — one transaction each.
The bureau that acts is the paying region's own (a province bureau reads its cities' applications, and only
the city's bureau decides them). Approval is refused beyond the payer's budget for the scheme; the budget pages
warn from BUDGET_WARNING (90 %) of it committed.
"""
import datetime
import logging
import re
import secrets
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from singlewindow.accounts.models import Role
from singlewindow.accounts.roles import require_role
from singlewindow.audit.services import record
from singlewindow.forms import record_id
from singlewindow.machines import Refused
from singlewindow.validators import ascii_digits, clean_text

from .models import ApplicationLine, FundingApplication, LedgerEntry, Payer, SchemeBudget
from .transitions import APPLICATION, APPROVED, EDITABLE, FUNDED

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
AMOUNT_MAX = Decimal("999999999999.99")  # 14 digits, as the columns hold
BUDGET_WARNING = Decimal(90)  # % of the budget committed from which the bureau is warned
NOTE_MAX_LENGTH = 500
INVOICE_MAX_LENGTH = 30
INVOICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,29}")
PASTE_MAX_LINES = 20000
ENTRY = LedgerEntry.Kind


# --- the one rule for the shares -------------------------------------------------------------------------

def split(premium, province_share):
    """(province, city) shares of `premium` (元) for a province share of `province_share` %, to the fen.

    The province's is rounded half up (0.005 → 0.01); the city's is what remains, so they add up exactly."""
    premium = Decimal(premium)
    province = (premium * Decimal(province_share) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return province, premium - province


def payer_regions(scheme_region_code, enterprise_region_code):
    """{payer: paying region's code}: the province of the scheme; the city of the scheme, or, for a
    province-wide scheme, the city the enterprise is in (each city pays its own enterprises' share)."""
    city_of = enterprise_region_code if scheme_region_code.endswith("0000") else scheme_region_code
    return {Payer.PROVINCE: scheme_region_code[:2] + "0000", Payer.CITY: city_of[:4] + "00"}


def shares_of(premium, province_share, scheme_region_code, enterprise_region_code):
    """[(payer, region code, share %, amount)] of one premium, leaving out a payer whose share is zero."""
    province, city = split(premium, province_share)
    regions = payer_regions(scheme_region_code, enterprise_region_code)
    province_share = Decimal(province_share)
    rows = [(Payer.PROVINCE, regions[Payer.PROVINCE], province_share, province),
            (Payer.CITY, regions[Payer.CITY], Decimal(100) - province_share, city)]
    return [row for row in rows if row[3] > 0]


# --- the ledger follows the policies ---------------------------------------------------------------------

def _in_transaction(what):
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"subsidies.{what} must run inside the policy's transaction")


def outstanding(policy_ids=None):
    """Commitments not reversed (of `policy_ids`, else all): what the payers owe now."""
    rows = LedgerEntry.objects.filter(kind=ENTRY.COMMITMENT, reversal__isnull=True)
    return rows if policy_ids is None else rows.filter(policy_id__in=policy_ids)


POLICY_FIELDS = ("pk", "premium", "scheme_id", "scheme__province_share", "scheme__region_id", "enterprise__region_id")


def commit_many(policy_ids, *, cause, events=None, at=None):
    """Commit the premiums of `policy_ids` (in a funded status, locked by the caller): one entry per payer
    with a share, written together (bulk_create). A policy that has outstanding commitments already is left
    as it is, so a repeated call never commits twice. `events` maps a policy id to its audit event."""
    from singlewindow.policies.models import Policy

    _in_transaction("commit")
    if not policy_ids:
        return []
    at, events = at or timezone.now(), events or {}
    committed = set(outstanding(policy_ids).values_list("policy_id", flat=True))
    entries = []
    for pk, premium, scheme_id, province_share, scheme_region, enterprise_region in (
            Policy.objects.filter(pk__in=policy_ids).exclude(pk__in=committed).values_list(*POLICY_FIELDS)):
        for payer, region, share, amount in shares_of(premium, province_share, scheme_region, enterprise_region):
            entries.append(LedgerEntry(
                policy_id=pk, scheme_id=scheme_id, payer=payer, region_id=region, kind=ENTRY.COMMITMENT,
                amount=amount, premium=premium, share=share, event=events.get(pk), cause=cause, created_at=at))
    return LedgerEntry.objects.bulk_create(entries, batch_size=2000)


def reverse_many(policy_ids, *, cause, events=None, at=None):
    """Reverse every outstanding commitment of `policy_ids`: a new entry of the opposite amount each, pointing
    at the commitment it undoes (at most one reversal per commitment: the column is unique)."""
    _in_transaction("reverse")
    if not policy_ids:
        return []
    at, events = at or timezone.now(), events or {}
    entries = [
        LedgerEntry(policy_id=entry.policy_id, scheme_id=entry.scheme_id, payer=entry.payer, region_id=entry.region_id,
                    kind=ENTRY.REVERSAL, amount=-entry.amount, premium=entry.premium, share=entry.share, reverses=entry,
                    event=events.get(entry.policy_id), cause=cause, created_at=at)
        for entry in outstanding(policy_ids).order_by("pk")
    ]
    return LedgerEntry.objects.bulk_create(entries, batch_size=2000)


def follow(policy, before, *, event=None, at=None):
    """The ledger's answer to one policy moving from `before` to `policy.status` (policies.services._transition,
    in its transaction): commit on entering a funded status, reverse on leaving one, nothing otherwise."""
    after = policy.status
    cause = event.action if event is not None else "policy.move"
    if after in FUNDED and before not in FUNDED:
        return commit_many([policy.pk], cause=cause, events={policy.pk: event}, at=at)
    if before in FUNDED and after not in FUNDED:
        return reverse_many([policy.pk], cause=cause, events={policy.pk: event}, at=at)
    return []


def follow_many(rows, target, *, cause, at=None):
    """The bulk twin of follow for the calendar's chunks: `rows` [(policy id, status before)] all moved to
    `target`. Lapse and expiry never cross the funded line, so they cost nothing here."""
    entering = [pk for pk, before in rows if target in FUNDED and before not in FUNDED]
    leaving = [pk for pk, before in rows if before in FUNDED and target not in FUNDED]
    return commit_many(entering, cause=cause, at=at) + reverse_many(leaving, cause=cause, at=at)


# --- what the ledger holds ------------------------------------------------------------------------------

@dataclass
class PayerTotal:
    payer: str
    region_id: str
    region_name: str
    committed: Decimal = ZERO
    reversed: Decimal = ZERO  # negative, as entered
    policies: int = 0  # commitments entered

    @property
    def net(self):
        return self.committed + self.reversed

    @property
    def label(self):
        return f"{Payer(self.payer).label} · {self.region_name}"


def totals(entries):
    """[PayerTotal] of `entries` (a LedgerEntry queryset), the province first, then the cities by code."""
    from singlewindow.regions.models import Region

    table = {}
    for payer, region, kind, amount, n in (entries.values_list("payer", "region", "kind")
                                           .annotate(s=Sum("amount"), n=Count("id")).order_by()):
        line = table.setdefault((payer, region), PayerTotal(payer, region, ""))
        if kind == ENTRY.COMMITMENT:
            line.committed, line.policies = line.committed + amount, line.policies + n
        else:
            line.reversed += amount
    names = dict(Region.objects.filter(pk__in={region for _payer, region in table}).values_list("code", "name"))
    for line in table.values():
        line.region_name = names.get(line.region_id, line.region_id)
    order = {Payer.PROVINCE: 0, Payer.CITY: 1}
    return sorted(table.values(), key=lambda line: (order[line.payer], line.region_id))


def net_by(entries, *fields):
    """{values of `fields`: net amount} of `entries`: e.g. net_by(entries, "policy__enterprise__region", "payer")
    for the dashboard's subsidy per county and payer — the same entries the ledger page adds up."""
    return {tuple(row[:-1]) if len(fields) > 1 else row[0]: row[-1] or ZERO
            for row in entries.values_list(*fields).annotate(s=Sum("amount")).order_by()}


def expected_total(policies):
    """{(payer, region code): amount} the policies of `policies` (a Policy queryset) owe by the rule, computed
    from the policies alone: the figure the ledger must equal (tests, check_ledger)."""
    owed = {}
    for _pk, premium, _scheme, province_share, scheme_region, enterprise_region in (
            policies.filter(status__in=FUNDED).values_list(*POLICY_FIELDS).iterator(chunk_size=5000)):
        for payer, region, _share, amount in shares_of(premium, province_share, scheme_region, enterprise_region):
            owed[payer, region] = owed.get((payer, region), ZERO) + amount
    return owed


# --- the check (manage.py check_ledger) -----------------------------------------------------------------

@dataclass
class Difference:
    policy_id: int
    number: str
    payer: str
    expected: tuple | None  # (region, amount) the rule gives, or None: nothing is owed
    recorded: list  # [(region, amount)] of outstanding commitments

    def __str__(self):
        def show(pairs):
            return "、".join(f"{region} {amount}" for region, amount in pairs) or "无"

        return _("保单 %(number)s %(payer)s：应为 %(expected)s，台账为 %(recorded)s") % {
            "number": self.number, "payer": Payer(self.payer).label,
            "expected": show([self.expected] if self.expected else []), "recorded": show(self.recorded)}


def differences(policies=None, chunk=5000):
    """Every (policy, payer) whose outstanding commitments differ from what the rule gives for the policy as it is
    now (status, premium, the scheme's shares): missing, stray, another amount or region, or more than one."""
    from singlewindow.policies.models import Policy

    policies = policies if policies is not None else Policy.objects.all()
    candidates = policies.filter(Q(status__in=FUNDED) | Q(pk__in=outstanding().values("policy_id"))).order_by("pk")
    found, last = [], 0
    while True:
        rows = list(candidates.filter(pk__gt=last).values_list(*POLICY_FIELDS, "number", "status")[:chunk])
        if not rows:
            return found
        recorded = {}
        for pk, payer, region, amount in outstanding([row[0] for row in rows]).values_list(
                "policy_id", "payer", "region_id", "amount"):
            recorded.setdefault((pk, payer), []).append((region, amount))
        for pk, premium, _scheme, share, scheme_region, enterprise_region, number, status in rows:
            owed = {}
            if status in FUNDED:
                owed = {payer: (region, amount)
                        for payer, region, _s, amount in shares_of(premium, share, scheme_region, enterprise_region)}
            for payer in Payer.values:
                have = sorted(recorded.get((pk, payer), []))
                want = owed.get(payer)
                if have != ([want] if want else []):
                    found.append(Difference(pk, number, payer, want, have))
        last = rows[-1][0]


def repair(found, *, actor=None):
    """Append what makes each difference right: reverse the policy's outstanding commitments that are wrong, then
    commit what the rule gives. One audit event per policy repaired ("ledger.repair"); nothing is edited."""
    from singlewindow.policies.models import Policy

    policy_ids = sorted({difference.policy_id for difference in found})
    with transaction.atomic():
        policies = {policy.pk: policy for policy in Policy.objects.select_for_update().filter(pk__in=policy_ids)}
        events = {pk: record(actor=actor, action="ledger.repair", obj=policy, data={
            "differences": [str(d) for d in found if d.policy_id == pk]}) for pk, policy in policies.items()}
        reverse_many(policy_ids, cause="ledger.repair", events=events)
        funded = [pk for pk, policy in policies.items() if policy.status in FUNDED]
        commit_many(funded, cause="ledger.repair", events=events)
    return len(policy_ids)


# --- small rules for what is typed ------------------------------------------------------------------------

def _amount(value, field):
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("请填写金额（元），最多两位小数。")}) from None
    if not amount.is_finite() or abs(amount) > AMOUNT_MAX or amount != amount.quantize(CENT):
        raise ValidationError({field: _("请填写金额（元），最多两位小数。")})
    if amount < 0:
        raise ValidationError({field: _("金额不能为负数。")})
    return amount


def _date(value, field):
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise ValidationError({field: _("请填写日期。")})
    return value


def money(amount):
    return f"{Decimal(amount):,.2f}"


def day_bounds(first, last):
    """[start, end) moments in Asia/Shanghai of the days `first` to `last`, both included."""
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min))
    return start, end


# --- who pays for what ------------------------------------------------------------------------------------

def payer_key(payer, region_code):
    return f"{payer}:{region_code}"


def parse_payer_key(key):
    """("province" | "city", region code) from a page's value, or None."""
    payer, _sep, region = str(key or "").partition(":")
    if payer in Payer.values and len(region) == 6 and region.isascii() and region.isdigit():
        return payer, region
    return None


def payers_of(scheme):
    """[(payer, region)] who may pay for `scheme`: its province, and its city — or every city of a province-wide
    scheme's province."""
    from singlewindow.regions.models import Region

    province = Region.objects.get(pk=scheme.region_id[:2] + "0000")
    if scheme.region_id.endswith("0000"):
        cities = list(Region.objects.filter(parent=province, level=Region.Level.PREFECTURE).order_by("code"))
    else:
        cities = [Region.objects.get(pk=scheme.region_id[:4] + "00")]
    return [(Payer.PROVINCE, province), *[(Payer.CITY, city) for city in cities]]


def paid_by(bureau):
    """[(scheme, payer, region)] the bureau's own region pays for, among the schemes it sees: a province bureau
    the province share of its province's schemes, a city bureau the city share. A county pays no share."""
    from singlewindow.policies.models import Scheme
    from singlewindow.regions.models import Region

    if getattr(bureau, "role", None) != Role.BUREAU or not bureau.region_id:
        return []
    region = bureau.region
    if region.level == Region.Level.PROVINCE:
        payer = Payer.PROVINCE
    elif region.level == Region.Level.PREFECTURE:
        payer = Payer.CITY
    else:
        return []
    schemes = Scheme.objects.visible_to(bureau).filter(region__code__startswith=region.code[:2]).order_by(
        "-year", "name")
    return [(scheme, payer, region) for scheme in schemes
            if any(p == payer and r.pk == region.pk for p, r in payers_of(scheme))]


@dataclass
class Budget:
    """A payer's figures for one scheme: the budget (None when unset), what the ledger commits, what was approved."""

    scheme: object
    payer: str
    region: object
    amount: Decimal | None
    committed: Decimal
    approved: Decimal

    @property
    def label(self):
        return f"{Payer(self.payer).label} · {self.region.name}"

    @property
    def percent(self):
        """Committed as a % of the budget (one decimal), or None without a budget."""
        if not self.amount:
            return None
        return (self.committed * 100 / self.amount).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def level(self):
        """"unset", "over" (committed beyond the budget), "warning" (from BUDGET_WARNING % committed) or "ok"."""
        if self.amount is None:
            return "unset"
        if self.committed > self.amount:
            return "over"
        if self.committed > 0 and self.committed * 100 >= self.amount * BUDGET_WARNING:
            return "warning"
        return "ok"

    @property
    def room(self):
        """What may still be approved: the budget less what was approved (None without a budget)."""
        return None if self.amount is None else self.amount - self.approved


def budget_for(scheme, payer, region, *, budget=None):
    if budget is None:
        budget = SchemeBudget.objects.filter(scheme=scheme, payer=payer, region=region).first()
    committed = LedgerEntry.objects.filter(scheme=scheme, payer=payer, region=region).aggregate(
        s=Sum("amount"))["s"] or ZERO
    approved = FundingApplication.objects.filter(scheme=scheme, payer=payer, region=region,
                                                 status__in=APPROVED).aggregate(s=Sum("total"))["s"] or ZERO
    return Budget(scheme, payer, region, budget.amount if budget else None, committed, approved)


def budgets_of(bureau):
    """The Budget of each (scheme, payer, region) the bureau pays for."""
    return [budget_for(scheme, payer, region) for scheme, payer, region in paid_by(bureau)]


def save_budget(actor, scheme_id, payer, amount, *, ip=None, now=None):
    """设置预算: the paying region's own bureau sets its budget for one scheme (a new amount replaces the old; the
    audit event keeps both)."""
    require_role(actor, Role.BUREAU)
    amount = _amount(amount, "amount")
    scheme_id = record_id(scheme_id)
    keys = {(scheme.pk, p): (scheme, region) for scheme, p, region in paid_by(actor)}
    if (scheme_id, payer) not in keys:
        raise ValidationError({"scheme": _("请选择本级承担资助的方案。")})
    scheme, region = keys[scheme_id, payer]
    now = now or timezone.now()
    with transaction.atomic():
        budget = SchemeBudget.objects.select_for_update().filter(scheme=scheme, payer=payer, region=region).first()
        before = budget.amount if budget else None
        if budget is None:
            budget = SchemeBudget.objects.create(scheme=scheme, payer=payer, region=region, amount=amount,
                                                 updated_by=actor, updated_at=now)
        else:
            SchemeBudget.objects.filter(pk=budget.pk).update(amount=amount, updated_by=actor, updated_at=now)
            budget.amount = amount
        record(actor=actor, action="budget.set", obj=budget, ip=ip, at=now, data={
            "scheme": scheme.pk, "payer": payer, "region": region.pk,
            "before": None if before is None else str(before), "amount": str(amount)})
    return budget


# --- applications: what may go in -------------------------------------------------------------------------

def eligible(scheme, payer, region_id, first, last):
    """The commitments an application of `payer` (region `region_id`) for `scheme` and the days `first` to `last`
    (Asia/Shanghai, inclusive) may list: committed in the period, not reversed, and whose policy is in no live
    application of this payer."""
    start, end = day_bounds(first, last)
    return (LedgerEntry.objects.filter(scheme=scheme, payer=payer, region_id=region_id, kind=ENTRY.COMMITMENT,
                                       created_at__gte=start, created_at__lt=end, reversal__isnull=True)
            .filter(~Exists(ApplicationLine.objects.filter(live=True, policy=OuterRef("policy"), payer=payer)))
            .order_by("created_at", "pk"))


def check_period(first, last):
    first, last = _date(first, "period_start"), _date(last, "period_end")
    if last < first:
        raise ValidationError({"period_end": _("期间止不能早于期间起。")})
    return first, last


def own_scheme(actor, scheme_id):
    from singlewindow.policies.models import Scheme

    scheme_id = record_id(scheme_id)
    scheme = Scheme.objects.visible_to(actor).filter(pk=scheme_id).first() if scheme_id else None
    if scheme is None:
        raise ValidationError({"scheme": _("请选择本机构承保的方案。")})
    return scheme


def payer_of(scheme, key):
    """(payer, region) the page's `key` names among the scheme's payers, or the form's refusal."""
    parsed = parse_payer_key(key)
    for payer, region in payers_of(scheme):
        if parsed == (payer, region.pk):
            return payer, region
    raise ValidationError({"payer": _("请选择本方案的资助方。")})


def _refresh_totals(application):
    figures = application.lines.aggregate(n=Count("id"), premium=Sum("premium"), total=Sum("amount"))
    FundingApplication.objects.filter(pk=application.pk).update(
        line_count=figures["n"], premium_total=figures["premium"] or ZERO, total=figures["total"] or ZERO)
    application.line_count, application.premium_total = figures["n"], figures["premium"] or ZERO
    application.total = figures["total"] or ZERO


def create_application(actor, *, scheme_id, payer, period_start, period_end, ip=None, now=None):
    """新建拨付申请 (a draft): every eligible commitment of the payer, scheme and period becomes a line."""
    require_role(actor, Role.INSURER)
    scheme = own_scheme(actor, scheme_id)
    payer, region = payer_of(scheme, payer)
    first, last = check_period(period_start, period_end)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            entries = list(eligible(scheme, payer, region.pk, first, last).values_list(
                "pk", "policy_id", "premium", "share", "amount"))
            if not entries:
                raise ValidationError({"__all__": _("该期间没有可申请拨付的保单：期间内生效的保单都已列入其他申请，"
                                                    "或尚无保单生效。")})
            application = FundingApplication.objects.create(
                number=f"tmp{secrets.token_hex(8)}", scheme=scheme, payer=payer, region=region, period_start=first,
                period_end=last, created_by=actor, created_at=now, status_changed_at=now)
            application.number = f"BF{timezone.localdate(now):%Y%m%d}{application.pk:06d}"
            FundingApplication.objects.filter(pk=application.pk).update(number=application.number)
            ApplicationLine.objects.bulk_create([
                ApplicationLine(application=application, entry_id=entry, policy_id=policy, payer=payer,
                                premium=premium, share=share, amount=amount)
                for entry, policy, premium, share, amount in entries], batch_size=2000)
            _refresh_totals(application)
            record(actor=actor, action="funding.create", obj=application, to_status=application.status, ip=ip, at=now,
                   data={"lines": application.line_count, "total": str(application.total)})
    except IntegrityError:  # another draft took some of these policies a moment ago
        raise Refused("taken", _("部分保单刚刚被另一份申请列入，请重新查看可申请的保单。")) from None
    return application


# --- applications: the insurer's edits ---------------------------------------------------------------------

def subject(application):
    return _("拨付申请 %(number)s ") % {"number": application.number}


def _locked(actor, application_id):
    pk = record_id(application_id)
    application = (FundingApplication.objects.visible_to(actor).select_for_update(of=("self",))
                   .select_related("scheme", "region").filter(pk=pk).first()) if pk else None
    if application is None:
        raise FundingApplication.DoesNotExist
    return application


def _editable(actor, application_id):
    require_role(actor, Role.INSURER)
    application = _locked(actor, application_id)
    if application.status not in EDITABLE:
        raise Refused("state", _("%(subject)s当前状态为“%(status)s”，不能修改。") % {
            "subject": subject(application), "status": application.get_status_display()})
    return application


def clean_invoice(value, field="invoice_number"):
    value = ascii_digits((value or "").strip()).upper()
    if not value:
        raise ValidationError({field: _("请填写发票号码。")})
    if not INVOICE.fullmatch(value):
        raise ValidationError({field: _("发票号码只能包含字母、数字和连字符，最多%(n)d位。") % {"n": INVOICE_MAX_LENGTH}})
    return value


SEPARATORS = re.compile(r"[\s,，;；]+")


def parse_invoices(text):
    """{policy number: invoice number} from lines of "保单号 发票号" (a space, tab or comma between), or the
    ValidationError naming the first lines that are wrong."""
    pairs, problems = {}, []
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        raise ValidationError({"invoices": _("请每行填写一个保单号和它的发票号码。")})
    if len(lines) > PASTE_MAX_LINES:
        raise ValidationError({"invoices": _("一次最多填写%(n)d行。") % {"n": PASTE_MAX_LINES}})
    for n, line in enumerate(lines, 1):
        parts = SEPARATORS.split(line.strip())
        if len(parts) != 2:
            problems.append(_("第%(n)d行应为“保单号 发票号码”两项。") % {"n": n})
            continue
        try:
            pairs[ascii_digits(parts[0]).upper()] = clean_invoice(parts[1])
        except ValidationError as error:
            problems.append(_("第%(n)d行：%(why)s") % {"n": n, "why": " ".join(error.messages)})
    if problems:
        raise ValidationError({"invoices": problems[:10] + ([_("等共%(n)d处。") % {"n": len(problems)}]
                                                          if len(problems) > 10 else [])})
    return pairs


def set_invoices(actor, application_id, text, *, ip=None):
    """Invoice numbers per policy (发票号码 is kept per line) from pasted "保单号 发票号" lines."""
    pairs = parse_invoices(text)
    with transaction.atomic():
        application = _editable(actor, application_id)
        lines = {}
        numbers = list(pairs)
        for i in range(0, len(numbers), 1000):
            for line in application.lines.filter(policy__number__in=numbers[i:i + 1000]).select_related("policy"):
                lines[line.policy.number] = line
        if unknown := [number for number in numbers if number not in lines]:
            shown = "、".join(unknown[:5]) + (_("等%(n)d份") % {"n": len(unknown)} if len(unknown) > 5 else "")
            raise ValidationError({"invoices": _("以下保单不在本申请中：%(numbers)s。") % {"numbers": shown}})
        for number, line in lines.items():
            line.invoice_number = pairs[number]
        ApplicationLine.objects.bulk_update(lines.values(), ["invoice_number"], batch_size=1000)
        record(actor=actor, action="funding.invoices", obj=application, ip=ip, data={"lines": len(lines)})
    return len(lines)


def fill_invoices(actor, application_id, invoice_number, *, ip=None):
    """One invoice number for every line still without one (one invoice covering the rest)."""
    invoice_number = clean_invoice(invoice_number)
    with transaction.atomic():
        application = _editable(actor, application_id)
        n = application.lines.filter(invoice_number="").update(invoice_number=invoice_number)
        record(actor=actor, action="funding.invoices", obj=application, ip=ip,
               data={"lines": n, "invoice_number": invoice_number})
    return n


def reversed_lines(application):
    """Lines whose commitment was reversed since they were listed (the policy stopped being funded)."""
    return application.lines.filter(entry__reversal__isnull=False)


def drop_reversed(actor, application_id, *, ip=None):
    """移出已冲回的保单 from a draft (or a returned application)."""
    with transaction.atomic():
        application = _editable(actor, application_id)
        numbers = list(reversed_lines(application).values_list("policy__number", flat=True))
        reversed_lines(application).delete()
        _refresh_totals(application)
        record(actor=actor, action="funding.drop", obj=application, ip=ip, data={"policies": numbers})
    return len(numbers)


# --- applications: the moves -------------------------------------------------------------------------------

def _act(actor, application_id, action, *, ip=None, reason="", now=None, check=None, changes=None, data=None):
    """Move one application along APPLICATION[action]: lock, check who acts and the rule, move, audit."""
    transition = APPLICATION[action]
    require_role(actor, transition.actor_role)
    now = now or timezone.now()
    with transaction.atomic():
        application = _locked(actor, application_id)
        if transition.actor_role == Role.BUREAU and actor.region_id != application.region_id:
            raise PermissionDenied  # a province bureau reads its cities' applications; the city decides them
        if check is not None and APPLICATION.allowed(action, application.status):
            check(application)
        before = application.status
        fields = dict(changes(application) if callable(changes) else changes or {})
        APPLICATION.move(FundingApplication.objects, application.pk, action, subject(application),
                         status_changed_at=now, **fields)
        application.refresh_from_db()
        record(actor=actor, action=f"funding.{action}", obj=application, from_status=before,
               to_status=application.status, reason=reason, ip=ip, at=now, data=data)
    log.info("funding application %s %s: %s -> %s", application.number, action, before, application.status)
    return application


def _no_reversed_lines(application):
    numbers = list(reversed_lines(application).values_list("policy__number", flat=True)[:6])
    if numbers:
        shown = "、".join(numbers[:5]) + (_("等") if len(numbers) > 5 else "")
        raise Refused("reversed", _("保单 %(numbers)s 的补贴已冲回（保单已不再生效），请由保险公司移出后再提交。")
                      % {"numbers": shown})


def submit(actor, application_id, *, ip=None, now=None):
    """提交 to the paying region's bureau: every line has its invoice number and is still committed."""
    def check(application):
        if application.line_count == 0:
            raise Refused("empty", _("申请中没有保单，不能提交。"))
        missing = application.lines.filter(invoice_number="").count()
        if missing:
            raise Refused("invoices", _("还有 %(n)d 份保单未填写发票号码，不能提交。") % {"n": missing})
        _no_reversed_lines(application)

    return _act(actor, application_id, "submit", ip=ip, now=now, check=check,
                changes=lambda application: {"submitted_at": now or timezone.now(), "last_reason": ""})


def withdraw(actor, application_id, *, ip=None, now=None):
    """作废: the draft stays on record; its policies may be listed by another application."""
    with transaction.atomic():
        application = _act(actor, application_id, "withdraw", ip=ip, now=now)
        ApplicationLine.objects.filter(application=application).update(live=False)
    return application


def return_application(actor, application_id, *, reason, ip=None, now=None):
    """退回 with a reason: the insurer corrects it and submits again."""
    from singlewindow.policies.services import check_reason

    reason = check_reason(reason)
    return _act(actor, application_id, "return", ip=ip, now=now, reason=reason, changes={"last_reason": reason})


def approve(actor, application_id, *, ip=None, now=None):
    """审核通过: refused without a budget, or when what is approved of it would exceed the budget."""
    def check(application):
        _no_reversed_lines(application)
        budget = SchemeBudget.objects.select_for_update().filter(
            scheme=application.scheme, payer=application.payer, region=application.region).first()
        figures = budget_for(application.scheme, application.payer, application.region, budget=budget)
        if figures.amount is None:
            raise Refused("no_budget", _("尚未设置%(payer)s对本方案的预算，不能审核通过。请先在“预算管理”中设置预算。")
                          % {"payer": figures.label})
        after = figures.approved + application.total
        if after > figures.amount:
            raise Refused("over_budget", _(
                "审核通过后已核准金额将为 %(after)s 元，超出预算 %(budget)s 元（超出 %(over)s 元），不能审核通过。") % {
                "after": money(after), "budget": money(figures.amount), "over": money(after - figures.amount)})

    return _act(actor, application_id, "approve", ip=ip, now=now, check=check)


def clean_payment(application, *, paid_on, amount, reference, now=None):
    """The payment's fields as recorded, or the ValidationError naming the field: a date not after today nor
    before the approval of `application`, an amount above zero to the fen, a reference."""
    paid_on = _date(paid_on, "paid_on")
    amount = _amount(amount, "amount")
    if amount == 0:
        raise ValidationError({"amount": _("拨付金额应大于零。")})
    reference = clean_text(reference, field="reference", max_length=60)
    if paid_on > timezone.localdate(now):
        raise ValidationError({"paid_on": _("拨付日期不能晚于今天。")})
    approved_on = timezone.localdate(application.status_changed_at)
    if application.status in APPLICATION["pay"].sources and paid_on < approved_on:
        raise ValidationError({"paid_on": _("拨付日期不能早于审核通过的日期（%(date)s）。") % {
            "date": approved_on.isoformat()}})
    return paid_on, amount, reference


def record_payment(actor, application_id, *, paid_on, amount, reference, ip=None, now=None):
    """登记拨付: the date (not after today, not before the approval), the amount and the payment's reference."""
    now = now or timezone.now()
    paid_on, amount, reference = clean_payment(FundingApplication(status_changed_at=now), paid_on=paid_on,
                                               amount=amount, reference=reference, now=now)

    def check(application):
        clean_payment(application, paid_on=paid_on, amount=amount, reference=reference, now=now)

    return _act(actor, application_id, "pay", ip=ip, now=now, check=check, data={"reference": reference},
                changes={"paid_on": paid_on, "paid_amount": amount, "payment_reference": reference})


def clean_reconciliation(application, note):
    """The difference note as kept, or the ValidationError: required when the amount paid is not the total."""
    note = clean_text(note, field="note", required=False, max_length=NOTE_MAX_LENGTH)
    if application.paid_amount is not None:
        difference = application.paid_amount - application.total
        if difference and not note:
            raise ValidationError({"note": _("拨付金额与申请金额相差 %(d)s 元，请填写差额说明。") % {"d": money(difference)}})
    return note


def reconcile(actor, application_id, *, note="", ip=None, now=None):
    """对账: the amount paid equals the application's total, or the difference is stated and kept."""
    note = clean_text(note, field="note", required=False, max_length=NOTE_MAX_LENGTH)

    def check(application):
        clean_reconciliation(application, note)

    return _act(actor, application_id, "reconcile", ip=ip, now=now, check=check,
                changes=lambda application: {"difference": None if application.paid_amount is None else
                                             application.paid_amount - application.total, "difference_note": note})
