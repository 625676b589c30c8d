"""The pages of 批量出单 and 申领: the enterprise's eligibility panel and 申领 button, the insurer's batch page,
its progress and the applications queue. They call policies/issuance.py."""
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from singlewindow.accounts.decorators import insurer_only, local_features
from singlewindow.enterprises import eligibility
from singlewindow.http import check_step, client_ip, is_checked
from singlewindow.refusals import attempt

from . import issuance, services
from .models import Application, IssuanceRun, Policy, Scheme

# --- pages: the enterprise ------------------------------------------------------------------------------

@local_features
@require_GET
def eligibility_panel(request):
    """The small panel on the enterprise's policy list: eligible for the open scheme, or why not."""
    enterprise = request.user.enterprise
    verdicts = eligibility.verdicts_for(enterprise)
    applied = dict(
        Application.objects.filter(enterprise=enterprise, scheme__in=[v.scheme for v in verdicts])
        .values_list("scheme_id", "created_at")
    )
    rows = [(v, applied.get(v.scheme.pk)) for v in verdicts]
    return render(request, "policies/_eligibility.html", {"rows": rows})


@local_features
@require_POST
def apply_view(request, scheme_id):
    with attempt(request, refused_level=messages.INFO):
        issuance.apply(request.user, scheme_id, ip=client_ip(request))
        messages.success(request, _("已提交申领。保险公司出单后，保单会出现在“待确认”中，请留意通知。"))
    return redirect("policies:list")


# --- pages: the insurer ---------------------------------------------------------------------------------

@insurer_only
@require_http_methods(["GET", "POST"])
def batch_page(request):
    schemes = Scheme.objects.visible_to(request.user).select_related("region")
    if request.method == "POST":
        if not is_checked(request):
            with attempt(request) as tried:
                scheme = services.own_scheme(request.user, request.POST.get("scheme"))
            if not tried.ok:
                return redirect("insurer:batch")
            todo = issuance.todo_records(scheme, request.user).count()
            return check_step(
                request, title=_("批量出单"), back_url=reverse("insurer:batch"),
                summary=_("将为方案“%(scheme)s”内 %(n)d 家符合条件、尚未出单的企业出具“待确认”保单，保费按方案规则计算，"
                          "企业会收到通知。已出具的保单不能收回，只能逐份撤销。") % {"scheme": scheme.name, "n": todo},
                button=_("确认批量出单（%(n)d 家）") % {"n": todo}, keep=[("scheme", scheme.pk)])
        with attempt(request) as tried:
            run, started = issuance.start_issuance(request.user, request.POST.get("scheme"), ip=client_ip(request))
        if not tried.ok:
            return redirect("insurer:batch")
        if not started:
            messages.info(request, _("该方案的批量出单正在进行中，请稍候。"))
        return redirect("insurer:batch_run", pk=run.pk)
    today = timezone.localdate()
    lines = [
        {"scheme": s, "todo": issuance.todo_records(s, request.user).count(), "issued": Policy.objects.filter(scheme=s).count(),
         "open": s.confirm_deadline >= today}
        for s in schemes
    ]
    runs = IssuanceRun.objects.filter(scheme__in=schemes).select_related("scheme", "started_by")[:10]
    return render(request, "policies/insurer/batch.html", {"lines": lines, "runs": runs})


def _run(request, pk):
    return get_object_or_404(IssuanceRun.objects.visible_to(request.user).select_related("scheme"), pk=pk)


@insurer_only
@require_GET
def batch_run(request, pk):
    run = _run(request, pk)
    template = "policies/insurer/_batch_progress.html" if request.htmx else "policies/insurer/batch_run.html"
    return render(request, template, {"run": run, "stale": issuance.is_stale(run)})


@insurer_only
@require_GET
def application_list(request):
    rows = Application.objects.visible_to(request.user).filter(status=Application.Status.SUBMITTED).select_related(
        "scheme", "enterprise__region", "applicant")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "policies/insurer/applications.html", {"page": page})


@insurer_only
@require_POST
def application_issue(request, pk):
    try:
        with attempt(request, refused_level=messages.INFO):
            policy = issuance.issue_application(request.user, pk, ip=client_ip(request))
            messages.success(request, _("已向 %(name)s 出具保单 %(number)s，等待企业确认。") % {
                "name": policy.enterprise.name, "number": policy.number})
    except Application.DoesNotExist:
        raise Http404 from None
    return redirect(reverse("insurer:applications"))
