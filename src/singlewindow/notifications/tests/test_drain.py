"""The drain (`send_outbox`, `send_outbox --loop`): retries with growing waits, then failed; recovers dead claims."""
import datetime as dt
import io
import logging
import threading

import pytest
from django.core.management import call_command
from django.utils import timezone

from singlewindow.notifications import outbox, transitions
from singlewindow.notifications.management.commands.send_outbox import run
from singlewindow.notifications.models import OutboundMessage

SMS = {"channel": "sms", "recipient": "13729230657", "body": "【广东单一窗口】验证码：123456", "purpose": "code:test"}
SECOND = dt.timedelta(seconds=1)


class BrokenGateway:
    """A backend that always fails, counting the tries it was given."""

    tries = []

    def send(self, message):
        BrokenGateway.tries.append(message.pk)
        raise ConnectionRefusedError("短信网关拒绝连接")


@pytest.fixture
def broken(settings):
    BrokenGateway.tries = []
    settings.OUTBOX_BACKEND = f"{__name__}.BrokenGateway"
    return BrokenGateway


@pytest.fixture
def retries(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 5
    settings.OUTBOX_RETRY_BASE = dt.timedelta(seconds=30)
    settings.OUTBOX_RETRY_MAX = dt.timedelta(minutes=30)
    settings.OUTBOX_STALE = dt.timedelta(minutes=5)
    return settings


def sent_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "singlewindow.outbox"]


def tries_until_failed(message):
    """Drain just before and just at each next try until the message has failed; the waits between tries."""
    now, waits = timezone.now(), []
    while True:
        outbox.drain(now=now)
        message.refresh_from_db()
        if message.status != "queued":
            return waits
        wait = message.next_attempt_at - now
        attempts = message.attempts
        outbox.drain(now=now + wait - SECOND)  # not yet due: left alone
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("queued", attempts)
        waits.append(wait)
        now += wait


def test_a_message_whose_backend_fails_is_retried_with_doubling_waits_then_failed(db, broken, retries, caplog):
    message = outbox.queue(**SMS)
    waits = tries_until_failed(message)

    assert waits == [dt.timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert (message.status, message.attempts) == ("failed", 5)
    assert message.last_error == "ConnectionRefusedError: 短信网关拒绝连接"
    assert broken.tries == [message.pk] * 5
    outbox.drain(now=timezone.now() + dt.timedelta(days=1))
    assert broken.tries == [message.pk] * 5  # failed is final
    assert any("failed for good after 5 tries" in line and "137****0657" in line
               for line in (r.getMessage() for r in caplog.records))


def test_the_wait_between_tries_stops_growing_at_the_maximum(db, broken, retries):
    retries.OUTBOX_RETRY_MAX = dt.timedelta(seconds=90)
    assert tries_until_failed(outbox.queue(**SMS)) == [dt.timedelta(seconds=s) for s in (30, 60, 90, 90)]


@pytest.mark.parametrize("tries", [1, 3, 6])
def test_the_number_of_tries_follows_the_setting(db, broken, retries, tries):
    retries.OUTBOX_MAX_ATTEMPTS = tries
    message = outbox.queue(**SMS)
    assert len(tries_until_failed(message)) == tries - 1
    assert (message.status, len(broken.tries)) == ("failed", tries)


def test_a_message_whose_drain_died_mid_send_is_queued_again_and_sent_once(db, retries, caplog):
    caplog.set_level(logging.INFO, logger="singlewindow.outbox")
    message = outbox.queue(**SMS)
    taken = timezone.now()
    assert transitions.claim(message.pk, taken)  # a drain took it, then its process was killed

    assert outbox.drain(now=taken + retries.OUTBOX_STALE - SECOND) == 0
    message.refresh_from_db()
    assert message.status == "sending" and sent_lines(caplog) == []

    assert outbox.drain(now=taken + retries.OUTBOX_STALE + SECOND) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert sent_lines(caplog) == ["[短信 → 137****0657] 【广东单一窗口】验证码：123456"]
    assert outbox.drain(now=taken + 3 * retries.OUTBOX_STALE) == 0
    assert len(sent_lines(caplog)) == 1


def test_a_claim_that_dies_on_the_last_try_ends_failed(db, retries):
    retries.OUTBOX_MAX_ATTEMPTS = 1
    message = outbox.queue(**SMS)
    taken = timezone.now()
    assert transitions.claim(message.pk, taken)
    assert outbox.drain(now=taken + retries.OUTBOX_STALE + SECOND) == 0
    message.refresh_from_db()
    assert (message.status, message.last_error) == ("failed", outbox.STALE)


def test_send_outbox_sends_what_the_worker_never_got(db):
    messages = [outbox.queue(**SMS), outbox.queue(**SMS)]  # no commit in this test: no kick ran
    out = io.StringIO()
    call_command("send_outbox", stdout=out)
    assert out.getvalue() == "outbox: 2 message(s) sent\n"
    assert {OutboundMessage.objects.get(pk=m.pk).status for m in messages} == {"sent"}


@pytest.mark.django_db(transaction=True)  # the loop runs in autocommit, as in production
def test_the_loop_keeps_draining_until_stopped():
    stop, passes = threading.Event(), []
    first = OutboundMessage.objects.create(**SMS)  # rows whose kick was lost: only the loop sends them

    def drain_then_queue_another(stop=None):
        passes.append(None)
        if len(passes) >= 4:
            stop.set()  # four passes, whatever they did
        passes[-1] = outbox.drain(stop=None)
        if len(passes) == 2:
            OutboundMessage.objects.create(**SMS)  # arrives while the loop is idle
        return passes[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("singlewindow.notifications.management.commands.send_outbox.drain", drain_then_queue_another)
        run(stop, poll=0)
    assert passes == [1, 0, 1, 0]
    assert list(OutboundMessage.objects.values_list("status", flat=True)) == ["sent", "sent"]
    first.refresh_from_db()
    assert first.status == "sent"


@pytest.mark.django_db(transaction=True)
def test_the_loop_outlives_a_failed_pass(caplog):
    stop, calls = threading.Event(), []
    message = OutboundMessage.objects.create(**SMS)  # its kick was lost

    def hiccup_then_drain(stop=None):
        calls.append(1)
        if len(calls) >= 2:
            stop.set()
        if len(calls) == 1:
            raise ConnectionError("数据库连接中断")
        return outbox.drain()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("singlewindow.notifications.management.commands.send_outbox.drain", hiccup_then_drain)
        run(stop, poll=0)
    message.refresh_from_db()
    assert message.status == "sent" and len(calls) == 2
    assert "outbox: drain pass failed" in caplog.text
