"""The scheduled calendar job around midnight in Asia/Shanghai: deadlines and cover ends are inclusive."""
import datetime as dt
import io

import pytest
from django.core.management import call_command

from singlewindow.audit.models import AuditEvent
from singlewindow.audit.services import first_broken_link
from singlewindow.policies.management.commands.run_calendar import run_calendar, seconds_until_next_run
from singlewindow.policies.models import CalendarRun, Policy, PolicyStatus, Scheme

from .conftest import at, confirm_as

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
LAST_DAY = dt.date(2026, 6, 30)
BEFORE_MIDNIGHT = dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=SHANGHAI)  # still 30 June, 15:59:59 UTC
AFTER_MIDNIGHT = dt.datetime(2026, 7, 1, 0, 0, 1, tzinfo=SHANGHAI)  # 1 July in Shanghai, still 30 June in UTC


def status_of(policy):
    return Policy.objects.values_list("status", flat=True).get(pk=policy.pk)


@pytest.fixture
def ending(world):
    """demo's pending and demo2's returned policy, and an effective one, all ending on LAST_DAY."""
    effective = Policy.objects.filter(scheme=world.scheme, status=PolicyStatus.EFFECTIVE).first()
    Policy.objects.filter(pk=effective.pk).update(cover_end=LAST_DAY)
    Scheme.objects.filter(pk=world.scheme.pk).update(confirm_deadline=LAST_DAY, cover_end=LAST_DAY)
    return world.pending, world.returned, effective


def test_on_the_last_day_itself_nothing_lapses_or_ends(world, ending):
    with at(BEFORE_MIDNIGHT):
        run = run_calendar()
    assert run.day == LAST_DAY and (run.lapsed, run.expired) == (0, 0)
    assert [status_of(p) for p in ending] == [PolicyStatus.PENDING, PolicyStatus.RETURNED, PolicyStatus.EFFECTIVE]


def test_the_first_run_after_shanghai_midnight_lapses_and_ends_them_with_audit_events(world, ending):
    pending, returned, effective = ending
    with at(AFTER_MIDNIGHT):
        run = run_calendar()
    assert run.day == dt.date(2026, 7, 1) and run.lapsed >= 2 and run.expired >= 1
    assert [status_of(p) for p in ending] == [PolicyStatus.LAPSED, PolicyStatus.LAPSED, PolicyStatus.EXPIRED]
    for policy, action in [(pending, "policy.lapse"), (returned, "policy.lapse"), (effective, "policy.expire")]:
        event = AuditEvent.objects.get(action=action, object_id=str(policy.pk))
        assert event.actor is None and event.actor_label == "system"
    assert first_broken_link() is None
    assert CalendarRun.objects.get(pk=run.pk).finished_at is not None


def test_a_second_run_the_same_day_changes_nothing(world, ending):
    with at(AFTER_MIDNIGHT):
        run_calendar()
        events = AuditEvent.objects.count()
        again = run_calendar()
    assert (again.lapsed, again.expired) == (0, 0) and AuditEvent.objects.count() == events


def test_a_policy_confirmed_on_the_last_day_does_not_lapse(world, ending):
    pending = ending[0]
    with at(BEFORE_MIDNIGHT):
        confirm_as(world.demo, pending)
    with at(AFTER_MIDNIGHT):
        run_calendar()
    assert status_of(pending) == PolicyStatus.CONFIRMED


@pytest.mark.parametrize("now, seconds", [
    (dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=SHANGHAI), 31),
    (dt.datetime(2026, 7, 1, 0, 0, 10, tzinfo=SHANGHAI), 20),
    (dt.datetime(2026, 7, 1, 0, 0, 30, tzinfo=SHANGHAI), 86400),
    (dt.datetime(2026, 6, 30, 16, 0, 0, tzinfo=dt.UTC), 30),  # UTC afternoon is Shanghai midnight
])
def test_the_loop_wakes_just_after_the_next_shanghai_midnight(now, seconds):
    assert seconds_until_next_run(now) == seconds


def test_the_command_runs_for_a_given_day_and_says_what_it_did(world, ending):
    out = io.StringIO()
    call_command("run_calendar", today="2026-07-01", stdout=out)
    assert "calendar 2026-07-01:" in out.getvalue() and "lapsed (已过期)" in out.getvalue()
    assert status_of(ending[0]) == PolicyStatus.LAPSED
