"""Drop the prefix ("_like") index PostgreSQL gets beside the unique `hash` (docs/decisions/0006-import-pipeline.md).

Django adds a varchar_pattern_ops index next to each unique CharField for LIKE 'x%' queries. Nobody looks
an event up by a prefix of its hash, and batch issuance writes one event per policy, so it is only cost.
"""
from django.db import migrations

TABLE = "audit_auditevent"


def _name(schema_editor):
    return schema_editor.quote_name(schema_editor._create_index_name(TABLE, ["hash"], suffix="_like"))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {_name(schema_editor)}")


def restore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {_name(schema_editor)} ON {TABLE} (hash varchar_pattern_ops)")


class Migration(migrations.Migration):

    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(drop, restore)]
