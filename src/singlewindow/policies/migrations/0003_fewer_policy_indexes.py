"""Fewer indexes on policies, which batch issuance writes 200,000 at a time (docs/decisions/0008-fewer-indexes.md).

- scheme_id and enterprise_id lose their own indexes: the unique (scheme, enterprise) and the
  (enterprise, status) indexes lead with them.
- On PostgreSQL, the varchar_pattern_ops "_like" index beside the unique policy number: the workbench
  searches numbers by substring (icontains), which no B-tree serves.
"""
import django.db.models.deletion
from django.db import migrations, models

from singlewindow.migrations_postgres import drop_index


class Migration(migrations.Migration):

    dependencies = [
        ("enterprises", "0006_importjob_heartbeat"),
        ("policies", "0002_applications_issuance_calendar"),
    ]

    operations = [
        migrations.AlterField(
            model_name="policy",
            name="enterprise",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="policies",
                                    to="enterprises.enterprise", verbose_name="被保险人"),
        ),
        migrations.AlterField(
            model_name="policy",
            name="scheme",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="policies",
                                    to="policies.scheme", verbose_name="投保方案"),
        ),
        drop_index("policies_policy", "number", suffix="_like", opclass="varchar_pattern_ops"),
    ]
