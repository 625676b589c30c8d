"""The import job's state machine walked edge by edge from its table (enterprises/transitions.py)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from singlewindow.enterprises import imports, transitions
from singlewindow.enterprises.models import ImportJob
from singlewindow.machines import Refused

from .conftest import CITY, csv_bytes, new_uscc

S = ImportJob.Status
ALLOWED, REFUSED = transitions.IMPORT_JOB.edges()
LONG_AGO = timedelta(hours=2)  # past SW_IMPORT_STALE: give_up needs a stale job, the others do not mind

MOVES = {
    "start": lambda pk, now: transitions.start(pk, now),
    "finish": lambda pk, now: transitions.end(pk, now, clean=True, records_written=3),
    "reject": lambda pk, now: transitions.end(pk, now, clean=False, error_count=2),
    "fail": lambda pk, now: transitions.fail(pk, now, "OSError: disk full"),
    "give_up": lambda pk, now: transitions.give_up(pk, now),
}


def job_in(world, status, quiet_for=LONG_AGO):
    """A job of the 汕尾市 bureau in `status` whose last sign of life was `quiet_for` ago."""
    job = ImportJob.objects.create(uploaded_by=world.bureau, region=world.bureau.region, file_name="exports.csv",
                                   status=status)
    then = timezone.now() - quiet_for
    ImportJob.objects.filter(pk=job.pk).update(created_at=then, started_at=then, heartbeat=then)
    return job


def row(job):
    return ImportJob.objects.filter(pk=job.pk).values().get()


def test_every_action_of_the_table_has_its_move_function():
    assert set(MOVES) == set(transitions.MOVES)


@pytest.mark.parametrize(("action", "status"), ALLOWED)
def test_an_allowed_move_reaches_its_target(world, action, status):
    job = job_in(world, status)
    now = timezone.now()
    MOVES[action](job.pk, now)
    after = row(job)
    assert after["status"] == transitions.MOVES[action].target
    if action != "give_up":  # a stale job gets no heartbeat: its last sign of life stays in the audit event
        assert after["heartbeat"] == now


@pytest.mark.parametrize(("action", "status"), REFUSED)
def test_a_refused_move_raises_and_changes_nothing(world, action, status):
    job = job_in(world, status)
    before = row(job)
    with pytest.raises(Refused):
        MOVES[action](job.pk, timezone.now())
    assert row(job) == before


def test_a_busy_job_with_a_fresh_heartbeat_is_not_given_up(world):
    for status in transitions.BUSY:
        job = job_in(world, status, quiet_for=timedelta(minutes=1))
        before = row(job)
        with pytest.raises(Refused):
            transitions.give_up(job.pk, timezone.now())
        assert row(job) == before


def test_busy_and_finished_divide_the_statuses_and_busy_is_what_goes_stale():
    assert transitions.BUSY | transitions.FINISHED == set(S.values)
    assert not transitions.BUSY & transitions.FINISHED
    assert transitions.STALENESS.busy == transitions.BUSY == transitions.MOVES["give_up"].sources


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("minutes", [1, 29, 31, 600])
def test_a_job_and_the_stale_query_agree(world, settings, status, minutes):
    settings.SW_IMPORT_STALE = timedelta(minutes=30)
    job = job_in(world, status, quiet_for=timedelta(minutes=minutes))
    job.refresh_from_db()
    assert job.is_stale == ImportJob.objects.stale().filter(pk=job.pk).exists()
    assert job.is_stale == (status in transitions.BUSY and minutes > 30)


def test_a_crash_after_the_job_is_done_leaves_it_done(world, run_import, monkeypatch):
    """What the bureau reads stays true: the figures were written, so the job does not turn 出错中断."""
    monkeypatch.setattr(imports, "ANALYZE_ROWS", 1)

    def broken(*models):
        raise OSError("statistics not refreshed")

    monkeypatch.setattr(imports.bulk, "analyze", broken)
    job = run_import(csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "10")]))  # the task fails, re-raised
    assert (job.status, job.records_written, job.message) == (S.DONE, 1, "")


def test_staleness_reads_the_first_sign_of_life_that_is_set():
    from types import SimpleNamespace

    from singlewindow.heartbeats import Staleness

    now = timezone.now()
    rule = Staleness(frozenset({"running"}), ("heartbeat", "created_at"), lambda: timedelta(minutes=2))
    old, fresh = now - timedelta(minutes=3), now - timedelta(minutes=1)
    assert rule.of(SimpleNamespace(status="running", heartbeat=None, created_at=old), now)
    assert not rule.of(SimpleNamespace(status="running", heartbeat=fresh, created_at=old), now)  # it beat
    assert not rule.of(SimpleNamespace(status="done", heartbeat=None, created_at=old), now)  # not busy
    assert not rule.of(SimpleNamespace(status="running", heartbeat=None, created_at=None), now)  # no sign
