"""The task worker (`manage.py db_worker`, as deploy/systemd runs it) SIGKILLed in the middle of an import and of a
batch issuance, then started again: each job ends right, nothing written twice or half.

- An import killed inside its all-or-nothing write leaves nothing; once it is stale (decision 0025) the worker
  fails it with one audit event and the bureau's new upload of the same file is written once.
- A batch issuance killed inside its second chunk keeps the chunks it committed; started again once stale (decision
  0014), it issues to the others only: one policy, one audit event and one notice per enterprise.

The worker is held at a row lock of the test's own (the rows the job must write next), so the kill falls at a
point the test has seen, not at a moment it guessed: the audit chain's head for the import (its write's last step,
whichever way it writes), a 申领 the second chunk closes for the issuance.
"""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.utils import timezone

from singlewindow.accounts.models import Role, User
from singlewindow.audit.models import AuditEvent, AuditHead
from singlewindow.audit.services import first_broken_link
from singlewindow.enterprises import eligibility, imports
from singlewindow.enterprises.identifiers import organisation_code
from singlewindow.enterprises.models import Enterprise, ExportRecord, ImportJob
from singlewindow.enterprises.tests.conftest import CITY, csv_bytes, new_uscc
from singlewindow.notifications.models import Notice
from singlewindow.policies import issuance, tally
from singlewindow.policies.models import Application, IssuanceRun, JobStatus, Policy

from .conftest import backends_of, child_env, database_url, postgres_only, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only()]
WORKER = "fault-worker"


@pytest.fixture
def worker(children, tmp_path, worker_backend, settings):
    """start() starts a db_worker on every queue whose database connections are named WORKER."""
    settings.SW_IMPORT_DIR = tmp_path / "imports"
    env = child_env(tmp_path, DATABASE_URL=database_url(WORKER))

    def start(name="worker"):
        return children(name, "db_worker", "--queue-name", "*", "--interval", "0.2", "--no-startup-delay", env=env)

    return start


def kill_at_the_lock(worker, row_lock, what, seen):
    """Wait until the worker waits for the held row and `seen()` holds, SIGKILL it, release the row, and wait
    until its database sessions are gone (their open transaction rolled back)."""
    wait_for(what, lambda: seen() and any(wait == "Lock" for _, wait in backends_of(WORKER)), process=worker)
    worker.kill()
    row_lock.release()
    wait_for("the killed worker's database sessions to end", lambda: not backends_of(WORKER))


# --- an import --------------------------------------------------------------------------------------------

def test_an_import_killed_while_writing_leaves_nothing_and_its_new_upload_is_written_once(live_world, worker,
                                                                                           row_lock):
    year = live_world.scheme.basis_year
    known = Enterprise.objects.create(uscc=new_uscc(1), name="已登记出口企业有限公司", region_id=CITY)
    old_figure = ExportRecord.objects.create(enterprise=known, year=year, export_usd=Decimal("1000.00"))
    rows = [[known.uscc, known.name, CITY, year, "2500.00"]] + [
        [new_uscc(n), f"新出口企业{n:03d}有限公司", CITY, year, f"{1000 + n}.00"] for n in range(2, 42)]
    enterprises, figures = Enterprise.objects.count(), ExportRecord.objects.count()
    events = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    # The write's last step appends its audit event: held at the chain's head, the import has written its
    # enterprises and figures, uncommitted, when it is killed.
    row_lock.hold(AuditHead._meta.db_table, 1)
    job = imports.submit(live_world.bureau, SimpleUploadedFile("exports.csv", csv_bytes(rows)))
    killed = worker("worker")
    kill_at_the_lock(killed, row_lock, "the import waiting inside its write",
                     lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.RUNNING)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING and not job.is_stale  # 处理中 until SW_IMPORT_STALE passes
    assert (Enterprise.objects.count(), ExportRecord.objects.count()) == (enterprises, figures)  # nothing half-written
    assert ExportRecord.objects.get(pk=old_figure.pk).export_usd == Decimal("1000.00")
    assert not AuditEvent.objects.filter(id__gt=events).exists()

    # SW_IMPORT_STALE (30 minutes) passes; the bureau sees 已中断 and uploads the same file again
    ImportJob.objects.filter(pk=job.pk).update(heartbeat=timezone.now() - timedelta(minutes=31))
    assert ImportJob.objects.get(pk=job.pk).is_stale
    again = imports.submit(live_world.bureau, SimpleUploadedFile("exports.csv", csv_bytes(rows)))
    restarted = worker("worker-again")
    wait_for("the new upload done", lambda: ImportJob.objects.get(pk=again.pk).status == ImportJob.Status.DONE,
             process=restarted)

    job.refresh_from_db()
    again.refresh_from_db()
    assert (job.status, job.message) == (ImportJob.Status.FAILED, ImportJob.STALE_MESSAGE)
    stored = (Enterprise.objects.count() - enterprises, ExportRecord.objects.count() - figures)
    assert stored == (40, 40)  # the known one's figure replaced, not doubled
    assert (again.enterprises_created, again.records_written) == (40, 41)
    assert ExportRecord.objects.get(enterprise=known, year=year).export_usd == Decimal("2500.00")
    assert not Enterprise.objects.values("uscc").annotate(n=Count("id")).filter(n__gt=1).exists()
    actions = list(AuditEvent.objects.filter(id__gt=events).order_by("id").values_list("action", "object_id"))
    assert actions == [("exports.import_stale", str(job.pk)), ("exports.import", str(again.pk))]
    assert first_broken_link() is None
    assert not list(imports.import_dir().glob(f"job-{job.pk}.*"))  # the dead job's upload is gone


# --- a batch issuance ---------------------------------------------------------------------------------------

def waiting_enterprises(scheme, n):
    """n more eligible enterprises (basis-year exports under the limit), made in bulk."""
    made = Enterprise.objects.bulk_create(
        Enterprise(uscc=uscc, org_code=organisation_code(uscc), name=f"批量出口企业{i:05d}有限公司", region_id=CITY)
        for i, uscc in enumerate(new_uscc(1000 + i) for i in range(n)))
    ExportRecord.objects.bulk_create(
        ExportRecord(enterprise=e, year=scheme.basis_year, export_usd=Decimal(1000 + i)) for i, e in enumerate(made))
    eligibility.changed()
    return made


def test_a_batch_issuance_killed_in_its_second_chunk_resumes_and_issues_each_policy_once(live_world, worker, row_lock):
    scheme = live_world.scheme
    waiting_enterprises(scheme, issuance.CHUNK + 10)
    todo = list(issuance.todo_records(scheme, live_world.insurer).order_by("enterprise_id")
                .values_list("enterprise_id", flat=True))
    assert len(todo) > issuance.CHUNK  # two chunks at least
    before = Policy.objects.filter(scheme=scheme).count()

    # The last enterprise has applied (申领): the second chunk closes its application, and waits for the row
    # there, before its COMMIT is sent (a wait inside COMMIT, as for a deferred key check, may still commit).
    last = Enterprise.objects.get(pk=todo[-1])
    applicant = User.objects.create_user("fault_applicant", password="Demo@2020", role=Role.ENTERPRISE, enterprise=last)
    application = Application.objects.create(scheme=scheme, enterprise=last, applicant=applicant,
                                             created_at=timezone.now())
    row_lock.hold(Application._meta.db_table, application.pk)
    run, started = issuance.start_issuance(live_world.insurer, scheme.pk)
    assert started
    killed = worker("worker")
    kill_at_the_lock(killed, row_lock, "the first chunk committed and the second waiting",
                     lambda: IssuanceRun.objects.get(pk=run.pk).issued == issuance.CHUNK)

    run.refresh_from_db()
    assert (run.status, run.issued) == (JobStatus.RUNNING, issuance.CHUNK)
    assert Policy.objects.filter(scheme=scheme).count() == before + issuance.CHUNK  # whole chunks only

    # SW_ISSUANCE_STALE (2 minutes) passes; the insurer presses 批量出单 again
    IssuanceRun.objects.filter(pk=run.pk).update(heartbeat=timezone.now() - timedelta(minutes=3))
    restarted = worker("worker-again")
    resumed, started = issuance.start_issuance(live_world.insurer, scheme.pk)
    assert started and resumed.pk == run.pk
    wait_for("the run done", lambda: IssuanceRun.objects.get(pk=run.pk).status == JobStatus.DONE, process=restarted)

    run.refresh_from_db()
    issued = Policy.objects.filter(scheme=scheme, enterprise__in=todo)
    assert (run.issued, issued.count()) == (len(todo), len(todo))
    assert not Policy.objects.filter(scheme=scheme).values("enterprise").annotate(n=Count("id")).filter(
        n__gt=1).exists()
    policy_ids = {str(pk) for pk in issued.values_list("pk", flat=True)}
    issue_events = AuditEvent.objects.filter(action="policy.issue", object_id__in=policy_ids)
    assert issue_events.count() == len(todo) and issue_events.values("object_id").distinct().count() == len(todo)
    assert AuditEvent.objects.filter(action="issuance.resume", object_id=str(run.pk)).count() == 1
    assert Notice.objects.filter(policy__in=issued, kind=Notice.Kind.ISSUED).count() == len(todo)
    assert not issuance.todo_records(scheme, live_world.insurer).exists()
    application.refresh_from_db()
    assert (application.status, application.policy) == (Application.Status.ISSUED, issued.get(enterprise=last))
    assert first_broken_link() is None
    assert tally.differences() == []
