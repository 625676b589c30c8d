"""定时提醒: a scheme's "14,3" sends on those days before its 确认截止日, one run per county, once a day however
often `send_scheduled_reminders` runs, and never a second time to an enterprise a bureau reminded that day."""
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from singlewindow.notifications.models import Notice
from singlewindow.policies.models import Scheme
from singlewindow.reminders import services
from singlewindow.reminders.models import Channel, ReminderRecipient, ReminderRun, ReminderSchedule
from singlewindow.reminders.transitions import RUN

from .conftest import CHENGQU, HAIFENG, LUHE, template_of

WAITING_COUNTIES = [CHENGQU, HAIFENG, LUHE, "441581"]  # where the demo world has 待确认 or 已退回 policies


@pytest.fixture
def schedule(world):
    return services.save_schedule(world.bureau, world.scheme.pk, days="14,3", template_id=template_of(world.bureau).pk,
                                  channels=[Channel.IN_APP, Channel.SMS], enabled=True)


def days_before(world, n):
    return world.scheme.confirm_deadline - dt.timedelta(days=n)


def reminded():
    return Notice.objects.filter(kind=Notice.Kind.REMINDED).count()


def test_it_sends_on_the_days_of_the_schedule_one_run_per_county(world, schedule):
    runs = services.send_scheduled(days_before(world, 14))
    assert sorted(run.region_id for run in runs) == WAITING_COUNTIES
    assert all(run.kind == ReminderRun.Kind.SCHEDULED and run.started_by is None for run in runs)
    assert reminded() == 5  # 3 待确认 + 2 已退回
    assert services.send_scheduled(days_before(world, 13)) == []
    assert len(services.send_scheduled(days_before(world, 3))) == 4
    assert reminded() == 10


def test_running_it_again_the_same_day_sends_nothing(world, schedule):
    day = days_before(world, 14)
    services.send_scheduled(day)
    assert services.send_scheduled(day) == []
    out = io.StringIO()
    call_command("send_scheduled_reminders", today=day.isoformat(), stdout=out)
    assert out.getvalue().strip() == f"scheduled reminders {day}: 0 run(s), 0 enterprise(s) reminded"
    assert reminded() == 5 and ReminderRun.objects.count() == 4


def test_an_enterprise_a_bureau_reminded_that_day_is_skipped(world, schedule, send):
    day = days_before(world, 14)
    send(world.county, template=schedule.template, now=timezone.make_aware(
        dt.datetime.combine(day, dt.time(9))))
    runs = {run.region_id: run for run in services.send_scheduled(day)}
    runs[HAIFENG].refresh_from_db()
    assert (runs[HAIFENG].reached, runs[HAIFENG].skipped) == (1, 1)  # demo2 (已退回) reached, the 待确认 one skipped
    assert ReminderRecipient.objects.get(run=runs[HAIFENG], outcome="skipped").get_reason_display().startswith("该企业今日已收到")


def test_a_disabled_schedule_or_a_past_deadline_sends_nothing(world, schedule):
    ReminderSchedule.objects.filter(pk=schedule.pk).update(enabled=False)
    assert services.send_scheduled(days_before(world, 3)) == []
    ReminderSchedule.objects.filter(pk=schedule.pk).update(enabled=True, days="0")
    assert len(services.send_scheduled(days_before(world, 0))) == 4  # the deadline day itself (inclusive)
    assert services.send_scheduled(days_before(world, -1)) == []


def test_each_county_bureau_sees_its_countys_scheduled_run_the_city_all(world, schedule, chengqu_bureau):
    services.send_scheduled(days_before(world, 14))
    assert set(ReminderRun.objects.visible_to(world.county).values_list("region", flat=True)) == {HAIFENG}
    assert set(ReminderRun.objects.visible_to(chengqu_bureau).values_list("region", flat=True)) == {CHENGQU}
    assert ReminderRun.objects.visible_to(world.bureau).count() == 4
    assert not ReminderRun.objects.visible_to(world.insurer).exists()
    assert not ReminderRun.objects.visible_to(world.demo).exists()


def test_a_county_bureau_cannot_set_its_citys_schedule(world):
    with pytest.raises(Scheme.DoesNotExist):
        services.save_schedule(world.county, world.scheme.pk, days="3", template_id=template_of(world.county).pk,
                               channels=["in_app"], enabled=True)
    assert ReminderSchedule.objects.visible_to(world.county).count() == 0


@pytest.mark.parametrize("days", ["", "abc", "14,,x", "367", "1,2,3,4,5,6,7,8,9,10,11", "１４", "-3", "9" * 40])
def test_bad_days_are_refused(world, days):
    with pytest.raises(ValidationError) as refused:
        services.parse_days(days)
    assert "提前天数请填写 0 至 366 的整数" in refused.value.message_dict["days"][0]


def test_the_command_refuses_a_bad_day():
    with pytest.raises(CommandError):
        call_command("send_scheduled_reminders", today="2026-02-30")


def test_every_run_edge_is_in_the_table():
    allowed, refused = RUN.edges()
    assert ("begin", "queued") in allowed and ("finish", "queued") in refused and ("resume", "done") in refused
