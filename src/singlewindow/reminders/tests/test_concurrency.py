"""Sends at the same instant, real threads and commits: the database's constraints keep the once-a-day rule."""
from collections import Counter

import pytest

from singlewindow.notifications.models import Notice
from singlewindow.policies.tests.test_concurrency import together
from singlewindow.reminders import services
from singlewindow.reminders.models import Channel, ReminderRecipient, ReminderRun

from .conftest import HAIFENG, criteria, template_of

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 6


@pytest.fixture
def world(live_world):
    return live_world


def test_parallel_runs_of_one_template_reach_each_enterprise_once(world):
    template = template_of(world.bureau)
    senders = [world.bureau, world.county] * (THREADS // 2)

    def send(i):
        actor = senders[i]
        chosen = criteria(actor, scheme=world.scheme, county=None if i % 2 else HAIFENG,
                          statuses=["pending", "returned"])
        return services.start_run(actor, chosen, template, [Channel.IN_APP])

    outcomes = together(THREADS, send)
    assert Counter(type(o).__name__ for o in outcomes) == {"ReminderRun": THREADS}, outcomes
    assert all(run.status == ReminderRun.Status.DONE for run in ReminderRun.objects.all())
    reached = ReminderRecipient.objects.filter(outcome="reached").values_list("enterprise", flat=True)
    haifeng = ReminderRecipient.objects.filter(enterprise__region=HAIFENG).values("enterprise").distinct().count()
    assert len(reached) == len(set(reached)) and haifeng == 2
    assert Notice.objects.filter(kind=Notice.Kind.REMINDED).count() == len(reached)


def test_parallel_scheduled_passes_make_one_run_per_county(world):
    services.save_schedule(world.bureau, world.scheme.pk, days="0", template_id=template_of(world.bureau).pk,
                           channels=[Channel.IN_APP], enabled=True)
    day = world.scheme.confirm_deadline
    outcomes = together(4, lambda i: services.send_scheduled(day))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert ReminderRun.objects.count() == 4
    assert Notice.objects.filter(kind=Notice.Kind.REMINDED).count() == 5
