"""A full disk (ENOSPC, from a real tmpfs of a few pages) while the import keeps an upload or writes its error
report, and while the documents app keeps a signed 电子保单: a clear failure, nothing half-written, and the
same work succeeds once there is room."""
import errno
import os
import subprocess
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from singlewindow.audit.models import AuditEvent
from singlewindow.documents import services as documents
from singlewindow.documents.models import Kind, PolicyDocument
from singlewindow.documents.tests.conftest import make_effective
from singlewindow.enterprises import imports
from singlewindow.enterprises.models import Enterprise, ExportRecord, ImportJob
from singlewindow.enterprises.tests.conftest import CITY, csv_bytes, new_uscc


class TinyDisk:
    """A tmpfs of `size` bytes mounted at `path` (root only); fill() takes what is left, free() gives it back."""

    def __init__(self, path, size):
        self.path = path
        path.mkdir(parents=True)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
                                 capture_output=True, text=True, check=False)
        if mounted.returncode:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
        self.filler = path / "filler"

    def fill(self):
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError as error:
            assert error.errno == errno.ENOSPC
        finally:
            os.close(fd)

    def free(self):
        self.filler.unlink(missing_ok=True)

    def files(self):
        """Every file on the disk but the filler, hidden temporary ones included."""
        return sorted(str(p.relative_to(self.path)) for p in self.path.rglob("*") if p.is_file() and p != self.filler)

    def unmount(self):
        subprocess.run(["umount", str(self.path)], check=False)


@pytest.fixture
def tiny_disk(tmp_path):
    disks = []

    def make(size):
        disk = TinyDisk(tmp_path / f"disk-{uuid.uuid4().hex[:8]}", size)
        disks.append(disk)
        return disk

    yield make
    for disk in disks:
        disk.unmount()


def bad_rows(n):
    """n rows with a wrong county each: every one goes to the error report."""
    return [[new_uscc(n), f"出口企业{n:04d}有限公司", "999999", 2025, "1000.00"] for n in range(n)]


# --- the import ---------------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)  # as the worker runs it: no transaction around the import's reading
def test_an_error_report_that_does_not_fit_fails_the_import_clearly_and_leaves_no_half_report(
        live_world, client, settings, tiny_disk):
    world = live_world
    disk = tiny_disk(64 * 1024)
    settings.SW_IMPORT_DIR = disk.path
    settings.SW_IMPORT_REPORT_ROWS = 100_000
    content = csv_bytes(bad_rows(600))  # a report twice as big as the upload
    enterprises, figures = Enterprise.objects.count(), ExportRecord.objects.count()

    client.force_login(world.bureau)
    response = client.post("/enterprises/imports/", {"file": SimpleUploadedFile("exports.csv", content)}, follow=True)

    job = ImportJob.objects.get(uploaded_by=world.bureau, file_name="exports.csv")
    assert job.status == ImportJob.Status.FAILED and "No space left" in job.message
    assert job.report_path == ""
    page = response.content.decode()
    assert "导入因系统错误中断，数据库未作任何更改。请稍后重新上传，或联系单一窗口管理员。" in page
    assert "下载错误报告" not in page and "Traceback" not in page
    assert client.get(f"/enterprises/imports/{job.pk}/report/").status_code == 404
    assert disk.files() == []  # no half report (.part or final), and the upload discarded
    assert (Enterprise.objects.count(), ExportRecord.objects.count()) == (enterprises, figures)

    settings.SW_IMPORT_DIR = tiny_disk(1024 * 1024).path  # room again: the same file is rejected with its report
    again = imports.submit(world.bureau, SimpleUploadedFile("exports.csv", content))
    again.refresh_from_db()
    assert (again.status, again.error_count) == (ImportJob.Status.REJECTED, 600)
    assert os.path.getsize(again.report_path) + len(content) > 64 * 1024  # more than the small disk held


def test_an_upload_that_does_not_fit_is_refused_on_the_form_and_makes_no_job(world, client, settings, tiny_disk):
    disk = tiny_disk(64 * 1024)
    settings.SW_IMPORT_DIR = disk.path
    disk.fill()
    jobs = ImportJob.objects.count()
    rows = [[new_uscc(n), f"出口企业{n:04d}有限公司", CITY, 2025, "1000.00"] for n in range(200)]

    client.force_login(world.bureau)
    response = client.post("/enterprises/imports/", {"file": SimpleUploadedFile("exports.csv", csv_bytes(rows))})

    assert response.status_code == 400
    assert "服务器暂时无法保存上传的文件（存储空间不足），未创建导入任务。" in response.content.decode()
    assert ImportJob.objects.count() == jobs
    assert disk.files() == []  # no half upload


# --- the signed 电子保单 ----------------------------------------------------------------------------------------

def test_a_policy_pdf_that_does_not_fit_is_not_kept_and_is_made_once_there_is_room(world, settings, tiny_disk):
    disk = tiny_disk(1024 * 1024)
    settings.SW_DOCUMENT_DIR = disk.path
    policy = make_effective(world)
    disk.fill()
    events = AuditEvent.objects.filter(action__startswith="document.").count()

    with pytest.raises(OSError) as full:
        documents.ensure_policy_document(policy.pk)

    assert full.value.errno == errno.ENOSPC
    assert not PolicyDocument.objects.filter(policy=policy).exists()
    assert disk.files() == []  # no half PDF under its name or a temporary one
    assert AuditEvent.objects.filter(action__startswith="document.").count() == events

    disk.free()
    call_command("generate_documents", policy=[policy.number], stdout=open(os.devnull, "w"))  # noqa: SIM115
    made = PolicyDocument.objects.get(policy=policy, kind=Kind.POLICY)  # and its 确认回执
    assert made.version == 1
    assert disk.files() == sorted(f"issued/{d.stored_name}" for d in PolicyDocument.objects.filter(policy=policy))
