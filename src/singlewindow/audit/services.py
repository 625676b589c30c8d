"""Writing and checking the audit chain."""
from django.db import transaction
from django.utils import timezone

from .models import GENESIS, AuditEvent, AuditHead


def record(*, actor, action, obj, from_status="", to_status="", reason="", ip=None, data=None, actor_label=None):
    """Append one event. Must run inside the caller's transaction so it commits with the change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the business transaction")
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    event = AuditEvent(
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label or (actor.get_username() if getattr(actor, "pk", None) else "system"),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        from_status=from_status or "",
        to_status=to_status or "",
        reason=reason or "",
        ip=ip,
        data=data or {},
        prev_hash=head.last_hash,
    )
    event.hash = event.compute_hash()
    event.save()
    AuditHead.objects.filter(pk=1).update(last_hash=event.hash)
    return event


def first_broken_link():
    """Walk the chain in order; return (event id, why) for the first bad link, or None when intact."""
    previous = GENESIS
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != previous:
            return event.id, "prev_hash does not match the event before it (an event was removed or reordered)"
        if event.compute_hash() != event.hash:
            return event.id, "hash does not match its content (the event was edited)"
        previous = event.hash
    head = AuditHead.objects.filter(pk=1).first()
    if head and head.last_hash != previous:
        return "tail", "the newest events were removed"
    return None
