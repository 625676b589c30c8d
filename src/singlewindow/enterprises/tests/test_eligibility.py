"""Eligibility at its edges: the threshold is exclusive, zero is not exports, region, overlapping policies."""
import datetime as dt
from decimal import Decimal

import pytest

from singlewindow.enterprises import eligibility
from singlewindow.policies import services
from singlewindow.policies.models import Policy

from .conftest import CITY, HAIFENG


def is_eligible(world, enterprise, scheme=None):
    scheme = scheme or world.scheme
    listed = eligibility.eligible(scheme).filter(pk=enterprise.pk).exists()
    verdict = eligibility.explain(enterprise, scheme)
    assert listed == verdict.eligible  # the list and the enterprise's own page never disagree
    return verdict


@pytest.mark.parametrize("usd, eligible, reason", [
    (Decimal("3000000.00"), False, "over_threshold"),
    (Decimal("2999999.99"), True, "eligible"),
    (Decimal("0.01"), True, "eligible"),
    (Decimal("0"), False, "zero"),
    (Decimal("3000000.01"), False, "over_threshold"),
    (None, False, "no_record"),
])
def test_basis_year_exports_must_be_above_zero_and_under_the_threshold(world, exporter, usd, eligible, reason):
    verdict = is_eligible(world, exporter(1, usd))
    assert (verdict.eligible, verdict.reason) == (eligible, reason)


def test_over_the_threshold_says_the_figure_and_the_limit(world, exporter):
    verdict = is_eligible(world, exporter(1, Decimal("3000000")))
    assert verdict.message == (f"贵企业 {world.scheme.basis_year} 年度出口额为 USD 3,000,000.00，"
                               "不低于本方案的上限 USD 3,000,000.00。")


def test_only_the_basis_year_counts(world, exporter):
    enterprise = exporter(1, Decimal("100"), year=world.scheme.basis_year - 1)
    assert is_eligible(world, enterprise).reason == "no_record"


def test_an_enterprise_outside_the_schemes_region_is_not_eligible(world, exporter):
    verdict = is_eligible(world, exporter(1, Decimal("100"), region="440106"))  # 广州市天河区
    assert verdict.reason == "outside_region" and "天河区" in verdict.message and "汕尾市" in verdict.message


def test_a_policy_under_this_scheme_in_any_status_makes_it_not_eligible(world, exporter):
    enterprise = exporter(1, Decimal("100"))
    policy = services.issue(world.insurer, world.scheme.pk, enterprise.pk)
    Policy.objects.filter(pk=policy.pk).update(status="declined")  # 已放弃 still counts: one policy per scheme
    verdict = is_eligible(world, enterprise)
    assert verdict.reason == "insured" and policy.number in verdict.message


def test_a_holding_policy_of_an_overlapping_scheme_blocks_but_one_that_ended_without_cover_does_not(
        world, exporter, another_scheme):
    other = another_scheme(cover_start=world.scheme.cover_end, cover_end=world.scheme.cover_end + dt.timedelta(days=9))
    holding, lapsed = exporter(1, Decimal("100")), exporter(2, Decimal("100"))
    services.issue(world.insurer, other.pk, holding.pk)
    Policy.objects.filter(pk=services.issue(world.insurer, other.pk, lapsed.pk).pk).update(status="lapsed")
    verdict = is_eligible(world, holding)
    assert verdict.reason == "insured" and "另一方案" in verdict.message and "保险期间与本方案重叠" in verdict.message
    assert is_eligible(world, lapsed).eligible


def test_a_policy_of_a_period_that_does_not_overlap_does_not_block(world, exporter, another_scheme):
    before = another_scheme(cover_start=dt.date(2019, 1, 1), cover_end=world.scheme.cover_start - dt.timedelta(days=1))
    enterprise = exporter(1, Decimal("100"))
    services.issue(world.insurer, before.pk, enterprise.pk)
    assert is_eligible(world, enterprise).eligible


def test_counts_per_county_split_waiting_from_issued(world, exporter):
    exporter(1, Decimal("10"), region=CITY)
    exporter(2, Decimal("10"), region=HAIFENG)
    issued = exporter(3, Decimal("10"), region=HAIFENG)
    before = dict((code, (w, i)) for code, w, i in eligibility.counts_by_county(world.scheme))
    services.issue(world.insurer, world.scheme.pk, issued.pk)
    after = dict((code, (w, i)) for code, w, i in eligibility.counts_by_county(world.scheme))
    assert after[HAIFENG] == (before[HAIFENG][0] - 1, before[HAIFENG][1] + 1)
    assert after[CITY] == before[CITY]
