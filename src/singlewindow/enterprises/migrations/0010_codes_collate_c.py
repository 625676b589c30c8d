"""The codes compare byte by byte on PostgreSQL: COLLATE "C" on uscc and org_code (decision 0040).

A USCC is 18 ASCII digits and capitals, whose order is the same in every collation; the database's
own (C.UTF-8, en_US.UTF-8) would have every sort, grouping and index build over a million codes call
strcoll. Rebuilding their two unique indexes in an import takes about half as long byte by byte.
SQLite compares bytes already (BINARY). The model states nothing: Django's db_collation would write
COLLATE "C" on SQLite too, which has no such collation.
"""
from django.db import migrations

COLUMNS = (("uscc", 18), ("org_code", 9))


def _collate(collation):
    def change(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute("ALTER TABLE enterprises_enterprise " + ", ".join(
                f'ALTER COLUMN {column} TYPE varchar({length}) COLLATE "{collation}"' for column, length in COLUMNS))

    return change


class Migration(migrations.Migration):

    dependencies = [
        ("enterprises", "0009_publication_objection_publicationentry"),
    ]

    operations = [migrations.RunPython(_collate("C"), _collate("default"))]
