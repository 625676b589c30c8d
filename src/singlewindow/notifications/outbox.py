"""Queueing SMS and email: a row in the business transaction, delivery by a task after commit."""
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from singlewindow.accounts.logmask import mask_recipient

from .backends import get_backend
from .models import OutboundMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def queue(*, channel, recipient, body, subject="", purpose=""):
    """Write the message to the outbox; it is handed to the worker once the transaction commits."""
    message = OutboundMessage.objects.create(
        channel=channel, recipient=recipient, subject=subject, body=body, purpose=purpose,
    )
    transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def _enqueue(message_id):
    from .tasks import deliver_message

    try:
        deliver_message.enqueue(message_id)
    except Exception:  # the row stays queued; `manage.py send_outbox` picks it up
        log.exception("outbox: could not enqueue message %s", message_id)


def deliver(message_id):
    """Send one queued message through the configured backend. Returns its new status."""
    claimed = OutboundMessage.objects.filter(pk=message_id, status=OutboundMessage.Status.QUEUED).update(
        status=OutboundMessage.Status.SENDING, attempts=F("attempts") + 1,
    )
    message = OutboundMessage.objects.get(pk=message_id)
    if claimed != 1:
        return message.status  # already sent, or another worker has it
    try:
        get_backend().send(message)
    except Exception as error:
        status = OutboundMessage.Status.FAILED if message.attempts >= MAX_ATTEMPTS else OutboundMessage.Status.QUEUED
        OutboundMessage.objects.filter(pk=message_id).update(status=status, last_error=str(error)[:500])
        log.warning("outbox: %s to %s failed (attempt %d): %s", message.get_channel_display(),
                    mask_recipient(message.recipient), message.attempts, error)
        return status
    OutboundMessage.objects.filter(pk=message_id).update(
        status=OutboundMessage.Status.SENT, sent_at=timezone.now(), last_error="",
    )
    return OutboundMessage.Status.SENT


def drain(limit=500):
    """Deliver every queued message (the fallback when a task was lost); returns how many were sent."""
    ids = list(OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED)
               .order_by("created_at", "id").values_list("pk", flat=True)[:limit])
    return sum(deliver(pk) == OutboundMessage.Status.SENT for pk in ids)
