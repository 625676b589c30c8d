"""In-app notices. Written by the business services inside their transaction, never by views."""
import datetime

from django.db.models import Count
from django.utils import timezone

from .models import Notice, NoticeCursor

_NOTIFIED = {kind.value for kind in Notice.Kind}
RECENT = datetime.timedelta(days=30)


def policy_changed(policy, action):
    if action in _NOTIFIED:
        Notice.objects.create(
            enterprise_id=policy.enterprise_id, policy=policy, kind=action, created_at=policy.status_changed_at
        )


def popup_for(user):
    """What the 通知 popup shows: waiting policies per tab and events since the last dismissal."""
    from singlewindow.policies.models import Policy, PolicyStatus

    waiting = {PolicyStatus.PENDING, PolicyStatus.RETURNED}
    counts = dict(
        Policy.objects.visible_to(user).filter(status__in=waiting)
        .values_list("status").annotate(n=Count("id")).order_by()
    )
    cursor = NoticeCursor.objects.filter(user=user).first()
    # New policies show up in the tab counts; the event list is for what changed since the last look.
    since = cursor.dismissed_at if cursor else timezone.now() - RECENT
    events = (
        Notice.objects.filter(enterprise_id=user.enterprise_id, created_at__gt=since)
        .exclude(kind=Notice.Kind.ISSUED).select_related("policy")
    )
    events = list(events[:5])
    tabs = [(PolicyStatus(s), counts[s]) for s in PolicyStatus.values if s in counts]
    fresh_session = cursor is None or (user.last_login and cursor.dismissed_at < user.last_login)
    return {"tabs": tabs, "events": events, "show": bool(events) or (bool(tabs) and bool(fresh_session))}


def dismiss(user):
    NoticeCursor.objects.update_or_create(user=user, defaults={"dismissed_at": timezone.now()})
