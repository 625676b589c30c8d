"""One index on the enterprise's county instead of two (docs/decisions/0008-fewer-indexes.md).

On PostgreSQL Django gives a CharField foreign key both a plain index and a varchar_pattern_ops "_like"
index. Region scoping asks `region_id LIKE '4415%'`, which only the latter serves, and it serves equality
too, so the plain one is only cost on every row an import writes. SQLite has just the one index.
"""
from django.db import migrations

from singlewindow.migrations_postgres import drop_index


class Migration(migrations.Migration):

    dependencies = [
        ("enterprises", "0004_export_record_without_db_constraint"),
    ]

    operations = [drop_index("enterprises_enterprise", "region_id")]
