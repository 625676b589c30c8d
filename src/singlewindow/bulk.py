"""Writing many rows fast: COPY on PostgreSQL, executemany on SQLite, and indexes set aside for big loads.

The ORM's bulk_create spends most of 200,000 policies' time building model instances and adapting
values one by one; these helpers take plain tuples. They run inside the caller's transaction and do
what bulk_create would (no signals, no save()): callers pass every column, as Django has no DB defaults.
"""
import json
import time
from contextlib import contextmanager

from django.db import OperationalError, connection, transaction


def reserve_ids(model, count):
    """`count` fresh primary keys for `model`, in increasing order (call inside the write transaction)."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s) ORDER BY 1",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the transaction holds the write lock (BEGIN IMMEDIATE), so nobody takes these meanwhile.
        # AUTOINCREMENT never reuses an id, even of a deleted row: start after sqlite_sequence too.
        cursor.execute(
            f"SELECT max(coalesce((SELECT max(id) FROM {table}), 0),"
            f" coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        first = cursor.fetchone()[0] + 1
    return list(range(first, first + count))


def insert(model, columns, rows):
    """Insert `rows` (tuples of Python values in `columns` order) into `model`'s table."""
    if not rows:
        return
    table = model._meta.db_table
    fields = [model._meta.get_field(name) for name in columns]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    jsons = [i for i, f in enumerate(fields) if f.get_internal_type() == "JSONField"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            dumped = {}  # id(value) -> its JSON: batches pass one dict to every row
            with cursor.copy(f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    if jsons:
                        row = list(row)
                        for i in jsons:
                            text = dumped.get(id(row[i]))
                            if text is None:
                                text = dumped[id(row[i])] = json.dumps(row[i])
                            row[i] = text
                    copy.write_row(row)
            return
        adapt = [_sqlite_adapter(f) for f in fields]
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(
            f"INSERT INTO {connection.ops.quote_name(table)} ({names}) VALUES ({marks})",
            [tuple(a(v) if a and v is not None else v for a, v in zip(adapt, row)) for row in rows],
        )


def _sqlite_adapter(field):
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    if kind == "DateField":
        return connection.ops.adapt_datefield_value
    if kind == "DecimalField":
        return str
    if kind == "JSONField":
        return json.dumps
    return None


def commit_without_waiting():
    """PostgreSQL: let this transaction's commit return before its WAL reaches the disk. A crash may then
    lose the transaction whole, never half of it: for loads that can simply be run again."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def side_connection():
    """PostgreSQL: a second, autocommit psycopg connection to the same database, for writes that must not
    wait for (or roll back with) the default connection's transaction."""
    import psycopg

    params = {k: v for k, v in connection.get_connection_params().items()
              if k not in ("context", "cursor_factory", "prepare_threshold")}
    return psycopg.connect(**params, autocommit=True)


def analyze(*models):
    """Refresh the planner's statistics after a big load, before autovacuum gets to it: a plan made
    for the empty tables of yesterday walks a million rows by nested loops."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def estimated_rows(model):
    """PostgreSQL's estimate of a table's row count (free; 0 for a table never analysed)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        return max(0, int(cursor.fetchone()[0]))


@contextmanager
def indexes_set_aside(*models):
    """PostgreSQL: drop the tables' secondary indexes, unique and foreign-key constraints; rebuild them after.

    Building an index once over all rows is several times quicker than maintaining it row by row, and one
    foreign-key check over the table beats one trigger per row (PostgreSQL's "Populating a Database").
    Only inside the caller's transaction: the tables stay locked ACCESS EXCLUSIVE until it ends, so nobody
    sees them without their indexes, and a failure rolls the drops back with the rows. The primary key
    stays (other tables' foreign keys need it). A rebuilt unique index that finds a duplicate raises
    IntegrityError: callers check uniqueness first.
    """
    assert connection.vendor == "postgresql" and connection.in_atomic_block
    quote = connection.ops.quote_name
    saved = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem TO '256MB'")
        # ALTER TABLE refuses while deferred foreign-key checks are queued: run any now (Django makes every
        # foreign key DEFERRABLE INITIALLY DEFERRED, which the end of this function restores).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        lock_all(cursor, [quote(model._meta.db_table) for model in models])
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY conname",
                [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                " WHERE x.indrelid = %s::regclass AND NOT EXISTS"
                " (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname",
                [table],
            )
            indexes = cursor.fetchall()
            for name, _definition in constraints:
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
            saved.append((table, constraints, indexes))
    yield
    with connection.cursor() as cursor:
        for table, constraints, indexes in saved:
            for _name, definition in indexes:
                cursor.execute(definition)
            for name, definition in constraints:
                cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def lock_all(cursor, tables, *, tries=60):
    """Lock `tables` ACCESS EXCLUSIVE together, never one while waiting for another.

    Holding the first table while queueing for the second deadlocks with a reader that holds the second
    and wants the first (PostgreSQL then aborts one of the two). So each try takes all or none at once
    (NOWAIT, inside a savepoint so a refusal leaves the transaction usable) and waits a little between
    tries; after about ten seconds the last try queues like any other lock.
    """
    names = ", ".join(tables)
    for attempt in range(tries):
        try:
            with transaction.atomic():
                cursor.execute(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE NOWAIT")
            return
        except OperationalError:
            time.sleep(min(0.2, 0.01 * (attempt + 1)))
    cursor.execute(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")
