"""The SMS/email outbox: written with the business change, a first try after commit, retried, three backends."""
import io
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import translation

from singlewindow.notifications import outbox
from singlewindow.notifications.models import OutboundMessage

SMS = {"channel": "sms", "recipient": "13729230657", "body": "【广东单一窗口】验证码：123456", "purpose": "code:test"}
EMAIL = {"channel": "email", "recipient": "lirui@example.com", "subject": "单一窗口验证码", "body": "验证码：654321"}


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Queue a message in a business transaction and let it commit (the worker runs at once in tests)."""

    def queue_and_commit(**message):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            queued = outbox.queue(**message)
        queued.refresh_from_db()
        return queued

    return queue_and_commit


def console_lines(caplog):
    return [record.getMessage() for record in caplog.records if record.name == "singlewindow.outbox"]


def test_a_message_waits_for_the_commit_and_is_then_delivered(db, caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.INFO, logger="singlewindow.outbox")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = outbox.queue(**SMS)
        assert OutboundMessage.objects.get(pk=message.pk).status == "queued"

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1) and message.sent_at is not None
    assert console_lines(caplog) == ["[短信 → 137****0657] 【广东单一窗口】验证码：123456"]


def test_a_rolled_back_change_sends_nothing(db, django_capture_on_commit_callbacks):
    before = OutboundMessage.objects.count()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox.queue(**SMS)
        raise RuntimeError("the business change failed")
    assert OutboundMessage.objects.count() == before and callbacks == []


def test_delivering_twice_sends_once(db, caplog, send):
    caplog.set_level(logging.INFO, logger="singlewindow.outbox")
    message = send(**SMS)
    assert outbox.deliver(message.pk) == "sent"
    assert len(console_lines(caplog)) == 1


def test_the_file_backend_writes_one_json_line_with_the_recipient_masked(db, settings, tmp_path, send):
    settings.OUTBOX_BACKEND = "singlewindow.notifications.backends.FileBackend"
    settings.OUTBOX_FILE = tmp_path / "outbox" / "messages.jsonl"
    send(**SMS)
    send(**EMAIL)

    lines = [json.loads(line) for line in settings.OUTBOX_FILE.read_text().splitlines()]
    assert [(line["channel"], line["to"], line["body"]) for line in lines] == [
        ("sms", "137****0657", SMS["body"]), ("email", "l***@example.com", "验证码：654321")]


class Gateway(BaseHTTPRequestHandler):
    received, answer = [], 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Gateway.received.append((self.headers["Authorization"], json.loads(body)))
        self.send_response(Gateway.answer)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    """A stand-in SMS gateway on the loopback address."""
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Gateway.received, Gateway.answer = [], 200
    settings.OUTBOX_BACKEND = "singlewindow.notifications.backends.GatewayBackend"
    settings.OUTBOX_SMS_URL = f"http://127.0.0.1:{server.server_port}/sms"
    settings.OUTBOX_SMS_TOKEN = "t0ken"
    yield Gateway
    server.shutdown()
    server.server_close()


def test_the_gateway_gets_the_full_number_and_the_text(db, gateway, send):
    assert send(**SMS).status == "sent"
    assert gateway.received == [("Bearer t0ken", {"mobile": "13729230657", "content": SMS["body"]})]


def test_a_failing_gateway_leaves_the_message_queued_and_it_goes_out_once_the_gateway_answers(db, gateway, send):
    gateway.answer = 500
    message = send(**SMS)
    assert (message.status, message.attempts) == ("queued", 1) and "500" in message.last_error

    call_command("send_outbox", stdout=io.StringIO())  # the next try is not due yet
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)

    gateway.answer = 200
    assert outbox.drain(now=message.next_attempt_at) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
    assert len(gateway.received) == 2


def test_the_gateway_sends_email_through_django(db, gateway, send):
    send(**EMAIL)
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [(["lirui@example.com"], "单一窗口验证码", "验证码：654321")]
