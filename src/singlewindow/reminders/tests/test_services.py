"""Sending reminders: whom a run reaches, on which channels and addresses, the once-a-day rule (also across a day
boundary in Asia/Shanghai, and as a database constraint), delivery status following the outbox, who confirmed
since, chunks and resuming, and who may send at all."""
import datetime as dt
import importlib
from unittest import mock

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from singlewindow.audit.services import first_broken_link
from singlewindow.machines import Refused
from singlewindow.notifications import outbox
from singlewindow.notifications import services as notifications
from singlewindow.notifications.models import Notice, OutboundMessage
from singlewindow.policies.models import Policy, PolicyStatus
from singlewindow.reminders import services
from singlewindow.reminders.models import (
    Channel,
    ReminderDelivery,
    ReminderRecipient,
    ReminderRun,
    ReminderTemplate,
    SkipReason,
)

from .conftest import CHENGQU, HAIFENG, LUHE, confirm_as, criteria, haifeng_pending, shanghai, template_of

R = ReminderRecipient.Outcome


def reminders_to(enterprise_id):
    return Notice.objects.filter(enterprise_id=enterprise_id, kind=Notice.Kind.REMINDED)


def deliveries(run, channel):
    return {d.policy_id: d for d in ReminderDelivery.objects.filter(run=run, channel=channel).with_state()}


# --- whom, how, where -----------------------------------------------------------------------------

def test_haifeng_pending_reaches_its_one_waiting_enterprise_in_app(world, send):
    policy = haifeng_pending(world)
    run = send(world.county, county=HAIFENG)
    assert run.status == ReminderRun.Status.DONE
    assert (run.total, run.reached, run.skipped) == (1, 1, 0)
    notice = reminders_to(policy.enterprise_id).get()
    assert notice.title == f"请于 {world.scheme.confirm_deadline.isoformat()} 前确认投保保单 {policy.number}"
    assert notice.link == reverse("policies:detail", args=[policy.pk])
    # its enterprise gave no contact and its account has no mobile or e-mail: both skipped, saying why
    assert deliveries(run, Channel.SMS)[policy.pk].state == ReminderDelivery.Status.SKIPPED
    assert "没有可用的手机号码" in deliveries(run, Channel.SMS)[policy.pk].get_reason_display()
    assert deliveries(run, Channel.EMAIL)[policy.pk].state == ReminderDelivery.Status.SKIPPED
    assert first_broken_link() is None


def test_the_message_goes_to_the_policys_contact_before_the_account(world, send):
    run = send(world.county, county=HAIFENG, statuses=["returned"])  # demo2's, confirmed once with a contact
    sms = deliveries(run, Channel.SMS)[world.returned.pk]
    assert sms.outbound.recipient == world.returned.contact_phone != world.demo2.mobile
    assert sms.address == "138****8000"
    assert "海丰县梅陇工艺品有限公司" in sms.outbound.body and world.returned.number in sms.outbound.body
    assert "{" not in sms.outbound.body


def test_without_a_contact_on_the_policy_the_legal_persons_account_is_used(world, send):
    run = send(world.bureau, county=CHENGQU)  # demo's 待确认 policy: no contact yet
    assert deliveries(run, Channel.SMS)[world.pending.pk].outbound.recipient == world.demo.mobile
    email = deliveries(run, Channel.EMAIL)[world.pending.pk].outbound
    assert (email.recipient, email.subject) == (world.demo.email, reminders_to(world.demo.enterprise_id).get().title)


def test_only_the_chosen_channels_are_used(world, send):
    before = OutboundMessage.objects.count()
    run = send(world.bureau, county=CHENGQU, channels=[Channel.IN_APP])
    assert set(ReminderDelivery.objects.filter(run=run).values_list("channel", flat=True)) == {Channel.IN_APP}
    assert OutboundMessage.objects.count() == before


def test_a_city_bureau_reaches_every_county_a_county_bureau_only_its_own(world, send):
    city = send(world.bureau, statuses=["pending", "returned"])
    regions = set(ReminderRecipient.objects.filter(run=city).values_list("enterprise__region", flat=True))
    assert regions == {CHENGQU, HAIFENG, LUHE, "441581"}
    county = send(world.county, statuses=["pending", "returned"], template=ReminderTemplate.objects.create(
        region_id=HAIFENG, name="另一模板", subject="提醒 {保单号}", body="请确认 {保单号}"))
    assert set(ReminderRecipient.objects.filter(run=county).values_list("enterprise__region", flat=True)) == {HAIFENG}


def test_within_n_days_and_a_past_deadline(world, send):
    left = (world.scheme.confirm_deadline - timezone.localdate()).days
    assert send(world.county, within_days=left - 1).total == 0
    assert send(world.county, within_days=left).total == 1
    after = timezone.now() + dt.timedelta(days=left + 1)
    with pytest.raises(ValidationError) as refused:  # the scheme is closed for reminders after its deadline
        send(world.county, now=after)
    assert "scheme" in refused.value.message_dict


def test_a_skip_stores_its_reason_as_a_code_that_each_reader_reads_in_their_language(world, send):
    policy = haifeng_pending(world)
    send(world.county, county=HAIFENG)
    with translation.override("en"):  # sent by an English reader: still one code, whoever reads it
        again = send(world.county, county=HAIFENG)
    first = ReminderDelivery.objects.get(policy=policy, channel=Channel.SMS)
    skipped = ReminderRecipient.objects.get(run=again)
    assert (skipped.reason, first.reason) == (SkipReason.ALREADY_TODAY, SkipReason.NO_PHONE)
    assert skipped.get_reason_display() == "该企业今日已收到同一提醒，不再重复发送。"
    with translation.override("en"):
        assert "没有" not in first.get_reason_display() and "今日" not in skipped.get_reason_display()


def test_the_reasons_written_as_text_before_become_their_codes(world, send):
    migration = importlib.import_module("singlewindow.reminders.migrations.0002_skip_reason_codes")
    run = send(world.county, county=HAIFENG)
    recipient = ReminderRecipient.objects.get(run=run)
    with translation.override("en"):
        english = translation.gettext("没有电子邮箱（保单或企业账号）。")
    ReminderDelivery.objects.filter(run=run, channel=Channel.SMS).update(reason="没有可用的手机号码（保单联系电话或企业账号手机）。")
    ReminderDelivery.objects.filter(run=run, channel=Channel.EMAIL).update(reason=english)
    ReminderRecipient.objects.filter(pk=recipient.pk).update(reason="旧的说明")
    migration.to_codes(django_apps, None)
    assert dict(ReminderDelivery.objects.filter(run=run, status="skipped").values_list("channel", "reason")) == {
        Channel.SMS: SkipReason.NO_PHONE, Channel.EMAIL: SkipReason.NO_EMAIL}
    recipient.refresh_from_db()
    assert recipient.get_reason_display() == "旧的说明"  # a text no code matches still reads as written


# --- the once-a-day rule ----------------------------------------------------------------------------

def test_the_same_reminder_the_same_day_is_skipped_with_the_reason(world, send):
    policy = haifeng_pending(world)
    send(world.county, county=HAIFENG)
    outboxed = OutboundMessage.objects.count()
    again = send(world.county, county=HAIFENG)
    assert (again.reached, again.skipped) == (0, 1)
    skipped = ReminderRecipient.objects.get(run=again)
    assert (skipped.policy_id, skipped.outcome) == (policy.pk, R.SKIPPED)
    assert skipped.get_reason_display() == "该企业今日已收到同一提醒，不再重复发送。"
    assert reminders_to(policy.enterprise_id).count() == 1
    assert OutboundMessage.objects.count() == outboxed
    assert not ReminderDelivery.objects.filter(run=again).exists()


def test_the_preview_counts_who_would_be_skipped(world, send):
    template = template_of(world.county)
    chosen = criteria(world.county, scheme=world.scheme, statuses=["pending", "returned"])
    assert (services.preview(world.county, chosen, template).reach, services.preview(
        world.county, chosen, template).already) == (2, 0)
    send(world.county, statuses=["pending"])
    found = services.preview(world.county, chosen, template)
    assert (found.enterprises, found.already, found.reach) == (2, 1, 1)


def test_another_template_the_same_day_is_another_reminder(world, send):
    send(world.county, county=HAIFENG)
    other = ReminderTemplate.objects.create(region_id=HAIFENG, name="最后提醒", subject="最后提醒：{保单号}",
                                            body="{企业名称}，还有 {剩余天数} 天。")
    assert send(world.county, county=HAIFENG, template=other).reached == 1


def test_the_city_and_the_county_sending_one_template_the_same_day_reach_an_enterprise_once(world, send):
    city_template = template_of(world.bureau)  # the county bureau may send its city's template
    send(world.bureau, county=HAIFENG, template=city_template)
    assert send(world.county, template=city_template).skipped == 1


def test_the_next_day_it_may_be_sent_again(world, send):
    today = timezone.now()
    send(world.county, now=today)
    assert send(world.county, now=today + dt.timedelta(days=1)).reached == 1


def _day_after_tomorrow():
    day = timezone.localdate() + dt.timedelta(days=2)
    return day.year, day.month, day.day


def test_one_asia_shanghai_day_over_two_utc_dates_is_one_day(world, send):
    """00:10 and 23:50 in Shanghai are 16:10 UTC the day before and 15:50 UTC that day: once."""
    y, m, d = _day_after_tomorrow()
    early, late = shanghai(y, m, d, 0, 10), shanghai(y, m, d, 23, 50)
    assert early.astimezone(dt.UTC).date() != late.astimezone(dt.UTC).date()
    assert send(world.county, now=early).reached == 1
    assert send(world.county, now=late).reached == 0


def test_shanghais_midnight_starts_a_new_day_within_one_utc_date(world, send):
    """23:59:59 and 00:00:00 in Shanghai are 15:59:59 and 16:00:00 UTC on one date: twice."""
    y, m, d = _day_after_tomorrow()
    before = shanghai(y, m, d, 23, 59, 59)
    after = before + dt.timedelta(seconds=1)
    assert before.astimezone(dt.UTC).date() == after.astimezone(dt.UTC).date()
    assert send(world.county, now=before).reached == 1
    run = send(world.county, now=after)
    assert run.reached == 1 and run.day == before.date() + dt.timedelta(days=1)


def test_the_database_refuses_a_second_reached_row_for_the_enterprise_template_and_day(world, send):
    run = send(world.county, county=HAIFENG)
    reached = ReminderRecipient.objects.get(run=run)
    copy = {"run": run, "enterprise_id": reached.enterprise_id, "template_id": reached.template_id, "day": reached.day}
    other_policy, third = Policy.objects.filter(scheme=world.scheme).exclude(pk=reached.policy_id)[:2]
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderRecipient.objects.create(policy=other_policy, outcome=R.REACHED, **copy)
    ReminderRecipient.objects.create(policy=other_policy, outcome=R.SKIPPED, reason="x", **copy)  # skips may repeat
    ReminderRecipient.objects.create(policy=third, outcome=R.REACHED, **{  # another day may
        **copy, "day": reached.day + dt.timedelta(days=1)})


# --- delivery status ---------------------------------------------------------------------------------

class BrokenGateway:
    def send(self, message):
        raise ConnectionError("gateway down")


def test_the_delivery_status_follows_the_outbox(world, send, settings):
    run = send(world.bureau, county=CHENGQU)
    sms, email = deliveries(run, Channel.SMS)[world.pending.pk], deliveries(run, Channel.EMAIL)[world.pending.pk]
    assert (sms.state, email.state) == (ReminderDelivery.Status.QUEUED,) * 2
    assert services.report(run).channels == [(Channel.IN_APP, {"sent": 1}), (Channel.SMS, {"queued": 1}),
                                             (Channel.EMAIL, {"queued": 1})]
    assert outbox.deliver(sms.outbound_id) == OutboundMessage.Status.SENT
    settings.OUTBOX_BACKEND, settings.OUTBOX_MAX_ATTEMPTS = f"{__name__}.BrokenGateway", 1
    assert outbox.deliver(email.outbound_id) == OutboundMessage.Status.FAILED
    assert services.report(run).channels == [(Channel.IN_APP, {"sent": 1}), (Channel.SMS, {"sent": 1}),
                                             (Channel.EMAIL, {"failed": 1})]
    assert (deliveries(run, Channel.SMS)[world.pending.pk].state, deliveries(run, Channel.EMAIL)[world.pending.pk]
            .state) == ("sent", "failed")


# --- who confirmed since -------------------------------------------------------------------------------

def test_the_run_counts_who_confirmed_after_it_and_not_before(world, send):
    # demo2's policy was confirmed once before (then returned): that confirmation is not "since"
    run = send(world.county, county=HAIFENG, statuses=["pending", "returned"])
    assert services.report(run).confirmed == 0
    confirm_as(world.demo2, world.returned)
    report = services.report(run)
    assert (report.reached, report.confirmed) == (2, 1)
    [confirmed] = services.recipients_of(run, "confirmed")
    assert confirmed.policy_id == world.returned.pk and confirmed.confirmed_at >= run.created_at


def test_the_popup_and_the_message_centre_show_the_reminder(world, send):
    run = send(world.bureau, county=CHENGQU)
    title = f"请于 {world.scheme.confirm_deadline.isoformat()} 前确认投保保单 {world.pending.number}"
    assert run.subject == services.DEFAULT_TEMPLATE["subject"]
    assert title in [n.title for n in notifications.popup_for(world.demo)["others"]]
    assert title in [n.title for n in notifications.notices_for(world.demo)]


# --- chunks, the worker, resuming --------------------------------------------------------------------

def test_a_large_run_is_sent_by_the_worker_in_chunks(world, send, monkeypatch):
    monkeypatch.setattr(services, "INLINE_LIMIT", 0)
    monkeypatch.setattr(services, "CHUNK", 2)
    with mock.patch("singlewindow.reminders.services._send_chunk", wraps=services._send_chunk) as chunks:
        run = send(world.bureau, statuses=["pending", "returned"])
    assert run.status == ReminderRun.Status.DONE and run.processed == run.total == 5
    assert chunks.call_count == 3
    assert ReminderRecipient.objects.filter(run=run, outcome=R.REACHED).count() == 5


def test_a_failed_run_resumes_after_its_last_chunk_and_reaches_nobody_twice(world, send, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 2)
    real, calls = services._send_chunk, []

    def flaky(run, rows):
        calls.append(rows)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(run, rows)

    monkeypatch.setattr(services, "_send_chunk", flaky)
    run = send(world.bureau, statuses=["pending", "returned"])
    assert run.status == ReminderRun.Status.FAILED and "disk full" in run.error
    assert run.processed == 2
    monkeypatch.setattr(services, "_send_chunk", real)
    run = services.resume(world.bureau, run.pk)
    assert run.status == ReminderRun.Status.DONE and run.processed == 5
    assert ReminderRecipient.objects.filter(run=run, outcome=R.REACHED).count() == 5
    assert Notice.objects.filter(kind=Notice.Kind.REMINDED).count() == 5
    with pytest.raises(Refused, match="已完成"):
        services.resume(world.bureau, run.pk)


def test_a_stale_run_may_be_resumed_a_live_one_not(world, send, monkeypatch):
    monkeypatch.setattr(services, "INLINE_LIMIT", 0)
    monkeypatch.setattr("singlewindow.reminders.tasks.send_reminders", mock.Mock())  # the worker never takes it
    run = send(world.county)
    assert run.status == ReminderRun.Status.QUEUED
    with pytest.raises(Refused, match="无需重复操作"):
        services.resume(world.county, run.pk)
    ReminderRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    monkeypatch.undo()
    assert services.resume(world.county, run.pk).status == ReminderRun.Status.DONE


# --- who may ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["demo", "insurer", "admin"])
def test_only_a_bureau_may_send_or_write_templates(world, who):
    actor = getattr(world, who)
    with pytest.raises(PermissionDenied):
        services.check_criteria(actor, scheme=world.scheme.pk, county="", statuses=["pending"], within_days=None)
    with pytest.raises(PermissionDenied):
        services.save_template(actor, {"name": "x", "subject": "x", "body": "x"})
    with pytest.raises(PermissionDenied):
        services.templates_for(actor)


def test_a_county_bureau_cannot_name_another_county_or_status_or_a_scheme_outside(world, guangzhou_policy):
    with pytest.raises(ValidationError) as refused:
        services.check_criteria(world.county, scheme=world.scheme.pk, county=CHENGQU, statuses=["effective"],
                                within_days=9999)
    assert set(refused.value.message_dict) == {"county", "statuses", "within_days"}
    with pytest.raises(ValidationError) as refused:
        services.check_criteria(world.county, scheme=guangzhou_policy.scheme_id, county="", statuses=["pending"],
                                within_days=None)
    assert set(refused.value.message_dict) == {"scheme"}


def test_a_run_reaches_nothing_outside_its_region_whatever_its_criteria_say(world, send):
    """Even a criteria object naming another county (never made by check_criteria) finds nothing outside."""
    template = template_of(world.county)
    forged = services.Criteria(world.scheme, world.demo.enterprise.region, (PolicyStatus.PENDING,), None)
    run = services.start_run(world.county, forged, template, [Channel.IN_APP])
    assert (run.total, run.reached) == (0, 0)
    assert not reminders_to(world.demo.enterprise_id).exists()


def test_templates_another_bureau_cannot_change_and_hostile_ones_are_refused(world, chengqu_bureau):
    city = template_of(world.bureau)
    with pytest.raises(ReminderTemplate.DoesNotExist):
        services.save_template(world.county, {"name": "改", "subject": "改", "body": "改"}, template_id=city.pk)
    with pytest.raises(ValidationError) as refused:
        services.save_template(world.county, {"name": "a", "subject": "{0.__class__}", "body": "<b>{公司}</b>"})
    assert refused.value.message_dict["subject"] == [
        "标题中的 {0.__class__} 不是可用的占位符。可用的占位符：{企业名称}、{保单号}、{确认截止日}、{剩余天数}。"]
    assert any("不能包含" in m for m in refused.value.message_dict["body"])
    assert city in services.templates_for(chengqu_bureau)  # its city's: it may send it, not change it
    haifeng = template_of(world.county)
    assert haifeng not in services.templates_for(chengqu_bureau)
    assert haifeng in services.templates_for(world.bureau)


def test_every_model_is_scoped_to_the_bureaus_region(world, send, chengqu_bureau):
    city_run = send(world.bureau, statuses=["pending", "returned"])
    county_run = send(world.county, template=ReminderTemplate.objects.create(
        region_id=HAIFENG, name="海丰", subject="{保单号}", body="{保单号}"))
    services.save_schedule(world.bureau, world.scheme.pk, days="3", template_id=template_of(world.bureau).pk,
                           channels=["in_app"], enabled=True)
    for model in (ReminderRun, ReminderRecipient, ReminderDelivery, ReminderTemplate, services.ReminderSchedule):
        for outsider in (world.demo, world.insurer, world.admin, world.other_insurer):
            assert not model.objects.visible_to(outsider).exists(), (model, outsider)
    assert set(ReminderRun.objects.visible_to(world.county)) == {county_run}
    assert set(ReminderRun.objects.visible_to(world.bureau)) == {city_run, county_run}
    assert not ReminderRun.objects.visible_to(chengqu_bureau).exists()
    assert set(ReminderRecipient.objects.visible_to(world.county).values_list("run", flat=True)) == {county_run.pk}
    assert not ReminderDelivery.objects.visible_to(chengqu_bureau).exists()
    assert ReminderDelivery.objects.visible_to(world.bureau).filter(run=city_run).count() == 15
    assert services.ReminderSchedule.objects.visible_to(chengqu_bureau).count() == 1  # its city's scheme: seen
