"""The calendar jobs at the day boundaries. Both end dates are inclusive and "today" is the Asia/Shanghai date."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from singlewindow.policies import services
from singlewindow.policies.models import Policy, PolicyStatus, Scheme

from .conftest import at

DAY = dt.timedelta(days=1)
UTC = dt.UTC
LAST_DAY = dt.date(2026, 6, 30)
# 15:30 UTC is 23:30 on 30 June in Shanghai; 16:30 UTC is already 00:30 on 1 July there, yet still 30 June in UTC.
LATE_ON_LAST_DAY = dt.datetime(2026, 6, 30, 15, 30, tzinfo=UTC)
JUST_AFTER_MIDNIGHT = dt.datetime(2026, 6, 30, 16, 30, tzinfo=UTC)


def status_of(policy):
    return Policy.objects.values_list("status", flat=True).get(pk=policy.pk)


def confirm(world, policy, user):
    return services.confirm(user, policy.pk, contact_name="李锐", contact_phone="13729230657",
                            agreement_sha256=world.scheme.agreement.sha256)


@pytest.fixture
def last_day(world):
    """The scheme's confirmation deadline and cover end are both LAST_DAY."""
    Scheme.objects.filter(pk=world.scheme.pk).update(confirm_deadline=LAST_DAY, cover_end=LAST_DAY)
    world.scheme.refresh_from_db()
    return LAST_DAY


@pytest.fixture
def effective(world, last_day):
    """demo's policy confirmed and approved late on the last day, so its cover ends on LAST_DAY."""
    with at(LATE_ON_LAST_DAY):
        confirm(world, world.pending, world.demo)
        policy = services.approve(world.insurer, world.pending.pk)
    assert (policy.status, policy.cover_end) == (PolicyStatus.EFFECTIVE, LAST_DAY)
    return policy


def test_a_policy_is_not_lapsed_on_its_deadline_day(world, last_day):
    assert services.lapse_overdue(today=last_day) == 0
    assert (status_of(world.pending), status_of(world.returned)) == (PolicyStatus.PENDING, PolicyStatus.RETURNED)


def test_pending_and_returned_policies_lapse_the_day_after_the_deadline(world, last_day):
    assert services.lapse_overdue(today=last_day + DAY) >= 2
    assert (status_of(world.pending), status_of(world.returned)) == (PolicyStatus.LAPSED, PolicyStatus.LAPSED)
    assert services.lapse_overdue(today=last_day + DAY) == 0


def test_cover_that_ends_today_is_still_in_force(effective):
    services.expire_ended(today=LAST_DAY)
    assert status_of(effective) == PolicyStatus.EFFECTIVE


def test_cover_expires_the_day_after_it_ends(effective):
    assert services.expire_ended(today=LAST_DAY + DAY) == 1
    assert status_of(effective) == PolicyStatus.EXPIRED
    assert services.expire_ended(today=LAST_DAY + DAY) == 0


@pytest.mark.parametrize("moment,expected", [
    (LATE_ON_LAST_DAY, PolicyStatus.PENDING), (JUST_AFTER_MIDNIGHT, PolicyStatus.LAPSED),
])
def test_the_lapse_job_uses_the_shanghai_date(world, last_day, moment, expected):
    with at(moment):
        services.lapse_overdue()
    assert status_of(world.pending) == expected


@pytest.mark.parametrize("moment,expected", [
    (LATE_ON_LAST_DAY, PolicyStatus.EFFECTIVE), (JUST_AFTER_MIDNIGHT, PolicyStatus.EXPIRED),
])
def test_the_expiry_job_uses_the_shanghai_date(effective, moment, expected):
    with at(moment):
        services.expire_ended()
    assert status_of(effective) == expected


def test_confirm_is_allowed_until_midnight_in_shanghai(world, last_day):
    with at(dt.datetime(2026, 6, 30, 15, 59, 59, tzinfo=UTC)):  # 23:59:59 on the deadline day
        confirm(world, world.pending, world.demo)
    assert status_of(world.pending) == PolicyStatus.CONFIRMED


def test_confirm_is_refused_from_midnight_in_shanghai(world, last_day):
    with at(dt.datetime(2026, 6, 30, 16, 0, tzinfo=UTC)), pytest.raises(ValidationError) as refused:
        confirm(world, world.pending, world.demo)
    assert "确认截止日（2026-06-30，含当日）已过" in refused.value.message_dict["__all__"][0]
    assert status_of(world.pending) == PolicyStatus.PENDING


def test_approve_on_the_last_day_of_cover_gives_one_day_of_cover(effective):
    assert (effective.cover_start, effective.cover_end) == (LAST_DAY, LAST_DAY)


offsets = st.integers(min_value=-400, max_value=400)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deadline=offsets, today=offsets)
def test_a_waiting_policy_lapses_exactly_when_today_is_past_its_deadline(world, deadline, today):
    base = dt.date(2026, 1, 1)
    with transaction.atomic():
        Scheme.objects.filter(pk=world.scheme.pk).update(confirm_deadline=base + deadline * DAY)
        services.lapse_overdue(today=base + today * DAY)
        lapsed = {status_of(world.pending), status_of(world.returned)} == {PolicyStatus.LAPSED}
        waiting = (status_of(world.pending), status_of(world.returned)) == (PolicyStatus.PENDING,
                                                                           PolicyStatus.RETURNED)
        transaction.set_rollback(True)
    assert lapsed if today > deadline else waiting


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cover_end=offsets, today=offsets)
def test_cover_expires_exactly_when_today_is_past_its_end(effective, cover_end, today):
    with transaction.atomic():
        Policy.objects.filter(pk=effective.pk).update(cover_end=LAST_DAY + cover_end * DAY)
        services.expire_ended(today=LAST_DAY + today * DAY)
        status = status_of(effective)
        transaction.set_rollback(True)
    assert status == (PolicyStatus.EXPIRED if today > cover_end else PolicyStatus.EFFECTIVE)


def test_the_lapse_job_moves_policies_chunk_by_chunk_each_with_its_audit_event(world, last_day, monkeypatch):
    from singlewindow.audit.models import AuditEvent
    from singlewindow.audit.services import first_broken_link

    monkeypatch.setattr(services, "SYSTEM_CHUNK", 1)
    waiting = list(Policy.objects.filter(scheme=world.scheme, status__in=[PolicyStatus.PENDING, PolicyStatus.RETURNED]))
    assert len(waiting) >= 2
    assert services.lapse_overdue(today=last_day + DAY) == len(waiting)
    for policy in waiting:
        event = AuditEvent.objects.get(action="policy.lapse", object_id=str(policy.pk))
        assert (event.from_status, event.to_status, event.reason, event.actor_label) == (
            policy.status, PolicyStatus.LAPSED, "确认截止日已过", "system")
    assert first_broken_link() is None
