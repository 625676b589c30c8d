"""Reminders' fixtures: the demo world's bureaus (汕尾市 and 海丰县), a bureau of another county (城区), their
templates, and a helper that sends a run as a bureau would."""
import datetime as dt

import pytest
from django.utils import timezone

from singlewindow.accounts.models import Role, User
from singlewindow.policies.models import Policy, PolicyStatus
from singlewindow.policies.tests.conftest import client_for, confirm_as, guangzhou_policy  # noqa: F401 (fixtures)
from singlewindow.reminders import services
from singlewindow.reminders.models import Channel, ReminderTemplate

CITY, CHENGQU, HAIFENG, LUHE = "441500", "441502", "441521", "441523"
ALL_CHANNELS = list(Channel.values)


def shanghai(year, month, day, hour=12, minute=0, second=0):
    """An instant given as Asia/Shanghai wall-clock time (the settings' TIME_ZONE)."""
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute, second))


@pytest.fixture
def chengqu_bureau(world):
    """城区's commerce bureau: another county than 海丰县 (world.county), under the same city (world.bureau)."""
    return User.objects.create_user("chengqu", password="Bureau@2020", role=Role.BUREAU, region_id=CHENGQU,
                                    display_name="城区商务局")


def template_of(actor):
    """The bureau's own default template (made on first use)."""
    services.templates_for(actor)
    return ReminderTemplate.objects.get(region=actor.region, name=services.DEFAULT_TEMPLATE["name"])


def criteria(actor, *, scheme, county=None, statuses=("pending",), within_days=None, now=None):
    return services.check_criteria(actor, scheme=scheme.pk, county=county, statuses=list(statuses),
                                   within_days=within_days, day=services.reminder_day(now))


@pytest.fixture
def send(world):
    """send(actor, county=..., statuses=..., template=..., channels=..., now=...) → the run, sent."""
    def send(actor, *, county=None, statuses=("pending",), within_days=None, template=None, channels=None,
             now=None):
        chosen = criteria(actor, scheme=world.scheme, county=county, statuses=statuses, within_days=within_days,
                          now=now)
        return services.start_run(actor, chosen, template or template_of(actor), channels or ALL_CHANNELS, now=now)

    return send


def haifeng_pending(world):
    """The one 待确认 policy of 海丰县 in the demo world (its enterprise has no login and gave no contact yet)."""
    return Policy.objects.select_related("enterprise").get(scheme=world.scheme, enterprise__region=HAIFENG,
                                                           status=PolicyStatus.PENDING)
