"""The outbox drain killed in the middle of a send (decision 0011): started again, it sends every message, and
the one in hand when it died goes out again — at-least-once, as the design says, never lost."""
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.utils import timezone

from singlewindow.notifications import outbox
from singlewindow.notifications.models import OutboundMessage

from .conftest import child_env, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
MOBILES = ["13800000001", "13800000002", "13800000003"]


class Gateway:
    """An SMS gateway on loopback that keeps every request it is sent, and leaves the `hold`-th unanswered until
    released: the moment a drain has handed a message over and waits for the answer."""

    def __init__(self, hold):
        self.received, self.hold, self.holding, self.released = [], hold, threading.Event(), threading.Event()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.received.append(body["mobile"])
                if len(gateway.received) == gateway.hold:
                    gateway.holding.set()
                    gateway.released.wait(60)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    gateway = Gateway(hold=2)
    yield gateway
    gateway.close()


def statuses(ids):
    return [OutboundMessage.objects.get(pk=pk).status for pk in ids]


def test_a_drain_killed_mid_send_is_restarted_and_every_sms_goes_out_the_held_one_twice(
        children, tmp_path, gateway, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # the kick waits for a worker
    with transaction.atomic():
        ids = [outbox.queue(channel="sms", recipient=m, body=f"验证码 {n}", purpose="register").pk
               for n, m in enumerate(MOBILES)]
    env = child_env(tmp_path, OUTBOX_BACKEND="singlewindow.notifications.backends.GatewayBackend",
                    OUTBOX_SMS_URL=gateway.url, OUTBOX_SMS_TOKEN="t", OUTBOX_POLL_SECONDS="0.2")

    drain = children("drain", "send_outbox", "--loop", env=env)
    wait_for("the gateway holding the second message", gateway.holding.is_set, process=drain)
    drain.kill()  # the gateway has the second message; the drain never hears it was accepted
    gateway.released.set()

    assert statuses(ids) == [OutboundMessage.Status.SENT, OutboundMessage.Status.SENDING,
                             OutboundMessage.Status.QUEUED]
    # OUTBOX_STALE (5 minutes) passes: the claim of the dead drain is old
    OutboundMessage.objects.filter(pk=ids[1]).update(claimed_at=timezone.now() - timedelta(minutes=6))

    again = children("drain-again", "send_outbox", "--loop", env=env)
    wait_for("every message sent", lambda: set(statuses(ids)) == {OutboundMessage.Status.SENT}, process=again)

    held = gateway.received[1]
    assert sorted(gateway.received) == sorted([*MOBILES, held])  # each once, the one in hand twice
    assert OutboundMessage.objects.get(pk=ids[1]).attempts == 2  # the lost try counts
    assert [OutboundMessage.objects.get(pk=pk).attempts for pk in (ids[0], ids[2])] == [1, 1]
