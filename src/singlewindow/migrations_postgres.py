"""For migrations: drop an index Django made that only costs writes on PostgreSQL (and make it again on reverse).

Django names and creates these indexes itself (a foreign key's plain index, the varchar_pattern_ops
"_like" index beside a CharField it indexes); the migrations that remove them say why each one goes.
SQLite has no "_like" indexes, and its plain ones stay.
"""
from django.db import migrations


def drop_index(table, column, *, suffix="", opclass=""):
    """A RunPython operation dropping `table`'s index on `column` (name as Django makes it) on PostgreSQL."""

    def name(schema_editor):
        return schema_editor.quote_name(schema_editor._create_index_name(table, [column], suffix=suffix))

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {name(schema_editor)}")

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name(schema_editor)} ON {table} ({column} {opclass})")

    return migrations.RunPython(forward, backward)
