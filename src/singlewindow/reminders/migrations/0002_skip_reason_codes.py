"""A skip's reason becomes its code (SkipReason), translated when shown: the rows written before held the text in
the sender's language (a recipient's) or in Chinese (a channel's). The column keeps its width, so a text that no
code matches (none is known) still shows as it was written."""
from django.db import migrations, models
from django.utils import translation

TEXTS = {
    "already_today": "该企业今日已收到同一提醒，不再重复发送。",
    "no_phone": "没有可用的手机号码（保单联系电话或企业账号手机）。",
    "no_email": "没有电子邮箱（保单或企业账号）。",
}


def to_codes(apps, schema_editor):
    from django.conf import settings

    for code, text in TEXTS.items():
        written = {text}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                written.add(translation.gettext(text))
        for model in ("ReminderRecipient", "ReminderDelivery"):
            apps.get_model("reminders", model).objects.filter(reason__in=written).update(reason=code)


def to_texts(apps, schema_editor):
    for code, text in TEXTS.items():
        for model in ("ReminderRecipient", "ReminderDelivery"):
            apps.get_model("reminders", model).objects.filter(reason=code).update(reason=text)


class Migration(migrations.Migration):

    dependencies = [
        ('reminders', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(to_codes, to_texts),
        migrations.AlterField(
            model_name='reminderdelivery',
            name='reason',
            field=models.CharField(blank=True, choices=[('already_today', '该企业今日已收到同一提醒，不再重复发送。'), ('no_phone', '没有可用的手机号码（保单联系电话或企业账号手机）。'), ('no_email', '没有电子邮箱（保单或企业账号）。')], max_length=200, verbose_name='原因'),
        ),
        migrations.AlterField(
            model_name='reminderrecipient',
            name='reason',
            field=models.CharField(blank=True, choices=[('already_today', '该企业今日已收到同一提醒，不再重复发送。'), ('no_phone', '没有可用的手机号码（保单联系电话或企业账号手机）。'), ('no_email', '没有电子邮箱（保单或企业账号）。')], max_length=200, verbose_name='原因'),
        ),
    ]
