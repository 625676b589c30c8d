"""The 批量出单 run's and the 申领's state machines walked edge by edge from their tables
(policies/transitions.py): every allowed move, every refused one."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from singlewindow.enterprises.tests.conftest import exporter  # noqa: F401 (fixture)
from singlewindow.machines import Refused
from singlewindow.policies import issuance
from singlewindow.policies.models import Application, IssuanceRun, JobStatus, Policy
from singlewindow.policies.transitions import APPLICATION, ISSUANCE_RUN

from .test_applications import newcomer  # noqa: F401 (fixture)

LONG_AGO = dt.timedelta(hours=1)
FIELDS = ["status", "total", "issued", "error", "started_at", "finished_at", "heartbeat"]

# --- the batch run ------------------------------------------------------------------------------------

RUN_ALLOWED, RUN_REFUSED = ISSUANCE_RUN.edges()


def run_act(action, run):
    """The run's move for `action`, as the worker or start_issuance makes it; True when it was made."""
    if action == "begin":
        return issuance.begin_run(run.pk, remaining=3)
    if action == "finish":
        return issuance.finish_run(run.pk)
    if action == "fail":
        return issuance.fail_run(run.pk, "ConnectionError: worker lost its database")
    if action == "resume":
        return issuance.resume_run(run.pk)
    raise AssertionError(f"the test does not know how to {action}")


def path_to(status):
    """The shortest list of actions from queued (where start_issuance leaves a run) to `status`, by the table."""
    path = ISSUANCE_RUN.path(JobStatus.QUEUED, status)
    if path is None:
        raise AssertionError(f"no path in ISSUANCE_RUN reaches {status}")
    return path


def snapshot(run):
    run.refresh_from_db()
    return {name: getattr(run, name) for name in FIELDS}


@pytest.fixture
def run_in(world):
    """A run of the demo scheme put into `status`, its worker silent for an hour (so a running one is stale)."""

    def run_in(status):
        run = IssuanceRun.objects.create(scheme=world.scheme, started_by=world.insurer, status=status)
        IssuanceRun.objects.filter(pk=run.pk).update(heartbeat=timezone.now() - LONG_AGO)
        run.refresh_from_db()
        return run

    return run_in


def test_every_run_status_is_reachable_from_queued():
    assert path_to(JobStatus.QUEUED) == []
    assert all(path_to(status) for status in JobStatus if status != JobStatus.QUEUED)


@pytest.mark.parametrize("action,source", RUN_ALLOWED)
def test_a_run_moves_along_every_allowed_edge(run_in, action, source):
    run = run_in(source)
    assert run_act(action, run) is True
    after = snapshot(run)
    assert after["status"] == ISSUANCE_RUN[action].target
    if action == "begin":
        assert after["total"] == 3 and after["started_at"] and after["heartbeat"] > timezone.now() - LONG_AGO
    if action == "fail":
        assert after["error"].startswith("ConnectionError") and after["finished_at"]
    if action == "resume":
        assert (after["error"], after["finished_at"]) == ("", None)


@pytest.mark.parametrize("action,status", RUN_REFUSED)
def test_a_run_refuses_every_edge_not_in_the_table(run_in, action, status):
    run = run_in(status)
    before = snapshot(run)
    assert run_act(action, run) is False
    assert snapshot(run) == before


def test_a_running_run_whose_worker_is_alive_is_not_resumed(run_in):
    run = run_in(JobStatus.RUNNING)
    IssuanceRun.objects.filter(pk=run.pk).update(heartbeat=timezone.now())
    before = snapshot(run)
    assert issuance.resume_run(run.pk) is False
    assert snapshot(run) == before


def test_a_run_is_stale_after_two_minutes_without_progress_by_default():
    from django.conf import settings

    assert settings.SW_ISSUANCE_STALE == dt.timedelta(minutes=2)


@pytest.mark.parametrize("heartbeat", [True, False])
@pytest.mark.parametrize("minutes", [1, 3, 600])
def test_the_page_and_the_resume_agree_on_a_stale_run(run_in, settings, heartbeat, minutes):
    """is_stale (the page's 继续出单) and resume_run (the UPDATE) ask one rule, ISSUANCE_STALENESS."""
    settings.SW_ISSUANCE_STALE = dt.timedelta(minutes=2)
    run = run_in(JobStatus.RUNNING)
    quiet = timezone.now() - dt.timedelta(minutes=minutes)
    IssuanceRun.objects.filter(pk=run.pk).update(**({"heartbeat": quiet} if heartbeat else {
        "heartbeat": None, "created_at": quiet}))
    run.refresh_from_db()
    assert issuance.is_stale(run) == (minutes > 2)
    assert issuance.resume_run(run.pk) == (minutes > 2)


# --- 申领 ------------------------------------------------------------------------------------------------

APP_ALLOWED, APP_REFUSED = APPLICATION.edges()


@pytest.fixture
def application_in(world, newcomer):  # noqa: F811
    def application_in(status):
        application = issuance.apply(newcomer, world.scheme.pk)
        Application.objects.filter(pk=application.pk).update(status=status)
        return application

    return application_in


@pytest.mark.parametrize("action,source", APP_ALLOWED)
def test_an_application_moves_along_every_allowed_edge(world, application_in, action, source):
    application = application_in(source)
    policy = issuance.issue_application(world.insurer, application.pk)
    application.refresh_from_db()
    assert (application.status, application.policy) == (APPLICATION[action].target, policy)


@pytest.mark.parametrize("action,status", APP_REFUSED)
def test_an_application_refuses_every_edge_not_in_the_table(world, application_in, action, status):
    application = application_in(status)
    with pytest.raises(Refused, match="该申领已处理，无需重复出单。"):
        issuance.issue_application(world.insurer, application.pk)
    application.refresh_from_db()
    assert application.status == status
    assert not Policy.objects.filter(enterprise=application.enterprise_id).exists()


def test_only_the_insurer_issues_an_application(world, application_in, newcomer):  # noqa: F811
    application = application_in(Application.Status.SUBMITTED)
    assert APPLICATION["issue"].actor_role == world.insurer.role
    for someone in (newcomer, world.bureau, world.admin):
        with pytest.raises(PermissionDenied):
            issuance.issue_application(someone, application.pk)
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
