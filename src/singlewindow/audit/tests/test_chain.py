"""The audit chain: written only inside the business transaction, append-only, and any tampering is found."""
import io
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from singlewindow.accounts.models import Role, User
from singlewindow.audit.models import GENESIS, AppendOnlyError, AuditEvent
from singlewindow.audit.services import first_broken_link, record, record_many


def raw(sql, *params):
    """Change the table behind the model's back, as someone with database access could."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=table), params)


def verify():
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


@pytest.fixture
def chain(world):
    """The demo data's events, oldest first; the demo builds a chain long enough to break in the middle."""
    events = list(AuditEvent.objects.order_by("id"))
    assert len(events) > 10
    return events


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("write", [
    lambda user: record(actor=user, action="user.touch", obj=user),
    lambda user: record_many(actor=user, events=[{"action": "user.touch", "obj": user}]),
], ids=["record", "record_many"])
def test_it_refuses_to_write_outside_a_transaction(write):
    user = User.objects.create_user("auditor", role=Role.STAFF)
    with pytest.raises(RuntimeError, match="inside the business transaction"):
        write(user)
    assert not AuditEvent.objects.filter(actor=user).exists()


def test_the_demo_data_leaves_an_intact_chain(chain):
    assert chain[0].prev_hash == GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(chain))
    assert first_broken_link() is None


def test_a_batch_continues_the_chain(world, chain):
    written = record_many(actor=world.insurer, events=[
        {"action": "policy.touch", "object_type": "policies.policy", "object_id": n} for n in range(3)
    ])
    assert written == 3
    assert AuditEvent.objects.order_by("id")[len(chain)].prev_hash == chain[-1].hash
    assert first_broken_link() is None


def test_verify_audit_reports_the_number_of_events(chain):
    assert verify() == f"audit chain intact: {len(chain)} events\n"


def test_it_finds_an_event_whose_reason_was_edited(chain):
    edited = next(event for event in chain[1:-1] if event.action == "policy.return")
    raw("UPDATE {table} SET reason = %s WHERE id = %s", "电话已接通。", edited.id)
    with pytest.raises(CommandError, match=rf"broken at event {edited.id}: hash does not match its content"):
        verify()


def test_it_finds_an_edit_whose_hash_was_recomputed_at_the_next_event(chain):
    edited, following = chain[5], chain[6]
    edited.reason = "改过的原因"
    raw("UPDATE {table} SET reason = %s, hash = %s WHERE id = %s", edited.reason, edited.compute_hash(), edited.id)
    with pytest.raises(CommandError, match=rf"broken at event {following.id}: prev_hash does not match"):
        verify()


def test_it_finds_a_removed_event_at_the_next_one(chain):
    removed, following = chain[len(chain) // 2], chain[len(chain) // 2 + 1]
    raw("DELETE FROM {table} WHERE id = %s", removed.id)
    with pytest.raises(CommandError, match=rf"broken at event {following.id}: .*removed or reordered"):
        verify()


def test_it_finds_that_the_newest_event_was_removed(chain):
    raw("DELETE FROM {table} WHERE id = %s", chain[-1].id)
    with pytest.raises(CommandError, match="broken at event tail: the newest events were removed"):
        verify()


def test_an_event_cannot_be_saved_again_or_deleted(chain):
    event = AuditEvent.objects.get(pk=chain[3].pk)
    event.reason = "改过的原因"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == chain[3].reason
    assert first_broken_link() is None


def test_it_refuses_bulk_update_and_delete_through_the_orm(world):
    count = AuditEvent.objects.count()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk__gt=0).update(reason="edited")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == count
    assert not AuditEvent.objects.filter(reason="edited").exists()
