"""Eligibility at its edges: the threshold is exclusive, zero is not exports, region, overlapping policies."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from singlewindow.enterprises import eligibility
from singlewindow.enterprises.models import Enterprise, ExportRecord
from singlewindow.machines import Refused
from singlewindow.policies import issuance, services
from singlewindow.policies.models import Policy, PolicyStatus

from .conftest import CITY, HAIFENG, new_uscc


def is_eligible(world, enterprise, scheme=None):
    scheme = scheme or world.scheme
    listed = eligibility.eligible_records(scheme).filter(enterprise=enterprise).exists()
    verdict = eligibility.explain(enterprise, scheme)
    assert listed == verdict.eligible  # the list and the enterprise's own page never disagree
    return verdict


@pytest.mark.parametrize("usd, eligible, reason", [
    (Decimal("3000000.00"), False, "over_threshold"),
    (Decimal("2999999.99"), True, "eligible"),
    (Decimal("0.01"), True, "eligible"),
    (Decimal(0), False, "zero"),
    (Decimal("3000000.01"), False, "over_threshold"),
    (None, False, "no_record"),
])
def test_basis_year_exports_must_be_above_zero_and_under_the_threshold(world, exporter, usd, eligible, reason):
    verdict = is_eligible(world, exporter(1, usd))
    assert (verdict.eligible, verdict.reason) == (eligible, reason)


def test_over_the_threshold_says_the_figure_and_the_limit(world, exporter):
    verdict = is_eligible(world, exporter(1, Decimal(3000000)))
    assert verdict.message == (f"贵企业 {world.scheme.basis_year} 年度出口额为 USD 3,000,000.00，"
                               "不低于本方案的上限 USD 3,000,000.00。")


def test_only_the_basis_year_counts(world, exporter):
    enterprise = exporter(1, Decimal(100), year=world.scheme.basis_year - 1)
    assert is_eligible(world, enterprise).reason == "no_record"


def test_an_enterprise_outside_the_schemes_region_is_not_eligible(world, exporter):
    verdict = is_eligible(world, exporter(1, Decimal(100), region="440106"))  # 广州市天河区
    assert verdict.reason == "outside_region" and "天河区" in verdict.message and "汕尾市" in verdict.message


def test_a_policy_under_this_scheme_in_any_status_makes_it_not_eligible(world, exporter):
    enterprise = exporter(1, Decimal(100))
    policy = services.issue(world.insurer, world.scheme.pk, enterprise.pk)
    Policy.objects.filter(pk=policy.pk).update(status="declined")  # 已放弃 still counts: one policy per scheme
    verdict = is_eligible(world, enterprise)
    assert verdict.reason == "insured" and policy.number in verdict.message


def test_a_holding_policy_of_an_overlapping_scheme_blocks_but_one_that_ended_without_cover_does_not(
        world, exporter, another_scheme):
    other = another_scheme(cover_start=world.scheme.cover_end, cover_end=world.scheme.cover_end + dt.timedelta(days=9))
    holding, lapsed = exporter(1, Decimal(100)), exporter(2, Decimal(100))
    services.issue(world.insurer, other.pk, holding.pk)
    Policy.objects.filter(pk=services.issue(world.insurer, other.pk, lapsed.pk).pk).update(status="lapsed")
    verdict = is_eligible(world, holding)
    assert verdict.reason == "insured" and "另一方案" in verdict.message and "保险期间与本方案重叠" in verdict.message
    assert is_eligible(world, lapsed).eligible


def test_a_policy_of_a_period_that_does_not_overlap_does_not_block(world, exporter, another_scheme):
    before = another_scheme(cover_start=dt.date(2019, 1, 1), cover_end=world.scheme.cover_start - dt.timedelta(days=1))
    enterprise = exporter(1, Decimal(100))
    services.issue(world.insurer, before.pk, enterprise.pk)
    assert is_eligible(world, enterprise).eligible


def test_the_conditions_count_this_schemes_own_policy_in_but_not_an_overlapping_schemes(
        world, exporter, another_scheme):
    other = another_scheme(cover_start=world.scheme.cover_end, cover_end=world.scheme.cover_end + dt.timedelta(days=9))
    own, elsewhere, waiting = exporter(1, Decimal(100)), exporter(2, Decimal(100)), exporter(3, Decimal(100))
    nothing, outside = exporter(4, Decimal(0)), exporter(5, Decimal(100), region="440106")
    services.issue(world.insurer, world.scheme.pk, own.pk)
    services.issue(world.insurer, other.pk, elsewhere.pk)
    ours = Enterprise.objects.filter(pk__in=[e.pk for e in (own, elsewhere, waiting, nothing, outside)])
    met = set(ours.filter(eligibility.conditions_met(world.scheme)).values_list("pk", flat=True))
    assert met == {own.pk, waiting.pk}
    assert not is_eligible(world, own).eligible  # the whole rule: its own policy bars a second one


def test_counts_per_county_split_waiting_from_issued(world, exporter):
    exporter(1, Decimal(10), region=CITY)
    exporter(2, Decimal(10), region=HAIFENG)
    issued = exporter(3, Decimal(10), region=HAIFENG)
    before = {code: (w, i) for code, w, i in eligibility.counts_by_county(world.scheme)}
    services.issue(world.insurer, world.scheme.pk, issued.pk)
    after = {code: (w, i) for code, w, i in eligibility.counts_by_county(world.scheme)}
    assert after[HAIFENG] == (before[HAIFENG][0] - 1, before[HAIFENG][1] + 1)
    assert after[CITY] == before[CITY]


# --- one rule for the batch, 申领 and manual issue, on generated worlds ------------------------------

SHANTOU = "440507"  # in the 粤东 office's area, outside the 汕尾 scheme's region
GUANGZHOU = "440106"  # outside both
OTHER_SCHEMES = {"same": None, "overlapping": (0, 30), "before": (-400, -1), "after": (1, 30)}  # days from cover


def amounts(threshold):
    cent = Decimal("0.01")
    edges = st.sampled_from([None, Decimal(0), cent, threshold - cent, threshold, threshold + cent])
    return st.one_of(edges, edges, st.decimals(min_value=0, max_value=threshold * 2, places=2))


enterprise_specs = st.fixed_dictionaries({
    "region": st.sampled_from([CITY, HAIFENG, CITY, SHANTOU, GUANGZHOU]),
    "year_offset": st.sampled_from([0, 0, 0, -1]),
    "policies": st.lists(st.tuples(st.sampled_from(list(OTHER_SCHEMES)), st.sampled_from(PolicyStatus.values)),
                         max_size=2, unique_by=lambda p: p[0]),
})


def expected(world, spec, usd, schemes):
    """The rule as DESIGN.md states it, independently of the queries."""
    scheme = world.scheme
    blocked = any(kind == "same" or (schemes[kind].cover_start <= scheme.cover_end and
                                     schemes[kind].cover_end >= scheme.cover_start and status in eligibility.HOLDING)
                  for kind, status in spec["policies"])
    return (spec["region"] in (CITY, HAIFENG) and spec["year_offset"] == 0 and usd is not None
            and 0 < usd < scheme.threshold_usd and not blocked)


def build(world, specs, usds, another_scheme):
    scheme, now = world.scheme, timezone.now()
    schemes = {"same": scheme}
    for kind, days in OTHER_SCHEMES.items():
        if days:
            anchor = scheme.cover_end if days[0] >= 0 else scheme.cover_start
            schemes[kind] = another_scheme(name=f"另一方案{kind}", cover_start=anchor + dt.timedelta(days=days[0]),
                                           cover_end=anchor + dt.timedelta(days=days[1]))
    made = []
    for n, (spec, usd) in enumerate(zip(specs, usds)):
        enterprise = Enterprise.objects.create(uscc=new_uscc(n, spec["region"]), name=f"生成企业{n}",
                                               region_id=spec["region"])
        if usd is not None:
            ExportRecord.objects.create(enterprise=enterprise, year=scheme.basis_year + spec["year_offset"],
                                        export_usd=usd)
        for kind, status in spec["policies"]:
            Policy.objects.create(scheme=schemes[kind], enterprise=enterprise, status=status, premium=0, issued_at=now,
                                  status_changed_at=now, number=services.number_for(schemes[kind], enterprise.pk))
        made.append((enterprise, spec, usd))
    return schemes, made


def manual_issue_succeeds(world, enterprise):
    with transaction.atomic():
        try:
            services.issue(world.insurer, world.scheme.pk, enterprise.pk)
        except (ValidationError, Refused):
            return False
        finally:
            transaction.set_rollback(True)
    return True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_batch_application_and_manual_issue_agree_with_the_rule_on_any_world(world, another_scheme, data):
    specs = data.draw(st.lists(enterprise_specs, min_size=2, max_size=6))
    usds = [data.draw(amounts(world.scheme.threshold_usd)) for _spec in specs]
    with transaction.atomic():
        schemes, made = build(world, specs, usds, another_scheme)
        todo = set(issuance.todo_records(world.scheme, world.insurer).values_list("enterprise_id", flat=True))
        for enterprise, spec, usd in made:
            verdict = eligibility.explain(enterprise, world.scheme)
            listed = eligibility.eligible_records(world.scheme).filter(enterprise=enterprise).exists()
            rule = expected(world, spec, usd, schemes)
            assert verdict.eligible == listed == (enterprise.pk in todo) == rule, (spec, usd, verdict.reason)
            assert manual_issue_succeeds(world, enterprise) == rule, (spec, usd, verdict.reason)
        transaction.set_rollback(True)
