"""Customs export list import: stream the file, check every row, stage it, then write all or nothing.

One pass reads the file row by row (csv / openpyxl read_only) and never holds more than one chunk of
rows: good rows go to a per-job staging table (PostgreSQL: COPY; SQLite: executemany), bad ones to the
error report on disk. Duplicates inside the file are found by the database over the staging table. Only
when no row is bad does one transaction create the unknown enterprises and replace the year's figures;
any problem found there (an organisation code used by another enterprise, an enterprise registered
outside the uploader's region) rolls it all back and is reported by row like the others.
See docs/decisions/0006-import-pipeline.md.
"""
import codecs
import csv
import io
import logging
import os
import re
from contextlib import contextmanager, nullcontext
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from singlewindow import bulk
from singlewindow.accounts.models import Role
from singlewindow.audit.services import record
from singlewindow.regions.models import Region
from singlewindow.spreadsheets import CsvWriter

from .identifiers import uscc_problem
from .models import Enterprise, ExportRecord, ImportJob

log = logging.getLogger(__name__)

CHUNK = 20_000  # rows held in memory at most, and how often progress is written
PREVIEW = 20  # errors shown on the page; the report file has them all
MIN_YEAR = 1980
MAX_EXPORT = Decimal("1e14")
FIELDS = ("uscc", "name", "county", "year", "export_usd")
LABELS = {
    "uscc": "统一社会信用代码", "name": "企业名称", "county": "县区代码", "year": "年度",
    "export_usd": "出口额（美元）", "file": "文件",
}
HEADER_ALIASES = {
    "uscc": {"统一社会信用代码", "社会信用代码", "uscc"},
    "name": {"企业名称", "名称", "name", "enterprisename"},
    "county": {"县区代码", "区划代码", "所在县区代码", "行政区划代码", "county", "countycode"},
    "year": {"年度", "年份", "year"},
    "export_usd": {"出口额（美元）", "出口额", "出口额美元", "exportusd", "export_usd", "出口金额（美元）"},
}


def import_dir():
    path = Path(getattr(settings, "SW_IMPORT_DIR", settings.VAR_DIR / "imports"))
    path.mkdir(parents=True, exist_ok=True)
    return path


_SEPARATORS = re.compile(r"[\s\-－—]")
_PLAIN_AMOUNT = re.compile(r"[0-9]{1,14}(?:\.[0-9]{1,2})?")  # below MAX_EXPORT, at most two decimals


# --- reading ------------------------------------------------------------------------------------------

def _key(header):
    text = re.sub(r"[\s_]", "", str(header or "")).lower().replace("(", "（").replace(")", "）")
    for field, aliases in HEADER_ALIASES.items():
        if text in {a.lower().replace(" ", "") for a in aliases}:
            return field
    return None


def _cell(value):
    """A cell as text: openpyxl gives numbers for numeric cells, the csv module gives text."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _sniff_encoding(path):
    """UTF-8 (with or without BOM) when the start decodes as such, else GB18030 (Excel's 'CSV' in China)."""
    with open(path, "rb") as head:
        sample = head.read(1 << 16)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"


class CsvRows:
    def __init__(self, path):
        self.raw = open(path, "rb")
        self.size = os.fstat(self.raw.fileno()).st_size or 1
        self.text = io.TextIOWrapper(self.raw, encoding=_sniff_encoding(path), newline="", errors="replace")

    def __iter__(self):
        return iter(csv.reader(self.text))

    def fraction(self):
        return min(1.0, self.raw.tell() / self.size)

    def close(self):
        self.text.close()


class XlsxRows:
    def __init__(self, path):
        import openpyxl

        self.book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        self.sheet = self.book.worksheets[0]
        self.total = self.sheet.max_row or 0  # from the sheet's <dimension>, when the writer gave one
        self.seen = 0

    def __iter__(self):
        for row in self.sheet.iter_rows(values_only=True):
            self.seen += 1
            yield [_cell(v) for v in row]

    def fraction(self):
        return min(1.0, self.seen / self.total) if self.total else 0.0

    def close(self):
        self.book.close()


def open_rows(path, file_name):
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        return XlsxRows(path)
    return CsvRows(path)


# --- checking one row ---------------------------------------------------------------------------------

class RowChecker:
    def __init__(self, region, this_year, counties=None):
        """counties: {code: name} of the known county-level divisions (default: from the database)."""
        if counties is None:
            counties = dict(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", "name"))
        self.names = counties
        self.prefix = region.prefix if region else ""
        self.region = region
        self.this_year = this_year

    def check(self, values):
        """(uscc, name, county, year, export_usd) or None, and a list of (field, value, message).

        The common case (a good row) takes the short way; any doubt goes to diagnose(), which names
        every problem of the row and is the one definition of the rules.
        """
        uscc, name, county, year, amount = values
        if uscc.isascii() and uscc.isalnum():
            code = uscc.upper()
            name = name.strip()
            county = county.strip()
            if (uscc_problem(code) is None and name and len(name) <= 100 and county in self.names
                    and county.startswith(self.prefix) and len(year) == 4 and year.isascii() and year.isdigit()
                    and MIN_YEAR <= int(year) <= self.this_year and _PLAIN_AMOUNT.fullmatch(amount)):
                return (code, name, county, int(year), Decimal(amount)), ()
        return self.diagnose(values)

    def diagnose(self, values):
        errors = []
        uscc, name, county, year, amount = values
        code = uscc.upper() if uscc.isascii() and uscc.isalnum() else _SEPARATORS.sub("", uscc).upper()
        if not code:
            errors.append(("uscc", uscc, _("统一社会信用代码不能为空。")))
        else:
            problem = uscc_problem(code)
            if problem:
                errors.append(("uscc", uscc, problem))
        name = name.strip()
        if not name:
            errors.append(("name", name, _("企业名称不能为空。")))
        elif len(name) > 100:
            errors.append(("name", name[:30] + "…", _("企业名称不能超过100个字。")))
        county = county.strip()
        if county not in self.names:
            errors.append(("county", county, _("县区代码不能为空。") if not county
                           else _("“%(code)s”不是广东省的县级行政区划代码。") % {"code": county}))
        elif not county.startswith(self.prefix):
            errors.append(("county", county, _("%(name)s 不在本单位管辖区域（%(region)s）内。")
                           % {"name": self.names[county], "region": self.region}))
        year_text = year.strip()
        year = int(year_text) if year_text.isascii() and year_text.isdigit() and len(year_text) == 4 else None
        if year is None:
            errors.append(("year", year_text, _("年度应为四位数字，如 %(y)d。") % {"y": self.this_year - 1}))
        elif not MIN_YEAR <= year <= self.this_year:
            errors.append(("year", year_text, _("年度应在 %(a)d 至 %(b)d 之间。") % {"a": MIN_YEAR, "b": self.this_year}))
        amount_text = amount.strip()
        value = None
        if not amount_text:
            errors.append(("export_usd", amount_text, _("出口额不能为空。")))
        else:
            try:
                value = Decimal(amount_text.replace(",", ""))
                if not value.is_finite() or value != value.quantize(Decimal("0.01")):
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                value = None
                errors.append(("export_usd", amount_text, _("出口额应为数字（美元，最多两位小数）。")))
            else:
                if value < 0:
                    errors.append(("export_usd", amount_text, _("出口额不能为负数。")))
                elif value >= MAX_EXPORT:
                    errors.append(("export_usd", amount_text, _("出口额超出可记录的范围。")))
        if errors:
            return None, errors
        return (code, name, county, year, value), errors


# --- staging: PostgreSQL COPY, SQLite executemany -----------------------------------------------------

class Stage:
    def __init__(self, job_id):
        self.table = f"import_stage_{job_id}"
        self.dups = f"import_dups_{job_id}"
        self.postgres = connection.vendor == "postgresql"
        self.rows = 0

    def create(self):
        self.drop()
        types = ("integer", "varchar(18)", "varchar(100)", "varchar(6)", "smallint", "numeric(16,2)") \
            if self.postgres else ("integer", "text", "text", "text", "integer", "numeric")
        columns = ", ".join(f"{n} {t}" for n, t in zip(("line", *FIELDS), types))
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE {self.table} ({columns})")

    @contextmanager
    def writer(self):
        """Yields (add, flush): add(row) stages one good row; flush() pushes what SQLite holds back.

        PostgreSQL: one COPY for the whole file, fed as rows are checked, so the server stores while
        Python reads on (two cores at work); memory stays one COPY buffer. SQLite: executemany per CHUNK.
        """
        if self.postgres:
            with connection.cursor() as cursor, cursor.copy(f"COPY {self.table} FROM STDIN") as copy:
                yield copy.write_row, (lambda: None)
            return
        buffer = []

        def flush():
            if buffer:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany(f"INSERT INTO {self.table} VALUES (%s, %s, %s, %s, %s, %s)", buffer)
                buffer.clear()

        yield buffer.append, flush
        flush()

    def duplicates(self, after_line, limit):
        """Rows repeating an earlier row's (USCC, year): (line, uscc, year, first line), in line order."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT line, uscc, year, first_same_year FROM {self.dups} WHERE line > first_same_year"
                f" AND line > %s ORDER BY line LIMIT %s",
                [after_line, limit],
            )
            return cursor.fetchall()

    def find_duplicates(self):
        """Note every row of a code that appears more than once; returns how many repeat a (USCC, year).

        The table also tells the merge which rows are not a code's first (several years of one
        enterprise): only the first row creates the enterprise.
        """
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE {self.dups} AS SELECT line, uscc, year,"
                f" min(line) OVER (PARTITION BY uscc, year) AS first_same_year,"
                f" min(line) OVER (PARTITION BY uscc) AS first_line FROM {self.table}"
                f" WHERE uscc IN (SELECT uscc FROM {self.table} GROUP BY uscc HAVING count(*) > 1)"
            )
            cursor.execute(f"CREATE INDEX {self.dups}_line ON {self.dups} (line)")
            cursor.execute(f"SELECT count(*) FROM {self.dups} WHERE line > first_same_year")
            return cursor.fetchone()[0]

    def drop(self):
        with connection.cursor() as cursor:
            for table in (self.table, self.dups):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")


class Rejected(Exception):
    """Problems found while writing: the transaction is rolled back and the rows are reported."""

    def __init__(self, problems):
        super().__init__(f"{len(problems)} rows refused while writing")
        self.problems = problems


# A load this big (and at least a quarter of the enterprises already there) sets the indexes aside and
# rebuilds them once (PostgreSQL): quicker than a million index updates, at the price of locking the
# two tables for the write. Smaller loads write through the indexes and lock nothing beyond their rows.
BULK_ROWS = 50_000
ANALYZE_ROWS = 10_000  # after writing this many, refresh the planner's statistics at once


def merge(stage, *, region, source):
    """Create unknown enterprises and replace the figures, in the caller's transaction. Returns counts.

    Written optimistically: a row the checks so far cannot judge (its organisation code held by another
    enterprise, its enterprise registered outside the uploader's region) makes the write fail or fall
    short, and only then are the rows looked for and reported.
    """
    prefix = (region.prefix if region else "") + "%"
    with connection.cursor() as cursor:
        bulk.commit_without_waiting()  # a crash loses the import whole; the bureau uploads again
        if stage.postgres:
            cursor.execute(f"ANALYZE {stage.table}")  # temporary tables are never analysed automatically
            cursor.execute(f"ANALYZE {stage.dups}")
        big = stage.postgres and stage.rows >= BULK_ROWS and stage.rows * 4 >= bulk.estimated_rows(Enterprise)
        try:
            with transaction.atomic():
                created, written = _write(cursor, stage, prefix, source, big)
                if written != stage.rows:
                    raise IntegrityError(f"{stage.rows} rows staged but {written} figures written")
        except IntegrityError:
            problems = _conflicts(cursor, stage, prefix)
            if not problems:
                raise
            raise Rejected(problems) from None
    return created, written


def _write(cursor, stage, prefix, source, big):
    enterprise, figures = Enterprise._meta.db_table, ExportRecord._meta.db_table
    with bulk.indexes_set_aside(Enterprise, ExportRecord) if big else nullcontext():
        cursor.execute(
            f"INSERT INTO {enterprise} (uscc, org_code, name, name_en, region_id, address, legal_representative,"
            f" customs_code, created_at) SELECT uscc, substr(uscc, 9, 9), name, '', county, '', '', '', %s"
            f" FROM {stage.table} s WHERE NOT EXISTS (SELECT 1 FROM {enterprise} e WHERE e.uscc = s.uscc)"
            # an enterprise with several years in the file is named by its first row
            f" AND NOT EXISTS (SELECT 1 FROM {stage.dups} d WHERE d.line = s.line AND d.line > d.first_line)",
            [connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        created = cursor.rowcount
        # A re-import of a year replaces that year's figure of each enterprise in the file, no other.
        cursor.execute(
            f"DELETE FROM {figures} WHERE (enterprise_id, year) IN"
            f" (SELECT e.id, s.year FROM {stage.table} s JOIN {enterprise} e ON e.uscc = s.uscc)"
        )
        cursor.execute(
            f"INSERT INTO {figures} (enterprise_id, year, export_usd, source)"
            f" SELECT e.id, s.year, s.export_usd, %s FROM {stage.table} s JOIN {enterprise} e ON e.uscc = s.uscc"
            f" WHERE e.region_id LIKE %s",
            [source, prefix],
        )
        return created, cursor.rowcount


def _conflicts(cursor, stage, prefix):
    """Rows the row checks cannot judge alone, as (line, field, value, message), looked for once a write
    failed: an organisation code (characters 9–17) held by another enterprise, or by another code earlier
    in the file, and an enterprise registered outside the uploader's region."""
    enterprise = Enterprise._meta.db_table
    cursor.execute(
        f"SELECT s.line, s.uscc, e.uscc, e.name, NULL, CAST(NULL AS integer) FROM {stage.table} s"
        f" JOIN {enterprise} e ON e.org_code = substr(s.uscc, 9, 9) WHERE e.uscc <> s.uscc"
        f" UNION ALL SELECT s.line, s.uscc, NULL, NULL, e.region_id, NULL FROM {stage.table} s"
        f" JOIN {enterprise} e ON e.uscc = s.uscc WHERE e.region_id NOT LIKE %s"
        f" UNION ALL SELECT s.line, s.uscc, NULL, NULL, NULL, f.line FROM {stage.table} s JOIN"
        f" (SELECT substr(uscc, 9, 9) AS org, min(line) AS first_line FROM {stage.table}"
        f" GROUP BY substr(uscc, 9, 9) HAVING min(uscc) <> max(uscc)) g ON g.org = substr(s.uscc, 9, 9)"
        f" JOIN {stage.table} f ON f.line = g.first_line WHERE s.uscc <> f.uscc"
        f" ORDER BY 1 LIMIT 10000",
        [prefix],
    )
    rows = cursor.fetchall()
    names = dict(Region.objects.values_list("code", "name")) if rows else {}
    problems = []
    for line, uscc, other_uscc, other_name, other_region, first_line in rows:
        if other_uscc:
            message = _("组织机构代码（第9至17位）与已有企业“%(name)s”（%(uscc)s）相同。") % {
                "name": other_name, "uscc": other_uscc}
        elif first_line:
            message = _("组织机构代码（第9至17位）与第 %(n)d 行的企业相同。") % {"n": first_line}
        else:
            message = _("该企业已登记在%(region)s，不在本单位管辖区域内。") % {
                "region": names.get(other_region, other_region)}
        problems.append((line, "uscc", uscc, message))
    return problems


# --- the job ------------------------------------------------------------------------------------------

class ErrorReport:
    """Every bad row, streamed to a CSV file on disk; the first few also kept for the page."""

    def __init__(self, job):
        self.path = import_dir() / f"job-{job.pk}-errors.csv"
        self.file = open(self.path, "w", encoding="utf-8-sig", newline="")
        self.writer = CsvWriter(self.file)
        self.writer.writerow([_("行号"), _("字段"), _("内容"), _("问题")])
        self.count = 0
        self.preview = []

    def add(self, line, field, value, message):
        self.count += 1
        row = [line, str(LABELS.get(field, field)), value, message]
        self.writer.writerow(row)
        if len(self.preview) < PREVIEW:
            self.preview.append(row)

    def close(self):
        self.file.close()


def _progress(job, **fields):
    # every write is also a sign of life: a job without one for SW_IMPORT_STALE has lost its worker
    ImportJob.objects.filter(pk=job.pk).update(heartbeat=timezone.now(), **fields)


def run(job):
    """Import one uploaded file. Sets the job's final status; raises only for unexpected failures."""
    _progress(job, status=ImportJob.Status.RUNNING, phase=ImportJob.Phase.READ, started_at=timezone.now())
    report = ErrorReport(job)
    stage = Stage(job.pk)
    stage.create()
    try:
        rows_read, years = _read(job, stage, report)
        _progress(job, phase=ImportJob.Phase.DUPS, percent=80, rows_read=rows_read)
        if stage.find_duplicates():
            last = 0
            while batch := stage.duplicates(last, 5000):
                for line, uscc, year, first in batch:
                    report.add(line, "uscc", uscc, _("与第 %(n)d 行重复：同一企业同一年度（%(y)s）只能有一条记录。")
                               % {"n": first, "y": year})
                last = batch[-1][0]
        if report.count == 0 and rows_read == 0:
            report.add(1, "file", "", _("文件中没有数据行。"))
        created = written = 0
        if report.count == 0:
            _progress(job, phase=ImportJob.Phase.WRITE, percent=85)
            try:
                with transaction.atomic():
                    created, written = merge(
                        stage, region=job.region, source=f"海关出口数据导入 #{job.pk} {job.file_name}"[:100]
                    )
                    record(actor=job.uploaded_by, action="exports.import", obj=job, data={
                        "file": job.file_name, "rows": rows_read, "enterprises_created": created,
                        "records_written": written, "years": sorted(years),
                    })
            except Rejected as rejected:
                for line, field, value, message in rejected.problems:
                    report.add(line, field, value, message)
    finally:
        report.close()
        stage.drop()
    final = ImportJob.Status.DONE if report.count == 0 else ImportJob.Status.REJECTED
    _progress(
        job, status=final, percent=100, phase="", finished_at=timezone.now(), error_count=report.count,
        errors_preview=report.preview, report_path=str(report.path) if report.count else "",
        enterprises_created=created, records_written=written, years=sorted(years),
    )
    if report.count == 0:
        report.path.unlink(missing_ok=True)
        if written >= ANALYZE_ROWS:
            bulk.analyze(Enterprise, ExportRecord)
    log.info("import %s: %s rows, %s errors, %s enterprises created, %s records written",
             job.pk, rows_read, report.count, created, written)


def _read(job, stage, report):
    checker = RowChecker(job.region, timezone.localdate().year)
    rows = open_rows(job.path, job.file_name)
    progress = Progress(job)
    years = set()
    count = good = 0
    try:
        iterator = iter(rows)
        columns = _columns(next(iterator, None), report)
        if columns is None:
            return 0, years
        width = max(columns) + 1
        pick = itemgetter(*columns)
        check = checker.check
        with stage.writer() as (add, flush):
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
            _progress(_Job(self.job_id), **fields)
            return
        fields["heartbeat"] = timezone.now()  # as _progress does
        sets = ", ".join(f"{name} = %s" for name in fields)
        self.side.execute(f"UPDATE {ImportJob._meta.db_table} SET {sets} WHERE id = %s",
                          [*fields.values(), self.job_id])

    def close(self):
        if self.side is not None:
            self.side.close()


class _Job:
    def __init__(self, pk):
        self.pk = pk


def _columns(header, report):
    """Index of each needed column in the header row, or None (reported) when some are missing."""
    if header is None:
        report.add(1, "file", "", _("文件是空的。"))
        return None
    found = {}
    for index, title in enumerate(header):
        field = _key(title)
        if field and field not in found:
            found[field] = index
    missing = [LABELS[f] for f in FIELDS if f not in found]
    if missing:
        report.add(1, "file", "", _("缺少列：%(cols)s。第一行应为列名：统一社会信用代码、企业名称、县区代码、年度、出口额（美元）。")
                   % {"cols": "、".join(missing)})
        return None
    return [found[f] for f in FIELDS]


def submit(user, upload):
    """Keep the uploaded file on disk, make the job and queue it. Bureaus import for their own region."""
    region = user.region if user.role == Role.BUREAU else None
    job = ImportJob.objects.create(uploaded_by=user, region=region, file_name=upload.name[-200:], size=upload.size)
    suffix = ".xlsx" if upload.name.lower().endswith((".xlsx", ".xlsm")) else ".csv"
    path = import_dir() / f"job-{job.pk}{suffix}"
    with open(path, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    ImportJob.objects.filter(pk=job.pk).update(path=str(path))
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
            # stale() again: the job may have moved on since the list was read
            if not ImportJob.objects.stale().filter(pk=job.pk).update(
                    status=ImportJob.Status.FAILED, finished_at=timezone.now(), message=ImportJob.STALE_MESSAGE):
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


def discard_upload(job):
    """The uploaded file goes once its job has ended: customs figures are not kept twice, and the
    database (or the error report) holds what the bureau needs."""
    if job.path:
        Path(job.path).unlink(missing_ok=True)


@task()
def run_import(job_id):
    mark_stale_imports()  # a restarted worker first settles what its predecessor left behind
    job = ImportJob.objects.select_related("region").get(pk=job_id)
    if job.status != ImportJob.Status.QUEUED:  # queued so long it was just failed as stale: the page said so
        log.warning("import %s is %s, not run", job_id, job.status)
        return
    try:
        run(job)
    except Exception as error:  # the job must not stay "处理中" forever: say it failed, then re-raise
        log.exception("import %s failed", job_id)
        _progress(job, status=ImportJob.Status.FAILED, finished_at=timezone.now(),
                  message=f"{type(error).__name__}: {error}"[:1000])
        raise
    finally:
        discard_upload(job)
