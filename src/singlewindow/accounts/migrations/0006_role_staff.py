"""The single-window administrator's role is stored as "staff", so "operator" keeps one meaning: an enterprise's 操作员."""
from django.db import migrations, models


def forwards(apps, schema_editor):
    apps.get_model("accounts", "User").objects.filter(role="operator").update(role="staff")


def backwards(apps, schema_editor):
    apps.get_model("accounts", "User").objects.filter(role="staff").update(role="operator")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_credential_version")]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="role",
            field=models.CharField(
                choices=[("enterprise", "企业"), ("insurer", "保险公司"), ("bureau", "商务主管部门"), ("staff", "单一窗口管理员")],
                default="enterprise", max_length=20, verbose_name="角色",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
