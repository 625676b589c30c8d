"""The outbox message's state machine walked edge by edge from its table: every allowed move, every refused one."""
import datetime as dt

import pytest
from django.utils import timezone

from singlewindow.notifications import transitions
from singlewindow.notifications.models import OutboundMessage
from singlewindow.notifications.transitions import MOVES, OUTBOUND

S = OutboundMessage.Status
MINUTE = dt.timedelta(minutes=1)
FIELDS = ["status", "attempts", "last_error", "next_attempt_at", "claimed_at", "sent_at"]


def path_to(status):
    """The shortest list of actions from queued (where queue() leaves a message) to `status`, by the table."""
    path = OUTBOUND.path(S.QUEUED, status)
    if path is None:
        raise AssertionError(f"no path in OUTBOUND reaches {status}")
    return path


ALLOWED, REFUSED = OUTBOUND.edges()
TOKENED = [a for a in MOVES if a != "claim"]  # every move of a claimed message names the claim (its attempt)


def act(action, message, now, attempt=None):
    """Make `action`'s move with valid arguments, as the drain would; True when the move was made."""
    attempt = message.attempts if attempt is None else attempt
    if action == "claim":
        return transitions.claim(message.pk, now)
    if action == "succeed":
        return transitions.succeed(message.pk, attempt, now)
    if action == "retry":
        return transitions.retry(message.pk, attempt, "RuntimeError: 网关无响应", now + MINUTE)
    if action == "give_up":
        return transitions.give_up(message.pk, attempt, "RuntimeError: 网关无响应")
    if action == "recover":
        return transitions.recover(message.pk, attempt, "claim went stale", now)
    raise AssertionError(f"the test does not know how to {action}")


def snapshot(message):
    message.refresh_from_db()
    return {name: getattr(message, name) for name in FIELDS}


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def message_in(db, now):
    """A message moved into `status` by the real moves, along the table's shortest path."""

    def message_in(status):
        message = OutboundMessage.objects.create(channel="sms", recipient="13729230657", body="验证码：123456",
                                                 next_attempt_at=now - MINUTE)
        for action in path_to(status):
            message.refresh_from_db()
            assert act(action, message, now)
        message.refresh_from_db()
        assert message.status == status
        return message

    return message_in


def test_every_status_is_reachable_from_queued():
    assert path_to(S.QUEUED) == []
    assert all(path_to(status) for status in S if status != S.QUEUED)


@pytest.mark.parametrize("action,source", ALLOWED)
def test_it_makes_every_allowed_move(message_in, now, action, source):
    message = message_in(source)
    before = snapshot(message)
    assert act(action, message, now) is True
    after = snapshot(message)
    assert after["status"] == MOVES[action].target
    expected = {
        "claim": {"attempts": before["attempts"] + 1, "claimed_at": now},
        "succeed": {"sent_at": now, "last_error": ""},
        "retry": {"next_attempt_at": now + MINUTE, "last_error": "RuntimeError: 网关无响应"},
        "give_up": {"last_error": "RuntimeError: 网关无响应"},
        "recover": {"next_attempt_at": now, "last_error": "claim went stale"},
    }[action]
    assert {name: after[name] for name in expected} == expected
    assert all(after[name] == before[name] for name in FIELDS if name not in expected and name != "status")


@pytest.mark.parametrize("action,status", REFUSED)
def test_it_refuses_every_move_not_in_the_table(message_in, now, action, status):
    message = message_in(status)
    before = snapshot(message)
    assert act(action, message, now) is False
    assert snapshot(message) == before


@pytest.mark.parametrize("action", TOKENED)
def test_it_refuses_a_move_by_a_drain_whose_claim_was_taken_over(message_in, now, action):
    message = message_in(S.SENDING)
    lost_claim = message.attempts
    assert transitions.recover(message.pk, lost_claim, "claim went stale", now)
    assert transitions.claim(message.pk, now)  # another drain's claim, attempt 2
    before = snapshot(message)
    assert act(action, message, now, attempt=lost_claim) is False
    assert snapshot(message) == before


def test_it_does_not_claim_a_message_before_its_next_try_is_due(message_in, now):
    message = message_in(S.QUEUED)
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=now + MINUTE)
    before = snapshot(message)
    assert transitions.claim(message.pk, now) is False
    assert snapshot(message) == before
    assert transitions.claim(message.pk, now + MINUTE) is True
