"""The insurer's 风险预警: its branch's alerts, write and edit drafts, publish, withdraw, read receipts."""
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from singlewindow.accounts.decorators import insurer_only
from singlewindow.http import check_step, client_ip, is_checked, page_query
from singlewindow.refusals import attempt

from . import services
from .forms import AlertForm, WithdrawForm
from .models import Alert
from .transitions import ALERT

CHECK_ITEMS = 20  # enterprises named on the publish check page; the rest are counted


def _alert(request, pk):
    return get_object_or_404(Alert.objects.visible_to(request.user).select_related("branch", "created_by"), pk=pk)


@insurer_only
@require_GET
def manage(request):
    alerts = (Alert.objects.visible_to(request.user)
              .annotate(n_delivered=Count("deliveries", distinct=True), n_read=Count("reads__enterprise", distinct=True))
              .order_by(F("published_at").desc(nulls_first=True), "-created_at", "-id"))  # drafts first, then newest
    page = Paginator(alerts, 20).get_page(request.GET.get("page"))
    return render(request, "alerts/insurer/list.html", {"page": page, "keep": page_query(request)})


def _form_page(request, alert=None):
    form = AlertForm(request.POST or None, instance=alert, user=request.user)
    if request.method == "POST" and form.is_valid():
        with attempt(request, form, refused_on_form=True):
            saved = services.save_draft(request.user, form.cleaned_data, alert_id=alert and alert.pk,
                                        ip=client_ip(request))
            messages.success(request, _("预警“%(title)s”已保存为草稿。请核对送达范围后发布。") % {"title": saved.title})
            return redirect("alerts:manage_detail", pk=saved.pk)
    return render(request, "alerts/insurer/form.html", {"form": form, "alert": alert},
                  status=400 if request.method == "POST" else 200)


@insurer_only
@require_http_methods(["GET", "POST"])
def create(request):
    return _form_page(request)


@insurer_only
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    alert = _alert(request, pk)
    if alert.status not in services.EDITABLE:
        messages.warning(request, _("只有草稿可以修改；已发布的预警如有错误，请撤回后重新编写。"))
        return redirect("alerts:manage_detail", pk=alert.pk)
    return _form_page(request, alert)


def _render_detail(request, alert, withdraw_form=None, status=200):
    context = {"alert": alert, "expired": alert.expired(), "not_started": alert.not_started(),
               "countries": alert.countries.order_by("name_zh"), "buyers": alert.buyers.select_related("country"), "counties": alert.counties.all(),
               "can_publish": ALERT.allowed("publish", alert.status),
               "can_withdraw": ALERT.allowed("withdraw", alert.status),
               "withdraw_form": withdraw_form or WithdrawForm()}
    if alert.status == Alert.Status.DRAFT:
        context["reach"] = services.targets(alert).count()
    else:
        context["receipts"] = services.receipts(alert)
    return render(request, "alerts/insurer/detail.html", context, status=status)


@insurer_only
@require_GET
def manage_detail(request, pk):
    return _render_detail(request, _alert(request, pk))


@insurer_only
@require_POST
def publish(request, pk):
    alert = _alert(request, pk)
    back = reverse("alerts:manage_detail", args=[alert.pk])
    if not is_checked(request) and ALERT.allowed("publish", alert.status):
        reached = list(services.targets(alert).order_by("name").values_list("name", flat=True))
        items = reached[:CHECK_ITEMS] + ([_("……等共 %(n)d 家企业") % {"n": len(reached)}]
                                         if len(reached) > CHECK_ITEMS else [])
        summary = _("发布后，预警即时送达以下 %(n)d 家参保企业的通知和“风险预警”，不能修改，只能撤回。") % {"n": len(reached)}
        if alert.level == Alert.Level.HIGH:
            summary += _("风险等级为“高”：同时向这些企业的用户发送短信和电子邮件。")
        return check_step(request, title=_("发布风险预警"), summary=summary, items=items, back_url=back,
                          button=_("确认发布"))
    with attempt(request) as tried:
        done = services.publish(request.user, alert.pk, ip=client_ip(request))
    if tried.ok:
        messages.success(request, _("预警“%(title)s”已发布，送达 %(n)d 家企业。") % {
            "title": done.title, "n": done.deliveries.count()})
    return redirect(back)


@insurer_only
@require_POST
def withdraw(request, pk):
    alert = _alert(request, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, alert, withdraw_form=form, status=400)
    reason = form.cleaned_data["reason"]
    with attempt(request, form) as tried:
        if not is_checked(request) and ALERT.allowed("withdraw", alert.status):
            services.check_reason(reason)  # the reason's own rule first: the check step shows only a good one
            return check_step(
                request, title=_("撤回风险预警"), back_url=reverse("alerts:manage_detail", args=[alert.pk]),
                summary=_("收到该预警的企业打开其通知时，会看到撤回时间和撤回原因。")
                + _("撤回后企业不再能查看该预警，撤回不能恢复。撤回原因：%(reason)s") % {"reason": reason},
                items=[alert.title], button=_("确认撤回"), keep=[("reason", reason)])
        services.withdraw(request.user, alert.pk, reason=reason, ip=client_ip(request))
        messages.success(request, _("预警“%(title)s”已撤回。") % {"title": alert.title})
    if tried.invalid:
        return _render_detail(request, alert, withdraw_form=form, status=400)
    return redirect("alerts:manage_detail", pk=alert.pk)
