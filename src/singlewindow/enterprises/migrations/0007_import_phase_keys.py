"""An import's phase is stored as its key and shown in the reader's language (it was stored as Chinese text)."""
from django.db import migrations, models

OLD_TEXT = {"逐行校验": "read", "Validating rows": "read", "查找重复行": "dups", "Finding duplicate rows": "dups",
            "写入数据库": "write", "Writing to the database": "write"}


def to_keys(apps, schema_editor):
    ImportJob = apps.get_model("enterprises", "ImportJob")
    for text, key in OLD_TEXT.items():
        ImportJob.objects.filter(phase=text).update(phase=key)
    ImportJob.objects.exclude(phase__in=["", "read", "dups", "write"]).update(phase="")


class Migration(migrations.Migration):

    dependencies = [
        ("enterprises", "0006_importjob_heartbeat"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="phase",
            field=models.CharField(blank=True, choices=[("read", "逐行校验"), ("dups", "查找重复行"), ("write", "写入数据库")],
                                   max_length=50, verbose_name="当前步骤"),
        ),
        migrations.RunPython(to_keys, migrations.RunPython.noop),
    ]
