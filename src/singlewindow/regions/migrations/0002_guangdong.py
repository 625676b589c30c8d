"""Load GB/T 2260 divisions of Guangdong (广东省 440000) from fixtures/guangdong.json.

The fixture was generated once by scripts/make_regions_fixture.py. Rows are
written through the historical model (not ``loaddata``, which would use the
current one), inserting missing codes and updating existing ones, so running it
again changes nothing. Reversing is a no-op: other data may already point at
these regions.
"""

import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "guangdong.json"
FIELDS = ["name", "name_en", "level", "parent"]


def load_guangdong(apps, schema_editor):
    Region = apps.get_model("regions", "Region")
    db = schema_editor.connection.alias
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))

    existing = Region.objects.using(db).in_bulk([row["pk"] for row in rows])
    to_create, to_update = [], []
    for row in rows:  # the fixture lists parents before their children
        f = row["fields"]
        region = existing.get(row["pk"]) or Region(code=row["pk"])
        region.name = f["name"]
        region.name_en = f["name_en"]
        region.level = f["level"]
        region.parent_id = f["parent"]
        (to_update if row["pk"] in existing else to_create).append(region)

    Region.objects.using(db).bulk_create(to_create)
    if to_update:
        Region.objects.using(db).bulk_update(to_update, FIELDS)


class Migration(migrations.Migration):

    dependencies = [
        ("regions", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load_guangdong, migrations.RunPython.noop),
    ]
