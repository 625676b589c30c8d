"""Writing many rows fast, for batch issuance: COPY on PostgreSQL, executemany on SQLite.

The ORM's bulk_create spends most of 200,000 policies' time building model instances and adapting
values one by one; these helpers take plain tuples. They run inside the caller's transaction and do
what bulk_create would (no signals, no save()): callers pass every column, as Django has no DB defaults.
"""
import json

from django.db import connection


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
            with cursor.copy(f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    if jsons:
                        row = list(row)
                        for i in jsons:
                            row[i] = json.dumps(row[i])
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
