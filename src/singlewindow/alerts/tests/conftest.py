"""Alerts' fixtures: insured enterprises (demo's and demo2's policies made effective by the services), their
buyers, and a draft written as the insurer would."""
import datetime as dt

import pytest
from django.utils import timezone

from singlewindow.accounts.models import Role, User
from singlewindow.alerts import services
from singlewindow.alerts.models import Alert
from singlewindow.claims.models import Buyer, Country
from singlewindow.policies import services as policies
from singlewindow.policies.tests.conftest import client_for, confirm_as  # noqa: F401 (a fixture)
from singlewindow.regions.models import Region

CHENGQU, HAIFENG = "441502", "441521"


def make_effective(insurer, policy):
    """Confirm (as the enterprise's first user) and approve: the enterprise becomes the branch's insured."""
    confirm_as(User.objects.filter(enterprise=policy.enterprise_id).order_by("id").first(), policy)
    policies.approve(insurer, policy.pk)


@pytest.fixture
def insured(world):
    """demo's enterprise (城区) and demo2's (海丰县) both insured by the 粤东 branch."""
    make_effective(world.insurer, world.pending)
    make_effective(world.insurer, world.returned)
    return world


@pytest.fixture
def buyers(insured):
    """ACME (US) kept by demo's enterprise; demo2's duplicate of it (entered as DE) merged into it; and a buyer of
    demo2's own in JP."""
    acme = Buyer.objects.create(enterprise=insured.demo.enterprise, name_latin="ACME Trading LLC", country_id="US")
    duplicate = Buyer.objects.create(enterprise=insured.demo2.enterprise, name_latin="Acme Trading", country_id="DE",
                                     merged_into=acme)
    tokyo = Buyer.objects.create(enterprise=insured.demo2.enterprise, name_latin="Tokyo Kogyo KK", country_id="JP")
    return {"acme": acme, "duplicate": duplicate, "tokyo": tokyo}


def alert_data(**overrides):
    today = timezone.localdate()
    data = {"title": "美国对家具加征关税", "body": "请关注美国买方付款能力变化。", "level": Alert.Level.MEDIUM,
            "kind": Alert.Kind.INDUSTRY, "industries": "家具", "audience": Alert.Audience.BRANCH,
            "countries": [], "buyers": [], "counties": [], "valid_from": today,
            "valid_until": today + dt.timedelta(days=30)}
    data.update(overrides)
    return data


def counties(*codes):
    return list(Region.objects.filter(pk__in=codes))


def countries(*codes):
    return list(Country.objects.filter(pk__in=codes))


@pytest.fixture
def draft(world):
    """Write a draft as the 粤东 insurer (overrides: alert_data's)."""
    def draft(actor=None, **overrides):
        return services.save_draft(actor or world.insurer, alert_data(**overrides))

    return draft


@pytest.fixture
def published(insured, draft):
    """A 中 alert published to the insureds of 城区."""
    alert = draft(audience=Alert.Audience.COUNTIES, counties=counties(CHENGQU))
    return services.publish(insured.insurer, alert.pk)


@pytest.fixture
def enterprise_user(world):
    def make(username, enterprise, **fields):
        return User.objects.create_user(username, password="Demo@2020", role=Role.ENTERPRISE, enterprise=enterprise,
                                        **fields)

    return make
