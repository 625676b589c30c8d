"""批量出单: every eligible enterprise gets one 待确认 policy, once, with its notice and audit event."""
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from singlewindow.audit.models import AuditEvent
from singlewindow.audit.services import first_broken_link
from singlewindow.enterprises import eligibility
from singlewindow.enterprises.tests.conftest import exporter  # noqa: F401 (fixture)
from singlewindow.notifications.models import Notice
from singlewindow.policies import issuance, services, tally
from singlewindow.policies.models import IssuanceRun, JobStatus, Policy, PolicyStatus

from .conftest import page_text


@pytest.fixture
def waiting(world, exporter):  # noqa: F811
    """Five more eligible enterprises; returns the ids of everyone eligible before the batch."""
    for n in range(1, 6):
        exporter(n, Decimal(1000 * n))
    return set(eligibility.eligible_records(world.scheme).values_list("enterprise", flat=True))


def test_it_issues_a_pending_policy_with_a_notice_to_every_eligible_enterprise(world, waiting):
    events = AuditEvent.objects.count()
    run, started = issuance.start_issuance(world.insurer, world.scheme.pk)
    run.refresh_from_db()
    assert started and (run.status, run.issued, run.total, run.percent) == (JobStatus.DONE, len(waiting),
                                                                               len(waiting), 100)
    issued = Policy.objects.filter(scheme=world.scheme, enterprise__in=waiting)
    assert sorted(issued.values_list("enterprise_id", flat=True)) == sorted(waiting)
    assert set(issued.values_list("status", flat=True)) == {PolicyStatus.PENDING}
    for policy in issued.select_related("scheme", "enterprise"):
        assert policy.number == services.policy_number(policy.scheme, policy.enterprise)
        assert policy.premium == world.scheme.premium_fixed
    assert Notice.objects.filter(policy__in=issued, kind=Notice.Kind.ISSUED).count() == len(waiting)
    assert AuditEvent.objects.filter(action="policy.issue").count() >= len(waiting)
    assert AuditEvent.objects.count() == events + len(waiting) + 1  # one per policy, one for the run
    assert first_broken_link() is None
    assert not eligibility.eligible_records(world.scheme).exists()
    assert tally.differences() == []  # the batch's policies counted in their counties' cells


def test_running_it_twice_issues_nothing_new(world, waiting):
    issuance.start_issuance(world.insurer, world.scheme.pk)
    policies, notices = Policy.objects.count(), Notice.objects.count()
    again, started = issuance.start_issuance(world.insurer, world.scheme.pk)
    again.refresh_from_db()
    assert started and (again.status, again.issued, again.total) == (JobStatus.DONE, 0, 0)
    assert (Policy.objects.count(), Notice.objects.count()) == (policies, notices)


def test_a_run_that_crashed_resumes_where_it_stopped_without_issuing_twice(world, waiting, monkeypatch):
    monkeypatch.setattr(issuance, "CHUNK", 2)
    real, calls = services.issue_many, []

    def crash_on_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("worker lost its database")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "issue_many", crash_on_second_chunk)
    run, _ = issuance.start_issuance(world.insurer, world.scheme.pk)
    run.refresh_from_db()
    assert (run.status, run.issued) == (JobStatus.FAILED, 2) and "ConnectionError" in run.error
    assert Policy.objects.filter(scheme=world.scheme, enterprise__in=waiting).count() == 2

    monkeypatch.setattr(services, "issue_many", real)
    resumed, started = issuance.start_issuance(world.insurer, world.scheme.pk)
    resumed.refresh_from_db()
    assert started and resumed.pk == run.pk
    assert (resumed.status, resumed.issued, resumed.total) == (JobStatus.DONE, len(waiting), len(waiting))
    assert Policy.objects.filter(scheme=world.scheme, enterprise__in=waiting).count() == len(waiting)
    assert first_broken_link() is None


def test_a_run_still_under_way_is_not_started_twice(world, waiting):
    run = IssuanceRun.objects.create(scheme=world.scheme, started_by=world.insurer, status=JobStatus.RUNNING)
    IssuanceRun.objects.filter(pk=run.pk).update(heartbeat=run.created_at)
    same, started = issuance.start_issuance(world.insurer, world.scheme.pk)
    assert (same.pk, started) == (run.pk, False)
    assert not Policy.objects.filter(scheme=world.scheme, enterprise__in=waiting).exists()


def test_premiums_follow_a_rate_rule_converted_to_yuan_within_min_and_max(world, exporter):  # noqa: F811
    world.scheme.__class__.objects.filter(pk=world.scheme.pk).update(
        premium_rule="rate", premium_rate=Decimal("0.5"), usd_cny_rate=Decimal("7.1"),
        premium_min=Decimal(500), premium_max=Decimal(5000),
    )
    small, middle, large = exporter(1, Decimal(10000)), exporter(2, Decimal(100000)), exporter(3, Decimal(2000000))
    issuance.start_issuance(world.insurer, world.scheme.pk)
    premium = dict(Policy.objects.filter(scheme=world.scheme).values_list("enterprise_id", "premium"))
    assert premium[small.pk] == Decimal("500.00")  # 10,000 × 0.5% × 7.1 = 355 → the minimum
    assert premium[middle.pk] == Decimal("3550.00")
    assert premium[large.pk] == Decimal("5000.00")  # 71,000 → the maximum


def test_a_scheme_past_its_confirmation_deadline_is_not_issued(world, waiting):
    closed = world.scheme.__class__.objects.get(year=2020)
    with pytest.raises(ValidationError, match="确认截止日（2020-06-30）已过"):
        issuance.start_issuance(world.insurer, closed.pk)
    assert not IssuanceRun.objects.exists()


def test_only_the_schemes_own_insurer_may_run_it(world, waiting):
    with pytest.raises(ValidationError):
        issuance.start_issuance(world.other_insurer, world.scheme.pk)
    with pytest.raises(PermissionDenied):
        issuance.start_issuance(world.demo, world.scheme.pk)
    assert not IssuanceRun.objects.exists()


def test_the_insurer_starts_it_from_the_page_and_sees_it_done(world, waiting, client):
    client.force_login(world.insurer)
    page = client.get("/insurer/batch/")
    assert f"批量出单（{len(waiting)} 家）" in page_text(page)
    check = client.post("/insurer/batch/", {"scheme": world.scheme.pk})  # first, what it will do
    assert f"确认批量出单（{len(waiting)} 家）" in page_text(check) and "企业会收到通知" in page_text(check)
    assert not IssuanceRun.objects.exists()
    response = client.post("/insurer/batch/", {"scheme": world.scheme.pk, "checked": "1"}, follow=True)
    text = page_text(response)
    assert "已完成" in text and f"已出单 {len(waiting)} / {len(waiting)} 份" in text
    run = IssuanceRun.objects.get()
    fragment = client.get(f"/insurer/batch/{run.pk}/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' not in fragment.content.decode()
    assert client.get(f"/insurer/batch/{run.pk}/").status_code == 200


def test_another_branch_cannot_see_the_run(world, waiting, client):
    run, _ = issuance.start_issuance(world.insurer, world.scheme.pk)
    client.force_login(world.other_insurer)
    assert client.get(f"/insurer/batch/{run.pk}/").status_code == 404
    client.force_login(world.bureau)
    assert client.get("/insurer/batch/").status_code == 403


@pytest.mark.parametrize("scheme", ["", "abc", "\x00", "1e309", "9" * 30, "²", "\u202e1"])
@pytest.mark.parametrize("checked", ["", "1"])
def test_a_scheme_that_is_not_one_of_ours_is_refused_not_a_500(world, client, scheme, checked):
    client.force_login(world.insurer)
    response = client.post("/insurer/batch/", {"scheme": scheme, "checked": checked}, follow=True)
    assert response.status_code == 200 and "请选择本机构承保的方案。" in page_text(response)
    assert not IssuanceRun.objects.exists()
