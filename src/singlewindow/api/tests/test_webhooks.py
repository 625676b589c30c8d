"""Webhooks: subscribed per token, told only of what the token may see, signed (HMAC-SHA256 over timestamp.body),
retried with backoff through the outbox pattern, logged, and replayed on request."""
import datetime as dt
import http.server
import json
import threading
import time
from unittest import mock

import pytest
from django.utils import timezone

from singlewindow.claims.tests.conftest import claim_for
from singlewindow.enterprises.tests.conftest import CITY, csv_bytes, new_uscc

from .. import webhooks
from ..models import ApiToken, WebhookDelivery
from .conftest import is_problem
from .test_example_client import load_example

HOOK = "https://insurer.example/hooks/singlewindow"


@pytest.fixture
def received():
    """What the receivers were sent: (url, body bytes, headers), instead of a network."""
    calls, answers = [], []

    def post(url, body, headers):
        calls.append((url, body, headers))
        return answers.pop(0) if answers else 200

    with mock.patch.object(webhooks, "post", post):
        yield calls, answers


def subscribe(api, token, events, url=HOOK):
    response = api.post("/webhooks", token, {"url": url, "events": events})
    assert response.status_code == 201, response.content
    return response.data


def test_a_subscription_shows_its_secret_once(api, keys):
    made = subscribe(api, keys.insurer, ["policy.approved"])
    assert made["secret"].startswith("whsec_") and made["events"] == ["policy.approved"]
    listed = api.get("/webhooks", keys.insurer).data["data"]
    assert [row["id"] for row in listed] == [made["id"]] and listed[0]["secret"] is None
    assert api.get("/webhooks", keys.other_insurer).data["data"] == []


@pytest.mark.parametrize("body, field", [({"url": "ftp://x", "events": ["policy.approved"]}, "url"),
                                         ({"url": HOOK, "events": ["policy.deleted"]}, "events.0"),
                                         ({"url": HOOK, "events": []}, "events")])
def test_a_subscription_is_checked(api, keys, body, field):
    problem = is_problem(api.post("/webhooks", keys.insurer, body), 422, "validation")
    assert field in {error["field"] for error in problem["errors"]}


def test_an_approval_is_delivered_signed_to_its_branch_only(api, keys, confirmed, received,
                                                            django_capture_on_commit_callbacks):
    mine = subscribe(api, keys.insurer, ["policy.approved", "policy.returned"])
    subscribe(api, keys.other_insurer, ["policy.approved"], url="https://gz.example/hook")
    theirs = subscribe(api, keys.demo, ["policy.approved"], url="https://exporter.example/hook")
    subscribe(api, keys.demo2, ["policy.approved"], url="https://other-exporter.example/hook")
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/policies/{confirmed.pk}/approve", keys.insurer).status_code == 200
    calls, _answers = received
    assert sorted(url for url, _b, _h in calls) == ["https://exporter.example/hook", HOOK]
    _url, body, headers = next(call for call in calls if call[0] == HOOK)
    event = json.loads(body)
    assert event["type"] == "policy.approved" and event["data"]["id"] == confirmed.pk
    assert event["data"]["status"] == "effective" and headers["Sw-Webhook-Id"] == event["id"]
    verify = load_example().verify_webhook
    assert verify(mine["secret"], headers, body)
    assert not verify(theirs["secret"], headers, body)  # another subscription's secret
    assert not verify(mine["secret"], headers, body.replace(b"effective", b"cancelled"))  # tampered
    stamp = int(headers["Sw-Webhook-Timestamp"])
    assert not verify(mine["secret"], headers, body, now=stamp + 301)  # older than 5 minutes
    assert verify(mine["secret"], headers, body, now=stamp + 299)
    logged = api.get(f"/webhooks/{mine['id']}/deliveries", keys.insurer).data["data"]
    assert [(d["event"], d["status"], d["attempts"], d["last_status"]) for d in logged] == [
        ("policy.approved", "delivered", 1, 200)]
    is_problem(api.get(f"/webhooks/{mine['id']}/deliveries", keys.other_insurer), 404)


def test_a_return_and_a_confirmation_are_events_too(api, keys, world, received, django_capture_on_commit_callbacks):
    from singlewindow.policies.tests.conftest import confirm_as

    subscribe(api, keys.insurer, ["policy.confirmed", "policy.returned"])
    with django_capture_on_commit_callbacks(execute=True):
        confirm_as(world.demo, world.pending)  # the enterprise's page
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/policies/{world.pending.pk}/return", keys.insurer, {"reason": "联系电话有误"})
    assert [json.loads(body)["type"] for _u, body, _h in received[0]] == ["policy.confirmed", "policy.returned"]


def test_a_failed_delivery_is_retried_with_backoff_then_given_up(api, keys, confirmed, received, settings,
                                                                 django_capture_on_commit_callbacks):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    calls, answers = received
    answers.extend([500, 503, 500])
    subscribe(api, keys.insurer, ["policy.approved"])
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/policies/{confirmed.pk}/approve", keys.insurer)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("queued", 1, "HTTP 500")
    first_wait = delivery.next_attempt_at - delivery.claimed_at
    assert first_wait == settings.OUTBOX_RETRY_BASE
    assert webhooks.drain(now=delivery.claimed_at + dt.timedelta(seconds=1)) == 0  # not yet due
    assert len(calls) == 1
    later = delivery.next_attempt_at + dt.timedelta(seconds=1)
    webhooks.drain(now=later)
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.next_attempt_at - later == 2 * settings.OUTBOX_RETRY_BASE  # doubled
    webhooks.drain(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 3 and len(calls) == 3
    # 重新投递: the same event again, signed anew, delivered now the receiver answers
    replayed = api.post(f"/webhook-deliveries/{delivery.pk}/replay", keys.insurer)
    assert replayed.status_code == 202
    is_problem(api.post(f"/webhook-deliveries/{delivery.pk}/replay", keys.other_insurer), 404)
    with django_capture_on_commit_callbacks(execute=True):
        pass
    webhooks.drain()
    again = WebhookDelivery.objects.get(pk=replayed.data["id"])
    assert again.status == "delivered" and again.event_id == delivery.event_id and again.replay_of_id == delivery.pk
    assert calls[-1][2]["Sw-Webhook-Id"] == delivery.event_id


def test_a_claim_and_an_import_are_announced(api, keys, insured, received, django_capture_on_commit_callbacks):
    subscribe(api, keys.insurer, ["claim.submitted"])
    subscribe(api, keys.bureau, ["import.finished"], url="https://bureau.example/hook")
    subscribe(api, keys.county, ["import.finished"], url="https://county.example/hook")
    with django_capture_on_commit_callbacks(execute=True):
        claim = claim_for(insured)
    with django_capture_on_commit_callbacks(execute=True):
        api.upload("/imports", keys.bureau, "exports.csv", csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "10")]))
    events = [(url, json.loads(body)) for url, body, _h in received[0]]
    assert [(url, e["type"]) for url, e in events] == [(HOOK, "claim.submitted"),
                                                       ("https://bureau.example/hook", "import.finished")]
    assert events[0][1]["data"]["id"] == claim.pk and events[1][1]["data"]["status"] == "done"


def test_a_revoked_tokens_subscriptions_hear_nothing(api, keys, confirmed, received,
                                                     django_capture_on_commit_callbacks):
    subscribe(api, keys.insurer, ["policy.approved"])
    ApiToken.objects.filter(pk=keys.insurer.pk).update(revoked_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.announce("policy.approved", "policies.policy", confirmed.pk)
    assert received[0] == [] and not WebhookDelivery.objects.exists()


def test_a_real_receiver_gets_a_delivery_it_can_verify(api, keys, confirmed, django_capture_on_commit_callbacks):
    """Over HTTP on the loopback: the receiver of the example verifies what the single window sent."""
    got = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        made = subscribe(api, keys.insurer, ["policy.approved"], url=f"http://127.0.0.1:{server.server_port}/hook")
        with django_capture_on_commit_callbacks(execute=True):
            api.post(f"/policies/{confirmed.pk}/approve", keys.insurer)
        deadline = time.time() + 5
        while not got and time.time() < deadline:
            time.sleep(0.05)
    finally:
        server.shutdown()
        server.server_close()
    headers, body = got[0]
    assert load_example().verify_webhook(made["secret"], headers, body)
    assert WebhookDelivery.objects.get().status == "delivered"


def test_the_delivery_log_page_lists_and_replays(client, world, api, keys, confirmed, received,
                                                  django_capture_on_commit_callbacks):
    from singlewindow.policies.tests.conftest import page_text

    subscribe(api, keys.insurer, ["policy.approved"])
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/policies/{confirmed.pk}/approve", keys.insurer)
    delivery = WebhookDelivery.objects.get()
    client.force_login(world.admin)
    text = page_text(client.get("/api/webhooks/"))
    assert "policy.approved" in text and delivery.event_id in text and "已送达" in text and "重新投递" in text
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/api/webhooks/deliveries/{delivery.pk}/replay", follow=True)
    assert f"已重新投递事件 {delivery.event_id}" in page_text(done)
    assert WebhookDelivery.objects.filter(replay_of=delivery, status="delivered").count() == 1
    client.force_login(world.insurer)  # no permission to manage tokens
    assert client.post(f"/api/webhooks/deliveries/{delivery.pk}/replay").status_code == 403


@pytest.mark.parametrize("url", ["http://insurer.example/hooks", "https://127.0.0.1/hooks", "https://10.1.2.3/hooks",
                                 "https://[::1]/hooks", "https://169.254.169.254/latest/meta-data"])
def test_outside_the_demo_a_receiver_must_be_https_on_a_public_address(api, keys, settings, url):
    settings.SW_WEBHOOK_ALLOW_PRIVATE = False
    problem = is_problem(api.post("/webhooks", keys.insurer, {"url": url, "events": ["policy.approved"]}), 422,
                         "validation")
    assert "url" in {error["field"] for error in problem["errors"]}


def test_a_name_that_resolves_into_our_network_is_not_called(settings):
    settings.SW_WEBHOOK_ALLOW_PRIVATE = False
    with mock.patch("socket.getaddrinfo", return_value=[(2, 1, 6, "", ("10.0.0.7", 443))]), \
            mock.patch.object(webhooks._OPENER, "open") as opened, pytest.raises(OSError, match="公网地址"):
        webhooks.post("https://hooks.insurer.example/x", b"{}", {})
    opened.assert_not_called()
    with mock.patch("socket.getaddrinfo", return_value=[(2, 1, 6, "", ("93.184.216.34", 443))]):
        assert webhooks.destination_problem("https://hooks.insurer.example/x") is None


def test_a_redirect_is_the_receivers_answer_not_a_new_destination():
    class Redirecting(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/internal")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Redirecting)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        assert webhooks.post(f"http://127.0.0.1:{server.server_port}/hook", b"{}", {}) == 302
    finally:
        thread.join(5)
        server.server_close()
