"""Clicks at the same instant, real threads and real commits: a policy approved from many tabs is committed once;
two applications approved together never exceed the budget between them."""
import datetime as dt
from decimal import Decimal

import pytest

from singlewindow.policies import services as policies
from singlewindow.policies.tests.test_concurrency import THREADS, confirm, kinds, together
from singlewindow.subsidies import services
from singlewindow.subsidies.models import FundingApplication, LedgerEntry

from .conftest import A, act, budget, today

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(live_world):
    return live_world


def test_parallel_approvals_commit_the_premium_once(world):
    confirm(world, world.pending.pk)
    outcomes = together(THREADS, lambda i: policies.approve(world.insurer, world.pending.pk))
    assert kinds(outcomes) == {"Policy": 1, "Refused": THREADS - 1}, outcomes
    assert sorted(LedgerEntry.objects.filter(policy=world.pending).values_list("payer", flat=True)) == [
        "city", "province"]


def test_two_applications_approved_at_once_stay_within_the_budget(world):
    """Each fits the budget alone, not both: whichever approval comes second finds the first's total counted."""
    first = services.create_application(world.insurer, scheme_id=world.scheme.pk, payer="city:441500",
                                        period_start=dt.date(today().year, 1, 1), period_end=today())
    confirm(world, world.pending.pk)
    policies.approve(world.insurer, world.pending.pk)  # a commitment the first application does not hold
    second = services.create_application(world.insurer, scheme_id=world.scheme.pk, payer="city:441500",
                                         period_start=dt.date(today().year, 1, 1), period_end=today())
    assert list(second.lines.values_list("policy", flat=True)) == [world.pending.pk]
    for application in (first, second):
        act(world, application, "submit")
    budget(world, f"{first.total + second.total - Decimal('0.01'):f}")
    pair = [first.pk, second.pk]
    outcomes = together(THREADS, lambda i: services.approve(world.bureau, pair[i % 2]))
    assert kinds(outcomes) == {"FundingApplication": 1, "Refused": THREADS - 1}, outcomes
    approved = FundingApplication.objects.filter(pk__in=pair, status=A.APPROVED)
    assert approved.count() == 1
