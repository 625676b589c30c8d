"""The pages of 申请拨付 (the insurer), 拨付审核 and 预算管理 (the bureau) and 补贴台账 (both).

Every page fetches through `visible_to` and answers 404 for another branch's or another region's rows; every
action is one service call through `attempt`; what cannot be undone (审核通过, 登记拨付, 对账, and the insurer's 提交
and 作废) takes a second step (check_step). Buttons show only what the APPLICATION table allows from the status,
and the bureau's only to the paying region's own bureau.
"""
import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from singlewindow.accounts.decorators import role_required
from singlewindow.accounts.models import Role
from singlewindow.audit.models import AuditEvent
from singlewindow.forms import record_id
from singlewindow.http import attachment, check_step, client_ip, is_checked, page_query
from singlewindow.policies.history import _by
from singlewindow.policies.models import Scheme
from singlewindow.policies.transitions import POLICY
from singlewindow.refusals import attempt
from singlewindow.regions.models import Region
from singlewindow.spreadsheets import XLSX_TYPE

from . import exports, services
from .forms import (
    ApplicationFilter,
    BudgetForm,
    FillInvoicesForm,
    InvoicesForm,
    LedgerFilter,
    NewApplicationForm,
    PayForm,
    ReconcileForm,
    ReturnForm,
)
from .models import FundingApplication, LedgerEntry, Payer
from .transitions import APPLICATION, AT_BUREAU, EDITABLE

insurer = role_required(Role.INSURER)
bureau = role_required(Role.BUREAU)
readers = role_required(Role.INSURER, Role.BUREAU)
PAGE_SIZE = 50
A = FundingApplication.Status


def _application(request, pk):
    pk = record_id(pk)
    application = (FundingApplication.objects.visible_to(request.user).select_related("scheme", "region", "created_by")
                   .filter(pk=pk).first()) if pk else None
    if application is None:
        raise Http404
    return application


def _detail_url(request, application):
    name = "subsidies:application" if request.user.role == Role.INSURER else "subsidies:review_detail"
    return reverse(name, args=[application.pk])


# --- what happened to an application, from the audit chain --------------------------------------------------

STEP_LABELS = {
    "create": gettext_lazy("创建草稿"), "invoices": gettext_lazy("填写发票号码"),
    "drop": gettext_lazy("移出已冲回的保单"),
    **{action: transition.label for action, transition in APPLICATION.transitions.items()},
}


def timeline(application):
    steps = []
    for event in (AuditEvent.objects.filter(object_type=FundingApplication._meta.label_lower,
                                            object_id=str(application.pk)).select_related("actor").order_by("id")):
        label = STEP_LABELS.get(event.action.removeprefix("funding."))
        if label is not None:
            steps.append({"at": event.at, "label": label, "by": _by(event), "reason": event.reason})
    return steps


# --- the detail page, both parties' -------------------------------------------------------------------------

def _render(request, application, *, status=200, invalid=None, **forms):
    party = "insurer" if request.user.role == Role.INSURER else "bureau"
    lines = (application.lines.select_related("policy__enterprise__region", "entry", "entry__reversal")
             .order_by("policy__number"))
    page = Paginator(lines, PAGE_SIZE).get_page(request.GET.get("page"))
    deciding = party == "bureau" and request.user.region_id == application.region_id
    can = {action: APPLICATION.allowed(action, application.status) and (
        (party == "insurer" and transition.actor_role == Role.INSURER) or (deciding and transition.actor_role ==
                                                                         Role.BUREAU))
        for action, transition in APPLICATION.transitions.items()}
    editable = party == "insurer" and application.status in EDITABLE
    context = {
        "application": application, "party": party, "page": page, "keep": page_query(request),
        "can": can, "editable": editable, "deciding": deciding,
        "reversed": services.reversed_lines(application).count(),
        "missing": application.lines.filter(invoice_number="").count() if editable else 0,
        "budget": services.budget_for(application.scheme, application.payer, application.region),
        "steps": timeline(application), "invalid_form": invalid,
        "invoices_form": forms.get("invoices_form") or InvoicesForm(),
        "fill_form": forms.get("fill_form") or FillInvoicesForm(),
        "return_form": forms.get("return_form") or ReturnForm(),
        "pay_form": forms.get("pay_form") or PayForm(initial={"paid_on": timezone.localdate(),
                                                              "amount": application.total}),
        "reconcile_form": forms.get("reconcile_form") or ReconcileForm(),
    }
    return render(request, "subsidies/application.html", context, status=status)


# --- the insurer: 申请拨付 --------------------------------------------------------------------------------------

@insurer
@require_GET
def applications(request):
    form = ApplicationFilter(request.GET)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    rows = FundingApplication.objects.visible_to(request.user).select_related("scheme", "region")
    if status:
        rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "subsidies/applications.html", {"form": form, "page": page, "keep": page_query(request)})


def _quarter_start(day):
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


@insurer
@require_http_methods(["GET", "POST"])
def application_new(request):
    """新建拨付申请: pick the scheme, the payer and the period; 查看 lists the eligible ledger lines; 创建草稿 makes it."""
    today = timezone.localdate()
    data = request.POST if request.method == "POST" else (request.GET if "scheme" in request.GET else None)
    form = NewApplicationForm(request.user, data, initial={"period_start": _quarter_start(today), "period_end": today})
    preview, status = None, 200
    if data is not None:
        if form.is_valid():
            values = form.cleaned_data
            if request.method == "POST":
                with attempt(request, form, refused_on_form=True):
                    application = services.create_application(
                        request.user, scheme_id=values["scheme"].pk, payer=values["payer"],
                        period_start=values["period_start"], period_end=values["period_end"], ip=client_ip(request))
                    messages.success(request, _("已创建拨付申请草稿 %(n)s：请填写发票号码后提交。") % {
                        "n": application.number})
                    return redirect("subsidies:application", application.pk)
            else:
                payer, region = services.payer_of(values["scheme"], values["payer"])
                entries = services.eligible(values["scheme"], payer, region.pk, values["period_start"],
                                            values["period_end"])
                preview = {"totals": services.totals(entries), "rows": entries.select_related(
                    "policy__enterprise__region")[:PAGE_SIZE]}
                preview["count"] = sum(line.policies for line in preview["totals"])
        if form.errors:
            status = 400
    return render(request, "subsidies/application_new.html", {"form": form, "preview": preview}, status=status)


@insurer
@require_GET
def application(request, pk):
    return _render(request, _application(request, pk))


def _edit(request, pk, form_class, form_name, call, done):
    application = _application(request, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return _render(request, application, status=400, invalid=form, **{form_name: form})
    with attempt(request, form) as tried:
        n = call(application, form.cleaned_data)
    if tried.invalid:
        return _render(request, application, status=400, invalid=form, **{form_name: form})
    if tried.ok:
        messages.success(request, done % {"n": n})
    return redirect("subsidies:application", application.pk)


@insurer
@require_POST
def application_invoices(request, pk):
    return _edit(request, pk, InvoicesForm, "invoices_form",
                 lambda application, data: services.set_invoices(request.user, application.pk, data["invoices"],
                                                                 ip=client_ip(request)),
                 _("已填写 %(n)d 份保单的发票号码。"))


@insurer
@require_POST
def application_fill(request, pk):
    return _edit(request, pk, FillInvoicesForm, "fill_form",
                 lambda application, data: services.fill_invoices(request.user, application.pk,
                                                                  data["invoice_number"], ip=client_ip(request)),
                 _("已为 %(n)d 份保单填入统一发票号码。"))


@insurer
@require_POST
def application_drop(request, pk):
    application = _application(request, pk)
    with attempt(request) as tried:
        n = services.drop_reversed(request.user, application.pk, ip=client_ip(request))
    if tried.ok:
        messages.success(request, _("已移出 %(n)d 份补贴已冲回的保单。") % {"n": n})
    return redirect("subsidies:application", application.pk)


def _items(application):
    return [f"{application.number} · {application.scheme.name}",
            _("资助方：%(payer)s") % {"payer": application.payer_label},
            _("期间：%(start)s 至 %(end)s（含当日）") % {"start": application.period_start.isoformat(),
                                                 "end": application.period_end.isoformat()},
            _("保单 %(n)d 份，申请金额 %(total)s 元") % {"n": application.line_count,
                                                "total": services.money(application.total)}]


def _move(request, application, call, done):
    with attempt(request) as tried:
        call()
    if tried.ok:
        messages.success(request, done)
    return redirect(_detail_url(request, application))


@insurer
@require_POST
def application_submit(request, pk):
    application = _application(request, pk)
    if not is_checked(request) and APPLICATION.allowed("submit", application.status):
        return check_step(
            request, title=_("提交拨付申请"), back_url=_detail_url(request, application), items=_items(application),
            summary=_("提交后由%(payer)s商务主管部门审核，审核期间不能修改；被退回后可修改再提交。") % {
                "payer": application.payer_label},
            button=_("确认提交"))
    return _move(request, application, lambda: services.submit(request.user, application.pk, ip=client_ip(request)),
                 _("拨付申请 %(n)s 已提交，等待%(payer)s审核。") % {"n": application.number,
                                                          "payer": application.payer_label})


@insurer
@require_POST
def application_withdraw(request, pk):
    application = _application(request, pk)
    if not is_checked(request) and APPLICATION.allowed("withdraw", application.status):
        return check_step(
            request, title=_("作废拨付申请"), back_url=_detail_url(request, application), items=_items(application),
            summary=_("作废后本申请不能再提交，也不能恢复；其中的保单可列入新的申请。"), button=_("确认作废"))
    return _move(request, application, lambda: services.withdraw(request.user, application.pk, ip=client_ip(request)),
                 _("拨付申请 %(n)s 已作废。") % {"n": application.number})


# --- exports (both parties) -----------------------------------------------------------------------------

@readers
@require_GET
def application_xlsx(request, pk):
    application = _application(request, pk)
    return attachment(exports.workbook(application), filename=f"{application.number}.xlsx", content_type=XLSX_TYPE)


@readers
@require_GET
def application_pdf(request, pk):
    application = _application(request, pk)
    return attachment(exports.pdf(application), filename=f"{application.number}.pdf", content_type="application/pdf")


# --- the bureau: 拨付审核 -----------------------------------------------------------------------------------

@bureau
@require_GET
def review(request):
    """The bureau's inbox: what waits for it (待审核, then 待拨付 and 待对账), or any status it asks for."""
    form = ApplicationFilter(request.GET)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    rows = FundingApplication.objects.visible_to(request.user).exclude(status__in=EDITABLE | {A.WITHDRAWN})
    rows = rows.filter(status=status) if status else rows.filter(status__in=AT_BUREAU)
    rows = rows.select_related("scheme", "region").order_by("submitted_at", "id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    budgets = services.budgets_of(request.user)
    return render(request, "subsidies/review.html", {
        "form": form, "page": page, "keep": page_query(request), "budgets": budgets,
        "warnings": [b for b in budgets if b.level in ("warning", "over")],
        "unset": [b for b in budgets if b.level == "unset"]})


@bureau
@require_GET
def review_detail(request, pk):
    return _render(request, _application(request, pk))


def _budget_items(application):
    budget = services.budget_for(application.scheme, application.payer, application.region)
    if budget.amount is None:
        return [_("预算：尚未设置")]
    return [_("预算 %(b)s 元，已核准 %(a)s 元，本申请 %(t)s 元，核准后剩余 %(r)s 元") % {
        "b": services.money(budget.amount), "a": services.money(budget.approved),
        "t": services.money(application.total), "r": services.money(budget.room - application.total)}]


@bureau
@require_POST
def review_approve(request, pk):
    application = _application(request, pk)
    if not is_checked(request) and APPLICATION.allowed("approve", application.status):
        return check_step(
            request, title=_("审核通过"), back_url=_detail_url(request, application),
            items=_items(application) + _budget_items(application),
            summary=_("审核通过后不能撤回，申请金额计入本方案的已核准金额；之后登记拨付。"), button=_("确认审核通过"))
    return _move(request, application, lambda: services.approve(request.user, application.pk, ip=client_ip(request)),
                 _("拨付申请 %(n)s 已审核通过。") % {"n": application.number})


def _form_step(request, application, form, name, *, do, done, action=None, clean=None, check=None):
    """A bureau's step that takes a form (`name` in the page: 退回, 登记拨付, 对账). An invalid form, or what
    `clean(data)` finds wrong, is shown on the page (400) before the check page that `check(data)` describes
    (check_step's arguments; steps with an `action` only); then `do(data)`, and `done` is said."""
    def again():
        return _render(request, application, status=400, invalid=form, **{name: form})

    if not form.is_valid():
        return again()
    data = form.cleaned_data
    if action and not is_checked(request) and APPLICATION.allowed(action, application.status):
        with attempt(request, form) as tried:  # what is wrong is said before the second step
            clean(data)
        if not tried.ok:
            return again()
        return check_step(request, back_url=_detail_url(request, application), **check(data))
    with attempt(request, form) as tried:
        do(data)
    if tried.invalid:
        return again()
    if tried.ok:
        messages.success(request, done)
    return redirect(_detail_url(request, application))


@bureau
@require_POST
def review_return(request, pk):
    application = _application(request, pk)
    return _form_step(
        request, application, ReturnForm(request.POST), "return_form",
        do=lambda data: services.return_application(request.user, application.pk, reason=data["reason"],
                                                    ip=client_ip(request)),
        done=_("拨付申请 %(n)s 已退回保险公司。") % {"n": application.number})


def _payment_check(application, data):
    items = _items(application) + [
        _("拨付日期：%(d)s") % {"d": data["paid_on"].isoformat()},
        _("拨付金额：%(a)s 元") % {"a": services.money(data["amount"])},
        _("拨付凭证号：%(r)s") % {"r": data["reference"]}]
    if data["amount"] != application.total:
        items.append(_("拨付金额与申请金额相差 %(d)s 元，对账时须说明。") % {
            "d": services.money(data["amount"] - application.total)})
    return {"title": _("登记拨付"), "items": items, "summary": _("登记后不能更改；之后对账。"),
            "button": _("确认登记拨付"), "keep": [("paid_on", data["paid_on"].isoformat()),
                                               ("amount", f"{data['amount']:f}"), ("reference", data["reference"])]}


@bureau
@require_POST
def review_pay(request, pk):
    application = _application(request, pk)
    return _form_step(
        request, application, PayForm(request.POST), "pay_form", action="pay",
        clean=lambda data: services.clean_payment(application, **data),
        check=lambda data: _payment_check(application, data),
        do=lambda data: services.record_payment(request.user, application.pk, ip=client_ip(request), **data),
        done=_("拨付申请 %(n)s 已登记拨付。") % {"n": application.number})


def _reconciliation_check(application, data):
    note = data["note"]
    items = _items(application) + [
        _("拨付金额 %(p)s 元，申请金额 %(t)s 元，差额 %(d)s 元") % {
            "p": services.money(application.paid_amount), "t": services.money(application.total),
            "d": services.money(application.paid_amount - application.total)}]
    if note:
        items.append(_("差额说明：%(note)s") % {"note": note})
    return {"title": _("对账"), "items": items, "summary": _("对账后本申请办结，不能更改。"), "button": _("确认对账"),
            "keep": [("note", note)]}


@bureau
@require_POST
def review_reconcile(request, pk):
    application = _application(request, pk)
    return _form_step(
        request, application, ReconcileForm(request.POST), "reconcile_form", action="reconcile",
        clean=lambda data: services.clean_reconciliation(application, data["note"]),
        check=lambda data: _reconciliation_check(application, data),
        do=lambda data: services.reconcile(request.user, application.pk, note=data["note"], ip=client_ip(request)),
        done=_("拨付申请 %(n)s 已对账。") % {"n": application.number})


# --- the bureau: 预算管理 -----------------------------------------------------------------------------------

def _budget_form(budget, data=None):
    key = f"{budget.scheme.pk}_{budget.payer}"
    return BudgetForm(data, auto_id=f"id_%s_{key}", initial={
        "scheme": budget.scheme.pk, "payer": budget.payer, "amount": budget.amount})


@bureau
@require_http_methods(["GET", "POST"])
def budgets(request):
    rows = services.budgets_of(request.user)
    forms, status = {}, 200
    if request.method == "POST":
        form = BudgetForm(request.POST)
        key = (record_id(request.POST.get("scheme")), request.POST.get("payer"))
        target = next((b for b in rows if (b.scheme.pk, b.payer) == key), None)
        if target is None:
            messages.warning(request, _("请选择本级承担资助的方案。"))
            return redirect("subsidies:budgets")
        form = _budget_form(target, request.POST)
        if form.is_valid():
            with attempt(request, form) as tried:
                services.save_budget(request.user, target.scheme.pk, target.payer, form.cleaned_data["amount"],
                                     ip=client_ip(request))
            if tried.ok:
                messages.success(request, _("已设置“%(scheme)s”的%(payer)s预算。") % {
                    "scheme": target.scheme.name, "payer": target.label})
                return redirect("subsidies:budgets")
        forms[key], status = form, 400
    table = [(budget, forms.get((budget.scheme.pk, budget.payer)) or _budget_form(budget)) for budget in rows]
    return render(request, "subsidies/budgets.html", {"table": table, "warning": services.BUDGET_WARNING},
                  status=status)


# --- both: 补贴台账 ---------------------------------------------------------------------------------------

CAUSES = {f"policy.{action}": transition.label for action, transition in POLICY.transitions.items()}
CAUSES["ledger.repair"] = gettext_lazy("台账补正")


@readers
@require_GET
def ledger(request):
    """补贴台账 of one scheme: totals per payer, the net per county, and the entries, newest first."""
    form = LedgerFilter(request.user, request.GET or None)
    schemes = form.fields["scheme"].queryset
    scheme = form.cleaned_data.get("scheme") if form.is_bound and form.is_valid() else None
    scheme = scheme or schemes.first()
    status = 400 if form.is_bound and form.errors else 200
    entries = LedgerEntry.objects.visible_to(request.user).filter(scheme=scheme) if scheme else LedgerEntry.objects.none()
    totals = services.totals(entries)
    counties = services.net_by(entries, "policy__enterprise__region", "payer")
    names = dict(Region.objects.filter(pk__in={code for code, _payer in counties}).values_list("code", "name"))
    by_county = {}
    for (code, payer), amount in counties.items():
        by_county.setdefault(code, {"name": names.get(code, code), Payer.PROVINCE: services.ZERO,
                                    Payer.CITY: services.ZERO})[payer] = amount
    county_rows = [dict(row, code=code, total=row[Payer.PROVINCE] + row[Payer.CITY])
                   for code, row in sorted(by_county.items())]
    page = Paginator(entries.select_related("policy__enterprise__region", "region"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    for entry in page:
        entry.cause_label = CAUSES.get(entry.cause, entry.cause)
    return render(request, "subsidies/ledger.html", {
        "form": form, "scheme": scheme, "totals": totals, "counties": county_rows, "page": page,
        "keep": page_query(request), "grand": sum((line.net for line in totals), services.ZERO),
        "has_schemes": Scheme.objects.visible_to(request.user).exists()}, status=status)
