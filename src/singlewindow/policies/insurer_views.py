"""The insurer's workbench (保单审批): decide confirmed policies, return, cancel, issue."""
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from singlewindow.accounts.decorators import insurer_only
from singlewindow.enterprises import eligibility
from singlewindow.enterprises.identifiers import normalise_uscc
from singlewindow.enterprises.models import Enterprise
from singlewindow.forms import record_id
from singlewindow.http import check_step, client_ip, is_checked, page_query
from singlewindow.refusals import attempt
from singlewindow.regions.models import Region, within

from . import services, tally
from .forms import IssueForm, ReasonForm
from .models import Policy, PolicyStatus, Scheme
from .transitions import allowed
from .views import status_param

SEARCH_MAX_LENGTH = 100  # the list's search box: what the page lets one type and the view reads
QUEUE_ROW_FIELDS = ("number", "status_changed_at", "enterprise__name", "enterprise__uscc", "enterprise__region__name")


class QueueFilter(forms.Form):
    """The workbench's filters: a scheme of the branch, a county of its regions (each refused by name if foreign)."""

    scheme = forms.ModelChoiceField(label=gettext_lazy("投保方案"), queryset=Scheme.objects.none(), required=False,
                                    empty_label=gettext_lazy("全部方案"),
                                    error_messages={"invalid_choice": gettext_lazy("请选择列表中的投保方案。")})
    county = forms.ModelChoiceField(label=gettext_lazy("县区"), queryset=Region.objects.none(), required=False,
                                    empty_label=gettext_lazy("全部县区"),
                                    error_messages={"invalid_choice": gettext_lazy("请选择列表中的县区。")})

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = Scheme.objects.visible_to(user).order_by("-cover_start", "name")
        regions = user.insurer_branch.regions.all() if user.insurer_branch_id else []
        # the counties of its regions: inside a city or the province (by the parent), or a region itself
        self.fields["county"].queryset = Region.objects.filter(
            within(regions, "parent") | Q(pk__in=[region.pk for region in regions]), level=Region.Level.COUNTY)


def _queue(user, status, filters, query=""):
    """The policies of one tab, oldest change first (for 审批中: the confirmation waiting longest first)."""
    rows = Policy.objects.visible_to(user).filter(status=status)
    if filters.get("scheme"):
        rows = rows.filter(scheme=filters["scheme"])
    if filters.get("county"):
        rows = rows.filter(enterprise__region=filters["county"])
    if query:
        rows = rows.filter(Q(number__icontains=query) | Q(enterprise__uscc__icontains=normalise_uscc(query))
                           | Q(enterprise__name__icontains=query))
    return rows.order_by("status_changed_at", "id")


def _queue_filters(request):
    """The list's scheme and county filters as a page passes them on (?scheme=&county=), checked as the list's."""
    form = QueueFilter(request.user, request.GET)
    return form, (form.cleaned_data if form.is_valid() else {})


def _queue_query(filters, **more):
    """The filters as a query string, so the detail and its decisions stay in the queue the clerk chose."""
    return urlencode({**more, **{name: value.pk for name, value in filters.items() if value is not None}})


def _with_query(url, query):
    return f"{url}?{query}" if query else url


@insurer_only
@require_GET
def policy_list(request):
    branch = request.user.insurer_branch_id
    status = status_param(request, PolicyStatus.CONFIRMED)
    query = (request.GET.get("q") or "").strip()[:SEARCH_MAX_LENGTH]  # NUL never gets here (http.InputEdgeMiddleware)
    form, filters = _queue_filters(request)
    # Only what a row shows (templatetags/queue.py): 50 full policies with their schemes cost 16 ms of ORM here.
    rows = _queue(request.user, status, filters, query).select_related("enterprise__region").only(*QUEUE_ROW_FIELDS)
    paginator = Paginator(rows, 50)
    if not query:  # the tally knows the tab's count (scheme and county included): no COUNT(*) over the queue
        paginator.count = tally.branch_counts(branch, scheme=filters.get("scheme"), county=filters.get("county"),
                                              status=status)
    page = paginator.get_page(request.GET.get("page"))
    counts = tally.branch_counts(branch)
    return render(request, "policies/insurer/list.html", {
        "tabs": [(s, counts.get(s, 0)) for s in PolicyStatus], "status": status, "page": page, "q": query, "q_max_length": SEARCH_MAX_LENGTH,
        "bulk": status == PolicyStatus.CONFIRMED, "form": form, "keep": page_query(request),
        "queue_query": _queue_query(filters),
    })


def _next_in_queue(request, after, filters):
    """The policy to decide next: the oldest confirmation still waiting in the same queue (the list's scheme and
    county), other than the one just decided."""
    return _queue(request.user, PolicyStatus.CONFIRMED, filters).exclude(pk=after.pk).first()


@insurer_only
@require_POST
def approve_selected(request):
    ids = [pk for pk in map(record_id, request.POST.getlist("policy")) if pk][:500]
    if not ids:
        messages.warning(request, _("请先勾选要审批通过的保单。"))
        return redirect("insurer:list")
    if not is_checked(request):
        picked = list(Policy.objects.visible_to(request.user).filter(pk__in=ids, status=PolicyStatus.CONFIRMED)
                      .select_related("enterprise").order_by("number"))
        if picked:
            return check_step(
                request, title=_("审批通过"), back_url=reverse("insurer:list"),
                summary=_("审批通过后以下保单即时生效，保险责任自审批之日起算。审批通过后不能退回，只能撤销。"),
                items=[f"{policy.number} · {policy.enterprise.name}" for policy in picked],
                button=_("确认审批通过（%(n)d 份）") % {"n": len(picked)},
                keep=[("policy", policy.pk) for policy in picked])
    done, refused = services.approve_many(request.user, ids, ip=client_ip(request))
    if done:
        messages.success(request, _("已审批通过 %(n)d 份保单。") % {"n": len(done)})
    for _id, why in refused:
        messages.warning(request, why)
    return redirect("insurer:list")


def _policy(request, pk):
    return get_object_or_404(
        Policy.objects.visible_to(request.user).select_related("scheme__agreement", "enterprise__region"), pk=pk
    )


def _render_detail(request, policy, return_form=None, cancel_form=None, status=200):
    return render(request, "policies/insurer/detail.html", {
        "policy": policy, "scheme": policy.scheme,
        "confirmations": policy.confirmations.select_related("user", "agreement"),
        "return_form": return_form or ReasonForm(prefix="return"),
        "cancel_form": cancel_form or ReasonForm(prefix="cancel"),
        "can_approve": allowed("approve", policy.status), "can_return": allowed("return", policy.status),
        "can_cancel": allowed("cancel", policy.status), "queue_query": _queue_query(_queue_filters(request)[1]),
    }, status=status)


@insurer_only
@require_GET
def policy_detail(request, pk):
    return _render_detail(request, _policy(request, pk))


@insurer_only
@require_POST
def policy_action(request, pk, action):
    if action not in ("approve", "return", "cancel"):
        raise Http404
    policy = _policy(request, pk)
    ip = client_ip(request)
    form = ReasonForm(request.POST, prefix=action) if action in ("return", "cancel") else None
    if action == "approve" and not is_checked(request) and allowed("approve", policy.status):
        return check_step(
            request, title=_("审批通过"), back_url=reverse("insurer:detail", args=[policy.pk]),
            summary=_("审批通过后保单即时生效，保险责任自审批之日起至 %(end)s（含当日）。审批通过后不能退回，只能撤销。") % {
                "end": date_format(policy.scheme.cover_end, "Y-m-d")},
            items=[f"{policy.number} · {policy.enterprise.name}"], button=_("确认审批通过"))
    if form is not None and not form.is_valid():
        return _render_detail(request, policy, status=400, **{f"{action}_form": form})
    if action == "cancel" and not is_checked(request) and allowed("cancel", policy.status):
        with attempt(request, form) as tried:  # the reason's own rule first: the check step shows only a good one
            services.check_reason(form.cleaned_data["reason"])
        if tried.invalid:
            return _render_detail(request, policy, status=400, cancel_form=form)
        return check_step(  # 撤销 cannot be undone: the policy is gone for the enterprise
            request, title=_("撤销"), back_url=reverse("insurer:detail", args=[policy.pk]),
            summary=_("撤销后保单不再有效，企业不能再确认投保；撤销不能恢复。撤销原因会告知企业：%(reason)s") % {
                "reason": form.cleaned_data["reason"]},
            items=[f"{policy.number} · {policy.enterprise.name}"], button=_("确认撤销"),
            keep=[("cancel-reason", form.cleaned_data["reason"])])
    with attempt(request, form) as tried:
        if action == "approve":
            services.approve(request.user, policy.pk, ip=ip)
            done = _("保单 %(number)s 已审批通过，已生效。") % {"number": policy.number}
        else:
            if action == "return":
                services.return_policy(request.user, policy.pk, reason=form.cleaned_data["reason"],
                                       fields=form.cleaned_data.get("to_correct", ()), ip=ip)
            else:
                services.cancel(request.user, policy.pk, reason=form.cleaned_data["reason"], ip=ip)
            done = _("保单 %(number)s %(done)s。") % {
                "number": policy.number, "done": _("已退回") if action == "return" else _("已撤销")}
    if tried.invalid:
        return _render_detail(request, policy, status=400, **{f"{action}_form": form})
    if not tried.ok:
        return redirect("insurer:detail", pk=policy.pk)
    if action == "cancel":
        messages.success(request, done)
        return redirect("insurer:detail", pk=policy.pk)
    # Decided: on to the confirmation of the same queue that has waited longest (one banner says both).
    filters = _queue_filters(request)[1]
    following = _next_in_queue(request, policy, filters)
    if following is None:
        messages.success(request, done + _("审批中的保单已全部处理。"))
        return redirect(_with_query(reverse("insurer:list"), _queue_query(filters, status=PolicyStatus.CONFIRMED)))
    messages.success(request, done + _("下一份待审批：%(number)s。") % {"number": following.number})
    return redirect(_with_query(reverse("insurer:detail", args=[following.pk]), _queue_query(filters)))


def _foreign_scheme(request, data):
    """A scheme id of another branch's scheme: not found, as another branch's policies are."""
    scheme_id = record_id((data or {}).get("scheme"))
    return bool(scheme_id) and Scheme.objects.filter(pk=scheme_id).exclude(
        pk__in=Scheme.objects.visible_to(request.user)).exists()


@insurer_only
@require_http_methods(["GET", "POST"])
def issue(request):
    """出具保单 to one enterprise. 查看资格 shows the verdict of the batch's rule without issuing; 出具保单
    issues, refusing an ineligible enterprise unless 例外出单 is ticked with a reason."""
    schemes = eligibility.open_schemes().filter(pk__in=Scheme.objects.visible_to(request.user))
    data = request.POST if request.method == "POST" else None
    if _foreign_scheme(request, data):
        raise Http404
    form = IssueForm(data, schemes=schemes)
    verdict, status = None, 200
    if data is not None and form.is_valid():
        uscc = normalise_uscc(form.cleaned_data["uscc"])
        enterprise = Enterprise.objects.visible_to(request.user).filter(uscc=uscc).first()
        if enterprise is None:
            form.add_error("uscc", _("本机构服务区域内没有统一社会信用代码为 %(uscc)s 的企业。") % {"uscc": uscc})
        else:
            verdict = eligibility.explain(enterprise, form.cleaned_data["scheme"])
            if data.get("step") != "check":
                policy = _issue_or_errors(request, form, enterprise)
                if policy is not None:
                    return redirect("insurer:detail", pk=policy.pk)
    if form.errors:
        status = 400
    return render(request, "policies/insurer/issue.html", {"form": form, "verdict": verdict}, status=status)


def _issue_or_errors(request, form, enterprise):
    """The policy issued, or None with the service's refusal on the form."""
    exception = form.cleaned_data["exception_reason"] if form.cleaned_data["exception"] else None
    with attempt(request, form, refused_on_form=True):
        policy = services.issue(request.user, form.cleaned_data["scheme"].pk, enterprise.pk,
                                ip=client_ip(request), exception_reason=exception)
        messages.success(request, _("已向 %(name)s 出具保单 %(number)s，等待企业确认。")
                         % {"name": enterprise.name, "number": policy.number})
        return policy
    return None
