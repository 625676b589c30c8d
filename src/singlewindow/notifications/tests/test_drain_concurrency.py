"""Several drains at once (threads, real commits): each message is sent exactly once, dead claims included."""
import datetime as dt
import threading
import time
from collections import Counter

import pytest
from django.db import connections
from django.utils import timezone

from singlewindow.notifications import outbox, transitions
from singlewindow.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db(transaction=True)
DRAINS = 4


class SlowGateway:
    """Records what it was given; slow enough that the drains overlap."""

    sent, lock = [], threading.Lock()

    def send(self, message):
        time.sleep(0.002)
        with SlowGateway.lock:
            SlowGateway.sent.append(message.pk)


def together(count, work):
    """Run work() in `count` threads released at once; return each result or exception."""
    barrier, outcomes = threading.Barrier(count), [None] * count

    def run(index):
        try:
            barrier.wait()
            outcomes[index] = work()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_concurrent_drains_never_send_a_message_twice(settings):
    SlowGateway.sent = []
    settings.OUTBOX_BACKEND = f"{__name__}.SlowGateway"
    waiting = [OutboundMessage.objects.create(channel="sms", recipient=f"1372923{i:04d}", body=f"验证码：{i:06d}")
               for i in range(40)]  # their kicks were lost
    long_ago = timezone.now() - settings.OUTBOX_STALE - dt.timedelta(minutes=1)
    died = [OutboundMessage.objects.create(channel="sms", recipient=f"1380013{i:04d}", body=f"验证码：{i:06d}",
                                           next_attempt_at=long_ago) for i in range(10)]
    for message in died:
        assert transitions.claim(message.pk, long_ago)  # taken by a drain that was killed mid-send

    outcomes = together(DRAINS, outbox.drain)

    assert all(isinstance(sent, int) for sent in outcomes), outcomes
    assert sum(outcomes) == len(waiting) + len(died)
    assert Counter(SlowGateway.sent) == Counter({m.pk: 1 for m in waiting + died})
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"sent"}
    attempts = dict(OutboundMessage.objects.values_list("pk", "attempts"))
    assert {attempts[m.pk] for m in waiting} == {1} and {attempts[m.pk] for m in died} == {2}
