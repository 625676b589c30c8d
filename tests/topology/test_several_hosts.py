"""Several hosts: the core journey through two app processes, nginx, a worker, PostgreSQL and Redis, as production
runs them (testing/cluster.py): one session whichever process answers, the result and the audit chain checked."""
import time

import pytest
from django.db import connection
from django.test import override_settings

from singlewindow.testing.cluster import Cluster, database_url, nginx_binary, unavailable
from singlewindow.testing.portal_client import PortalClient, form_value

REDIS_URL = "redis://localhost:6379/13"  # the tests use no Redis; the bench uses its own database number
PRODUCTION_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"])


@pytest.fixture
def production_services():
    """Skips before the world is built: the reasons need no database."""
    if reason := unavailable(connection, REDIS_URL):
        pytest.skip(reason)
    if not nginx_binary():
        pytest.skip("Debian's nginx is not installed (make system-deps installs it)")


@pytest.fixture
def world_in_database(production_services, live_world):
    """The world committed, so the app processes see it; after the other tests (pytest-django orders by the name)."""
    return live_world


@pytest.fixture
def cluster(world_in_database, tmp_path):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # sessions and rate limits of an earlier run
    with Cluster(root=tmp_path, database_url=database_url(connection), redis_url=REDIS_URL) as running:
        running.app1, running.app2 = running.app(0), running.app(1)
        running.worker(1)
        running.proxy = running.nginx([running.app1, running.app2])
        yield running


def production_passwords(world):
    """The test run hashes with MD5; the app processes know production's hashers only."""
    with PRODUCTION_HASHER:
        for user, password in ((world.demo, "Demo@2020"), (world.demo2, "Demo@2020"), (world.insurer, "Insurer@2020")):
            user.set_password(password)
            user.save(update_fields=["password"])


def bind_local_account(user):
    from singlewindow.accounts.models import LocalAccount

    user.local_account = LocalAccount.objects.filter(enterprise=user.enterprise_id).first() or (
        LocalAccount.objects.create(username=f"sw{user.username}", enterprise_id=user.enterprise_id, password="!"))
    user.save(update_fields=["local_account"])


def wait_for_jobs(timeout=90):
    """Until the worker has finished every queued job (the 电子保单 made when a policy takes effect)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + timeout
    while DBTaskResult.objects.exclude(status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]).exists():
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return DBTaskResult.objects.all()


def test_an_enterprise_logged_in_on_one_host_confirms_on_another_and_the_insurer_approves_through_nginx(
        cluster, world_in_database):
    from singlewindow.audit.models import AuditEvent
    from singlewindow.policies.models import PolicyStatus

    world, policy = world_in_database, world_in_database.pending
    production_passwords(world)
    bind_local_account(world.demo)
    bind_local_account(world.demo2)
    events_before = AuditEvent.objects.count()
    app1, app2, proxy = cluster.app1.url, cluster.app2.url, cluster.proxy.url

    enterprise = PortalClient()
    assert enterprise.log_in(app1, "demo", "Demo@2020").status_code == 302, cluster.logs()
    listing = enterprise.get(f"{app1}/insure/")
    assert listing.status_code == 200 and policy.number in listing.text, cluster.logs()
    detail = enterprise.get(f"{app1}/insure/{policy.pk}/")
    assert "待确认" in detail.text and "确认投保" in detail.text
    agreement = form_value(detail.text, "agreement_sha256")

    confirmed = enterprise.post(f"{app2}/insure/{policy.pk}/confirm/", {  # the other host: same cookie and token
        "contact_name": "李锐", "contact_phone": "13729230657", "contact_email": "lirui@example.com",
        "agreement_sha256": agreement})
    assert confirmed.status_code == 302, cluster.logs()
    assert confirmed.headers["Location"].endswith(f"/insure/{policy.pk}/submitted/")
    assert "审批中" in enterprise.get(f"{app2}/insure/{policy.pk}/").text

    outsider = PortalClient()  # another enterprise, on the host that did the confirming, sees nothing of it
    assert outsider.log_in(app2, "demo2", "Demo@2020").status_code == 302
    assert outsider.get(f"{proxy}/insure/{policy.pk}/").status_code == 404

    insurer = PortalClient()
    assert insurer.log_in(proxy, "insurer", "Insurer@2020").status_code == 302, cluster.logs()
    assert policy.number in insurer.get(f"{proxy}/insurer/{policy.pk}/").text
    check = insurer.post(f"{proxy}/insurer/{policy.pk}/approve/", {})
    assert "确认审批通过" in check.text  # the check step first, then the approval
    approved = insurer.post(f"{proxy}/insurer/{policy.pk}/approve/", {"checked": "1"})
    assert approved.status_code == 302, cluster.logs()
    assert "已生效" in insurer.get(f"{proxy}/insurer/{policy.pk}/").text

    policy.refresh_from_db()
    assert policy.status == PolicyStatus.EFFECTIVE
    new = AuditEvent.objects.order_by("pk")[events_before:]
    steps = [(event.action, event.to_status, event.ip) for event in new if event.object_id == str(policy.pk)]
    # nginx's X-Forwarded-For is believed (the client's address, not nginx's); app 2 was reached directly
    assert ("policy.confirm", PolicyStatus.CONFIRMED, cluster.hosts[1].gateway) in steps, steps
    assert ("policy.approve", PolicyStatus.EFFECTIVE, "127.0.0.1") in steps, steps
    jobs = wait_for_jobs()
    assert jobs and {job.status for job in jobs} == {"SUCCESSFUL"}, [(j.task_path, j.traceback) for j in jobs]
    assert {worker for job in jobs for worker in job.worker_ids} == {"worker1"}
    verified = cluster.manage("verify_audit", host_index=1)
    assert verified.returncode == 0 and "audit chain intact" in verified.stdout, verified.stderr
