"""Staging and the merge: the good rows in a per-job temporary table, then one all-or-nothing write.

PostgreSQL stages through COPY, SQLite through executemany; duplicates inside the file are found by the
database over the staging table; merge() creates the unknown enterprises and replaces the year's figures,
and any row it cannot write is looked for only then and raised as Rejected. See
docs/decisions/0006-import-pipeline.md, 0007-bulk-loads-set-indexes-aside.md and 0022-optimistic-merge.md.
"""
from contextlib import contextmanager, nullcontext

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from singlewindow import bulk
from singlewindow.regions.models import Region

from .identifiers import organisation_code_sql
from .import_rows import FIELDS
from .models import Enterprise, ExportRecord

# --- staging: PostgreSQL COPY, SQLite executemany -----------------------------------------------------

class Stage:
    def __init__(self, job_id, *, table=None, dups=None):
        self.table = table or f"import_stage_{job_id}"
        self.dups = dups or f"import_dups_{job_id}"
        self.postgres = connection.vendor == "postgresql"
        self.rows = 0

    def create(self):
        self.drop()
        types = ("integer", 'varchar(18) COLLATE "C"', "varchar(100)", "varchar(6)", "smallint", "numeric(16,2)") \
            if self.postgres else ("integer", "text", "text", "text", "integer", "numeric")
        columns = ", ".join(f"{n} {t}" for n, t in zip(("line", *FIELDS), types))
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE {self.table} ({columns})")

    @contextmanager
    def writer(self):
        """Yields (add, flush): add(row) stages one good row; flush() pushes what SQLite holds back.

        PostgreSQL: one COPY for the whole file, fed as rows are checked, so the server stores while
        Python reads on (two cores at work); memory stays one COPY buffer. SQLite: executemany at each flush()
        (imports.CHUNK rows).
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
                created, written = write(cursor, stage, prefix, source, big)
                if written != stage.rows:
                    raise IntegrityError(f"{stage.rows} rows staged but {written} figures written")
        except IntegrityError:
            problems = _conflicts(cursor, stage, prefix)
            if not problems:
                raise
            raise Rejected(problems) from None
    return created, written


def _insert_select(model, filled):
    """(columns, SELECT list, parameters) of an INSERT … SELECT into `model`'s table, from its concrete fields.

    `filled` maps a column to the SQL that fills it from the stage (a string, or (sql, params)); every other
    column is written as the field's default ('' for a blank CharField), so a column added to the model
    cannot be left out: a required one with no default that `filled` does not name stops the import here.
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    unknown = set(filled) - {f.column for f in fields}
    if unknown:
        raise ImproperlyConfigured(f"{model.__name__} has no columns {sorted(unknown)}")
    columns, values, params = [], [], []
    for field in fields:
        if field.column in filled:
            sql, given = (filled[field.column], []) if isinstance(filled[field.column], str) else filled[field.column]
        else:
            default = field.get_default() if field.has_default() or field.blank or field.null else None
            if default is None and not field.null:
                raise ImproperlyConfigured(f"the import has nothing to write into {model.__name__}.{field.name}")
            sql, given = "%s", [field.get_db_prep_save(default, connection)]
        columns.append(field.column)
        values.append(sql)
        params.extend(given)
    return ", ".join(columns), ", ".join(values), params


def enterprise_select():
    """(columns, SELECT list, parameters) creating an enterprise from the stage row `s`."""
    return _insert_select(Enterprise, {
        "uscc": "s.uscc", "org_code": organisation_code_sql("s.uscc"), "name": "s.name", "region_id": "s.county",
        "created_at": ("%s", [connection.ops.adapt_datetimefield_value(timezone.now())]),
    })


def figure_select(enterprise_id, source):
    """(columns, SELECT list, parameters) writing the figure of the stage row `s` for `enterprise_id` (SQL)."""
    return _insert_select(ExportRecord, {
        "enterprise_id": enterprise_id, "year": "s.year", "export_usd": "s.export_usd", "source": ("%s", [source]),
    })


@contextmanager
def plans_without_nested_loops(cursor, off=True):
    """No nested loop inside (PostgreSQL, when `off`): with the indexes set aside there is none to probe,
    and a plan made from stale statistics (an enterprises table ANALYZEd while empty, now being filled)
    would scan that whole table once per staged row. Hash joins do not rest on those estimates."""
    if not off:
        yield
        return
    cursor.execute("SET LOCAL enable_nestloop TO off")
    yield
    cursor.execute("SET LOCAL enable_nestloop TO DEFAULT")  # for the rest of the transaction


def write(cursor, stage, prefix, source, big):
    """Create the stage's unknown enterprises and replace their figures: (created, figures written)."""
    enterprise, figures = Enterprise._meta.db_table, ExportRecord._meta.db_table
    with (bulk.indexes_set_aside(Enterprise, ExportRecord) if big else nullcontext(),
          plans_without_nested_loops(cursor, off=big)):
        columns, values, params = enterprise_select()
        cursor.execute(
            f"INSERT INTO {enterprise} ({columns}) SELECT {values}"
            f" FROM {stage.table} s WHERE NOT EXISTS (SELECT 1 FROM {enterprise} e WHERE e.uscc = s.uscc)"
            # an enterprise with several years in the file is named by its first row
            f" AND NOT EXISTS (SELECT 1 FROM {stage.dups} d WHERE d.line = s.line AND d.line > d.first_line)",
            params,
        )
        created = cursor.rowcount
        # A re-import of a year replaces that year's figure of each enterprise in the file, no other.
        cursor.execute(
            f"DELETE FROM {figures} WHERE (enterprise_id, year) IN"
            f" (SELECT e.id, s.year FROM {stage.table} s JOIN {enterprise} e ON e.uscc = s.uscc)"
        )
        columns, values, params = figure_select("e.id", source)
        cursor.execute(
            f"INSERT INTO {figures} ({columns})"
            f" SELECT {values} FROM {stage.table} s JOIN {enterprise} e ON e.uscc = s.uscc"
            f" WHERE e.region_id LIKE %s",
            [*params, prefix],
        )
        return created, cursor.rowcount


def _conflicts(cursor, stage, prefix):
    """Rows the row checks cannot judge alone, as (line, field, value, message), looked for once a write
    failed: an organisation code (characters 9–17) held by another enterprise, or by another code earlier
    in the file, and an enterprise registered outside the uploader's region."""
    enterprise = Enterprise._meta.db_table
    org, org_of_s = organisation_code_sql("uscc"), organisation_code_sql("s.uscc")
    cursor.execute(
        f"SELECT s.line, s.uscc, e.uscc, e.name, NULL, CAST(NULL AS integer) FROM {stage.table} s"
        f" JOIN {enterprise} e ON e.org_code = {org_of_s} WHERE e.uscc <> s.uscc"
        f" UNION ALL SELECT s.line, s.uscc, NULL, NULL, e.region_id, NULL FROM {stage.table} s"
        f" JOIN {enterprise} e ON e.uscc = s.uscc WHERE e.region_id NOT LIKE %s"
        f" UNION ALL SELECT s.line, s.uscc, NULL, NULL, NULL, f.line FROM {stage.table} s JOIN"
        f" (SELECT {org} AS org, min(line) AS first_line FROM {stage.table}"
        f" GROUP BY {org} HAVING min(uscc) <> max(uscc)) g ON g.org = {org_of_s}"
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
