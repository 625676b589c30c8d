"""The import's last sign of life, so a job whose worker died can be told from one still at work."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("enterprises", "0005_one_region_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="heartbeat",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
