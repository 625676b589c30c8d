"""Writing and checking the audit chain."""
from django.db import transaction
from django.utils import timezone

from .models import GENESIS, AuditEvent, AuditHead, event_hash


def record(*, actor, action, obj, from_status="", to_status="", reason="", ip=None, data=None, actor_label=None,
           at=None):
    """Append one event, dated `at` (default: now). Must run inside the caller's transaction so it commits with
    the change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the business transaction")
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    event = AuditEvent(
        at=at or timezone.now(),
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


def record_many(*, actor, events, actor_label=None, at=None):
    """Append many events in one go (batch issuance): the chain is computed here, the rows bulk-inserted.

    `events` yields dicts with record()'s keywords, except that instead of `obj` an event may name
    `object_type` (a model label) and `object_id`, so callers need not build 200,000 model instances.
    The head row is locked once for the whole batch and every writer of events holds it, so the ids the
    database hands out in insertion order follow the chain: `verify_audit` walks it exactly as it was
    computed. Every event is dated `at` (default: now). Returns the number of events written.
    """
    from singlewindow import bulk

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record_many must run inside the business transaction")
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    now = at or timezone.now()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    label = actor_label or (actor.get_username() if actor_id else "system")
    previous = head.last_hash
    rows = []
    for item in events:
        obj = item.get("obj")
        object_type = obj._meta.label_lower if obj is not None else item["object_type"]
        object_id = str(obj.pk if obj is not None else item["object_id"])
        from_status, to_status = item.get("from_status") or "", item.get("to_status") or ""
        reason, ip, data = item.get("reason") or "", item.get("ip"), item.get("data") or {}
        digest = event_hash(at=now, actor_id=actor_id, actor_label=label, action=item["action"],
                            object_type=object_type, object_id=object_id, from_status=from_status,
                            to_status=to_status, reason=reason, ip=ip, data=data, prev_hash=previous)
        rows.append([now, actor_id, label, item["action"], object_type, object_id, from_status, to_status, reason,
                     ip, data, previous, digest])
        previous = digest
    if not rows:
        return 0
    bulk.insert(AuditEvent, ["at", "actor", "actor_label", "action", "object_type", "object_id",
                             "from_status", "to_status", "reason", "ip", "data", "prev_hash", "hash"], rows)
    AuditHead.objects.filter(pk=1).update(last_hash=previous)
    return len(rows)


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
