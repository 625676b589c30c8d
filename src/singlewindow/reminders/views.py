"""The bureau's 提醒 pages: runs, 发送提醒 (filter, preview, second step), a run's outcome, templates, schedules.

Every page is a bureau's: enterprises, insurers and the administrator are refused (403), and a record of another
region is not found (404, through the scoped querysets)."""
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from singlewindow.accounts.decorators import role_required
from singlewindow.accounts.models import Role
from singlewindow.forms import record_id
from singlewindow.http import check_step, client_ip, is_checked, page_query
from singlewindow.policies.models import Scheme
from singlewindow.refusals import attempt
from singlewindow.regions.models import within

from . import rendering, services
from .forms import RecipientForm, ScheduleForm, TemplateForm
from .models import Channel, ReminderRun, ReminderSchedule, ReminderTemplate

bureau_only = role_required(Role.BUREAU)
CHECK_ITEMS = 20  # enterprises named on the second step; the rest are counted
SHOWS = ("reached", "confirmed", "skipped")


@bureau_only
@require_GET
def run_list(request):
    runs = ReminderRun.objects.visible_to(request.user).select_related("scheme", "county", "region", "started_by",
                                                                       "template")
    page = Paginator(runs, 20).get_page(request.GET.get("page"))
    return render(request, "reminders/runs.html", {"page": page, "keep": page_query(request)})


def _form_page(request, form, *, found=None, status=200):
    keep = form.query() if found is not None else ()
    return render(request, "reminders/new.html", {"form": form, "found": found, "keep": keep}, status=status)


@bureau_only
@require_http_methods(["GET", "POST"])
def new_run(request):
    """GET: the filter, and with it (预览) the count and first rows; POST: the second step, then the run."""
    user = request.user
    if request.method == "GET":
        if "scheme" not in request.GET:
            return _form_page(request, RecipientForm(user=user))
        form = RecipientForm(request.GET, user=user)
    else:
        form = RecipientForm(request.POST, user=user)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    data = form.cleaned_data
    with attempt(request, form) as tried:
        criteria = services.check_criteria(user, scheme=data["scheme"], county=data["county"],
                                           statuses=data["statuses"], within_days=data["within_days"])
        found = services.preview(user, criteria, data["template"])
    if not tried.ok:
        return _form_page(request, form, status=400)
    if request.method == "GET":
        return _form_page(request, form, found=found)
    if found.reach == 0:
        messages.warning(request, _("没有需要提醒的企业：符合条件的企业今日都已收到同一提醒，或没有符合条件的保单。"))
        return _form_page(request, form, found=found)
    channels = _("、").join(str(Channel(c).label) for c in data["channels"])
    if not is_checked(request):
        names = list(services.targets(user.region, criteria, services.reminder_day())
                     .exclude(enterprise__in=services.reached_on(data["template"], services.reminder_day()))
                     .order_by("enterprise__name").values_list("enterprise__name", flat=True).distinct()[:CHECK_ITEMS + 1])
        items = names[:CHECK_ITEMS] + ([_("……等共 %(n)d 家企业") % {"n": found.reach}]
                                       if found.reach > CHECK_ITEMS else [])
        summary = _("将向 %(n)d 家企业发送提醒（%(channels)s），模板“%(template)s”。发送后不能撤回。") % {
            "n": found.reach, "channels": channels, "template": data["template"].name}
        if found.already:
            summary += _("另有 %(n)d 家企业今日已收到同一提醒，将跳过。") % {"n": found.already}
        back = f"{reverse('reminders:new')}?{_encode(form.query())}"
        return check_step(request, title=_("发送提醒"), summary=summary, items=items, back_url=back,
                          button=_("确认发送"), keep=form.query())
    with attempt(request, form) as tried:
        run = services.start_run(user, criteria, data["template"], data["channels"], ip=client_ip(request))
    if not tried.ok:
        return _form_page(request, form, status=400)
    if run.status == ReminderRun.Status.DONE:
        messages.success(request, _("提醒已发送：%(reached)d 家企业，跳过 %(skipped)d 家。") % {
            "reached": run.reached, "skipped": run.skipped})
    elif run.status == ReminderRun.Status.FAILED:
        messages.warning(request, _("提醒发送中断，已提醒的企业见下表；可以继续发送。"))
    else:
        messages.info(request, _("提醒正在发送，本页显示进度。"))
    return redirect("reminders:run", pk=run.pk)


def _encode(pairs):
    return urlencode(pairs)


def _run(request, pk):
    runs = ReminderRun.objects.visible_to(request.user).select_related(
        "scheme", "county", "region", "started_by", "template")
    return get_object_or_404(runs, pk=pk)


@bureau_only
@require_GET
def run_detail(request, pk):
    """Who the run reached (per channel, with the delivery status now), who it skipped and why, who confirmed since."""
    run = _run(request, pk)
    stale = services.is_stale(run)
    if request.htmx and request.GET.get("part") == "progress":
        return render(request, "reminders/_progress.html", {"run": run, "stale": stale})
    show = request.GET.get("show") if request.GET.get("show") in SHOWS else "reached"
    page = Paginator(services.recipients_of(run, show), 50).get_page(request.GET.get("page"))
    channels = [Channel(c) for c in run.channels if c in Channel.values]
    sent = services.deliveries_by_recipient(page.object_list)
    for recipient in page:
        recipient.sent = [(channel, sent.get(recipient.pk, {}).get(channel)) for channel in channels]
    return render(request, "reminders/run.html", {
        "run": run, "stale": stale, "report": services.report(run), "show": show, "page": page,
        "keep": page_query(request), "channels": channels,
    })


@bureau_only
@require_POST
def run_resume(request, pk):
    run = _run(request, pk)
    with attempt(request) as tried:
        services.resume(request.user, run.pk, ip=client_ip(request))
    if tried.ok:
        messages.success(request, _("已继续发送，已提醒过的企业不会重复提醒。"))
    return redirect("reminders:run", pk=run.pk)


# --- templates ------------------------------------------------------------------------------------

@bureau_only
@require_GET
def template_list(request):
    templates = services.templates_for(request.user)
    own = set(ReminderTemplate.objects.editable_by(request.user).values_list("pk", flat=True))
    return render(request, "reminders/templates.html", {"templates": templates, "own": own})


def _template_page(request, template=None):
    initial = {name: getattr(template, name) for name in services.TEMPLATE_FIELDS} if template else None
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with attempt(request, form, refused_on_form=True):
            saved = services.save_template(request.user, form.cleaned_data, template_id=template and template.pk,
                                           ip=client_ip(request))
            messages.success(request, _("提醒模板“%(name)s”已保存。") % {"name": saved.name})
            return redirect("reminders:templates")
    sample = None
    if template is not None:
        values = services.sample_values()
        sample = (rendering.render(template.subject, values), rendering.render(template.body, values))
    return render(request, "reminders/template_form.html", {"form": form, "template": template, "sample": sample},
                  status=400 if request.method == "POST" else 200)


@bureau_only
@require_http_methods(["GET", "POST"])
def template_new(request):
    return _template_page(request)


@bureau_only
@require_http_methods(["GET", "POST"])
def template_edit(request, pk):
    return _template_page(request, get_object_or_404(ReminderTemplate.objects.editable_by(request.user), pk=pk))


# --- scheduled reminders ------------------------------------------------------------------------

@bureau_only
@require_GET
def schedule_list(request):
    user = request.user
    schemes = list(services.open_schemes(user).select_related("region"))
    schedules = {s.scheme_id: s for s in ReminderSchedule.objects.visible_to(user).filter(scheme__in=schemes)
                 .select_related("template")}
    editable = set(Scheme.objects.filter(pk__in=[s.pk for s in schemes]).filter(
        within([user.region], "region")).values_list("pk", flat=True))
    rows = [(scheme, schedules.get(scheme.pk), scheme.pk in editable) for scheme in schemes]
    return render(request, "reminders/schedules.html", {"rows": rows})


@bureau_only
@require_http_methods(["GET", "POST"])
def schedule_edit(request, scheme_id):
    user = request.user
    try:
        scheme = services.schedule_scheme(user, record_id(scheme_id), editable=True)
    except Scheme.DoesNotExist:
        raise Http404 from None
    schedule = ReminderSchedule.objects.filter(scheme=scheme).first()
    initial = {"days": schedule.days, "template": schedule.template_id, "channels": schedule.channels,
               "enabled": schedule.enabled} if schedule else None
    form = ScheduleForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with attempt(request, form, refused_on_form=True):
            services.save_schedule(user, scheme.pk, days=data["days"], template_id=data["template"],
                                   channels=data["channels"], enabled=data["enabled"], ip=client_ip(request))
            messages.success(request, _("方案“%(scheme)s”的定时提醒已保存。") % {"scheme": scheme.name})
            return redirect("reminders:schedules")
    return render(request, "reminders/schedule_form.html", {"form": form, "scheme": scheme, "schedule": schedule},
                  status=400 if request.method == "POST" else 200)
