"""风险预警's business rules: whom an alert reaches, its draft's rules, publish, withdraw, read receipts.

Each action is one transaction: lock, re-check, change, audit event, notices. Views only call these.
"""
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from singlewindow.accounts.models import Role, User
from singlewindow.audit.services import record
from singlewindow.claims.models import Buyer
from singlewindow.enterprises.models import Enterprise
from singlewindow.machines import Refused
from singlewindow.notifications import services as notifications
from singlewindow.notifications.models import Notice
from singlewindow.policies.models import Policy, PolicyStatus
from singlewindow.policies.services import check_reason
from singlewindow.regions.models import Region, within

from .models import Alert, AlertDelivery, AlertRead
from .transitions import ALERT

A = Alert.Audience
EDITABLE = frozenset({Alert.Status.DRAFT})  # a published alert was sent as it reads: it is withdrawn, not edited


def _branch_of(actor):
    if getattr(actor, "role", None) != Role.INSURER or not actor.insurer_branch_id:
        raise PermissionDenied
    return actor.insurer_branch


def subject(alert):
    return _("预警“%(title)s”") % {"title": alert.title}


def detail_path(alert):
    """The enterprise's page of the alert: the link of its notices, and how they are found again to mark read."""
    return reverse("alerts:detail", args=[alert.pk])


# --- whom an alert can name and reach ------------------------------------------------------------

def branch_counties(branch):
    """The counties of the branch's regions (a region may be a prefecture, or a county itself)."""
    regions = list(branch.regions.all())
    return Region.objects.filter(within(regions, "parent") | Q(pk__in=[r.pk for r in regions]),
                                 level=Region.Level.COUNTY)


def selectable_buyers(actor):
    """The buyers an insurer may name: those of the enterprises it sees, kept rows only (a merged duplicate
    is its kept row, which the targeting follows back to every duplicate)."""
    return Buyer.objects.visible_to(actor).filter(merged_into__isnull=True)


def insured(branch_id):
    """The branch's insureds: enterprises with an effective policy of one of its schemes."""
    policies = Policy.objects.filter(status=PolicyStatus.EFFECTIVE, scheme__insurer_branch_id=branch_id)
    return Enterprise.objects.filter(pk__in=policies.values("enterprise"))


def targets(alert):
    """The enterprises `alert` reaches by its audience, now (publish fixes them as AlertDelivery rows)."""
    enterprises = insured(alert.branch_id)
    if alert.audience == A.COUNTIES:
        return enterprises.filter(region__in=alert.counties.all())
    if alert.audience == A.BUYER_COUNTRY:
        # a merged buyer row is the kept buyer, in the kept buyer's country
        codes = list(alert.countries.values_list("pk", flat=True))
        buyers = Buyer.objects.annotate(country_of=Coalesce("merged_into__country", "country")).filter(
            country_of__in=codes)
        return enterprises.filter(pk__in=buyers.values("enterprise"))
    if alert.audience == A.BUYER:
        named = {b.canonical_id for b in alert.buyers.all()}
        buyers = Buyer.objects.filter(Q(pk__in=named) | Q(merged_into__in=named))
        return enterprises.filter(pk__in=buyers.values("enterprise"))
    return enterprises


# --- drafts -----------------------------------------------------------------------------------

# What each kind of alert and each audience must name, and how it is asked for.
_KIND_NEEDS = {
    Alert.Kind.COUNTRY: ("countries", lambda: _("国别风险预警请选择涉及国家（地区）。")),
    Alert.Kind.BUYER: ("buyers", lambda: _("买方风险预警请选择涉及买方。")),
    Alert.Kind.INDUSTRY: ("industries", lambda: _("行业风险预警请填写涉及行业。")),
}
_AUDIENCE_NEEDS = {
    A.COUNTIES: ("counties", lambda: _("发送范围为指定区县时，请选择指定区县。")),
    A.BUYER_COUNTRY: ("countries", lambda: _("发送范围为指定国家（地区）买方时，请选择涉及国家（地区）。")),
    A.BUYER: ("buyers", lambda: _("发送范围为指定买方时，请选择涉及买方。")),
}


def check_draft(actor, data):
    """The rules of an alert as written (data: the form's cleaned values); ValidationError naming the fields."""
    branch = _branch_of(actor)
    errors = {}
    start, end = data.get("valid_from"), data.get("valid_until")
    if start and end and end < start:
        errors["valid_until"] = _("有效期止不能早于有效期起。")
    for needs in (_KIND_NEEDS.get(data.get("kind")), _AUDIENCE_NEEDS.get(data.get("audience"))):
        name, message = needs or (None, None)
        if name and not data.get(name) and name not in errors:
            errors[name] = message()
    if data.get("audience") == A.COUNTIES:
        allowed = set(branch_counties(branch).values_list("pk", flat=True))
        foreign = [str(county) for county in data.get("counties") or () if county.pk not in allowed]
        if foreign:
            errors["counties"] = _("指定区县须在本机构的服务区域内：%(names)s 不在。") % {"names": "、".join(foreign)}
    allowed = set(selectable_buyers(actor).values_list("pk", flat=True))
    if any(buyer.pk not in allowed for buyer in data.get("buyers") or ()):
        errors["buyers"] = _("请选择本机构服务区域内企业的买方。")
    if errors:
        raise ValidationError(errors)


FIELDS = ("title", "body", "level", "kind", "industries", "audience", "valid_from", "valid_until")


def save_draft(actor, data, *, alert_id=None, ip=None):
    """Create a draft (alert_id None) or change one of the branch's drafts. Returns the alert."""
    check_draft(actor, data)
    with transaction.atomic():
        if alert_id is None:
            alert = Alert(branch_id=actor.insurer_branch_id, created_by=actor)
        else:
            alert = _locked(actor, alert_id)
            if alert.status not in EDITABLE:
                raise Refused("state", _("%(subject)s当前状态为“%(status)s”，不能再修改。") % {
                    "subject": subject(alert), "status": alert.get_status_display()})
        for name in FIELDS:
            setattr(alert, name, data.get(name))
        alert.industries = alert.industries or ""
        alert.save()
        alert.countries.set(data.get("countries") or ())
        alert.buyers.set(data.get("buyers") or ())
        # the counties are the audience's, kept only while the audience is by county
        alert.counties.set((data.get("counties") or ()) if alert.audience == A.COUNTIES else ())
        record(actor=actor, action="alert.edit" if alert_id else "alert.create", obj=alert,
               to_status=alert.status, ip=ip)
    return alert


def _locked(actor, alert_id):
    alert = Alert.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=alert_id).first()
    if alert is None:
        raise Alert.DoesNotExist
    return alert


# --- publish and withdraw ---------------------------------------------------------------------

def publish(actor, alert_id, *, ip=None, now=None):
    """发布: fix whom it reaches (AlertDelivery), tell each enterprise in-app, and for 高 by SMS and e-mail to
    its users. A draft past its last day, or one that reaches nobody, is not published."""
    _branch_of(actor)
    now = now or timezone.now()
    with transaction.atomic():
        alert = _locked(actor, alert_id)
        ALERT.check("publish", alert.status, subject(alert))
        if alert.expired(timezone.localdate(now)):
            raise ValidationError(_("该预警的有效期已于 %(date)s 结束，请修改有效期后再发布。") % {
                "date": alert.valid_until.isoformat()})
        enterprise_ids = list(targets(alert).order_by("pk").values_list("pk", flat=True))
        if not enterprise_ids:
            raise ValidationError(_("发送范围内没有参保企业，预警未发布。请修改发送范围。"))
        transition = ALERT.move(Alert.objects.all(), alert.pk, "publish", subject(alert), published_at=now)
        AlertDelivery.objects.bulk_create(
            [AlertDelivery(alert=alert, enterprise_id=pk, delivered_at=now) for pk in enterprise_ids])
        link = detail_path(alert)
        for pk in enterprise_ids:
            notifications.tell(pk, Notice.Kind.ALERT, title=alert.title, link=link, at=now)
        if alert.level == Alert.Level.HIGH:
            _message_users(alert, enterprise_ids)
        record(actor=actor, action="alert.publish", obj=alert, from_status=alert.status, to_status=transition.target,
               ip=ip, data={"enterprises": len(enterprise_ids)}, at=now)
        alert.status, alert.published_at = transition.target, now
    return alert


# One SMS of Chinese text (UCS-2) holds 70 characters; a longer one is split, billed per part and may arrive in
# pieces. The 高 alert's SMS is a summary that fits one: the title is shortened (…) when it must be.
SMS_LENGTH = 70


def sms_summary(alert):
    """The 高 alert's SMS: who warns, the title (shortened to fit SMS_LENGTH), its last day, and where to read it."""
    def text(title):
        return _("【单一窗口】%(branch)s高风险预警：%(title)s（有效期至%(until)s）。请登录单一窗口查看。") % {
            "branch": alert.branch.name, "title": title, "until": alert.valid_until.isoformat()}

    room = max(SMS_LENGTH - len(text("")), 8)  # a very long branch name: still a readable start of the title
    title = alert.title if len(alert.title) <= room else alert.title[:room - 1] + "…"
    return text(title)


def _message_users(alert, enterprise_ids):
    """A 高 alert's summary to every active user of the enterprises reached, each mobile and address once: one SMS
    (sms_summary), and an e-mail with the whole title."""
    users = User.objects.filter(enterprise_id__in=enterprise_ids, role=Role.ENTERPRISE, is_active=True)
    pairs = list(users.values_list("mobile", "email"))
    phones = {mobile for mobile, _email in pairs if mobile}
    emails = {email.lower() for _mobile, email in pairs if email}
    with translation.override(settings.LANGUAGE_CODE):  # the enterprise reads Chinese, whoever published
        sms = sms_summary(alert)
        body = _("【单一窗口】%(branch)s发布高风险预警：%(title)s（有效期至 %(until)s）。请登录单一窗口查看风险预警详情。") % {
            "branch": alert.branch.name, "title": alert.title, "until": alert.valid_until.isoformat()}
        subject_line = _("风险预警：%(title)s") % {"title": alert.title}
    for phone in sorted(phones):
        notifications.message(phone=phone, body=sms, subject=subject_line, purpose="alert.publish")
    for email in sorted(emails):
        notifications.message(email=email, body=body, subject=subject_line, purpose="alert.publish")


def withdraw(actor, alert_id, *, reason, ip=None, now=None):
    """撤回 a published alert with a reason: it leaves the enterprises' lists and its text is no longer shown; its
    notices keep their link, which now opens a page saying when it was withdrawn and why, and their title says
    撤回 (as a policy's notice shows where the policy stands now). Its deliveries and receipts stay."""
    _branch_of(actor)
    reason = check_reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        alert = _locked(actor, alert_id)
        transition = ALERT.move(Alert.objects.all(), alert.pk, "withdraw", subject(alert),
                                withdrawn_at=now, withdraw_reason=reason)
        with translation.override(settings.LANGUAGE_CODE):  # stored, as the notice's title was
            title = _("%(title)s（已撤回）") % {"title": alert.title}
        Notice.objects.filter(kind=Notice.Kind.ALERT, link=detail_path(alert)).update(title=title[:200])
        record(actor=actor, action="alert.withdraw", obj=alert, from_status=alert.status,
               to_status=transition.target, reason=reason, ip=ip, at=now)
        alert.status, alert.withdrawn_at, alert.withdraw_reason = transition.target, now, reason
    return alert


# --- what the enterprise sees, and its read receipts --------------------------------------------

def for_enterprise(user, *, archived=False, today=None):
    """The published alerts delivered to the user's enterprise, current (or past their last day), newest first,
    each with `unread` for this user."""
    alerts = Alert.objects.visible_to(user)
    alerts = alerts.archived(today) if archived else alerts.current(today)
    return alerts.annotate(unread=~Exists(AlertRead.objects.filter(alert=OuterRef("pk"), user=user))).order_by(
        "-published_at", "-id")


def concerning(user, country, today=None):
    """The published alerts about `country` the user may see: (current, past)."""
    alerts = (Alert.objects.visible_to(user).filter(status=Alert.Status.PUBLISHED, countries=country)
              .select_related("branch").order_by("-published_at", "-id"))
    return list(alerts.current(today)), list(alerts.archived(today))


def record_read(user, alert, now=None):
    """The user opened `alert` (already fetched through delivered_to): its read receipt, the first time only, and
    the alert's notice marked read in the 消息中心. A withdrawn alert's page does not show its text: no receipt,
    only the notice read."""
    if getattr(user, "role", None) != Role.ENTERPRISE:
        return
    with transaction.atomic():
        if alert.status == Alert.Status.PUBLISHED:
            AlertRead.objects.bulk_create([AlertRead(alert=alert, enterprise_id=user.enterprise_id, user=user,
                                                     read_at=now or timezone.now())], ignore_conflicts=True)
        notifications.mark_read(user, Notice.objects.visible_to(user).filter(kind=Notice.Kind.ALERT,
                                                                          link=detail_path(alert)))


@dataclass
class Receipt:
    enterprise: Enterprise
    delivered_at: object
    reads: list = field(default_factory=list)  # AlertRead rows, first reader first


@dataclass
class Receipts:
    rows: list
    read: list
    unread: list


def receipts(alert):
    """Each enterprise the alert reached, which of its users read it and when; and who has not read it."""
    reads = defaultdict(list)
    for read in alert.reads.select_related("user"):
        reads[read.enterprise_id].append(read)
    rows = [Receipt(d.enterprise, d.delivered_at, reads[d.enterprise_id])
            for d in alert.deliveries.select_related("enterprise__region").order_by("enterprise__name", "id")]
    return Receipts(rows, [r for r in rows if r.reads], [r for r in rows if not r.reads])
