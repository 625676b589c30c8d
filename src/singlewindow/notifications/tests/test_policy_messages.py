"""SMS and e-mail to the enterprise through the outbox: approved, returned, cancelled, deadline near."""
import datetime

import pytest

from singlewindow.accounts.models import User
from singlewindow.notifications import services
from singlewindow.notifications.models import Notice, OutboundMessage
from singlewindow.policies import services as policies
from singlewindow.policies.models import Policy, PolicyStatus
from singlewindow.policies.tests.conftest import CONTACT

REASON = "联系电话无法接通，请核实后重新确认。"


def sent(purpose, policy):
    """The messages of `purpose` about `policy` (the demo world has sent some about others)."""
    return list(OutboundMessage.objects.filter(purpose=purpose, body__contains=policy.number)
                .values_list("channel", "recipient", "body"))


@pytest.mark.parametrize("action, act, words", [
    ("approve", lambda w, p: policies.approve(w.insurer, p.pk), "已审批通过并生效"),
    ("return", lambda w, p: policies.return_policy(w.insurer, p.pk, reason=REASON), REASON),
    ("cancel", lambda w, p: policies.cancel(w.insurer, p.pk, reason=REASON), "已被保险公司撤销"),
])
def test_the_contact_given_at_confirmation_gets_an_sms_and_an_email(world, confirmed, action, act, words):
    act(world, confirmed)
    messages = sent(f"policy.{action}", confirmed)
    assert {(channel, to) for channel, to, _body in messages} == {
        ("sms", CONTACT["contact_phone"]), ("email", CONTACT["contact_email"])}
    assert all(confirmed.number in body and words in body for _c, _t, body in messages)


def test_a_landline_contact_gets_no_sms_but_the_email(world, confirmed):
    Policy.objects.filter(pk=confirmed.pk).update(contact_phone="0660-3379016")
    policies.approve(world.insurer, confirmed.pk)
    assert [channel for channel, _t, _b in sent("policy.approve", confirmed)] == ["email"]


def test_the_message_is_in_chinese_whatever_language_the_insurer_uses(world, confirmed, settings):
    from django.utils import translation

    with translation.override("en"):
        policies.approve(world.insurer, confirmed.pk)
    assert all("保单" in body for _c, _t, body in sent("policy.approve", confirmed))


def test_issuing_sends_nothing(world):
    assert not OutboundMessage.objects.filter(purpose__startswith="policy.issue").exists()


def deadline_in(policy, days, today):
    policy.scheme.confirm_deadline = today + datetime.timedelta(days=days)
    policy.scheme.save(update_fields=["confirm_deadline"])


def test_a_waiting_policy_is_reminded_once_when_its_deadline_is_near(world, settings):
    settings.SW_DEADLINE_REMINDER_DAYS = 7
    today = datetime.date(2027, 2, 20)
    pending = world.pending
    deadline_in(pending, 7, today)
    User.objects.filter(pk=world.demo.pk).update(mobile="13729230657")
    waiting = Policy.objects.filter(scheme=pending.scheme, status__in=[PolicyStatus.PENDING, PolicyStatus.RETURNED])

    assert services.remind_deadlines(today) == waiting.count()
    assert Notice.objects.filter(policy=pending, kind=Notice.Kind.REMINDED).count() == 1
    reminders = sent("policy.remind", pending)
    mobiles = set(User.objects.filter(enterprise=pending.enterprise).exclude(mobile="").values_list("mobile", flat=True))
    assert {(channel, to) for channel, to, _b in reminders} == {("sms", mobile) for mobile in mobiles}
    assert "13729230657" in mobiles and all("还有 7 天" in body for _c, _t, body in reminders)
    assert services.remind_deadlines(today) == 0  # once
    assert services.remind_deadlines(today + datetime.timedelta(days=1)) == 0


def test_no_reminder_too_early_after_the_deadline_or_once_confirmed(world, confirmed, settings):
    settings.SW_DEADLINE_REMINDER_DAYS = 7
    today = datetime.date(2027, 2, 20)
    deadline_in(world.pending, 8, today)
    assert services.remind_deadlines(today) == 0
    assert services.remind_deadlines(today + datetime.timedelta(days=9)) == 0  # the deadline has passed
    assert services.remind_deadlines(today + datetime.timedelta(days=1)) == Policy.objects.filter(
        scheme=world.pending.scheme, status__in=[PolicyStatus.PENDING, PolicyStatus.RETURNED]).count()
    assert not Notice.objects.filter(policy=confirmed, kind=Notice.Kind.REMINDED).exists()


def test_the_calendar_job_reminds(world, settings):
    from singlewindow.policies.management.commands.run_calendar import run_calendar

    settings.SW_DEADLINE_REMINDER_DAYS = 7
    today = world.pending.scheme.confirm_deadline - datetime.timedelta(days=3)
    run = run_calendar(today)
    assert run.reminded >= 1
    assert Notice.objects.filter(policy=world.pending, kind=Notice.Kind.REMINDED).exists()
