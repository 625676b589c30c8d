"""Customs export list import: stream the file, check every row, stage it, then write all or nothing.

One pass reads the file row by row (csv / openpyxl read_only) and never holds more than one chunk of
rows: good rows go to a per-job staging table (PostgreSQL: COPY; SQLite: executemany), bad ones to the
error report on disk. Duplicates inside the file are found by the database over the staging table. Only
when no row is bad does one transaction create the unknown enterprises and replace the year's figures;
any problem found there (an organisation code used by another enterprise, an enterprise registered
outside the uploader's region) rolls it all back and is reported by row like the others.

This module runs the job: submit(), run(), the run_import task (its dotted path is stored in queued
tasks: keep it), the error report and progress, mark_stale_imports(). The parts it calls:
import_files.py reads the file, import_rows.py holds the row rules, import_stage.py stages and merges,
transitions.py moves the job's status. See docs/decisions/0006-import-pipeline.md.
"""
import logging
import unicodedata
from datetime import timedelta
from operator import itemgetter
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from singlewindow import bulk
from singlewindow.accounts.models import Role
from singlewindow.atomicfiles import AtomicFile, is_disk_full, write_chunks
from singlewindow.audit.services import record
from singlewindow.machines import Refused
from singlewindow.regions.models import Region
from singlewindow.spreadsheets import CsvWriter

from . import eligibility, import_load, transitions
from .import_files import BadFile, is_xlsx_name, open_rows
from .import_rows import LABELS, RowChecker, header_columns
from .import_stage import ANALYZE_ROWS, Rejected, Stage, merge
from .models import Enterprise, ExportRecord, ImportJob

log = logging.getLogger(__name__)

CHUNK = 20_000  # rows held in memory at most, and how often progress is written
PREVIEW = 20  # errors shown on the page; the report file lists up to SW_IMPORT_REPORT_ROWS
SHOWN = 50  # characters of a bad value the report and the page show


def import_dir():
    path = Path(settings.SW_IMPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path

# --- the job ------------------------------------------------------------------------------------------

def _shown(value):
    """A bad value as the report and the page show it: cut short, with control, bidirectional and other
    invisible characters written out ([U+202E]), so a reader sees what the file holds."""
    value = str(value)
    if len(value) > SHOWN:
        value = value[:SHOWN] + "…"
    if value.isprintable():
        return value
    return "".join(f"[U+{ord(c):04X}]" if c not in "\t\n\r" and unicodedata.category(c) in ("Cc", "Cf", "Cs")
                   else c for c in value)


def known_counties():
    """{code: name} of the county-level divisions a row may name, for RowChecker."""
    return dict(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", "name"))


def report_file(job):
    return import_dir() / f"job-{job.pk}-errors.csv"


class ErrorReport:
    """The bad rows, streamed to a CSV file on disk: the first SW_IMPORT_REPORT_ROWS listed and the rest
    counted (a small file can hold millions of bad rows); the first few also kept for the page."""

    def __init__(self, job):
        self.path = report_file(job)
        # whole or not at all: the download never offers half a report (a full disk, a killed worker)
        self.file = AtomicFile(self.path, "w", encoding="utf-8-sig", newline="")
        self.writer = CsvWriter(self.file)
        try:
            self.writer.writerow([_("行号"), _("字段"), _("内容"), _("问题")])
        except BaseException:
            self.discard()
            raise
        self.count = 0
        self.limit = settings.SW_IMPORT_REPORT_ROWS
        self.preview = []

    def add(self, line, field, value, message):
        self.count += 1
        if self.count > self.limit:
            return
        row = [line, str(LABELS.get(field, field)), _shown(value), message]
        self.writer.writerow(row)
        if len(self.preview) < PREVIEW:
            self.preview.append(row)

    @property
    def full(self):
        return self.count >= self.limit

    def more(self, n):
        """n further problems, counted but not listed."""
        self.count += n

    def close(self):
        """Keep the report under its name; a clean import keeps none."""
        if self.count == 0:
            self.discard()
            return
        if self.count > self.limit:
            self.writer.writerow(["", "", "", _("另有 %(n)s 处问题未列出：错误报告只列出前 %(limit)s 处。")
                                  % {"n": f"{self.count - self.limit:,}", "limit": f"{self.limit:,}"}])
        self.file.commit()

    def discard(self):
        self.file.discard()


def _progress(job, **fields):
    _progress_of(job.pk, **fields)


def _progress_of(job_id, **fields):
    # every write is also a sign of life: a job without one for SW_IMPORT_STALE has lost its worker
    # (transitions.STALENESS)
    ImportJob.objects.filter(pk=job_id).update(heartbeat=timezone.now(), **fields)


def _source(job):
    return f"海关出口数据导入 #{job.pk} {job.file_name}"[:100]


def _imported(job, rows_read, years, created, written):
    """Inside the write's transaction: eligibility may have changed, and the audit chain says what was written."""
    eligibility.changed()
    record(actor=job.uploaded_by, action="exports.import", obj=job, data={
        "file": job.file_name, "rows": rows_read, "enterprises_created": created,
        "records_written": written, "years": sorted(years),
    })


def _load(job):
    """PostgreSQL: check the file and write it at once (import_load); None when it needs the staged way,
    which names its problems."""
    checker = RowChecker(job.region, timezone.localdate().year, known_counties())
    try:
        return import_load.load(job, lambda stage, report: _read(job, stage, report, checker), region=job.region,
                                source=_source(job), written=lambda *done: _imported(job, *done))
    except import_load.GaveUp:
        return None


def run(job):
    """Import one uploaded file. Sets the job's final status; raises only for unexpected failures (and
    Refused when the job is no longer queued)."""
    transitions.start(job.pk, timezone.now())
    report = ErrorReport(job)
    stage = Stage(job.pk)
    stage.create()
    try:
        loaded = _load(job) if stage.postgres else None  # a good file, written while it was checked
        rows_read, years = loaded[:2] if loaded else _read(job, stage, report)
        _progress(job, phase=ImportJob.Phase.DUPS, percent=80, rows_read=rows_read)
        if not loaded and (repeats := stage.find_duplicates()):
            last = listed = 0
            while not report.full and (batch := stage.duplicates(last, 5000)):
                for line, uscc, year, first in batch:
                    report.add(line, "uscc", uscc, _("与第 %(n)d 行重复：同一企业同一年度（%(y)s）只能有一条记录。")
                               % {"n": first, "y": year})
                last, listed = batch[-1][0], listed + len(batch)
            report.more(repeats - listed)
        if report.count == 0 and rows_read == 0:
            report.add(1, "file", "", _("文件中没有数据行。"))
        created, written = loaded[2:] if loaded else (0, 0)
        if report.count == 0 and not loaded:
            _progress(job, phase=ImportJob.Phase.WRITE, percent=85)
            try:
                with transaction.atomic():
                    created, written = merge(stage, region=job.region, source=_source(job))
                    _imported(job, rows_read, years, created, written)
            except Rejected as rejected:
                for line, field, value, message in rejected.problems:
                    report.add(line, field, value, message)
    except BaseException:
        report.discard()  # half a report is none: the failed job offers no report
        raise
    else:
        report.close()
    finally:
        stage.drop()
    transitions.end(
        job.pk, timezone.now(), clean=report.count == 0, error_count=report.count, errors_preview=report.preview,
        report_path=str(report.path) if report.count else "", enterprises_created=created, records_written=written,
        years=sorted(years),
    )
    from singlewindow.api.webhooks import announce  # the webhook import.finished (done or rejected)

    announce("import.finished", "enterprises.importjob", job.pk)
    if report.count == 0 and written >= ANALYZE_ROWS:
        bulk.analyze(Enterprise, ExportRecord)
    log.info("import %s: %s rows, %s errors, %s enterprises created, %s records written",
             job.pk, rows_read, report.count, created, written)


def _read(job, stage, report, checker=None):
    """Check every row: good ones to the stage, bad ones to the report. Returns (rows read, years). A file
    that cannot be read on (BadFile) is reported where it broke, and the reading ends there."""
    checker = checker or RowChecker(job.region, timezone.localdate().year, known_counties())
    years = set()
    count = good = 0
    try:
        rows = open_rows(job.path, job.file_name, report)
    except BadFile as bad:
        report.add(bad.line, "file", "", bad.message)
        return 0, years
    progress = Progress(job)
    try:
        iterator = iter(rows)
        try:
            columns = header_columns(next(iterator, None), report)
        except BadFile as bad:
            report.add(bad.line, "file", "", bad.message)
            return 0, years
        if columns is None:
            return 0, years
        width = rows.width = max(columns) + 1
        pick = itemgetter(*columns)
        check = checker.check
        with stage.writer() as (add, flush):
            try:
                for line, values in enumerate(iterator, start=2):
                    if len(values) < width:
                        if not any(v.strip() for v in values):
                            continue  # a blank line, as spreadsheets leave at the end
                        values = values + [""] * (width - len(values))
                    picked = pick(values)
                    if not any(picked):
                        continue
                    count += 1
                    row, errors = check(picked)
                    if errors:
                        for field, value, message in errors:
                            report.add(line, field, value, message)
                    else:
                        add((line, *row))
                        good += 1
                        years.add(row[3])
                    if count % CHUNK == 0:
                        flush()
                        progress(rows_read=count, percent=int(rows.fraction() * 80), error_count=report.count)
            except BadFile as bad:
                report.add(bad.line, "file", "", bad.message)
    finally:
        rows.close()
        progress.close()
    stage.rows = good
    return count, years


class Progress:
    """Writes the job's progress where the page can see it while the import's connection is busy.

    On PostgreSQL the import's own connection is inside a COPY, so a second, autocommit connection
    writes; on SQLite the import's connection writes between chunks.
    """

    def __init__(self, job):
        self.job_id = job.pk
        self.side = None
        if connection.vendor == "postgresql":
            self.side = bulk.side_connection()

    def __call__(self, **fields):
        if self.side is None:
            _progress_of(self.job_id, **fields)
            return
        fields["heartbeat"] = timezone.now()  # as _progress does
        sets = ", ".join(f"{name} = %s" for name in fields)
        self.side.execute(f"UPDATE {ImportJob._meta.db_table} SET {sets} WHERE id = %s",
                          [*fields.values(), self.job_id])

    def close(self):
        if self.side is not None:
            self.side.close()



class UploadNotKept(Exception):
    """The uploaded file could not be kept (the disk is full): no job was made."""


def submit(user, upload):
    """Keep the uploaded file on disk, make the job and queue it. Bureaus import for their own region.
    UploadNotKept when the disk is full: then there is neither a job nor a file."""
    region = user.region if user.role == Role.BUREAU else None
    suffix = ".xlsx" if is_xlsx_name(upload.name) else ".csv"
    try:
        with transaction.atomic():  # the job exists only with its whole file
            job = ImportJob.objects.create(uploaded_by=user, region=region, file_name=upload.name[-200:],
                                           size=upload.size)
            path = import_dir() / f"job-{job.pk}{suffix}"
            write_chunks(path, upload.chunks())
            ImportJob.objects.filter(pk=job.pk).update(path=str(path))
    except OSError as error:
        if not is_disk_full(error):
            raise
        log.error("import upload %r not kept: %s", upload.name[-200:], error)
        raise UploadNotKept(str(error)) from error
    run_import.enqueue(job.pk)
    job.refresh_from_db()
    return job


def mark_stale_imports():
    """Fail the jobs a dead worker left queued or running (ImportJob.is_stale). Returns how many.

    Nothing of theirs was written (the merge is one transaction), so the message asks for a new upload.
    """
    marked = 0
    for job in ImportJob.objects.stale():
        with transaction.atomic():
            try:  # stale again, checked by the move: the job may have moved on since the list was read
                transitions.give_up(job.pk, timezone.now())
            except Refused:
                continue
            last = job.heartbeat or job.started_at
            record(actor=None, action="exports.import_stale", obj=job, from_status=job.status,
                   to_status=ImportJob.Status.FAILED, data={
                       "file": job.file_name, "phase": job.phase, "rows_read": job.rows_read,
                       "last_heartbeat": last.isoformat() if last else None})
        discard_upload(job)
        marked += 1
        log.warning("import %s: no sign of life since %s, marked failed", job.pk, last or job.created_at)
    return marked


def delete_expired_reports():
    """Delete the error reports of jobs that ended more than SW_IMPORT_REPORT_DAYS ago, and any report file
    that old which no job offers (one a failed job left). Returns how many jobs lost their report."""
    cutoff = timezone.now() - timedelta(days=settings.SW_IMPORT_REPORT_DAYS)
    expired = ImportJob.objects.filter(finished_at__lt=cutoff).exclude(report_path="")
    deleted = 0
    for pk, path in expired.values_list("pk", "report_path"):
        Path(path).unlink(missing_ok=True)
        deleted += ImportJob.objects.filter(pk=pk).update(report_path="")
    for path in import_dir().glob("job-*-errors.csv"):
        try:
            if path.stat().st_mtime < cutoff.timestamp():
                path.unlink()
        except FileNotFoundError:
            pass
    if deleted:
        log.info("%s import error report(s) older than %s days deleted", deleted, settings.SW_IMPORT_REPORT_DAYS)
    return deleted


def discard_upload(job):
    """The uploaded file goes once its job has ended: customs figures are not kept twice, and the
    database (or the error report) holds what the bureau needs."""
    if job.path:
        Path(job.path).unlink(missing_ok=True)


@task()
def run_import(job_id):
    mark_stale_imports()  # a restarted worker first settles what its predecessor left behind
    delete_expired_reports()
    job = ImportJob.objects.select_related("region").get(pk=job_id)
    if not transitions.IMPORT_JOB.allowed("start", job.status):  # queued so long it was failed as stale
        log.warning("import %s is %s, not run", job_id, job.status)  # (the page said so)
        return
    try:
        run(job)
    except Refused as refused:  # failed as stale between the read above and the start: not run
        log.warning("import %s not run: %s", job_id, refused)
    except Exception as error:  # the job must not stay "处理中" forever: say it failed, then re-raise
        log.exception("import %s failed", job_id)
        try:
            transitions.fail(job.pk, timezone.now(), f"{type(error).__name__}: {error}"[:1000])
        except Refused:  # it had ended already (done, or failed as stale): it keeps what it says
            log.warning("import %s had ended as %s", job_id, ImportJob.objects.get(pk=job_id).status)
        report_file(job).unlink(missing_ok=True)  # half a report, which the failed job does not offer
        raise
    finally:
        discard_upload(job)
