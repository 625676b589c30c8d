"""统计分析: the bureau's dashboard figures for one scheme, per county of the reader's scope and in total.

Every figure comes from a grouped query over rows the reader may see (policies, eligibility, confirmations,
notices and claims); the page, its charts and its .xlsx are drawn from the same `Dashboard`, so they
always agree. Definitions (also shown on the page):
- 符合条件企业: enterprises eligible under the scheme that have no policy yet, plus those issued one
  (every policy is issued to an enterprise that was eligible then).
- 参保率 = policies in force or run their course (已生效, 已到期) ÷ 符合条件企业.
- 确认率 = policies confirmed (审批中, 已生效, 已到期) ÷ policies issued.
"""
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from singlewindow.accounts.models import Role
from singlewindow.accounts.scopes import enterprise_scope
from singlewindow.claims.models import Claim, LossNotice
from singlewindow.enterprises.eligibility import cached_waiting_by_county
from singlewindow.policies import tally
from singlewindow.policies.models import Confirmation, Policy, PolicyStatus, Scheme
from singlewindow.policies.transitions import TAKEN_UP, TRANSITIONS
from singlewindow.regions.models import Region, within
from singlewindow.spreadsheets import XlsxWriter
from singlewindow.subsidies.transitions import FUNDED

ZERO = Decimal("0.00")
# In force, or run its course: the 参保率's numerator.
INSURED = frozenset({TRANSITIONS["approve"].target, TRANSITIONS["expire"].target})
MAX_DAYS = 366  # the confirmations-per-day series covers at most a year
DEFAULT_DAYS = 30  # and by default the 30 days up to today or the confirmation deadline


class DashboardFilter(forms.Form):
    scheme = forms.ModelChoiceField(
        label=gettext_lazy("投保方案"), queryset=Scheme.objects.none(), required=False, empty_label=None,
        error_messages={"invalid_choice": gettext_lazy("请选择列表中的投保方案。")},
    )
    start = forms.DateField(label=gettext_lazy("确认日期自"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}),
                            error_messages={"invalid": gettext_lazy("请输入有效的日期，如 2020-06-01。")})
    end = forms.DateField(label=gettext_lazy("至（含当日）"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}),
                          error_messages={"invalid": gettext_lazy("请输入有效的日期，如 2020-06-30。")})

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = Scheme.objects.visible_to(user).select_related("region").order_by(
            "-cover_start", "name")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("结束日期不能早于开始日期。"))
        elif start and end and (end - start).days >= MAX_DAYS:
            self.add_error("end", _("日期范围最长 %(days)s 天。") % {"days": MAX_DAYS})
        return data


def default_scheme(user):
    """The scheme the dashboard opens on: the newest the reader may see."""
    return Scheme.objects.visible_to(user).order_by("-cover_start", "name").first()


@dataclass
class Line:
    code: str
    name: str
    waiting: int = 0  # eligible, no policy yet
    cells: dict = field(default_factory=dict)  # policies by status
    premium: Decimal = ZERO  # premiums of the policies in force or run their course (the ledger's FUNDED)
    province: Decimal = ZERO  # of which the province's share, committed in the subsidy ledger
    city: Decimal = ZERO  # and the city's
    notices: int = 0
    claims_paid: int = 0
    paid_usd: Decimal = ZERO

    def count(self, statuses):
        return sum(self.cells.get(s, 0) for s in statuses)

    @property
    def issued(self):
        return sum(self.cells.values())

    @property
    def eligible(self):
        return self.waiting + self.issued

    @property
    def insured(self):
        return self.count(INSURED)

    @property
    def confirmed(self):
        return self.count(TAKEN_UP)

    @property
    def take_up(self):
        """参保率 in % (None when nobody is eligible)."""
        return self.insured * 100 / self.eligible if self.eligible else None

    @property
    def confirm_rate(self):
        """确认率 in % (None when nothing was issued)."""
        return self.confirmed * 100 / self.issued if self.issued else None

    def by_status(self):
        return [self.cells.get(s, 0) for s in PolicyStatus]

    def add(self, other):
        self.waiting += other.waiting
        for status, n in other.cells.items():
            self.cells[status] = self.cells.get(status, 0) + n
        self.premium += other.premium
        self.province += other.province
        self.city += other.city
        self.notices += other.notices
        self.claims_paid += other.claims_paid
        self.paid_usd += other.paid_usd


@dataclass
class Day:
    day: dt.date
    confirmed: int
    cumulative: int


@dataclass
class Dashboard:
    scheme: Scheme
    lines: list
    total: Line
    days: list
    start: dt.date
    end: dt.date
    eligible_counted_at: dt.datetime


def _series(confirmations, start, end):
    """One Day per calendar day from `start` to `end` (inclusive), confirmations counted before it included."""
    per_day = dict(confirmations.filter(at__date__gte=start, at__date__lte=end)
                   .annotate(day=TruncDate("at")).values_list("day").annotate(n=Count("id")).order_by())
    running = confirmations.filter(at__date__lt=start).count()
    days = []
    for offset in range((end - start).days + 1):
        day = start + dt.timedelta(days=offset)
        running += per_day.get(day, 0)
        days.append(Day(day, per_day.get(day, 0), running))
    return days


def dashboard(user, scheme, start=None, end=None, today=None):
    """The figures of `scheme` within what `user` may see; confirmations per day from `start` to `end`
    (default: the 30 days up to the earlier of today and the confirmation deadline). Policies by status and
    premiums come from the tally (policies/tally.py); eligible enterprises without a policy from the cached
    count (enterprises/eligibility.cached_waiting_by_county)."""
    scope = enterprise_scope(user, field="enterprise", region_field="enterprise__region")
    policies = Policy.objects.filter(scheme=scheme).filter(scope)
    table = {}

    def line(code):
        return table.setdefault(code, Line(code, code))

    waiting, counted_at = cached_waiting_by_county(scheme, scope, _scope_key(user))
    for code, n in waiting.items():
        line(code).waiting = n
    for (code, status), (n, premium, province) in tally.cells(scheme, _region_scope(user)).items():
        row = line(code)
        row.cells[status] = n
        if status in FUNDED:  # committed in the subsidy ledger: the same policies, split by the same rule
            row.premium += premium
            row.province += province
            row.city += premium - province
    on_scheme = {"policy__scheme": scheme}
    notice_scope = enterprise_scope(user, field="policy__enterprise", region_field="policy__enterprise__region")
    for code, n in (LossNotice.objects.filter(notice_scope, **on_scheme).values_list("policy__enterprise__region")
                    .annotate(n=Count("id")).order_by()):
        line(code).notices = n
    for code, n, paid in (Claim.objects.filter(notice_scope, status=Claim.Status.PAID, **on_scheme)
                          .values_list("policy__enterprise__region")
                          .annotate(n=Count("id"), s=Sum("paid_amount_usd")).order_by()):
        line(code).claims_paid, line(code).paid_usd = n, paid or ZERO
    names = dict(Region.objects.filter(pk__in=table).values_list("code", "name"))
    lines = [table[code] for code in sorted(table)]
    total = Line("", _("合计"))
    for row in lines:
        row.name = names.get(row.code, row.code)
        total.add(row)

    today = today or timezone.localdate()
    if start is None:
        end = end or min(today, scheme.confirm_deadline)
        start = end - dt.timedelta(days=DEFAULT_DAYS - 1)
    end = end or min(start + dt.timedelta(days=DEFAULT_DAYS - 1), scheme.confirm_deadline)
    end = min(max(end, start), start + dt.timedelta(days=MAX_DAYS - 1))
    confirmations = Confirmation.objects.filter(policy__in=policies)
    return Dashboard(scheme, lines, total, _series(confirmations, start, end), start, end, counted_at)


def _scope_key(user):
    return f"{user.role}:{user.region_id or ''}"


def _region_scope(user):
    """The tally's counties the reader may see (the dashboard is the bureaus' and the administrator's)."""
    if user.role == Role.STAFF:
        return Q()
    if user.role == Role.BUREAU and user.region_id:
        return within([user.region], "region")
    return Q(pk__in=[])


def _percent(value):
    return None if value is None else round(value, 1)


def workbook(board):
    """The dashboard as an .xlsx (bytes): the county table and the daily confirmations, cells neutralised."""
    sheet = XlsxWriter(_("统计分析"))
    sheet.writerow([_("投保方案"), board.scheme.name])
    sheet.writerow([_("确认截止日"), board.scheme.confirm_deadline.isoformat()])
    sheet.writerow([])
    sheet.writerow([_("县区代码"), _("县区"), _("符合条件企业"), _("已出单"), *[s.label for s in PolicyStatus],
                    _("参保率（%）"), _("确认率（%）"), _("保费（元）"), _("省级资助（元）"), _("市级资助（元）"),
                    _("报损数"), _("已赔付案件"), _("已赔付（美元）")])
    for row in [*board.lines, board.total]:
        sheet.writerow([row.code, str(row.name), row.eligible, row.issued, *row.by_status(),
                        _percent(row.take_up), _percent(row.confirm_rate), row.premium, row.province, row.city,
                        row.notices, row.claims_paid, row.paid_usd])
    sheet.writerow([])
    sheet.writerow([_("日期"), _("当日确认"), _("累计确认")])
    for day in board.days:
        sheet.writerow([day.day.isoformat(), day.confirmed, day.cumulative])
    return sheet.getvalue()
