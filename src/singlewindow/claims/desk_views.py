"""理赔审核: the insurer's desk for possible-loss notices and claims (queue, notice, the review, buyers), and the
figures of notices and claims for the bureau, the single-window administrator and the insurer.

Every page fetches through `visible_to` and answers 404 for another branch's cases; every action is one service
call (services.py) through `attempt`; what cannot be undone (a settlement decision, 核赔, 拒赔, 登记赔付, 合并买方)
takes a second step (check_step). Buttons are shown only for what the CLAIM table allows from the status.
"""
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from singlewindow.accounts.decorators import role_required
from singlewindow.accounts.models import Role
from singlewindow.forms import add_service_errors, record_id
from singlewindow.http import attachment, check_step, client_ip, is_checked, page_query
from singlewindow.refusals import attempt
from singlewindow.regions.models import Region
from singlewindow.spreadsheets import XLSX_TYPE, XlsxWriter

from . import history, services
from .desk_forms import (
    ALL,
    CLAIMS,
    ME,
    NOBODY,
    NOTICES,
    TABS,
    WAITING,
    ApproveForm,
    AssignForm,
    BuyerSearch,
    DecisionForm,
    MergeForm,
    MessageForm,
    PayForm,
    QueueFilter,
    RecoveryForm,
    RejectForm,
    RequestInfoForm,
)
from .models import Buyer, Claim, LossNotice, SettlementConsent
from .transitions import AT_INSURER, CLAIM, INDEMNIFIED, NOTICE, NOTICE_OPEN

desk = role_required(Role.INSURER)
figures_readers = role_required(Role.BUREAU, Role.STAFF, Role.INSURER)
PAGE_SIZE = 50
FILTERS = ("status", "county", "cause", "assignee")


# --- the queue ------------------------------------------------------------------------------------------

def _tab(request):
    tab = request.GET.get("tab")
    return tab if tab in (NOTICES, CLAIMS) else NOTICES


def _filters(request, tab):
    """The queue's filters as a page passes them on, checked as the queue's (a foreign county is refused)."""
    form = QueueFilter(request.user, tab, request.GET)
    return form, (form.cleaned_data if form.is_valid() else {})


def _queue_query(tab, filters, **more):
    """The filters as a query string, so the detail and its decisions stay in the queue the clerk chose."""
    values = {"tab": tab}
    for name in FILTERS:
        value = filters.get(name)
        if value:
            values[name] = getattr(value, "pk", value)
    return urlencode({**values, **more})


def _with_query(url, query):
    return f"{url}?{query}" if query else url


def _notices(user, filters):
    rows = LossNotice.objects.visible_to(user)
    status = filters.get("status") or WAITING
    if status == WAITING:  # to acknowledge, or a settlement plan to decide
        rows = rows.filter(Q(status=LossNotice.Status.SUBMITTED)
                           | Q(pk__in=SettlementConsent.objects.filter(decision=SettlementConsent.Decision.PENDING)
                               .values("notice")))
    elif status != ALL:
        rows = rows.filter(status=status)
    if filters.get("county"):
        rows = rows.filter(policy__enterprise__region=filters["county"])
    if filters.get("cause"):
        rows = rows.filter(cause=filters["cause"])
    return rows.order_by(F("target_date").asc(nulls_last=True), "submitted_at", "id")


def _claims(user, filters):
    rows = Claim.objects.visible_to(user)
    status = filters.get("status") or WAITING
    if status == WAITING:
        rows = rows.filter(status__in=AT_INSURER)
    elif status != ALL:
        rows = rows.filter(status=status)
    if filters.get("county"):
        rows = rows.filter(policy__enterprise__region=filters["county"])
    if filters.get("cause"):
        rows = rows.filter(notice__cause=filters["cause"])
    assignee = filters.get("assignee")
    if assignee == ME:
        rows = rows.filter(assignee=user)
    elif assignee == NOBODY:
        rows = rows.filter(assignee=None)
    elif assignee:
        rows = rows.filter(assignee_id=record_id(assignee))
    return rows.order_by(F("target_date").asc(nulls_last=True), "submitted_at", "id")


def _days_left(case, today):
    return (case.target_date - today).days if case.target_date else None


@desk
@require_GET
def queue(request):
    tab = _tab(request)
    form, filters = _filters(request, tab)
    if tab == NOTICES:
        rows = _notices(request.user, filters).select_related("policy__enterprise__region", "buyer__country")
    else:
        rows = _claims(request.user, filters).select_related(
            "notice__buyer__country", "policy__enterprise__region", "assignee")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for case in page:
        case.days_left = _days_left(case, today)
    waiting = {
        NOTICES: _notices(request.user, {}).count(),
        CLAIMS: _claims(request.user, {}).count(),
    }
    return render(request, "claims/desk/queue.html", {
        "tab": tab, "tabs": [(key, label, waiting[key]) for key, label in TABS], "form": form, "page": page,
        "keep": page_query(request), "queue_query": _queue_query(tab, filters),
    })


def _next_notice(request, after):
    filters = _filters(request, NOTICES)[1]
    return _notices(request.user, {**filters, "status": WAITING}).exclude(pk=after.pk).first(), filters


def _next_claim(request, after):
    filters = _filters(request, CLAIMS)[1]
    waiting = _claims(request.user, {**filters, "status": WAITING}).exclude(pk=after.pk)
    return waiting.exclude(status=Claim.Status.APPROVED).first() or waiting.first(), filters


# --- the timeline: what happened to a notice or a claim, from the audit chain ---------------------------

def _timeline(obj):
    return history.timeline(obj)


# --- a notice -------------------------------------------------------------------------------------------

def _notice(request, pk):
    return get_object_or_404(LossNotice.objects.visible_to(request.user).select_related(
        "policy__enterprise__region", "policy__scheme", "buyer__country"), pk=pk)


def _render_notice(request, notice, *, message_form=None, decision_forms=None, status=200):
    decision_forms = decision_forms or {}
    settlements = list(notice.settlements.select_related("proposed_by", "decided_by"))
    pending = SettlementConsent.Decision.PENDING
    rows = [(s, decision_forms.get(s.pk) or DecisionForm(prefix=f"s{s.pk}") if s.decision == pending else None)
            for s in settlements]
    filters = _filters(request, NOTICES)[1]
    return render(request, "claims/desk/notice.html", {
        "notice": notice, "claim": Claim.objects.filter(notice=notice).first(),
        "thread": notice.messages.select_related("author"), "settlements": rows,
        "message_form": message_form or MessageForm(), "can_acknowledge": NOTICE.allowed("acknowledge", notice.status),
        "can_message": notice.status in NOTICE_OPEN, "late_consequence": services.late_consequence(),
        "claim_deadline": services.claim_deadline(notice), "timeline": _timeline(notice),
        "queue_query": _queue_query(NOTICES, filters), "invalid_form": message_form if message_form and message_form.errors
        else next((f for f in decision_forms.values() if f.errors), None),
    }, status=status)


@desk
@require_GET
def notice(request, pk):
    return _render_notice(request, _notice(request, pk))


@desk
@require_POST
def notice_acknowledge(request, pk):
    notice = _notice(request, pk)
    with attempt(request) as tried:
        services.acknowledge_notice(request.user, notice.pk, ip=client_ip(request))
    if not tried.ok:
        return redirect(_with_query(reverse("claims:desk_notice", args=[notice.pk]), request.GET.urlencode()))
    done = _("报损 %(n)s 已受理。") % {"n": notice.number}
    following, filters = _next_notice(request, notice)
    if following is None:
        messages.success(request, done + _("待处理的报损已全部处理。"))
        return redirect(_with_query(reverse("claims:desk"), _queue_query(NOTICES, filters)))
    messages.success(request, done + _("下一份待处理：%(n)s。") % {"n": following.number})
    return redirect(_with_query(reverse("claims:desk_notice", args=[following.pk]), _queue_query(NOTICES, filters)))


@desk
@require_POST
def notice_message(request, pk):
    notice = _notice(request, pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        with attempt(request, form) as tried:
            message = services.post_message(request.user, notice.pk, form.cleaned_data["kind"],
                                            form.cleaned_data["body"], ip=client_ip(request))
            messages.success(request, _("%(kind)s已发送，企业将收到通知。") % {"kind": message.get_kind_display()})
        if tried.ok or tried.refused:
            return redirect(_with_query(reverse("claims:desk_notice", args=[notice.pk]), request.GET.urlencode()))
    return _render_notice(request, notice, message_form=form, status=400)


@desk
@require_POST
def settlement_decide(request, pk):
    settlement = get_object_or_404(SettlementConsent.objects.filter(
        notice__in=LossNotice.objects.visible_to(request.user)), pk=pk)
    notice = _notice(request, settlement.notice_id)
    back = _with_query(reverse("claims:desk_notice", args=[notice.pk]), request.GET.urlencode())
    form = DecisionForm(request.POST, prefix=f"s{settlement.pk}")
    if not form.is_valid():
        return _render_notice(request, notice, decision_forms={settlement.pk: form}, status=400)
    decision, text = form.cleaned_data["decision"], form.cleaned_data["text"]
    if not is_checked(request) and settlement.decision == SettlementConsent.Decision.PENDING:
        label = dict(form.fields["decision"].choices)[decision]
        return check_step(
            request, title=_("和解方案：%(decision)s") % {"decision": label}, back_url=back,
            summary=_("这是保险公司对和解方案的书面意见，提交后企业即收到通知，不能更改。"),
            items=[_("报损 %(n)s") % {"n": notice.number}, _("和解方案：%(plan)s") % {"plan": settlement.plan},
                   _("决定：%(decision)s") % {"decision": label}, _("书面意见：%(text)s") % {"text": text}],
            button=_("确认%(decision)s") % {"decision": label},
            keep=[(f"s{settlement.pk}-decision", decision), (f"s{settlement.pk}-text", text)])
    with attempt(request, form) as tried:
        decided = services.decide_settlement(request.user, settlement.pk, decision, text, ip=client_ip(request))
        messages.success(request, _("已就和解方案作出决定：%(decision)s。") % {"decision": decided.get_decision_display()})
    if tried.invalid:
        return _render_notice(request, notice, decision_forms={settlement.pk: form}, status=400)
    return redirect(back)


# --- a claim: the review --------------------------------------------------------------------------------

def _claim(request, pk):
    return get_object_or_404(Claim.objects.visible_to(request.user).select_related(
        "notice__buyer__country", "policy__enterprise__region", "policy__scheme", "assignee"), pk=pk)


def _preview(claim, form):
    """The working at the rate typed (not saved), or None with the service's refusal on the form."""
    try:
        rate = services.usd_rate_for(claim.notice.currency, form.cleaned_data.get("usd_rate"))
        if form.cleaned_data["rate_date"] > timezone.localdate():
            raise ValidationError({"rate_date": _("汇率日期不能晚于今天。")})
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    return services.working_for(claim, rate, form.cleaned_data["rate_date"])


def _render_claim(request, claim, *, status=200, invalid=None, **forms):
    notice = claim.notice
    can = {action: CLAIM.allowed(action, claim.status) for action in ("take", "request_info", "approve", "reject",
                                                                      "pay")}
    approve_form, preview = forms.get("approve_form"), None
    if approve_form is None and can["approve"] and "rate_date" in request.GET:  # 试算: the working, not saved
        approve_form = ApproveForm(claim, request.GET)
        if approve_form.is_valid():
            preview = _preview(claim, approve_form)
    filters = _filters(request, CLAIMS)[1]
    recoveries = list(claim.recoveries.all())
    return render(request, "claims/desk/claim.html", {
        "claim": claim, "notice": notice, "checklist": services.checklist(claim),
        "documents": claim.documents.select_related("request"), "requests": claim.requests.all(),
        "assign_form": forms.get("assign_form") or AssignForm(request.user, initial={"assignee": claim.assignee_id}),
        "request_form": forms.get("request_form") or RequestInfoForm(),
        "approve_form": approve_form or ApproveForm(claim, initial={"rate_date": timezone.localdate()}),
        "preview": preview,
        "reject_form": forms.get("reject_form") or RejectForm(),
        "pay_form": forms.get("pay_form") or PayForm(initial={"paid_on": timezone.localdate(),
                                                              "amount_usd": claim.indemnity_usd}),
        "recovery_form": forms.get("recovery_form") or RecoveryForm(initial={"received_on": timezone.localdate()}),
        "recoveries": recoveries, "can": can, "can_recover": claim.status == Claim.Status.PAID,
        "recovered_usd": sum((r.amount_usd for r in recoveries), Decimal(0)),
        "counted_usd": services.counted_usd(claim.policy, excluding=claim.pk),
        "maximum_usd": claim.policy.scheme.max_indemnity_usd, "ratio": claim.policy.scheme.indemnity_ratio,
        "next_step": services.desk_next_step(claim), "timeline": _timeline(claim),
        "days_left": _days_left(claim, timezone.localdate()), "late_consequence": services.late_consequence(),
        "queue_query": _queue_query(CLAIMS, filters),
        "queue_params": [(k, v) for k, v in request.GET.items() if k in ("tab", *FILTERS)],
        "invalid_form": invalid,
    }, status=status)


def _back(request, claim):
    return _with_query(reverse("claims:desk_claim", args=[claim.pk]), request.GET.urlencode())


def _stale(request, claim, action):
    """A decision posted on a claim whose status no longer allows it (a stale page, a second click): its refusal,
    back to the claim, before anything typed is read."""
    if CLAIM.allowed(action, claim.status):
        return None
    messages.warning(request, str(services.refusal(claim, action)))
    return redirect(_back(request, claim))


def _decided(request, claim, done):
    """After a decision: on to the claim of the same queue that waits for the insurer soonest."""
    following, filters = _next_claim(request, claim)
    if following is None:
        messages.success(request, done + _("待处理的索赔已全部处理。"))
        return redirect(_with_query(reverse("claims:desk"), _queue_query(CLAIMS, filters)))
    messages.success(request, done + _("下一份待处理：%(n)s。") % {"n": following.number})
    return redirect(_with_query(reverse("claims:desk_claim", args=[following.pk]), _queue_query(CLAIMS, filters)))


@desk
@require_GET
def claim(request, pk):
    return _render_claim(request, _claim(request, pk))


@desk
@require_POST
def claim_take(request, pk):
    claim = _claim(request, pk)
    with attempt(request) as tried:
        services.take_claim(request.user, claim.pk, ip=client_ip(request))
    if tried.ok:
        messages.success(request, _("索赔 %(n)s 已开始审核。") % {"n": claim.number})
    return redirect(_back(request, claim))


@desk
@require_POST
def claim_assign(request, pk):
    claim = _claim(request, pk)
    form = AssignForm(request.user, request.POST)
    if form.is_valid():
        with attempt(request, form) as tried:
            assignee = services.assign(request.user, claim.pk, form.cleaned_data["assignee"].pk, ip=client_ip(request))
            messages.success(request, _("经办人已改为 %(name)s。") % {"name": assignee})
        if not tried.invalid:
            return redirect(_back(request, claim))
    return _render_claim(request, claim, status=400, invalid=form, assign_form=form)


@desk
@require_POST
def claim_request_info(request, pk):
    claim = _claim(request, pk)
    form = RequestInfoForm(request.POST)
    if form.is_valid():
        items, questions = form.cleaned_data["items"], form.cleaned_data["questions"]
        with attempt(request, form) as tried:
            services.request_info(request.user, claim.pk, items, questions=questions, ip=client_ip(request))
            if questions:
                done = _("已要求企业补充 %(k)d 项材料、书面说明 %(q)d 个问题，企业将收到通知。") % {
                    "k": len(items), "q": len(questions)}
            else:
                done = _("已要求企业补充 %(k)d 项材料，企业将收到通知。") % {"k": len(items)}
            messages.success(request, done)
        if not tried.invalid:
            return redirect(_back(request, claim))
    return _render_claim(request, claim, status=400, invalid=form, request_form=form)


@desk
@require_POST
def claim_approve(request, pk):
    claim = _claim(request, pk)
    if (refused := _stale(request, claim, "approve")) is not None:
        return refused
    form = ApproveForm(claim, request.POST)
    if not form.is_valid():
        return _render_claim(request, claim, status=400, invalid=form, approve_form=form)
    rate_date = form.cleaned_data["rate_date"]
    if not is_checked(request):
        result = _preview(claim, form)
        if result is None:
            return _render_claim(request, claim, status=400, invalid=form, approve_form=form)
        rate = services.usd_rate_for(claim.notice.currency, form.cleaned_data.get("usd_rate"))
        return check_step(
            request, title=_("核赔"), back_url=_back(request, claim),
            summary=_("核赔后赔款金额和计算过程即固定，不能更改；企业将收到通知，保险公司应在期限内支付赔款。"),
            items=[f"{claim.number} · {claim.policy.enterprise.name}",
                   *[_("%(what)s：%(how)s = %(value)s") % {"what": what, "how": how, "value": value}
                     for what, how, value in result.lines]],
            button=_("确认核赔（赔款 USD %(amount)s）") % {"amount": f"{result.indemnity_usd:,.2f}"},
            keep=[("usd_rate", f"{rate:f}"), ("rate_date", rate_date.isoformat())])
    with attempt(request, form) as tried:
        approved = services.approve(request.user, claim.pk, usd_rate=form.cleaned_data.get("usd_rate") or 1,
                                    rate_date=rate_date, ip=client_ip(request))
    if tried.invalid:
        return _render_claim(request, claim, status=400, invalid=form, approve_form=form)
    if tried.refused:
        return redirect(_back(request, claim))
    return _decided(request, claim, _("索赔 %(n)s 已核赔，赔款 USD %(amount)s。") % {
        "n": claim.number, "amount": f"{approved.indemnity_usd:,.2f}"})


@desk
@require_POST
def claim_reject(request, pk):
    claim = _claim(request, pk)
    if (refused := _stale(request, claim, "reject")) is not None:
        return refused
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _render_claim(request, claim, status=400, invalid=form, reject_form=form)
    reason = form.cleaned_data["reason"]
    if not is_checked(request):
        return check_step(
            request, title=_("拒赔"), back_url=_back(request, claim),
            summary=_("拒赔后索赔即告结束，不能恢复。拒赔原因会告知企业：%(reason)s") % {"reason": reason},
            items=[f"{claim.number} · {claim.policy.enterprise.name}"], button=_("确认拒赔"),
            keep=[("reason", reason)])
    with attempt(request, form) as tried:
        services.reject(request.user, claim.pk, reason=reason, ip=client_ip(request))
    if tried.invalid:
        return _render_claim(request, claim, status=400, invalid=form, reject_form=form)
    if tried.refused:
        return redirect(_back(request, claim))
    return _decided(request, claim, _("索赔 %(n)s 已拒赔。") % {"n": claim.number})


@desk
@require_POST
def claim_pay(request, pk):
    claim = _claim(request, pk)
    if (refused := _stale(request, claim, "pay")) is not None:
        return refused
    form = PayForm(request.POST)
    if not form.is_valid():
        return _render_claim(request, claim, status=400, invalid=form, pay_form=form)
    data = form.cleaned_data
    if not is_checked(request):
        if data["amount_usd"] != claim.indemnity_usd or data["paid_on"] > timezone.localdate():
            with attempt(request, form):  # the service's own words for what is wrong, before the check step
                services.mark_paid(request.user, claim.pk, paid_on=data["paid_on"], amount_usd=data["amount_usd"],
                                   reference=data["reference"], ip=client_ip(request))
            return _render_claim(request, claim, status=400, invalid=form, pay_form=form)
        return check_step(
            request, title=_("登记赔付"), back_url=_back(request, claim),
            summary=_("登记后索赔即为“已赔付”，不能更改；企业将收到通知。"),
            items=[f"{claim.number} · {claim.policy.enterprise.name}",
                   _("赔付日期：%(date)s") % {"date": data["paid_on"].isoformat()},
                   _("赔付金额：USD %(amount)s") % {"amount": f"{data['amount_usd']:,.2f}"},
                   _("付款凭证号：%(ref)s") % {"ref": data["reference"]}],
            button=_("确认登记赔付"),
            keep=[("paid_on", data["paid_on"].isoformat()), ("amount_usd", f"{data['amount_usd']:f}"),
                  ("reference", data["reference"])])
    with attempt(request, form) as tried:
        services.mark_paid(request.user, claim.pk, paid_on=data["paid_on"], amount_usd=data["amount_usd"],
                           reference=data["reference"], ip=client_ip(request))
    if tried.invalid:
        return _render_claim(request, claim, status=400, invalid=form, pay_form=form)
    if tried.refused:
        return redirect(_back(request, claim))
    return _decided(request, claim, _("索赔 %(n)s 已登记赔付。") % {"n": claim.number})


@desk
@require_POST
def claim_recovery(request, pk):
    claim = _claim(request, pk)
    form = RecoveryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        with attempt(request, form) as tried:
            recovery = services.record_recovery(request.user, claim.pk, amount_usd=data["amount_usd"],
                                                received_on=data["received_on"], note=data["note"],
                                                ip=client_ip(request))
            messages.success(request, _("已登记追回款 USD %(amount)s：保险公司分得 USD %(insurer)s，企业分得 USD %(enterprise)s。") % {
                "amount": f"{recovery.amount_usd:,.2f}", "insurer": f"{recovery.insurer_share_usd:,.2f}",
                "enterprise": f"{recovery.enterprise_share_usd:,.2f}"})
        if not tried.invalid:
            return redirect(_back(request, claim))
    return _render_claim(request, claim, status=400, invalid=form, recovery_form=form)


# --- buyers ---------------------------------------------------------------------------------------------

def _buyer_rows(user, search):
    rows = Buyer.objects.visible_to(user).select_related("country", "enterprise", "merged_into")
    query = search.get("q", "")
    if query:
        rows = rows.filter(Q(name_latin__icontains=query) | Q(name_zh__icontains=query))
    if search.get("sort") == "name":
        return rows.order_by("name_latin", "name_zh", "country_id", "id")
    return rows.order_by("country_id", "name_latin", "name_zh", "id")


@desk
@require_http_methods(["GET", "POST"])
def buyers(request):
    search_form = BuyerSearch(request.GET)
    search = search_form.cleaned_data if search_form.is_valid() else {}
    back = _with_query(reverse("claims:desk_buyers"), request.GET.urlencode())
    merge_form, status = MergeForm(request.user), 200
    if request.method == "POST":
        merge_form = MergeForm(request.user, request.POST)
        if merge_form.is_valid():
            keep, duplicates = merge_form.cleaned_data["keep"], merge_form.cleaned_data["duplicates"]
            if not is_checked(request):
                return check_step(
                    request, title=_("合并买方"), back_url=back,
                    summary=_("合并后，以下买方都将显示为“已合并至 %(keep)s”，各企业的报损仍保留原来的买方记录。合并不能撤销。") % {
                        "keep": keep},
                    items=[_("保留：%(buyer)s（%(country)s，%(enterprise)s）") % {
                        "buyer": keep, "country": keep.country, "enterprise": keep.enterprise.name},
                        *[_("合并：%(buyer)s（%(country)s，%(enterprise)s）") % {
                            "buyer": b, "country": b.country, "enterprise": b.enterprise.name} for b in duplicates]],
                    button=_("确认合并（%(n)d 个）") % {"n": len(duplicates)},
                    keep=[("keep", keep.pk), *[("duplicates", b.pk) for b in duplicates]])
            with attempt(request, merge_form) as tried:
                services.merge_buyers(request.user, keep.pk, [b.pk for b in duplicates], ip=client_ip(request))
                messages.success(request, _("已将 %(n)d 个买方合并至 %(keep)s。") % {"n": len(duplicates), "keep": keep})
            if tried.ok:
                return redirect(back)
        status = 400
    page = Paginator(_buyer_rows(request.user, search), 100).get_page(request.GET.get("page"))
    return render(request, "claims/desk/buyers.html", {
        "search_form": search_form, "merge_form": merge_form, "page": page, "keep": page_query(request),
        "by_country": search.get("sort") != "name", "invalid_form": merge_form if merge_form.errors else None,
    }, status=status)


# --- figures: counts and amounts, never documents or names ----------------------------------------------

@dataclass
class Figures:
    code: str
    name: str
    filed: int = 0
    late: int = 0
    withdrawn: int = 0
    claims: dict = field(default_factory=dict)  # status → count
    claimed: dict = field(default_factory=dict)  # currency → amount
    approved_usd: Decimal = Decimal("0.00")
    paid_usd: Decimal = Decimal("0.00")

    def claims_in(self, statuses):
        return [self.claims.get(status, 0) for status in statuses]

    def claimed_in(self, currencies):
        return [self.claimed.get(currency, Decimal("0.00")) for currency in currencies]

    @property
    def claim_count(self):
        return sum(self.claims.values())


def figures_for(user):
    """(lines per county, the total line, the currencies claimed in) of the notices and claims `user` may see."""
    region = "policy__enterprise__region"
    table = {}

    def line(code):
        return table.setdefault(code, Figures(code, code))

    W = LossNotice.Status.WITHDRAWN
    for code, filed, late, withdrawn in (
            LossNotice.objects.visible_to(user).values_list(region)
            .annotate(filed=Count("id"), late=Count("id", filter=Q(late=True)),
                      withdrawn=Count("id", filter=Q(status=W))).order_by()):
        row = line(code)
        row.filed, row.late, row.withdrawn = filed, late, withdrawn
    claims = Claim.objects.visible_to(user)
    for code, status, n in claims.values_list(region, "status").annotate(n=Count("id")).order_by():
        line(code).claims[status] = n
    for code, currency, amount in (claims.exclude(status=Claim.Status.WITHDRAWN)
                                   .values_list(region, "notice__currency").annotate(s=Sum("claimed_amount")).order_by()):
        line(code).claimed[currency] = amount
    for code, amount in (claims.filter(status__in=INDEMNIFIED).values_list(region)
                         .annotate(s=Sum("indemnity_usd")).order_by()):
        line(code).approved_usd = amount
    for code, amount in (claims.filter(status=Claim.Status.PAID).values_list(region)
                         .annotate(s=Sum("paid_amount_usd")).order_by()):
        line(code).paid_usd = amount
    names = dict(Region.objects.filter(pk__in=table).values_list("code", "name"))
    lines = [table[code] for code in sorted(table)]
    for row in lines:
        row.name = names.get(row.code, row.code)
    currencies = sorted({currency for row in lines for currency in row.claimed})
    total = Figures("", _("合计"), filed=sum(r.filed for r in lines), late=sum(r.late for r in lines),
                    withdrawn=sum(r.withdrawn for r in lines),
                    claims={s: sum(r.claims.get(s, 0) for r in lines) for s in Claim.Status},
                    claimed={c: sum((r.claimed.get(c, 0) for r in lines), Decimal("0.00")) for c in currencies},
                    approved_usd=sum((r.approved_usd for r in lines), Decimal("0.00")),
                    paid_usd=sum((r.paid_usd for r in lines), Decimal("0.00")))
    return lines, total, currencies


def figures_workbook(lines, total, currencies):
    """The same figures as an .xlsx (bytes), cells neutralised."""
    sheet = XlsxWriter(_("报损理赔统计"))
    statuses = list(Claim.Status)
    sheet.writerow([_("县区代码"), _("县区"), _("报损数"), _("其中逾期报损"), _("其中已撤回"),
                    *[_("索赔·%(status)s") % {"status": s.label} for s in statuses],
                    *[_("索赔金额（%(currency)s）") % {"currency": c} for c in currencies],
                    _("核定赔款（美元）"), _("已赔付（美元）")])
    for row in [*lines, total]:
        sheet.writerow([row.code, str(row.name), row.filed, row.late, row.withdrawn, *row.claims_in(statuses),
                        *row.claimed_in(currencies), row.approved_usd, row.paid_usd])
    return sheet.getvalue()


@figures_readers
@require_GET
def figures(request):
    """报损理赔统计: per county of the reader's scope and in total, counts and amounts only."""
    lines, total, currencies = figures_for(request.user)
    if request.GET.get("format") == "xlsx":
        return attachment(figures_workbook(lines, total, currencies),
                          filename=f"claims-figures-{timezone.localdate():%Y%m%d}.xlsx", content_type=XLSX_TYPE)
    statuses = list(Claim.Status)
    return render(request, "claims/desk/figures.html", {
        "lines": [(row, row.claims_in(statuses), row.claimed_in(currencies)) for row in lines],
        "total": (total, total.claims_in(statuses), total.claimed_in(currencies)),
        "statuses": statuses, "currencies": currencies,
    })
