"""Many clicks at the same instant: exactly one transition, one audit event, one record. Real threads, real commits."""
import threading
from collections import Counter

import pytest
from django.db import connections

from singlewindow.audit.models import AuditEvent
from singlewindow.audit.services import first_broken_link
from singlewindow.notifications.models import Notice
from singlewindow.policies import services
from singlewindow.policies.models import Confirmation, Policy, PolicyStatus

THREADS = 8
# Real commits, so each thread sees what the others committed.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(live_world):
    """The demo world built for transactional tests (it reloads the regions an earlier flush emptied)."""
    return live_world


def together(count, work):
    """Run work(i) in `count` threads released at once by a barrier; return each result or exception."""
    barrier, outcomes = threading.Barrier(count), [None] * count

    def run(index):
        try:
            barrier.wait()
            outcomes[index] = work(index)
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def kinds(outcomes):
    return Counter(type(outcome).__name__ for outcome in outcomes)


def events(policy, action):
    return AuditEvent.objects.filter(object_type="policies.policy", object_id=str(policy.pk), action=action)


def confirm(world, policy_id):
    return services.confirm(world.demo, policy_id, contact_name="李锐", contact_phone="13729230657",
                            agreement_sha256=world.scheme.agreement.sha256, ip="203.0.113.7")


def test_parallel_confirms_make_exactly_one_transition(world):
    outcomes = together(THREADS, lambda i: confirm(world, world.pending.pk))
    assert kinds(outcomes) == {"Policy": 1, "Refused": THREADS - 1}, outcomes
    assert all("无需重复操作" in str(o) for o in outcomes if not isinstance(o, Policy))
    world.pending.refresh_from_db()
    assert world.pending.status == PolicyStatus.CONFIRMED
    assert events(world.pending, "policy.confirm").count() == 1
    assert Confirmation.objects.filter(policy=world.pending).count() == 1
    assert first_broken_link() is None


def test_parallel_approvals_make_exactly_one_transition(world):
    confirm(world, world.pending.pk)
    outcomes = together(THREADS, lambda i: services.approve(world.insurer, world.pending.pk))
    assert kinds(outcomes) == {"Policy": 1, "Refused": THREADS - 1}, outcomes
    world.pending.refresh_from_db()
    assert world.pending.status == PolicyStatus.EFFECTIVE
    assert events(world.pending, "policy.approve").count() == 1
    assert Notice.objects.filter(policy=world.pending, kind=Notice.Kind.APPROVED).count() == 1
    assert first_broken_link() is None


def test_parallel_batch_approvals_of_overlapping_lists_approve_each_policy_once(world):
    confirm(world, world.pending.pk)
    ids = list(Policy.objects.filter(scheme=world.scheme, status=PolicyStatus.CONFIRMED).values_list("pk", flat=True))
    assert len(ids) >= 3
    # Each insurer tab holds the same selection in a different order, starting at a different policy.
    rotations = [ids[i % len(ids):] + ids[:i % len(ids)] for i in range(THREADS)]
    outcomes = together(THREADS, lambda i: services.approve_many(world.insurer, rotations[i]))
    assert kinds(outcomes) == {"tuple": THREADS}, outcomes
    done = Counter(policy.pk for approved, _refused in outcomes for policy in approved)
    assert done == Counter(ids)
    refusals = [why for _approved, refused in outcomes for _pk, why in refused]
    assert len(refusals) == len(ids) * (THREADS - 1)
    assert all("无需重复操作" in why for why in refusals)
    for policy in Policy.objects.filter(pk__in=ids):
        assert policy.status == PolicyStatus.EFFECTIVE
        assert events(policy, "policy.approve").count() == 1
    assert first_broken_link() is None
