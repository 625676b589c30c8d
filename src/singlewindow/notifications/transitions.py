"""The outbox message's state machine: the one table every delivery step consults (as policies/transitions.py).

Each move is one conditional UPDATE on the allowed source statuses, so of two drains only one can make
it (the row count says which), on PostgreSQL and SQLite alike. A claim counts an attempt; the attempt
number is the claim's token: a drain that lost its claim to a recovery cannot finish someone else's.
"""
from django.db.models import F, Q

from singlewindow.machines import Machine, Transition

from .models import OutboundMessage

S = OutboundMessage.Status

OUTBOUND = Machine(
    S,
    [
        Transition("claim", frozenset({S.QUEUED}), S.SENDING),  # a drain takes a due message
        Transition("succeed", frozenset({S.SENDING}), S.SENT),  # the backend accepted it
        Transition("retry", frozenset({S.SENDING}), S.QUEUED),  # the backend failed, tries are left: back off
        Transition("give_up", frozenset({S.SENDING}), S.FAILED),  # the last try failed (or went stale)
        Transition("recover", frozenset({S.SENDING}), S.QUEUED),  # the claim went stale: its drain died mid-send
    ],
)
MOVES = OUTBOUND.transitions


def _move(action, message_id, *, when, **fields):
    """A drain's move answers True or False (it lost the race), never raises: losing is routine here."""
    return OUTBOUND.try_move(OutboundMessage.objects.all(), message_id, action, when=when, **fields)


def claim(message_id, now):
    """queued → sending, if due at `now`; counts the attempt. True when this caller got it."""
    return _move("claim", message_id, when=Q(next_attempt_at__lte=now), attempts=F("attempts") + 1, claimed_at=now)


def succeed(message_id, attempt, now):
    return _move("succeed", message_id, when=Q(attempts=attempt), sent_at=now, last_error="")


def retry(message_id, attempt, error, next_attempt_at):
    return _move("retry", message_id, when=Q(attempts=attempt), last_error=error[:500],
                 next_attempt_at=next_attempt_at)


def give_up(message_id, attempt, error):
    return _move("give_up", message_id, when=Q(attempts=attempt), last_error=error[:500])


def recover(message_id, attempt, error, now):
    """A stale claim back to queued, due at once; the lost attempt still counts."""
    return _move("recover", message_id, when=Q(attempts=attempt), last_error=error[:500], next_attempt_at=now)
