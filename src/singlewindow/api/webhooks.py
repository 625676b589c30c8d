"""Webhooks: an organisation's system is told of events (WebhookEvent) at its URL, each delivery signed.

Signature (the receiver checks it, examples/api_client.verify_webhook does):
    Sw-Webhook-Id:        the event's id (the same on every try and on a replay: drop repeats)
    Sw-Webhook-Timestamp: seconds since 1970 (UTC) when this try was signed
    Sw-Webhook-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" under the subscription's secret>
A receiver refuses a timestamp more than 5 minutes from its clock (a replayed capture) and compares in
constant time.

Emission: the business actions already write one audit event each in their transaction; a post_save on
AuditEvent (apps.py) maps the actions to events and, after commit, queues one WebhookDelivery per subscription
whose token may see the object (the same visible_to the API answers through). import.finished comes from the
import job's end (enterprises/imports.py calls `announce`). Delivery follows the SMS outbox (notifications/
outbox.py): a task tries at once after commit; `manage.py send_webhooks` drains what is due, with the
outbox's exponential backoff and number of tries; a delivery's status moves only by conditional updates.
"""
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from singlewindow.audit.services import record
from singlewindow.machines import Machine, Refused, Transition
from singlewindow.notifications.outbox import backoff

from .models import ApiToken, WebhookDelivery, WebhookEvent, WebhookSubscription

log = logging.getLogger(__name__)

ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "Sw-Webhook-Id", "Sw-Webhook-Timestamp", "Sw-Webhook-Signature"
TOLERANCE = 300  # seconds: what a receiver accepts between the timestamp and its clock
TIMEOUT = 10  # seconds a receiver has to answer; below OUTBOX_STALE
MAX_SUBSCRIPTIONS = 10  # per token

# Audit actions that are events (the action's event is written once, where the action happens).
AUDITED = {"policy.confirm": WebhookEvent.POLICY_CONFIRMED, "policy.approve": WebhookEvent.POLICY_APPROVED,
           "policy.return": WebhookEvent.POLICY_RETURNED, "claim.submit": WebhookEvent.CLAIM_SUBMITTED}

S = WebhookDelivery.Status
DELIVERY = Machine(S, [
    Transition("claim", frozenset({S.QUEUED}), S.SENDING),  # a worker takes a due delivery
    Transition("succeed", frozenset({S.SENDING}), S.DELIVERED),  # the receiver answered 2xx
    Transition("retry", frozenset({S.SENDING}), S.QUEUED),  # it did not; tries are left: back off
    Transition("give_up", frozenset({S.SENDING}), S.FAILED),  # the last try failed
    Transition("recover", frozenset({S.SENDING}), S.QUEUED),  # the worker died mid-try
])


def sign(secret, timestamp, body):
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signed_headers(secret, event_id, body, now=None):
    timestamp = str(int(now if now is not None else time.time()))
    return {ID_HEADER: event_id, TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: f"v1={sign(secret, timestamp, body)}", "Content-Type": "application/json",
            "User-Agent": "singlewindow-webhooks/1"}


# --- subscriptions ------------------------------------------------------------------------------------------

def subscribe(token, *, url, events, ip=None):
    """A subscription of `token` to `events` at `url`; returns it with its secret (shown once)."""
    errors = {}
    url = (url or "").strip()
    try:
        URLValidator(schemes=["https", "http"] if settings.SW_WEBHOOK_ALLOW_PRIVATE else ["https"])(url)
    except ValidationError:
        errors["url"] = _("请填写以 https:// 开头的接收地址。")
    else:
        if problem := destination_problem(url, resolve=False):
            errors["url"] = problem
    unknown = sorted(set(events) - set(WebhookEvent.values))
    if not events or unknown:
        errors["events"] = _("请从以下事件中选择：%(names)s。") % {"names": "、".join(WebhookEvent.values)}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        ApiToken.objects.select_for_update().filter(pk=token.pk).first()
        if WebhookSubscription.objects.filter(token=token, active=True).count() >= MAX_SUBSCRIPTIONS:
            raise Refused("refused", _("每个令牌最多 %(n)d 个事件订阅。") % {"n": MAX_SUBSCRIPTIONS})
        subscription = WebhookSubscription.objects.create(token=token, url=url, events=sorted(set(events)),
                                                          secret="whsec_" + secrets.token_urlsafe(32))
        record(actor=token.actor, action="webhook.subscribe", obj=subscription, ip=ip,
               data={"url": url[:200], "events": subscription.events})
    return subscription


def unsubscribe(token, subscription_id, *, ip=None):
    with transaction.atomic():
        if not WebhookSubscription.objects.filter(pk=subscription_id, token=token, active=True).update(active=False):
            raise WebhookSubscription.DoesNotExist
        subscription = WebhookSubscription.objects.get(pk=subscription_id)
        record(actor=token.actor, action="webhook.unsubscribe", obj=subscription, ip=ip)
    return subscription


def listening(now=None):
    """Subscriptions that still hear: active, of a live token."""
    now = now or timezone.now()
    return WebhookSubscription.objects.filter(active=True, token__revoked_at__isnull=True,
                                              token__expires_at__gt=now)


# --- emission -----------------------------------------------------------------------------------------------

def on_audit_event(sender, instance, created, **kwargs):
    """post_save of AuditEvent: an event's action, announced after its transaction commits."""
    event = AUDITED.get(instance.action) if created else None
    if event is not None:
        announce(event, instance.object_type, instance.object_id)


def announce(event, object_type, object_id):
    """After the caller's transaction commits (at once outside one), queue `event` about the object."""
    transaction.on_commit(lambda: queue(event, object_type, object_id), robust=True)


def _target(object_type, object_id):
    """(model, serializer) for an event's object, from the API's own routes."""
    from singlewindow.claims.models import Claim
    from singlewindow.enterprises.models import ImportJob
    from singlewindow.policies.models import Policy

    from .routes import bureau, cases, policies

    return {
        "policies.policy": (Policy, lambda actor, pk: policies.policy_out(policies._one(actor, pk))),
        "claims.claim": (Claim, lambda actor, pk: cases.claim_out(cases._claims(actor).get(pk=pk))),
        "enterprises.importjob": (ImportJob, lambda actor, pk: bureau.job_out(bureau._jobs(actor).get(pk=pk))),
    }[object_type]


def queue(event, object_type, object_id, now=None):
    """One delivery per listening subscription to `event` whose token may see the object. Returns how many."""
    model, serialize = _target(object_type, object_id)
    now = now or timezone.now()
    event_id = f"evt_{uuid.uuid4().hex}"
    made = []
    with transaction.atomic():
        for subscription in listening(now).select_related("token__user"):
            if event not in subscription.events:  # a short JSON list; SQLite has no JSON containment
                continue
            token = subscription.token
            actor = token.user
            actor.is_active = True  # as the gateway does for a live token
            if not model.objects.visible_to(actor).filter(pk=object_id).exists():
                continue
            body = json.dumps({"id": event_id, "type": event, "created_at": now.isoformat(),
                               "data": serialize(actor, object_id)}, ensure_ascii=False, default=str)
            made.append(WebhookDelivery.objects.create(subscription=subscription, event=event, event_id=event_id,
                                                       body=body, next_attempt_at=now))
    for delivery in made:
        transaction.on_commit(lambda pk=delivery.pk: kick(pk), robust=True)
    return len(made)


def kick(delivery_id):
    try:
        from .tasks import deliver_webhook

        deliver_webhook.enqueue(delivery_id)
    except Exception:
        log.exception("webhooks: could not hand delivery %s to the worker; the drain will send it", delivery_id)


# --- delivery -----------------------------------------------------------------------------------------------

def destination_problem(url, *, resolve=True):
    """Why `url` may not receive deliveries, or None. Outside the demo and the tests (SW_WEBHOOK_ALLOW_PRIVATE)
    only https to public addresses: a subscriber must not make our hosts call into their own network (request
    forgery). Checked at subscription for a literal address and at every delivery after resolving the name."""
    if settings.SW_WEBHOOK_ALLOW_PRIVATE:
        return None
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return _("请填写以 https:// 开头的接收地址。")
    try:
        addresses = [ipaddress.ip_address(parts.hostname)]
    except ValueError:
        if not resolve:
            return None
        try:
            addresses = {ipaddress.ip_address(info[4][0].split("%")[0])
                         for info in socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)}
        except (OSError, ValueError):
            return _("接收地址的主机名无法解析。")
    if any(not address.is_global for address in addresses):
        return _("接收地址必须是公网地址（不能是内网、本机或保留地址）。")
    return None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is the receiver's answer, not a new destination (it could point into our own network)."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def post(url, body, headers):
    """One HTTP POST; the receiver's status (raises on a network failure or a refused destination)."""
    if problem := destination_problem(url):
        raise OSError(str(problem))
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _move(action, pk, *, when=None, **fields):
    return DELIVERY.try_move(WebhookDelivery.objects.all(), pk, action, when=when, **fields)


def deliver(delivery_id, now=None):
    """One try at one delivery, if it is queued and due. Returns its status afterwards."""
    now = now or timezone.now()
    if not _move("claim", delivery_id, when=Q(next_attempt_at__lte=now), attempts=F("attempts") + 1,
                 claimed_at=now):
        return WebhookDelivery.objects.get(pk=delivery_id).status
    return _send(WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id), now)


def _send(delivery, now):
    subscription = delivery.subscription
    body = delivery.body.encode()
    status, error = None, ""
    try:
        status = post(subscription.url, body, signed_headers(subscription.secret, delivery.event_id, body))
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except Exception as failure:  # noqa: BLE001 (any failure to reach the receiver is one failed try)
        error = f"{type(failure).__name__}: {failure}"
    attempt = Q(attempts=delivery.attempts)
    if not error:
        _move("succeed", delivery.pk, when=attempt, delivered_at=timezone.now(), last_status=status, last_error="")
        return S.DELIVERED
    if delivery.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        _move("give_up", delivery.pk, when=attempt, last_status=status, last_error=error[:500])
        log.error("webhooks: delivery %s to %s failed for good: %s", delivery.pk, subscription.url, error)
        return S.FAILED
    _move("retry", delivery.pk, when=attempt, last_status=status, last_error=error[:500],
          next_attempt_at=now + backoff(delivery.attempts))
    log.warning("webhooks: delivery %s failed (try %d), retrying later: %s", delivery.pk, delivery.attempts, error)
    return S.QUEUED


def drain(now=None):
    """One pass: put back stale tries, then deliver everything due. Returns how many were delivered."""
    clock = (lambda: now) if now else timezone.now
    stale = WebhookDelivery.objects.filter(status=S.SENDING, claimed_at__lt=clock() - settings.OUTBOX_STALE)
    for pk, attempts in stale.values_list("pk", "attempts"):
        _move("recover", pk, when=Q(attempts=attempts), next_attempt_at=clock(), last_error="stale")
    delivered = 0
    due = WebhookDelivery.objects.filter(status=S.QUEUED, next_attempt_at__lte=clock()).order_by("next_attempt_at",
                                                                                                "id")
    for pk in list(due.values_list("pk", flat=True)[:1000]):
        delivered += deliver(pk, clock()) == S.DELIVERED
    return delivered


def replay(token, delivery_id, *, ip=None, actor=None):
    """重新投递: the same event (same id and body) sent again as a new delivery, signed anew when it is tried."""
    scope = WebhookDelivery.objects.filter(subscription__in=listening())
    if token is not None:
        scope = scope.filter(subscription__token=token)
    with transaction.atomic():
        original = scope.select_related("subscription").filter(pk=delivery_id).first()
        if original is None:
            raise WebhookDelivery.DoesNotExist
        again = WebhookDelivery.objects.create(subscription=original.subscription, event=original.event,
                                               event_id=original.event_id, body=original.body, replay_of=original)
        record(actor=actor or token.actor, action="webhook.replay", obj=again, ip=ip,
               data={"replay_of": original.pk, "event": original.event})
    transaction.on_commit(lambda: kick(again.pk), robust=True)
    return again
