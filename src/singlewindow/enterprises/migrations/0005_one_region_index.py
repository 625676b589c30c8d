"""One index on the enterprise's county instead of two (docs/decisions/0006-import-pipeline.md).

On PostgreSQL Django gives a CharField foreign key both a plain index and a varchar_pattern_ops "_like"
index. Region scoping asks `region_id LIKE '4415%'`, which only the latter serves, and it serves equality
too, so the plain one is only cost on every row an import writes. SQLite has just the one index.
"""
from django.db import migrations

TABLE = "enterprises_enterprise"


def _name(schema_editor):
    return schema_editor.quote_name(schema_editor._create_index_name(TABLE, ["region_id"], suffix=""))


def drop_plain_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {_name(schema_editor)}")


def restore_plain_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {_name(schema_editor)} ON {TABLE} (region_id)")


class Migration(migrations.Migration):

    dependencies = [
        ("enterprises", "0004_export_record_without_db_constraint"),
    ]

    operations = [migrations.RunPython(drop_plain_index, restore_plain_index)]
