"""Whom an alert reaches, publishing (deliveries, notices, SMS for 高 only), withdrawal, read receipts, expiry."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from singlewindow.alerts import services
from singlewindow.alerts.models import Alert, AlertDelivery, AlertRead
from singlewindow.audit.models import AuditEvent
from singlewindow.machines import Refused
from singlewindow.notifications.models import Notice, NoticeRead, OutboundMessage
from singlewindow.policies.models import Policy, PolicyStatus

from .conftest import CHENGQU, HAIFENG, alert_data, counties, countries

A = Alert.Audience


def insured_ids(world, **where):
    """The oracle: enterprises with an effective policy of the 粤东 branch's schemes (and `where`)."""
    return set(Policy.objects.filter(status=PolicyStatus.EFFECTIVE, scheme__insurer_branch=world.insurer.insurer_branch,
                                     **where).values_list("enterprise", flat=True))


def reached(alert):
    return set(services.targets(alert).values_list("pk", flat=True))


# --- targeting ---------------------------------------------------------------------------------

def test_the_branch_audience_is_every_insured_enterprise_and_only_those(insured, draft):
    alert = draft()
    assert reached(alert) == insured_ids(insured)
    assert {insured.demo.enterprise_id, insured.demo2.enterprise_id} <= reached(alert)


def test_an_enterprise_whose_policy_is_not_effective_is_not_insured(world, draft):
    alert = draft()
    assert world.demo.enterprise_id not in reached(alert)  # its policy is pending
    assert world.demo2.enterprise_id not in reached(alert)  # returned


def test_the_county_audience_reaches_the_insureds_of_those_counties_only(insured, draft):
    alert = draft(audience=A.COUNTIES, counties=counties(CHENGQU))
    assert reached(alert) == insured_ids(insured, enterprise__region=CHENGQU)
    assert insured.demo.enterprise_id in reached(alert)
    assert insured.demo2.enterprise_id not in reached(alert)


def test_the_buyer_country_audience_follows_a_merged_buyer_to_its_kept_buyers_country(insured, buyers, draft):
    def by_country(code):  # among demo's and demo2's enterprises (the demo's claims have buyers of their own)
        alert = draft(kind=Alert.Kind.COUNTRY, audience=A.BUYER_COUNTRY, countries=countries(code))
        return reached(alert) & {insured.demo.enterprise_id, insured.demo2.enterprise_id}

    # demo2's duplicate was entered as DE, but it is ACME, a US buyer
    assert by_country("US") == {insured.demo.enterprise_id, insured.demo2.enterprise_id}
    assert by_country("DE") == set()
    assert by_country("JP") == {insured.demo2.enterprise_id}


def test_the_buyer_audience_reaches_the_enterprises_of_the_buyer_and_of_its_merged_duplicates(insured, buyers, draft):
    alert = draft(kind=Alert.Kind.BUYER, audience=A.BUYER, buyers=[buyers["acme"]])
    assert reached(alert) == {insured.demo.enterprise_id, insured.demo2.enterprise_id}
    alert = draft(kind=Alert.Kind.BUYER, audience=A.BUYER, buyers=[buyers["tokyo"]])
    assert reached(alert) == {insured.demo2.enterprise_id}


def test_a_buyers_enterprise_that_is_not_insured_is_not_reached(world, buyers, draft):
    Policy.objects.filter(enterprise=world.demo2.enterprise_id).update(status=PolicyStatus.EXPIRED)
    alert = draft(kind=Alert.Kind.BUYER, audience=A.BUYER, buyers=[buyers["acme"]])
    assert reached(alert) == {world.demo.enterprise_id}


def test_a_merged_duplicate_is_not_offered_but_its_kept_buyer_is(world, buyers):
    offered = set(services.selectable_buyers(world.insurer))
    assert buyers["acme"] in offered and buyers["duplicate"] not in offered
    assert not services.selectable_buyers(world.other_insurer).exists()


# --- the draft's rules --------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, field", [
    ({"valid_until": timezone.localdate() - dt.timedelta(days=1)}, "valid_until"),
    ({"kind": Alert.Kind.COUNTRY}, "countries"),
    ({"kind": Alert.Kind.BUYER}, "buyers"),
    ({"industries": ""}, "industries"),
    ({"audience": A.COUNTIES}, "counties"),
    ({"audience": A.BUYER_COUNTRY}, "countries"),
    ({"audience": A.BUYER}, "buyers"),
])
def test_a_draft_missing_what_its_kind_or_audience_names_is_refused_on_that_field(world, overrides, field):
    with pytest.raises(ValidationError) as refused:
        services.save_draft(world.insurer, alert_data(**overrides))
    assert field in refused.value.message_dict


def test_counties_outside_the_branchs_regions_are_refused(world):
    with pytest.raises(ValidationError) as refused:
        services.save_draft(world.insurer, alert_data(audience=A.COUNTIES, counties=counties("440103")))
    assert "不在" in refused.value.message_dict["counties"][0]


def test_a_buyer_the_insurer_cannot_see_is_refused(world, buyers):
    with pytest.raises(ValidationError) as refused:
        services.save_draft(world.other_insurer, alert_data(kind=Alert.Kind.BUYER, buyers=[buyers["acme"]]))
    assert "buyers" in refused.value.message_dict


@pytest.mark.parametrize("who", ["demo", "bureau", "admin"])
def test_only_an_insurer_writes_alerts(world, who):
    with pytest.raises(PermissionDenied):
        services.save_draft(getattr(world, who), alert_data())


def test_a_draft_is_the_writers_branchs_and_audited(world, draft):
    alert = draft()
    assert (alert.branch, alert.status, alert.created_by) == (world.insurer.insurer_branch, "draft", world.insurer)
    assert AuditEvent.objects.filter(object_type="alerts.alert", object_id=str(alert.pk), action="alert.create").exists()


def test_another_branch_cannot_edit_it_and_a_published_one_is_not_edited(world, published):
    with pytest.raises(Alert.DoesNotExist):
        services.save_draft(world.other_insurer, alert_data(), alert_id=published.pk)
    with pytest.raises(Refused, match="不能再修改"):
        services.save_draft(world.insurer, alert_data(), alert_id=published.pk)


# --- publish ------------------------------------------------------------------------------------

def test_publishing_delivers_to_each_target_with_a_notice_linking_the_alert(insured, published):
    targets = insured_ids(insured, enterprise__region=CHENGQU)
    assert set(published.deliveries.values_list("enterprise", flat=True)) == targets
    notices = Notice.objects.filter(kind=Notice.Kind.ALERT, link=f"/alerts/{published.pk}/")
    assert set(notices.values_list("enterprise", flat=True)) == targets
    assert set(notices.values_list("title", flat=True)) == {published.title}
    assert published.status == Alert.Status.PUBLISHED and published.published_at
    event = AuditEvent.objects.get(object_type="alerts.alert", object_id=str(published.pk), action="alert.publish")
    assert (event.from_status, event.to_status, event.data) == ("draft", "published", {"enterprises": len(targets)})


def test_a_medium_alert_sends_no_sms_or_email(published):
    # by its title: the demo's own 高 alert has messaged its insureds
    assert not OutboundMessage.objects.filter(purpose="alert.publish", body__contains=published.title).exists()


def test_a_high_alert_sends_a_chinese_summary_to_each_targeted_users_mobile_and_email(insured, draft, enterprise_user):
    from django.utils import translation

    enterprise_user("demo_mail", insured.demo.enterprise, mobile="13729230657", email="LiRui@example.com")  # again
    enterprise_user("demo_gone", insured.demo.enterprise, mobile="13900000000", is_active=False)
    alert = draft(level=Alert.Level.HIGH, audience=A.COUNTIES, counties=counties(CHENGQU))
    with translation.override("en"):
        services.publish(insured.insurer, alert.pk)
    sent = OutboundMessage.objects.filter(purpose="alert.publish", body__contains=alert.title)  # not the demo's
    recipients = set(sent.values_list("channel", "recipient"))
    assert {("sms", "13729230657"), ("sms", "13800138001"), ("email", "lirui@example.com")} <= recipients
    assert ("sms", "13900000000") not in recipients  # an inactive user
    assert ("sms", "13800138002") not in recipients  # demo2 is in 海丰县
    assert sent.count() == len(recipients)  # each mobile and address once
    assert all(body.startswith("【单一窗口】") and alert.title in body for body in sent.values_list("body", flat=True))


def test_the_sms_of_a_high_alert_with_a_long_title_is_one_sms_and_the_email_has_the_whole_title(insured, draft):
    title = "阿根廷央行收紧进口付汇审批" + "，部分买方付款周期明显延长" * 6  # 91 characters
    alert = draft(title=title, level=Alert.Level.HIGH, audience=A.COUNTIES, counties=counties(CHENGQU))
    services.publish(insured.insurer, alert.pk)
    sent = OutboundMessage.objects.filter(purpose="alert.publish", body__contains="阿根廷央行收紧进口付汇审批")
    sms = set(sent.filter(channel="sms").values_list("body", flat=True))
    assert len(sms) == 1  # the same summary to each mobile
    (text,) = sms
    until = alert.valid_until.isoformat()
    assert len(text) <= services.SMS_LENGTH == 70
    assert text.startswith(f"【单一窗口】{insured.insurer.insurer_branch.name}高风险预警：阿根廷央行收紧进口付汇审批")
    assert "…（有效期至" in text and text.endswith(f"（有效期至{until}）。请登录单一窗口查看。")
    (mail,) = set(sent.filter(channel="email").values_list("body", flat=True))
    assert title in mail and until in mail


def test_a_short_title_is_sent_whole_in_the_sms(insured, draft):
    alert = draft(title="阿根廷外汇管制收紧", level=Alert.Level.HIGH)
    assert services.sms_summary(alert) == (
        f"【单一窗口】中国信保粤东办事处高风险预警：阿根廷外汇管制收紧（有效期至{alert.valid_until.isoformat()}）。请登录单一窗口查看。")
    assert len(services.sms_summary(alert)) <= 70


def test_publishing_twice_answers_already_done(insured, published):
    with pytest.raises(Refused, match="无需重复操作"):
        services.publish(insured.insurer, published.pk)
    assert published.deliveries.count() == AlertDelivery.objects.filter(alert=published).count()


def test_an_alert_reaching_nobody_is_not_published(world, draft):
    alert = draft(audience=A.COUNTIES, counties=counties(HAIFENG))
    Policy.objects.filter(enterprise__region=HAIFENG, status=PolicyStatus.EFFECTIVE).update(status="expired")
    with pytest.raises(ValidationError, match="没有参保企业"):
        services.publish(world.insurer, alert.pk)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.DRAFT


def test_a_draft_past_its_last_day_is_not_published(insured, draft):
    alert = draft()
    tomorrow = timezone.now() + dt.timedelta(days=31)
    with pytest.raises(ValidationError, match="有效期已于"):
        services.publish(insured.insurer, alert.pk, now=tomorrow)


def test_a_draft_is_published_until_midnight_of_its_last_day_in_shanghai(insured, draft):
    shanghai = timezone.get_default_timezone()
    alert = draft()
    just_after = dt.datetime.combine(alert.valid_until + dt.timedelta(days=1), dt.time(0, 0), tzinfo=shanghai)
    with pytest.raises(ValidationError, match="有效期已于"):
        services.publish(insured.insurer, alert.pk, now=just_after)
    late = dt.datetime.combine(alert.valid_until, dt.time(23, 59), tzinfo=shanghai)
    assert services.publish(insured.insurer, alert.pk, now=late).status == Alert.Status.PUBLISHED


def test_another_branch_cannot_publish_it(insured, draft):
    with pytest.raises(Alert.DoesNotExist):
        services.publish(insured.other_insurer, draft().pk)


# --- withdraw -----------------------------------------------------------------------------------

def test_withdrawing_keeps_the_reason_and_hides_it_from_the_enterprise(insured, published):
    services.withdraw(insured.insurer, published.pk, reason="信息有误，将重新发布。")
    published.refresh_from_db()
    assert (published.status, published.withdraw_reason) == ("withdrawn", "信息有误，将重新发布。")
    assert not Alert.objects.visible_to(insured.demo).filter(pk=published.pk).exists()
    assert not services.for_enterprise(insured.demo).filter(pk=published.pk).exists()
    assert not services.for_enterprise(insured.demo, archived=True).filter(pk=published.pk).exists()
    # still found as sent to it (its notices link to it), by the enterprise it reached only
    assert Alert.objects.delivered_to(insured.demo).filter(pk=published.pk).exists()
    assert not Alert.objects.delivered_to(insured.demo2).filter(pk=published.pk).exists()
    assert published.deliveries.exists()  # who it reached stays on record
    assert AuditEvent.objects.get(object_id=str(published.pk), action="alert.withdraw").reason == "信息有误，将重新发布。"


def test_withdrawing_retitles_its_notices_and_leaves_them_read_or_unread_as_they_were(insured, published):
    notices = Notice.objects.filter(kind=Notice.Kind.ALERT, link=services.detail_path(published))
    services.record_read(insured.demo, published)
    services.withdraw(insured.insurer, published.pk, reason="信息有误，将重新发布。")
    assert set(notices.values_list("title", flat=True)) == {f"{published.title}（已撤回）"}
    assert notices.count() == published.deliveries.count()  # no notice more, none less
    mine = notices.get(enterprise=insured.demo.enterprise_id)
    assert NoticeRead.objects.filter(notice=mine, user=insured.demo).exists()
    assert not NoticeRead.objects.filter(notice=mine, user=insured.colleague).exists()
    assert not Notice.objects.exclude(link=services.detail_path(published)).filter(title__endswith="（已撤回）").exists()


def test_a_withdrawn_alert_opened_leaves_no_read_receipt_but_reads_its_notice(insured, published):
    services.withdraw(insured.insurer, published.pk, reason="信息有误，将重新发布。")
    published.refresh_from_db()
    services.record_read(insured.demo, published)
    assert not AlertRead.objects.filter(alert=published).exists()
    notice = Notice.objects.get(enterprise=insured.demo.enterprise_id, link=services.detail_path(published))
    assert NoticeRead.objects.filter(notice=notice, user=insured.demo).exists()


@pytest.mark.parametrize("reason", ["", "   ", "<b>x</b>", "原" * 501])
def test_a_withdrawal_needs_a_good_reason(insured, published, reason):
    with pytest.raises(ValidationError):
        services.withdraw(insured.insurer, published.pk, reason=reason)


# --- read receipts ------------------------------------------------------------------------------

def test_opening_records_the_first_read_only_and_reads_the_notice(insured, published):
    first = timezone.now()
    services.record_read(insured.demo, published, now=first)
    services.record_read(insured.demo, published, now=first + dt.timedelta(hours=1))
    assert list(AlertRead.objects.filter(alert=published).values_list("user", "read_at")) == [(insured.demo.pk, first)]
    notice = Notice.objects.get(enterprise=insured.demo.enterprise_id, kind=Notice.Kind.ALERT)
    assert NoticeRead.objects.filter(notice=notice, user=insured.demo).exists()
    assert not NoticeRead.objects.filter(notice=notice, user=insured.colleague).exists()  # colleagues read for themselves


def test_the_receipts_name_who_read_and_which_enterprises_have_not(insured, published):
    services.record_read(insured.demo, published)
    services.record_read(insured.colleague, published)
    receipts = services.receipts(published)
    rows = {row.enterprise.pk: row for row in receipts.rows}
    assert {read.user for read in rows[insured.demo.enterprise_id].reads} == {insured.demo, insured.colleague}
    assert {row.enterprise.pk for row in receipts.read} == {insured.demo.enterprise_id}
    assert {row.enterprise.pk for row in receipts.unread} == set(rows) - {insured.demo.enterprise_id}
    assert len(receipts.rows) == published.deliveries.count()


def test_an_insurer_opening_it_leaves_no_receipt(insured, published):
    services.record_read(insured.insurer, published)
    assert not AlertRead.objects.exists()


# --- expiry: the day boundary in Asia/Shanghai ---------------------------------------------------

def test_an_alert_is_current_on_its_last_day_and_archived_the_next_in_shanghai(insured, published):
    last_day = published.valid_until
    shanghai = timezone.get_default_timezone()
    late_on_last_day = dt.datetime.combine(last_day, dt.time(23, 59), tzinfo=shanghai)
    just_after = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=shanghai)
    assert just_after.astimezone(dt.UTC).date() == last_day  # still the last day in UTC
    for moment, archived in ((late_on_last_day, False), (just_after, True)):
        today = timezone.localdate(moment)
        assert published.expired(today) is archived
        assert services.for_enterprise(insured.demo, today=today).filter(pk=published.pk).exists() is not archived
        assert services.for_enterprise(insured.demo, archived=True, today=today).filter(
            pk=published.pk).exists() is archived


def test_the_list_marks_what_the_user_has_not_read(insured, published):
    assert services.for_enterprise(insured.demo).get(pk=published.pk).unread
    services.record_read(insured.demo, published)
    assert not services.for_enterprise(insured.demo).get(pk=published.pk).unread
    assert services.for_enterprise(insured.colleague).get(pk=published.pk).unread


def test_an_alert_published_ahead_has_not_started_until_its_first_day_in_shanghai(insured, draft):
    first_day = timezone.localdate() + dt.timedelta(days=3)
    alert = services.publish(insured.insurer, draft(valid_from=first_day).pk)
    shanghai = timezone.get_default_timezone()
    late_the_day_before = dt.datetime.combine(first_day - dt.timedelta(days=1), dt.time(23, 59), tzinfo=shanghai)
    first_moment = dt.datetime.combine(first_day, dt.time(0, 0), tzinfo=shanghai)
    assert first_moment.astimezone(dt.UTC).date() == first_day - dt.timedelta(days=1)  # the day before in UTC
    assert alert.not_started(timezone.localdate(late_the_day_before))
    assert not alert.not_started(timezone.localdate(first_moment))
    # published ahead, it is delivered and listed at once, as a current alert
    assert services.for_enterprise(insured.demo, today=timezone.localdate(late_the_day_before)).filter(
        pk=alert.pk).exists()


def test_load_demo_publishes_the_insurers_alerts_to_its_insureds(world):
    """portal/demo.py calls alerts.demo.build: `make run`'s exporter has two current alerts and one past."""
    from singlewindow.accounts.models import User

    exporter = User.objects.get(username="exporter")
    current = [alert.title for alert in services.for_enterprise(exporter)]
    archived = [alert.title for alert in services.for_enterprise(exporter, archived=True)]
    assert current == ["阿根廷外汇管制收紧，买方付汇可能延迟", "欧盟家具产品新规实施，关注买方拒收风险"]
    assert archived == ["春节前后海运延误提示"]
    high = Alert.objects.get(title=current[0])
    assert (high.level, high.branch) == (Alert.Level.HIGH, world.insurer.insurer_branch)
    assert high.deliveries.count() == len(insured_ids(world))  # every insured, and only those
    assert OutboundMessage.objects.filter(purpose="alert.publish", channel="sms", recipient=exporter.mobile).exists()
    # demo and demo2 have no effective policy: nothing for them
    assert not services.for_enterprise(world.demo).exists() and not services.for_enterprise(world.demo2).exists()


def test_the_demo_build_publishes_current_and_archived_alerts_to_the_insureds(insured):
    from singlewindow.alerts import demo

    alerts = demo.build(insured.insurer.insurer_branch, insured.insurer)
    assert [alert.status for alert in alerts] == ["published"] * 3
    current = set(services.for_enterprise(insured.demo))
    assert set(alerts[:2]) <= current and alerts[2] not in current
    assert alerts[2] in set(services.for_enterprise(insured.demo, archived=True))
