"""The job queue production uses (django-tasks-db, docs/decisions/0035-job-queue-on-several-hosts.md) with two
workers on two hosts: every job runs, and runs once."""
import time

import pytest
from django.db import connection
from django.test import override_settings

from singlewindow.testing.cluster import Cluster, database_url, unavailable
from singlewindow.testing.tasks import RUNS_FILE, note_run

REDIS_URL = "redis://localhost:6379/13"
JOBS = 300


@pytest.fixture
def production_services():
    if reason := unavailable(connection, REDIS_URL):
        pytest.skip(reason)


@pytest.fixture
def committed_db(production_services, transactional_db):
    """The workers are other processes: what the test queues must be committed. (Named, not asked for later:
    pytest-django runs tests that name transactional_db after the others, whose world their flush would empty.)"""


def wait_until_done(timeout=120):
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + timeout
    while DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).exists():
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return list(DBTaskResult.objects.all())


def test_two_workers_on_two_hosts_run_each_queued_job_exactly_once(committed_db, tmp_path):
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        for token in range(JOBS):  # queued before any worker runs: both start on a full queue
            note_run.enqueue(f"job-{token}")
    with Cluster(root=tmp_path, database_url=database_url(connection), redis_url=REDIS_URL) as cluster:
        workers = [cluster.worker(0, interval=0.1), cluster.worker(1, interval=0.1)]
        jobs = wait_until_done()
        alive = [worker.alive for worker in workers]
        logs = cluster.logs()
    runs = (cluster.var_dir / RUNS_FILE).read_text().split()[::2]

    assert all(alive), logs
    assert sorted(runs) == sorted(f"job-{token}" for token in range(JOBS)), logs  # each once: none twice, none lost
    assert {job.status for job in jobs} == {"SUCCESSFUL"}, logs
    assert all(len(job.worker_ids) == 1 for job in jobs)  # a claimed job is never claimed again
    assert {worker for job in jobs for worker in job.worker_ids} <= {"worker1", "worker2"}
