"""An import whose worker died: shown as 已中断 (no endless polling), then failed by mark_stale_imports()."""
import io
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from singlewindow.audit.models import AuditEvent
from singlewindow.audit.services import first_broken_link
from singlewindow.enterprises import imports
from singlewindow.enterprises.models import ImportJob
from singlewindow.policies.tests.conftest import page_text

from .conftest import CITY, csv_bytes, new_uscc

ADVICE = "导入处理意外停止（后台处理进程已停止），数据库未作任何更改。请重新上传该文件。"
Status = ImportJob.Status


def make_job(world, status, minutes_ago, **fields):
    """A job of the 汕尾市 bureau whose last sign of life (heartbeat, else creation) was `minutes_ago`."""
    job = ImportJob.objects.create(uploaded_by=world.bureau, region=world.bureau.region, file_name="exports.csv",
                                   status=status, rows_read=40_000, **fields)
    then = timezone.now() - timedelta(minutes=minutes_ago)
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=then, **({"started_at": then, "heartbeat": then} if status != Status.QUEUED else {}))
    job.refresh_from_db()
    return job


def progress(client, job):
    return client.get(f"/enterprises/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()


def test_a_running_job_without_heartbeat_for_long_shows_interrupted_and_stops_polling(world, client):
    job = make_job(world, Status.RUNNING, 31, phase=ImportJob.Phase.WRITE)
    client.force_login(world.bureau)
    text = page_text(client.get(f"/enterprises/imports/{job.pk}/"))
    assert "已中断" in text and ADVICE in text and "处理中" not in text
    fragment = progress(client, job)
    assert ADVICE in fragment and "hx-trigger" not in fragment and "hx-get" not in fragment
    assert "已中断" in page_text(client.get("/enterprises/imports/"))
    job.refresh_from_db()
    assert job.status == Status.RUNNING  # a page view changes nothing


def test_a_running_job_with_a_fresh_heartbeat_is_still_processing(world, client):
    job = make_job(world, Status.RUNNING, 29)
    client.force_login(world.bureau)
    text = page_text(client.get(f"/enterprises/imports/{job.pk}/"))
    assert "处理中" in text and "已中断" not in text and ADVICE not in text
    assert 'hx-trigger="every 1s"' in progress(client, job)


def test_a_job_queued_for_long_is_stale_as_no_worker_took_it(world):
    assert make_job(world, Status.QUEUED, 31).is_stale
    assert not make_job(world, Status.QUEUED, 1).is_stale
    assert not make_job(world, Status.DONE, 600).is_stale


def test_the_limit_comes_from_settings(world, settings):
    job = make_job(world, Status.RUNNING, 10)
    assert not job.is_stale
    settings.SW_IMPORT_STALE = timedelta(minutes=5)
    assert job.is_stale and list(ImportJob.objects.stale()) == [job]


def test_mark_stale_imports_fails_only_stale_jobs_once_with_an_audit_event(world, client):
    running, queued = make_job(world, Status.RUNNING, 45), make_job(world, Status.QUEUED, 45)
    fresh, done = make_job(world, Status.RUNNING, 2), make_job(world, Status.DONE, 600)
    assert imports.mark_stale_imports() == 2
    for job in (running, queued):
        job.refresh_from_db()
        assert (job.status, job.message) == (Status.FAILED, ADVICE) and job.finished_at is not None
    assert ImportJob.objects.get(pk=fresh.pk).status == Status.RUNNING
    assert ImportJob.objects.get(pk=done.pk).status == Status.DONE
    events = AuditEvent.objects.filter(action="exports.import_stale")
    assert {(e.object_id, e.actor_label, e.from_status, e.to_status) for e in events} == {
        (str(queued.pk), "system", "queued", "failed"), (str(running.pk), "system", "running", "failed")}
    assert events.get(object_id=str(running.pk)).data["last_heartbeat"] == running.heartbeat.isoformat()
    assert imports.mark_stale_imports() == 0 and events.count() == 2  # idempotent
    assert first_broken_link() is None
    client.force_login(world.bureau)
    fragment = progress(client, running)
    assert "已中断" in fragment and ADVICE in fragment and "hx-trigger" not in fragment


def test_the_management_command_marks_stale_imports(world):
    job = make_job(world, Status.RUNNING, 45)
    out = io.StringIO()
    call_command("mark_stale_imports", stdout=out)
    assert out.getvalue().splitlines()[0] == "1 stale import(s) marked failed"
    assert ImportJob.objects.get(pk=job.pk).status == Status.FAILED


def test_the_next_import_settles_a_dead_predecessor_first(world, run_import):
    dead = make_job(world, Status.RUNNING, 45)
    job = run_import(csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "10")]))
    assert job.status == Status.DONE and job.heartbeat >= job.started_at  # progress writes beat
    assert ImportJob.objects.get(pk=dead.pk).status == Status.FAILED


def test_a_job_failed_as_stale_is_not_run_when_a_worker_finally_takes_it(world):
    job = make_job(world, Status.QUEUED, 45)
    imports.run_import.call(job.pk)
    job.refresh_from_db()
    assert (job.status, job.started_at, job.message) == (Status.FAILED, None, ADVICE)


def test_another_bureau_cannot_see_the_stale_job(world, client):
    job = make_job(world, Status.RUNNING, 45)
    client.force_login(world.county)
    assert client.get(f"/enterprises/imports/{job.pk}/").status_code == 404
    assert "exports.csv" not in page_text(client.get("/enterprises/imports/"))


def test_the_interrupted_job_reads_in_english(world, client):
    job = make_job(world, Status.RUNNING, 45)
    client.cookies["django_language"] = "en"
    client.force_login(world.bureau)
    text = page_text(client.get(f"/enterprises/imports/{job.pk}/"))
    assert "Interrupted" in text and "the background worker stopped" in text and "upload the file again" in text


def test_progress_written_beside_the_import_beats_too(live_world):
    """On PostgreSQL Progress writes on a connection of its own, which sees only committed rows."""
    job = ImportJob.objects.create(uploaded_by=live_world.bureau, file_name="exports.csv", status=Status.RUNNING)
    progress = imports.Progress(job)
    try:
        progress(rows_read=20_000, percent=40)
    finally:
        progress.close()
    job.refresh_from_db()
    assert job.rows_read == 20_000 and job.heartbeat is not None and not job.is_stale


def test_the_phase_reads_in_the_readers_language(world, client):
    job = make_job(world, Status.RUNNING, 0, phase=ImportJob.Phase.WRITE)
    client.force_login(world.bureau)
    assert "写入数据库" in page_text(client.get(f"/enterprises/imports/{job.pk}/"))
    client.cookies["django_language"] = "en"
    assert "Writing to the database" in page_text(client.get(f"/enterprises/imports/{job.pk}/"))


def test_a_stale_jobs_upload_is_discarded(world, tmp_path):
    upload = tmp_path / "job.csv"
    upload.write_text("统一社会信用代码\n")
    make_job(world, Status.RUNNING, 31, path=str(upload))
    assert imports.mark_stale_imports() == 1 and not upload.exists()
