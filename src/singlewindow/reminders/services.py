"""提醒's business rules: templates, whom a reminder reaches, the once-a-day rule, sending a run, schedules.

Views only call these. Each action is one transaction that checks, changes, writes its audit event; a run is
sent chunk by chunk (CHUNK policies a transaction), in the request when it is small, else by the task worker
(tasks.send_reminders). Who a bureau may reach is its region's policies (accounts/scopes.py's rule): every
query of recipients starts from `targets(region, …)`, whatever a page posted.

The once-a-day rule (DEDUPE below, docs/decisions/0032-reminders.md): an enterprise is reached by a template
at most once per Asia/Shanghai calendar day. It is decided by inserting the enterprise's `reached`
ReminderRecipient, which the partial unique constraint `reminder_once_a_day` (enterprise, template, day)
admits once: a second run that day — or one running at the same moment — finds its row refused and records
the policy as skipped, with the reason.
"""
import datetime
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from singlewindow.accounts.logmask import mask_recipient
from singlewindow.accounts.models import Role, User
from singlewindow.audit.services import record
from singlewindow.notifications import services as notifications
from singlewindow.notifications.models import Notice, OutboundMessage
from singlewindow.policies.models import Confirmation, Policy, PolicyStatus, Scheme
from singlewindow.policies.transitions import WAITING
from singlewindow.regions.models import Region, within
from singlewindow.validators import MOBILE, no_markup

from . import rendering
from .models import (
    Channel,
    ReminderDelivery,
    ReminderRecipient,
    ReminderRun,
    ReminderSchedule,
    ReminderTemplate,
    SkipReason,
)
from .transitions import RUN, STALENESS

log = logging.getLogger(__name__)
CHUNK = 500  # policies per transaction
INLINE_LIMIT = 200  # a run of at most this many policies is sent in the request; a larger one by the worker
PREVIEW_ROWS = 20
PURPOSE = "reminder"
# The statuses a reminder may target: the policies still waiting for 确认投保 (the sources of confirm).
STATUSES = [s for s in PolicyStatus if s in WAITING]
R = ReminderRecipient.Outcome
D = ReminderDelivery.Status

# The template each bureau starts with (data the enterprise reads in Chinese, not an interface text).
DEFAULT_TEMPLATE = {
    "name": "确认投保提醒",
    "subject": "请于 {确认截止日} 前确认投保保单 {保单号}",
    "body": "【单一窗口】{企业名称}：贵企业的出口信用保险保单 {保单号} 尚待确认投保，确认截止日 {确认截止日}（还有 "
            "{剩余天数} 天），逾期将不再承保。请登录单一窗口“小微企业在线投保”在线确认。",
}


def bureau_region(actor):
    """The region of the bureau acting; anyone else is refused (enterprise, insurer, administrator, visitor)."""
    if not getattr(actor, "is_authenticated", False) or getattr(actor, "role", None) != Role.BUREAU \
            or not actor.region_id:
        raise PermissionDenied
    return actor.region


# --- the once-a-day rule ------------------------------------------------------------------------

def reminder_day(now=None):
    """The day of the once-a-day rule: the Asia/Shanghai calendar date (settings.TIME_ZONE) at `now`."""
    return timezone.localdate(now)


def reached_on(template, day):
    """DEDUPE: the enterprises `template` has already reached on `day` (each at most once, by the constraint)."""
    return ReminderRecipient.objects.filter(template=template, day=day, outcome=R.REACHED).values("enterprise")


# --- templates ------------------------------------------------------------------------------------

def ensure_default(region, actor=None):
    """The region's first template, made once from DEFAULT_TEMPLATE when it has none of its own."""
    if ReminderTemplate.objects.filter(region=region).exists():
        return None
    try:
        with transaction.atomic():
            return ReminderTemplate.objects.create(region=region, created_by=actor, **DEFAULT_TEMPLATE)
    except IntegrityError:  # made meanwhile by another request
        return None


def templates_for(actor):
    """The templates the bureau may send (its own, those under it and its city's), its default made if needed."""
    ensure_default(bureau_region(actor), actor)
    return ReminderTemplate.objects.visible_to(actor).select_related("region")


TEMPLATE_FIELDS = ("name", "subject", "body")
_LIMITS = {"name": 50, "subject": 100, "body": 500}


def check_template(data):
    """The template's rules, each problem under its field: required, length, no markup, placeholders known."""
    labels = {"name": _("模板名称"), "subject": _("标题"), "body": _("正文")}
    errors = {}
    for name in TEMPLATE_FIELDS:
        value = (data.get(name) or "").strip()
        found = []
        if not value:
            found.append(_("请填写%(label)s。") % {"label": labels[name]})
        elif len(value) > _LIMITS[name]:
            found.append(_("%(label)s不能超过 %(n)d 个字。") % {"label": labels[name], "n": _LIMITS[name]})
        else:
            try:
                no_markup(value)
            except ValidationError as error:
                found += error.messages
            if name != "name":
                found += rendering.problems(value, labels[name])
        if found:
            errors[name] = found
    if errors:
        raise ValidationError(errors)
    return {name: data[name].strip() for name in TEMPLATE_FIELDS}


def save_template(actor, data, *, template_id=None, ip=None):
    """Create a template of the bureau's region (template_id None) or change one of its own. Returns it."""
    region = bureau_region(actor)
    values = check_template(data)
    with transaction.atomic():
        if template_id is None:
            template = ReminderTemplate(region=region, created_by=actor)
        else:
            template = ReminderTemplate.objects.editable_by(actor).select_for_update().filter(pk=template_id).first()
            if template is None:
                raise ReminderTemplate.DoesNotExist
        taken = ValidationError({"name": _("本区域已有名为“%(name)s”的模板，请换一个名称。") % {"name": values["name"]}})
        if ReminderTemplate.objects.filter(region=region, name=values["name"]).exclude(pk=template.pk).exists():
            raise taken
        for name, value in values.items():
            setattr(template, name, value)
        template.updated_at = timezone.now()
        try:
            with transaction.atomic():
                template.save()
        except IntegrityError:  # the same name saved a moment ago by a colleague
            raise taken from None
        record(actor=actor, action="reminder_template.edit" if template_id else "reminder_template.create",
               obj=template, ip=ip)
    return template


def sample_values(day=None):
    """What the placeholders read in a template's preview."""
    day = day or reminder_day()
    return rendering.values_for(enterprise_name=_("汕尾市示例进出口有限公司"), number="SW2026000001",
                                deadline=day + datetime.timedelta(days=14), days_left=14)


# --- whom a reminder reaches ----------------------------------------------------------------------

@dataclass(frozen=True)
class Criteria:
    scheme: Scheme
    county: Region | None = None
    statuses: tuple = (PolicyStatus.PENDING,)
    within_days: int | None = None


def counties_of(region):
    """The county-level divisions a bureau may pick: those in its region (a county bureau: itself)."""
    return Region.objects.filter(code__startswith=region.prefix, level=Region.Level.COUNTY).order_by("code")


def open_schemes(actor, day=None):
    """The schemes the bureau works with whose 确认截止日 (inclusive) has not passed: reminders make sense there."""
    return Scheme.objects.visible_to(actor).filter(confirm_deadline__gte=day or reminder_day()).order_by(
        "-cover_start", "name")


def check_criteria(actor, *, scheme, county, statuses, within_days, day=None):
    """The filter as the bureau may use it, or ValidationError naming the field: a page's values are not trusted
    (a crafted POST naming another county's code, or another region's scheme, is refused here)."""
    region = bureau_region(actor)
    errors = {}
    scheme_id = getattr(scheme, "pk", scheme)
    scheme = open_schemes(actor, day).filter(pk=scheme_id).first() if isinstance(scheme_id, int) else None
    if scheme is None:
        errors["scheme"] = _("请选择本辖区确认截止日未过的投保方案。")
    code = getattr(county, "pk", county) or ""
    county = counties_of(region).filter(pk=code).first() if code else None
    if code and county is None:
        errors["county"] = _("请选择本辖区内的县区。")
    asked = set(statuses or ())
    if not asked or not asked <= WAITING:
        errors["statuses"] = _("请选择保单状态：待确认或已退回。")
    statuses = tuple(s for s in STATUSES if s in asked)
    if within_days is not None and not (isinstance(within_days, int) and 0 <= within_days <= 366):
        errors["within_days"] = _("确认截止日天数请填写 0 至 366 的整数。")
    if errors:
        raise ValidationError(errors)
    return Criteria(scheme, county, statuses, within_days)


def targets(region, criteria, day):
    """The policies a reminder in `region` with `criteria` reaches on `day`: the region's (accounts/scopes.py), of
    the scheme, in the statuses, whose 确认截止日 (inclusive) is not past and, if asked, within N days."""
    policies = Policy.objects.filter(within([region], "enterprise__region"), scheme=criteria.scheme,
                                     status__in=criteria.statuses, scheme__confirm_deadline__gte=day)
    if criteria.county is not None:
        policies = policies.filter(within([criteria.county], "enterprise__region"))
    if criteria.within_days is not None:
        policies = policies.filter(scheme__confirm_deadline__lte=day + datetime.timedelta(days=criteria.within_days))
    return policies


@dataclass
class Preview:
    policies: int
    enterprises: int
    already: int  # enterprises the template reached today already: they are skipped
    rows: list
    subject: str
    body: str

    @property
    def reach(self):
        return self.enterprises - self.already


def preview(actor, criteria, template, now=None):
    """How many a run would reach now, the first rows, and the words as the first enterprise would read them."""
    region = bureau_region(actor)
    day = reminder_day(now)
    policies = targets(region, criteria, day)
    enterprises = policies.values("enterprise").distinct()
    already = policies.filter(enterprise__in=reached_on(template, day)).values("enterprise").distinct().count()
    rows = list(policies.select_related("enterprise__region", "scheme").annotate(
        today=Exists(reached_on(template, day).filter(enterprise=OuterRef("enterprise"))))
        .order_by("enterprise__region", "enterprise__name", "pk")[:PREVIEW_ROWS])
    values = _values(rows[0], day) if rows else sample_values(day)
    return Preview(policies.count(), enterprises.count(), already, rows,
                   rendering.render(template.subject, values), rendering.render(template.body, values))


def _values(policy, day):
    return rendering.values_for(enterprise_name=policy.enterprise.name, number=policy.number,
                                deadline=policy.scheme.confirm_deadline,
                                days_left=(policy.scheme.confirm_deadline - day).days)


def check_channels(channels):
    channels = [c for c in Channel.values if c in set(channels or ())]
    if not channels:
        raise ValidationError({"channels": _("请至少选择一种发送方式。")})
    return channels


# --- a run ------------------------------------------------------------------------------------------

def _create_run(*, kind, region, actor, template, criteria, channels, day, schedule=None, ip=None, now=None):
    run = ReminderRun.objects.create(
        created_at=now or timezone.now(), kind=kind, region=region, started_by=actor, schedule=schedule, template=template, subject=template.subject,
        body=template.body, scheme=criteria.scheme, county=criteria.county, statuses=list(criteria.statuses),
        within_days=criteria.within_days, channels=list(channels), day=day,
        total=targets(region, criteria, day).count(),
    )
    record(actor=actor, action="reminder.start", obj=run, to_status=run.status, ip=ip,
           actor_label=None if actor else "schedule",
           data={"scheme": criteria.scheme.pk, "county": criteria.county.pk if criteria.county else "",
                 "statuses": list(criteria.statuses), "within_days": criteria.within_days, "template": template.pk,
                 "channels": list(channels), "policies": run.total})
    return run


def start_run(actor, criteria, template_id, channels, *, ip=None, now=None):
    """发送提醒: a run over the bureau's recipients, sent now when small, else handed to the worker. Returns it."""
    region = bureau_region(actor)
    template = ReminderTemplate.objects.visible_to(actor).filter(pk=getattr(template_id, "pk", template_id)).first()
    if template is None:
        raise ValidationError({"template": _("请选择可用的提醒模板。")})
    channels = check_channels(channels)
    day = reminder_day(now)
    with transaction.atomic():
        run = _create_run(kind=ReminderRun.Kind.MANUAL, region=region, actor=actor, template=template,
                          criteria=criteria, channels=channels, day=day, ip=ip, now=now)
    dispatch(run)
    run.refresh_from_db()
    return run


def dispatch(run):
    """Send a small run at once (the page then shows who was reached), a large one through the task worker."""
    if run.total - run.processed <= INLINE_LIMIT:
        try:
            send_run(run.pk)
        except Exception:  # recorded on the run (failed, with the error): its page offers 继续发送
            log.exception("reminder run %s failed", run.pk)
        return
    from .tasks import send_reminders

    try:
        send_reminders.enqueue(run.pk)
    except Exception:  # the run stays queued; once stale its page offers 继续发送
        log.exception("reminder run %s: could not hand it to the worker", run.pk)


def is_stale(run):
    return STALENESS.of(run)


def _move_run(run_id, action, *, when=None, **fields):
    return RUN.try_move(ReminderRun.objects.all(), run_id, action, when=when, **fields)


def begin_run(run_id, *, remaining):
    now = timezone.now()
    return _move_run(run_id, "begin", started_at=Coalesce(F("started_at"), now), heartbeat=now,
                     total=F("processed") + remaining)


def finish_run(run_id):
    now = timezone.now()
    return _move_run(run_id, "finish", finished_at=now, heartbeat=now)


def fail_run(run_id, error):
    return _move_run(run_id, "fail", error=str(error)[:1000], finished_at=timezone.now())


def resume(actor, run_id, *, ip=None):
    """继续发送 a failed run, or one whose worker went silent: it goes on after the last policy it finished."""
    bureau_region(actor)
    run = ReminderRun.objects.visible_to(actor).filter(pk=run_id).first()
    if run is None:
        raise ReminderRun.DoesNotExist
    with transaction.atomic():
        if not _move_run(run.pk, "resume", when=Q(status=ReminderRun.Status.FAILED) | STALENESS.condition(),
                         error="", finished_at=None, heartbeat=timezone.now()):
            current = ReminderRun.objects.filter(pk=run.pk).values_list("status", flat=True).first()
            raise RUN.refusal("resume", current, _("提醒批次 #%(n)s") % {"n": run.pk})
        record(actor=actor, action="reminder.resume", obj=run, from_status=run.status,
               to_status=ReminderRun.Status.QUEUED, ip=ip)
    run.refresh_from_db()
    dispatch(run)
    run.refresh_from_db()
    return run


def send_run(run_id, *, chunk=None):
    """The worker's part: send the run to every recipient still to do, chunk by chunk. Returns how many policies
    this call handled. A failure leaves the run failed, resumable from the last chunk kept."""
    run = ReminderRun.objects.select_related("template", "scheme", "region", "county").get(pk=run_id)
    if run.status == ReminderRun.Status.DONE:
        return 0
    try:
        return _send_all(run, chunk or CHUNK)
    except Exception as error:
        fail_run(run_id, f"{type(error).__name__}: {error}")
        raise


def _criteria_of(run):
    return Criteria(run.scheme, run.county, tuple(run.statuses), run.within_days)


def _send_all(run, chunk):
    todo = targets(run.region, _criteria_of(run), run.day).order_by("pk")
    if not begin_run(run.pk, remaining=todo.filter(pk__gt=run.last_policy_id).count()):
        log.info("reminder run %s: not queued any more, another worker has it", run.pk)
        return 0
    handled = 0
    while True:
        with transaction.atomic():
            # Locked for the chunk: two workers of one run (a resume while the first still ran) never overlap.
            state = (ReminderRun.objects.select_for_update().filter(pk=run.pk)
                     .values("status", "last_policy_id").first())
            if state["status"] != ReminderRun.Status.RUNNING:
                log.warning("reminder run %s: no longer held by this worker", run.pk)
                return handled
            rows = list(todo.filter(pk__gt=state["last_policy_id"]).values(
                "pk", "number", "enterprise_id", "enterprise__name", "contact_phone", "contact_email",
                "scheme__confirm_deadline")[:chunk])
            if not rows:
                break
            reached, skipped = _send_chunk(run, rows)
            ReminderRun.objects.filter(pk=run.pk).update(
                processed=F("processed") + len(rows), reached=F("reached") + reached,
                skipped=F("skipped") + skipped, last_policy_id=rows[-1]["pk"], heartbeat=timezone.now())
        handled += len(rows)
    if finish_run(run.pk):
        with transaction.atomic():
            done = ReminderRun.objects.get(pk=run.pk)
            record(actor=run.started_by, action="reminder.finish", obj=done, from_status=ReminderRun.Status.RUNNING,
                   to_status=done.status, actor_label=None if run.started_by_id else "schedule",
                   data={"reached": done.reached, "skipped": done.skipped})
    log.info("reminder run %s: %s policies handled", run.pk, handled)
    return handled


def _send_chunk(run, rows):
    """One chunk in the caller's transaction: claim each enterprise for the day (the constraint decides), record
    the others as skipped, then the in-app notice and the outbox messages of those reached."""
    now = timezone.now()
    first = {}
    for row in rows:
        first.setdefault(row["enterprise_id"], row)
    common = {"run": run, "template_id": run.template_id, "day": run.day, "created_at": now}
    ReminderRecipient.objects.bulk_create(
        [ReminderRecipient(enterprise_id=e, policy_id=row["pk"], outcome=R.REACHED, **common)
         for e, row in first.items()], ignore_conflicts=True)
    ours = dict(ReminderRecipient.objects.filter(run=run, outcome=R.REACHED, policy_id__in=[r["pk"] for r in rows])
                .values_list("policy_id", "pk"))
    ReminderRecipient.objects.bulk_create(
        [ReminderRecipient(enterprise_id=row["enterprise_id"], policy_id=row["pk"], outcome=R.SKIPPED,
                           reason=SkipReason.ALREADY_TODAY, **common) for row in rows if row["pk"] not in ours],
        ignore_conflicts=True)
    reached = [row for row in rows if row["pk"] in ours]
    phones, emails = _account_contacts({row["enterprise_id"] for row in reached})
    deliveries, messages = [], []
    with translation.override(settings.LANGUAGE_CODE):  # the enterprise reads Chinese, whoever sent it
        for row in reached:
            values = rendering.values_for(enterprise_name=row["enterprise__name"], number=row["number"],
                                          deadline=row["scheme__confirm_deadline"],
                                          days_left=(row["scheme__confirm_deadline"] - run.day).days)
            subject, body = rendering.render(run.subject, values), rendering.render(run.body, values)
            base = {"run": run, "recipient_id": ours[row["pk"]], "enterprise_id": row["enterprise_id"],
                    "policy_id": row["pk"], "created_at": now}
            if Channel.IN_APP in run.channels:
                notice = notifications.tell(row["enterprise_id"], Notice.Kind.REMINDED, title=subject,
                                            link=reverse("policies:detail", args=[row["pk"]]), at=now)
                deliveries.append(ReminderDelivery(channel=Channel.IN_APP, status=D.SENT, notice=notice, **base))
            if Channel.SMS in run.channels:
                phone = row["contact_phone"] if MOBILE.fullmatch(row["contact_phone"] or "") else \
                    phones.get(row["enterprise_id"])
                if phone:
                    messages.append((base, Channel.SMS, OutboundMessage(
                        channel=OutboundMessage.Channel.SMS, recipient=phone, body=body, purpose=PURPOSE)))
                else:
                    deliveries.append(ReminderDelivery(channel=Channel.SMS, status=D.SKIPPED,
                                                       reason=SkipReason.NO_PHONE, **base))
            if Channel.EMAIL in run.channels:
                email = row["contact_email"] or emails.get(row["enterprise_id"])
                if email:
                    messages.append((base, Channel.EMAIL, OutboundMessage(
                        channel=OutboundMessage.Channel.EMAIL, recipient=email, subject=subject[:200], body=body,
                        purpose=PURPOSE)))
                else:
                    deliveries.append(ReminderDelivery(channel=Channel.EMAIL, status=D.SKIPPED,
                                                       reason=SkipReason.NO_EMAIL, **base))
    # Written in this transaction; the outbox's drain (send_outbox --loop) sends them, with its retries.
    OutboundMessage.objects.bulk_create([message for _base, _channel, message in messages])
    deliveries += [ReminderDelivery(channel=channel, status=D.QUEUED, outbound=message,
                                    address=mask_recipient(message.recipient), **base)
                   for base, channel, message in messages]
    ReminderDelivery.objects.bulk_create(deliveries)
    return len(reached), len(rows) - len(reached)


def _account_contacts(enterprise_ids):
    """Each enterprise's account mobile and e-mail (its legal person's account first), for those whose policy gives
    none: ({enterprise_id: mobile}, {enterprise_id: email})."""
    phones, emails = {}, {}
    users = (User.objects.filter(enterprise_id__in=enterprise_ids, role=Role.ENTERPRISE, is_active=True)
             .order_by("-is_enterprise_admin", "id").values_list("enterprise_id", "mobile", "email"))
    for enterprise_id, mobile, email in users:
        if MOBILE.fullmatch(mobile or ""):
            phones.setdefault(enterprise_id, mobile)
        if email:
            emails.setdefault(enterprise_id, email)
    return phones, emails


# --- what the run reached, and who confirmed since ------------------------------------------------

@dataclass
class Report:
    channels: list  # [(channel, {state: n})]
    reached: int
    skipped: int
    confirmed: int


def confirmed_since(run):
    """When the policy was confirmed after the run was made (its first 确认投保 since), or None."""
    return Subquery(Confirmation.objects.filter(policy=OuterRef("policy"), at__gte=run.created_at)
                    .order_by("at").values("at")[:1])


def report(run):
    """Per channel the deliveries by their state now (an SMS or e-mail as its outbox message stands); the
    enterprises reached and skipped; how many of those reached have confirmed since."""
    table = {}
    for channel, state, n in (ReminderDelivery.objects.filter(run=run).with_state()
                              .values_list("channel", "state").annotate(n=Count("id")).order_by()):
        table.setdefault(channel, {})[state] = n
    recipients = ReminderRecipient.objects.filter(run=run)
    reached = recipients.filter(outcome=R.REACHED)
    confirmed = reached.filter(Exists(Confirmation.objects.filter(policy=OuterRef("policy"), at__gte=run.created_at)))
    return Report(channels=[(Channel(c), table.get(c, {})) for c in run.channels],
                  reached=reached.count(), skipped=recipients.filter(outcome=R.SKIPPED).count(),
                  confirmed=confirmed.count())


def recipients_of(run, show="reached"):
    """The run's recipients for its page: reached, confirmed since, or skipped; each with `confirmed_at`."""
    rows = (ReminderRecipient.objects.filter(run=run).select_related("enterprise__region", "policy")
            .annotate(confirmed_at=confirmed_since(run)))
    if show == "skipped":
        return rows.filter(outcome=R.SKIPPED).order_by("enterprise__name", "pk")
    rows = rows.filter(outcome=R.REACHED)
    if show == "confirmed":
        rows = rows.filter(confirmed_at__isnull=False)
    return rows.order_by("enterprise__region", "enterprise__name", "pk")


def deliveries_by_recipient(recipients):
    """{recipient id: {channel: delivery with its `state`}} for a page of recipients."""
    found = {}
    for delivery in ReminderDelivery.objects.filter(recipient__in=[r.pk for r in recipients]).with_state():
        found.setdefault(delivery.recipient_id, {})[delivery.channel] = delivery
    return found


# --- scheduled reminders --------------------------------------------------------------------------

_SPLIT = re.compile(r"[,，、\s]+")
MAX_OFFSETS = 10


def parse_days(text):
    """"14,3" (full-width commas and 、 too) → [14, 3]; ValidationError on the field `days` otherwise."""
    parts = [part for part in _SPLIT.split((text or "").strip()) if part]
    message = _("提前天数请填写 0 至 366 的整数，多个用逗号分隔，如 14,3（最多 %(n)d 个）。") % {"n": MAX_OFFSETS}
    if not parts or len(parts) > MAX_OFFSETS or not all(p.isascii() and p.isdigit() and len(p) <= 3 for p in parts):
        raise ValidationError({"days": message})
    days = sorted({int(p) for p in parts}, reverse=True)
    if days[0] > 366:
        raise ValidationError({"days": message})
    return days


def schedule_scheme(actor, scheme_id, *, editable=False):
    """A scheme the bureau works with (editable: whose region lies in the bureau's), or DoesNotExist (a 404)."""
    region = bureau_region(actor)
    schemes = Scheme.objects.visible_to(actor).select_related("region")
    if editable:
        schemes = schemes.filter(within([region], "region"))
    scheme = schemes.filter(pk=scheme_id).first() if isinstance(scheme_id, int) else None
    if scheme is None:
        raise Scheme.DoesNotExist
    return scheme


def save_schedule(actor, scheme_id, *, days, template_id, channels, enabled, ip=None):
    """定时提醒 of a scheme: on which days before its 确认截止日 every waiting policy is reminded, with what."""
    scheme = schedule_scheme(actor, scheme_id, editable=True)
    errors = {}
    try:
        offsets = parse_days(days)
    except ValidationError as error:
        errors.update(error.message_dict)
    template = ReminderTemplate.objects.visible_to(actor).filter(pk=getattr(template_id, "pk", template_id)).first()
    if template is None:
        errors["template"] = [_("请选择可用的提醒模板。")]
    try:
        channels = check_channels(channels)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        schedule, created = ReminderSchedule.objects.select_for_update().update_or_create(scheme=scheme, defaults={
            "days": ",".join(str(d) for d in offsets), "template": template, "channels": channels,
            "enabled": bool(enabled), "updated_by": actor, "updated_at": timezone.now()})
        record(actor=actor, action="reminder_schedule.create" if created else "reminder_schedule.edit", obj=schedule,
               ip=ip, data={"scheme": scheme.pk, "days": schedule.days, "template": template.pk,
                            "channels": channels, "enabled": schedule.enabled})
    return schedule


def send_scheduled(today=None):
    """`send_scheduled_reminders`: for every enabled schedule whose scheme's 确认截止日 is one of its days away
    today (Asia/Shanghai), one run per county with waiting policies, sent now. Safe to run every hour and from
    two places at once: a schedule sends once a day per county (constraint scheduled_reminder_once_a_day), and
    the once-a-day rule holds against manual runs with the same template. Returns the runs it made."""
    today = today or reminder_day()
    made = []
    schedules = ReminderSchedule.objects.filter(enabled=True).select_related("scheme__region", "template")
    for schedule in schedules.order_by("pk"):
        left = (schedule.scheme.confirm_deadline - today).days
        if left < 0 or left not in schedule.offsets:
            continue
        everywhere = Criteria(schedule.scheme, None, tuple(STATUSES), left)
        codes = sorted(set(targets(schedule.scheme.region, everywhere, today)
                           .values_list("enterprise__region", flat=True).distinct()))
        done = set(ReminderRun.objects.filter(schedule=schedule, day=today).values_list("region", flat=True))
        for county in Region.objects.filter(pk__in=[c for c in codes if c not in done]).order_by("code"):
            criteria = Criteria(schedule.scheme, county, tuple(STATUSES), left)
            try:
                with transaction.atomic():
                    run = _create_run(kind=ReminderRun.Kind.SCHEDULED, region=county, actor=None,
                                      template=schedule.template, criteria=criteria,
                                      channels=schedule.channels or Channel.values, day=today, schedule=schedule)
            except IntegrityError:  # another pass made it a moment ago
                continue
            try:
                send_run(run.pk)
            except Exception:  # recorded on the run; the next county is not held up
                log.exception("scheduled reminder run %s failed", run.pk)
            made.append(run)
    return made
