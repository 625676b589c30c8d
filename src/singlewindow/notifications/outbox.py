"""Queueing and delivering SMS and email.

The row is written in the business transaction, so it commits or rolls back with the change it reports.
After commit a django-tasks job is kicked for a prompt first try; nothing the kick does can reach the
request. The drain (`manage.py send_outbox`, looped by `--loop`) is what guarantees delivery: it
recovers claims whose drain died, and sends every due message, with exponential backoff between tries
and `failed` after settings.OUTBOX_MAX_ATTEMPTS. Status moves only through transitions.py.
"""
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from singlewindow.accounts.logmask import mask_recipient

from . import transitions
from .backends import get_backend
from .models import OutboundMessage

log = logging.getLogger(__name__)
STALE = "claim went stale: its drain stopped before the backend answered"


def queue(*, channel, recipient, body, subject="", purpose=""):
    """Write the message to the outbox in the caller's transaction; a first try is kicked after commit."""
    message = OutboundMessage.objects.create(
        channel=channel, recipient=recipient, subject=subject, body=body, purpose=purpose,
    )
    # robust: whatever fails after the commit (task queue, database, backend) is logged, never raised.
    transaction.on_commit(lambda: kick(message.pk), robust=True)
    return message


def kick(message_id):
    """Ask the task worker for a first try now; the drain sends it anyway if this fails or is lost."""
    try:
        from .tasks import deliver_message

        deliver_message.enqueue(message_id)
    except Exception:
        log.exception("outbox: could not hand message %s to the worker; the drain will send it", message_id)


def backoff(attempts):
    """The wait after the `attempts`-th failed try: OUTBOX_RETRY_BASE doubled each time, at most OUTBOX_RETRY_MAX."""
    return min(settings.OUTBOX_RETRY_BASE * 2 ** (attempts - 1), settings.OUTBOX_RETRY_MAX)


def deliver(message_id, now=None):
    """One try at one message, if it is queued and due. Returns its status afterwards."""
    now = now or timezone.now()
    if not transitions.claim(message_id, now):
        return OutboundMessage.objects.get(pk=message_id).status  # sent, not yet due, or another drain has it
    return _send(OutboundMessage.objects.get(pk=message_id), now)


def _send(message, now):
    """Hand a claimed message to the backend and record the outcome."""
    try:
        get_backend().send(message)
    except Exception as error:  # noqa: BLE001 (any backend failure is one failed try, recorded and retried)
        return _failed(message, f"{type(error).__name__}: {error}", now)
    if not transitions.succeed(message.pk, message.attempts, timezone.now()):
        log.warning("outbox: message %s was sent after its claim went stale", message.pk)
    return OutboundMessage.Status.SENT


def _failed(message, error, now):
    who = (message.get_channel_display(), mask_recipient(message.recipient), message.attempts)
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        transitions.give_up(message.pk, message.attempts, error)
        log.error("outbox: %s to %s failed for good after %d tries: %s", *who, error)
        return OutboundMessage.Status.FAILED
    transitions.retry(message.pk, message.attempts, error, now + backoff(message.attempts))
    log.warning("outbox: %s to %s failed (try %d), retrying later: %s", *who, error)
    return OutboundMessage.Status.QUEUED


def recover_stale(now=None):
    """Put back claims older than OUTBOX_STALE (their drain died mid-send); `failed` when no tries are left."""
    now = now or timezone.now()
    stale = OutboundMessage.objects.filter(
        status=OutboundMessage.Status.SENDING, claimed_at__lt=now - settings.OUTBOX_STALE,
    ).values_list("pk", "attempts")
    recovered = 0
    for pk, attempts in stale:
        if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            transitions.give_up(pk, attempts, STALE)
        else:
            recovered += transitions.recover(pk, attempts, STALE, now)
    if recovered:
        log.warning("outbox: %d stale message(s) put back in the queue", recovered)
    return recovered


def claim_next(now):
    """Claim the oldest due message for this drain; its id, or None when nothing is due."""
    due = (OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED, next_attempt_at__lte=now)
           .order_by("next_attempt_at", "id").values_list("pk", flat=True))
    while True:
        with transaction.atomic():
            # PostgreSQL skips rows another drain is claiming instead of queueing behind them; SQLite has
            # no FOR UPDATE, and there the conditional UPDATE in claim() alone decides who wins.
            pk = due.select_for_update(skip_locked=True).first()
            if pk is None:
                return None
            if transitions.claim(pk, now):
                return pk
        # lost the race for this one: another drain claimed it, look again


def drain(now=None, stop=None):
    """One pass: recover stale claims, then send due messages one by one. Returns how many were sent.

    `now` fixes the clock (tests); otherwise each claim is dated when it is taken, so a long pass cannot
    make its later claims look stale to another drain. A set `stop` event ends the pass between messages.
    """
    clock = (lambda: now) if now else timezone.now
    recover_stale(clock())
    sent = 0
    while not (stop and stop.is_set()) and (pk := claim_next(clock())) is not None:
        sent += _send(OutboundMessage.objects.get(pk=pk), clock()) == OutboundMessage.Status.SENT
    return sent
