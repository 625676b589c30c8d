"""In-app notices and the messages that go with them. Written by the business services inside their
transaction, never by views."""
import datetime

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from singlewindow.validators import MOBILE

from . import outbox
from .models import Notice, NoticeCursor, NoticeRead, OutboundMessage

_NOTIFIED = {kind.value for kind in Notice.Kind}
RECENT = datetime.timedelta(days=30)
POPUP_LINES = 5


def policy_changed(policy, action):
    if action not in _NOTIFIED:
        return
    Notice.objects.create(
        enterprise_id=policy.enterprise_id, policy=policy, kind=action, created_at=policy.status_changed_at
    )
    if action in _MESSAGES:
        _tell_contacts(policy, action)


# What the enterprise is told by SMS/e-mail, beside the in-app notice: the decisions it must act on or may
# rely on. The contact is the one given at 确认投保, so only confirmed policies have one.
_MESSAGES = {
    "approve": lambda p: _("【单一窗口】贵企业的出口信用保险保单 %(number)s 已审批通过并生效，保险责任期间 "
                           "%(start)s 至 %(end)s。") % {"number": p.number, "start": p.cover_start, "end": p.cover_end},
    "return": lambda p: _("【单一窗口】贵企业的出口信用保险保单 %(number)s 被保险公司退回，原因：%(reason)s。请在 "
                          "%(deadline)s 前登录单一窗口修改后重新确认投保。") % {
        "number": p.number, "reason": p.last_reason, "deadline": p.scheme.confirm_deadline},
    "cancel": lambda p: _("【单一窗口】贵企业的出口信用保险保单 %(number)s 已被保险公司撤销，原因：%(reason)s。") % {
        "number": p.number, "reason": p.last_reason},
}


def tell(enterprise_id, kind, *, title, link, at=None, policy=None):
    """An in-app notice that is not a policy's own move: an alert delivered, a step of a notice or claim.
    `title` is what the popup and the 消息中心 show, `link` the page it opens. Inside the caller's transaction."""
    return Notice.objects.create(enterprise_id=enterprise_id, kind=kind, title=str(title)[:200], link=link,
                                 policy=policy, created_at=at or timezone.now())


def message(*, phone="", email="", body, subject, purpose):
    """An SMS to `phone` (when it is a mobile number) and an e-mail to `email` (when given), through the outbox."""
    if MOBILE.fullmatch(phone or ""):
        outbox.queue(channel=OutboundMessage.Channel.SMS, recipient=phone, body=body, purpose=purpose)
    if email:
        outbox.queue(channel=OutboundMessage.Channel.EMAIL, recipient=email, body=body, subject=subject,
                     purpose=purpose)


def _tell_contacts(policy, action):
    with translation.override(settings.LANGUAGE_CODE):  # the enterprise reads Chinese, whoever acted
        body = _MESSAGES[action](policy)
    message(phone=policy.contact_phone, email=policy.contact_email, body=body, purpose=f"policy.{action}",
            subject=_("出口信用保险保单 %(number)s") % {"number": policy.number})


def remind_deadlines(today, days=None):
    """Tell every enterprise whose policy still waits for 确认投保 that its deadline is `days` or fewer days
    away: a 确认截止日临近 notice and an SMS to each of its users' mobiles. Once per policy; a second run
    the same day (or the next) finds nothing to do. Returns how many policies were reminded."""
    from singlewindow.accounts.models import User
    from singlewindow.policies.models import Policy
    from singlewindow.policies.transitions import WAITING

    days = settings.SW_DEADLINE_REMINDER_DAYS if days is None else days
    due = (Policy.objects.filter(status__in=WAITING, scheme__confirm_deadline__gte=today,
                                 scheme__confirm_deadline__lte=today + datetime.timedelta(days=days))
           .exclude(notices__kind=Notice.Kind.REMINDED).select_related("scheme"))
    reminded = 0
    for policy in due.iterator(chunk_size=1000):
        Notice.objects.create(enterprise_id=policy.enterprise_id, policy=policy, kind=Notice.Kind.REMINDED)
        left = (policy.scheme.confirm_deadline - today).days
        with translation.override(settings.LANGUAGE_CODE):
            body = _("【单一窗口】贵企业的出口信用保险保单 %(number)s 待确认投保，确认截止日 %(deadline)s（还有 "
                     "%(days)s 天），逾期将不再承保。请登录单一窗口在线确认。") % {
                "number": policy.number, "deadline": policy.scheme.confirm_deadline, "days": left}
        mobiles = set(User.objects.filter(enterprise_id=policy.enterprise_id, is_active=True)
                      .exclude(mobile="").values_list("mobile", flat=True))
        for mobile in sorted(m for m in mobiles if MOBILE.fullmatch(m)):
            outbox.queue(channel=OutboundMessage.Channel.SMS, recipient=mobile, body=body, purpose="policy.remind")
        reminded += 1
    return reminded


# --- what an enterprise user sees ------------------------------------------------------

def notices_for(user):
    """Every notice of the user's enterprise, newest first (the 消息中心)."""
    return Notice.objects.visible_to(user).select_related("policy")


def _figures(user):
    """How many of the user's notices are unread, and the newest notice's id (0: none), in one query."""
    unread = ~Exists(NoticeRead.objects.filter(user=user, notice=OuterRef("pk")))
    found = Notice.objects.visible_to(user).aggregate(unread=Count("id", filter=unread), latest=Max("id"))
    return found["unread"], found["latest"] or 0


def unread_count(user):
    return _figures(user)[0]


def latest_notice_id(user):
    return _figures(user)[1]


def popup_for(user):
    """What the 通知 popup shows: waiting policies per tab, and each policy that changed since the last
    dismissal once, as it stands now (an approval after a return is one line: 已生效)."""
    from singlewindow.policies.models import Policy, PolicyStatus
    from singlewindow.policies.transitions import WAITING

    counts = dict(
        Policy.objects.visible_to(user).filter(status__in=WAITING)
        .values_list("status").annotate(n=Count("id")).order_by()
    )
    cursor = NoticeCursor.objects.filter(user=user).first()
    # New policies show up in the tab counts; the changed list is for what moved since the last look.
    since = cursor.dismissed_at if cursor else timezone.now() - RECENT
    changed, others = {}, []
    recent = notices_for(user).filter(created_at__gt=since).exclude(kind=Notice.Kind.ISSUED)
    for notice in recent[:50]:
        if notice.link:  # an alert, a step of a claim: each is its own line
            others.append(notice)
        else:
            changed.setdefault(notice.policy_id, notice.policy)
    tabs = [(PolicyStatus(s), counts[s]) for s in PolicyStatus.values if s in counts]
    fresh_session = cursor is None or (user.last_login and cursor.dismissed_at < user.last_login)
    policies = list(changed.values())[:POPUP_LINES]
    others = others[:POPUP_LINES]
    unread, latest = _figures(user)
    return {"tabs": tabs, "policies": policies, "others": others, "unread": unread, "latest": latest,
            "show": bool(policies) or bool(others) or (bool(tabs) and bool(fresh_session))}


def dismiss(user):
    NoticeCursor.objects.update_or_create(user=user, defaults={"dismissed_at": timezone.now()})


def mark_read(user, notices):
    """Record that `user` has read `notices` (a queryset already scoped to them)."""
    now = timezone.now()
    NoticeRead.objects.bulk_create(
        [NoticeRead(notice_id=pk, user=user, read_at=now) for pk in notices.exclude(reads__user=user)
         .values_list("pk", flat=True)],
        ignore_conflicts=True,
    )
