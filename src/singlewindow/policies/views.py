"""The enterprise's 小微企业在线投保系统: list, detail, 确认投保, 放弃投保."""
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from singlewindow.accounts.decorators import local_features
from singlewindow.accounts.models import LoginMethod
from singlewindow.eport.services import signing_proof
from singlewindow.http import client_ip, page_query
from singlewindow.refusals import attempt

from . import history, services
from .forms import ConfirmForm, ReasonForm
from .models import Policy, PolicyStatus
from .transitions import WAITING, allowed


def tab_counts(queryset):
    counts = dict(queryset.values_list("status").annotate(n=Count("id")).order_by())
    return [(status, counts.get(status, 0)) for status in PolicyStatus]


def status_param(request, default):
    """The ?status= tab asked for, or `default` when absent or unknown."""
    status = request.GET.get("status")
    return PolicyStatus(status) if status in PolicyStatus.values else default


@local_features
@require_GET
def policy_list(request):
    policies = Policy.objects.visible_to(request.user)
    tabs = tab_counts(policies)
    # Without a ?status= the list opens on the first tab that has something (待确认 when there is any).
    first = next((status for status, count in tabs if count), PolicyStatus.PENDING)
    status = status_param(request, first)
    paginator = Paginator(policies.filter(status=status).select_related("scheme", "enterprise"), 20)
    paginator.count = dict(tabs)[status]  # the tab's own count: no second COUNT(*) of the same rows
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "policies/list.html", {
        "tabs": tabs, "status": status, "page": page, "show_deadline": status in WAITING,
        "keep": page_query(request, status=status.value)})


def _detail(request, policy, form, status=200):
    recorded = history.events(policy)  # read once for both the timeline and the fields to correct
    to_correct = history.fields_to_correct(policy, recorded)
    for name in to_correct:  # the insurer asked for these: marked on the form until the policy is confirmed again
        field = form.fields[name]
        field.help_text = " ".join(str(text) for text in (_("保险公司要求修改此项。"), field.help_text) if text)
        field.widget.attrs["class"] = (field.widget.attrs.get("class", "") + " border-warning border-2").strip()
    return render(request, "policies/detail.html", {
        "to_correct": [services.CORRECTABLE[name] for name in to_correct],
        "policy": policy, "scheme": policy.scheme, "agreement": policy.scheme.agreement, "form": form,
        "can_confirm": allowed("confirm", policy.status), "can_decline": allowed("decline", policy.status),
        "timeline": history.timeline(recorded), "confirmation": history.last_confirmation(policy),
    }, status=status)


def _own_policy(request, pk):
    return get_object_or_404(
        Policy.objects.visible_to(request.user).select_related("scheme__agreement", "scheme__region", "enterprise"),
        pk=pk,
    )


@local_features
@require_GET
def policy_detail(request, pk):
    policy = _own_policy(request, pk)
    # What the policy was last confirmed with, else what the account holds (the clerk types it only once).
    user = request.user
    initial = {"contact_name": policy.contact_name or user.display_name,
               "contact_phone": policy.contact_phone or user.mobile,
               "contact_email": policy.contact_email or user.email}
    return _detail(request, policy, ConfirmForm(initial=initial))


@local_features
@require_POST
def policy_confirm(request, pk):
    policy = _own_policy(request, pk)
    form = ConfirmForm(request.POST)
    login_method = request.session.get("login_method", LoginMethod.PASSWORD)
    if not form.is_valid():  # every error in one pass: the agreement's too, not only after the fields are right
        if problem := services.agreement_problem(policy.scheme.agreement, request.POST.get("agreement_sha256")):
            form.add_error("agreement_sha256", problem)
    else:
        with attempt(request, form) as tried:
            services.confirm(
                request.user, policy.pk, **form.cleaned_data, login_method=login_method,
                card_proof=signing_proof(request) if login_method == LoginMethod.CARD else "",
                ip=client_ip(request), user_agent=request.headers.get("user-agent", ""),
            )
            return redirect("policies:submitted", pk=policy.pk)
        if tried.refused:
            return redirect("policies:detail", pk=policy.pk)
    return _detail(request, policy, form, status=400)


@local_features
@require_GET
def policy_submitted(request, pk):
    policy = _own_policy(request, pk)
    return render(request, "policies/submitted.html", {"policy": policy})


@local_features
@require_GET
def policy_receipt(request, pk):
    """确认回执: what was confirmed, by whom, when and how, on a page made to be printed or kept."""
    policy = _own_policy(request, pk)
    confirmation = history.last_confirmation(policy)
    if confirmation is None:
        raise Http404
    return render(request, "policies/receipt.html", {
        "policy": policy, "scheme": policy.scheme, "confirmation": confirmation})


@local_features
@require_http_methods(["GET", "POST"])
def policy_decline(request, pk):
    """放弃投保 is a page of its own, a second step after the detail page's secondary link: what it means, the
    reason (required), the card's signature in a card session, then 确认放弃投保 or back without a change."""
    policy = _own_policy(request, pk)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if not allowed("decline", policy.status):
        messages.warning(request, str(services.refusal(policy, "decline")))
        return redirect("policies:detail", pk=policy.pk)
    if form.is_valid():
        login_method = request.session.get("login_method", LoginMethod.PASSWORD)
        with attempt(request, form) as tried:
            services.decline(
                request.user, policy.pk, reason=form.cleaned_data["reason"], ip=client_ip(request),
                login_method=login_method,
                card_proof=signing_proof(request) if login_method == LoginMethod.CARD else "",
            )
            messages.success(request, _("已放弃投保保单 %(number)s。") % {"number": policy.number})
            return redirect(f"{reverse('policies:list')}?status={PolicyStatus.DECLINED}")
        if tried.refused:
            return redirect("policies:detail", pk=policy.pk)
    return render(request, "policies/decline.html", {"policy": policy, "scheme": policy.scheme, "form": form},
                  status=400 if form.is_bound else 200)
