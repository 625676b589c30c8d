"""PostgreSQL: a good file written while it is still being checked, in one transaction.

A thread reads and checks the rows (imports._read, the one set of rules) and hands them over a chunk at a
time; the job's connection writes each chunk into the final tables while the thread checks the next, so
the database's work and Python's overlap instead of following each other (decision 0040). A chunk's rows
whose code the file has not named before and the table does not hold become enterprises at once, with
the ids the rows were given as they were copied in, and their figures with those ids: no join, and no
statement planned over a table it is filling, whatever the statistics say. The other rows (a code the
file may have named before, an enterprise already there) wait for the end, where the staged merge's own
statements write them.

Anything this path cannot decide alone (a bad row, a repeated code and year, a write the database
refuses) rolls its transaction back and raises GaveUp: the caller then takes the staged path, which
names every problem. Nothing of the attempt remains. See docs/decisions/0006-import-pipeline.md.
"""
import logging
import queue
import threading
from contextlib import ExitStack, contextmanager

from django.db import IntegrityError, connection, connections, transaction

from singlewindow import bulk

from . import import_stage
from .import_rows import FIELDS
from .models import Enterprise, ExportRecord

log = logging.getLogger(__name__)

WAITING = 1  # chunks checked and waiting to be written: with the one being written and the one being checked,
# the memory held is three chunks
SEEN_BITS = 1 << 26  # 8 MB, whatever the file's size


class GaveUp(Exception):
    """This file needs the staged path (its problems are named there); nothing was written."""


class _Stopped(Exception):
    """The writer gave up: the checking thread stops at its next chunk."""


class Problems:
    """What the checking thread reports to: it counts, as the attempt gives up at the first problem and
    the staged path writes the real report."""

    count = 0
    full = False

    def add(self, *problem):
        self.count += 1

    def more(self, n):
        self.count += n


class Chunks:
    """The `stage` imports._read writes to: checked rows, a chunk at a time, onto the queue."""

    def __init__(self, out, stop):
        self.out, self.stop, self.rows = out, stop, 0

    @contextmanager
    def writer(self):
        """Each row gets `seen`: whether the file may have named its code already, from one bit per hash of
        the code. A code not named before is never taken for seen, so a row with seen false is certainly
        its code's first; a few first rows are taken for repeats (two codes on one bit), which only sends
        them the slower way (_write_rest)."""
        bits, mask, buffer = bytearray(SEEN_BITS >> 3), SEEN_BITS - 1, []

        def add(row):
            at = hash(row[1]) & mask
            byte, bit = at >> 3, 1 << (at & 7)
            held = bits[byte]
            buffer.append((*row, held & bit != 0))
            bits[byte] = held | bit

        def flush():
            if self.stop.is_set():
                raise _Stopped
            if buffer:
                self.out.put(("rows", buffer.copy()))  # waits while WAITING chunks are not yet written
                buffer.clear()

        yield add, flush
        flush()


class Tables:
    """The attempt's temporary tables: each chunk, its rows that are new enterprises, every row checked
    so far, the rows left for the end, and (once the indexes are set aside) the codes known before."""

    def __init__(self, job_id):
        self.chunk, self.fresh, self.rows, self.rest, self.known = (
            f"import_{kind}_{job_id}" for kind in ("chunk", "fresh", "rows", "rest", "known"))
        self.rest_dups = f"import_rest_dups_{job_id}"

    def create(self, cursor):
        columns = ", ".join(f"{name} {kind}" for name, kind in zip(
            ("line", *FIELDS, "seen"),
            ("integer", 'varchar(18) COLLATE "C"', "varchar(100)", "varchar(6)", "smallint", "numeric(16,2)", "boolean"),
        ))
        # each row is given the id its enterprise will have if it is new (a sequence value lost otherwise)
        ids = f"nextval(pg_get_serial_sequence('{Enterprise._meta.db_table}', 'id'))"
        cursor.execute(f"CREATE TEMP TABLE {self.chunk} ({columns}, eid bigint DEFAULT {ids}) ON COMMIT DROP")
        for table in (self.fresh, self.rows, self.rest):
            cursor.execute(f"CREATE TEMP TABLE {table} (LIKE {self.chunk}) ON COMMIT DROP")

    def snapshot_known(self, cursor):
        """The codes there now, indexed, for the chunks to look up once the table's own index is set aside."""
        cursor.execute(f"CREATE TEMP TABLE {self.known} ON COMMIT DROP AS"
                       f" SELECT uscc FROM {Enterprise._meta.db_table}")
        cursor.execute(f"CREATE INDEX ON {self.known} (uscc)")
        cursor.execute(f"ANALYZE {self.known}")


def load(job, read, *, region, source, written):
    """Check and write the job's file on PostgreSQL; (rows read, years, created, figures written).

    `read(stage, report)` is imports._read; `written(rows_read, years, created, figures)` runs inside the
    transaction once everything is written (the audit event). Raises GaveUp, having written nothing, when
    the staged path must take the file.
    """
    out, stop, problems = queue.Queue(maxsize=WAITING), threading.Event(), Problems()
    thread = threading.Thread(target=_check, args=(read, Chunks(out, stop), problems, out), daemon=True,
                              name=f"import-{job.pk}-check")
    thread.start()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            result = _write_all(cursor, job, out, problems, region, source)
            written(*result)
            return result
    except IntegrityError as error:  # an organisation code held twice, found as the indexes are rebuilt
        log.info("import %s: the write was refused (%s); taking the staged path", job.pk, error)
        raise GaveUp from None
    finally:
        stop.set()
        while thread.is_alive():  # let it put what it holds and see the stop
            try:
                out.get(timeout=0.05)
            except queue.Empty:
                pass
        thread.join()


def _check(read, chunks, problems, out):
    try:
        result = read(chunks, problems)
        out.put(("done", result))
    except _Stopped:
        out.put(("done", None))
    except BaseException as error:  # noqa: BLE001 (handed to the writer, which raises it)
        out.put(("error", error))
    finally:
        connections.close_all()  # this thread's own


def _write_all(cursor, job, out, problems, region, source):
    tables = Tables(job.pk)
    bulk.commit_without_waiting()  # a crash loses the import whole; the bureau uploads again
    tables.create(cursor)
    known = Enterprise._meta.db_table  # looked up through its unique index until that is set aside
    created = figures = staged = 0
    with ExitStack() as aside:
        while True:
            kind, value = out.get()
            if kind == "error":
                raise value
            if problems.count:
                raise GaveUp
            if kind == "done":
                break
            staged += len(value)
            if known != tables.known and _big(staged, job.size):
                aside.enter_context(bulk.indexes_set_aside(Enterprise, ExportRecord))
                tables.snapshot_known(cursor)
                known = tables.known
            new, wrote = _write_chunk(cursor, tables, value, known, source)
            created, figures = created + new, figures + wrote
        if value is None or not staged:
            raise GaveUp
        new, wrote = _write_rest(cursor, tables, known, region, source, big=known == tables.known)
        created, figures = created + new, figures + wrote
        if figures != staged:  # an enterprise registered outside the uploader's region
            raise GaveUp
    rows_read, years = value
    return rows_read, years, created, figures


ROW_BYTES = 200  # longer than nearly any row: a file's size over this is rows it surely holds


def _big(staged, size):
    """Set the indexes aside from here on (decision 0007)? Asked at each chunk, so a big file does so
    from its first (foreign-key checks queued for the rows before would run one by one); the tests
    lower BULK_ROWS."""
    rows = max(staged, size // ROW_BYTES)
    return rows >= import_stage.BULK_ROWS and rows * 4 >= bulk.estimated_rows(Enterprise)


def _write_new(cursor, table, source):
    """Create the enterprises of `table`'s rows, with the ids the rows carry, and write their figures (one
    statement: each round trip waits for the checking thread to let go of the GIL). Returns the count."""
    columns, values, params = import_stage.enterprise_select()
    figure_columns, figure_values, figure_params = import_stage.figure_select("s.eid", source)
    cursor.execute(
        f"WITH new AS (INSERT INTO {Enterprise._meta.db_table} (id, {columns}) SELECT s.eid, {values} FROM {table} s)"
        f" INSERT INTO {ExportRecord._meta.db_table} ({figure_columns}) SELECT {figure_values} FROM {table} s",
        [*params, *figure_params],
    )
    return cursor.rowcount


def _write_chunk(cursor, tables, rows, known, source):
    """Copy a chunk in, create its new enterprises and write their figures; keep the other rows for the end.

    New: not seen before in the file and not in `known`. No statement reads a table it writes, so none
    is planned over a table it is filling."""
    cursor.execute(f"TRUNCATE {tables.chunk}, {tables.fresh}")
    with cursor.copy(f"COPY {tables.chunk} (line, {', '.join(FIELDS)}, seen) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    exists = f"EXISTS (SELECT 1 FROM {known} k WHERE k.uscc = s.uscc)"
    cursor.execute(
        f"WITH every AS (INSERT INTO {tables.rows} SELECT * FROM {tables.chunk}),"
        f" later AS (INSERT INTO {tables.rest} SELECT * FROM {tables.chunk} s WHERE s.seen OR {exists})"
        f" INSERT INTO {tables.fresh} SELECT * FROM {tables.chunk} s WHERE NOT s.seen AND NOT {exists}"
    )
    if not cursor.rowcount:
        return 0, 0
    new = cursor.rowcount
    return new, _write_new(cursor, tables.fresh, source)


def _write_rest(cursor, tables, known, region, source, big):
    """The rows no chunk wrote: (created, figures written). Those taken for repeats only because two codes
    shared a bit are new after all; the others go through the staged merge's statements."""
    cursor.execute(f"ANALYZE {tables.rest}")
    cursor.execute(f"TRUNCATE {tables.fresh}")
    with import_stage.plans_without_nested_loops(cursor):  # every row checked so far has no index: hash it
        cursor.execute(
            f"WITH repeated AS MATERIALIZED (SELECT DISTINCT o.uscc FROM {tables.rows} o JOIN {tables.rest} r"
            f" ON r.uscc = o.uscc WHERE o.line <> r.line)"
            f" INSERT INTO {tables.fresh} SELECT * FROM {tables.rest} s"
            f" WHERE NOT s.uscc IN (SELECT uscc FROM repeated) AND NOT EXISTS (SELECT 1 FROM {known} k WHERE k.uscc = s.uscc)"
        )
        created = figures = cursor.rowcount
    if created:
        figures = _write_new(cursor, tables.fresh, source)
        cursor.execute(f"DELETE FROM {tables.rest} r USING {tables.fresh} f WHERE f.line = r.line")
    cursor.execute(f"SELECT count(*) FROM {tables.rest}")
    if not cursor.fetchone()[0]:
        return created, figures
    # a code and year given twice is a problem the staged path names, with both lines
    cursor.execute(
        f"SELECT 1 FROM {tables.rows} WHERE uscc IN (SELECT uscc FROM {tables.rest})"
        f" GROUP BY uscc, year HAVING count(*) > 1 LIMIT 1"
    )
    if cursor.fetchone():
        raise GaveUp
    rest = import_stage.Stage(job_id=None, table=tables.rest, dups=tables.rest_dups)
    rest.find_duplicates()  # which row of a code with several years names its enterprise
    cursor.execute(f"ANALYZE {tables.rest}")
    prefix = (region.prefix if region else "") + "%"
    with import_stage.plans_without_nested_loops(cursor, off=big):  # with the indexes there, probe them
        more, wrote = import_stage.write(cursor, rest, prefix, source, big=False)
    cursor.execute(f"DROP TABLE {tables.rest_dups}")
    return created + more, figures + wrote
