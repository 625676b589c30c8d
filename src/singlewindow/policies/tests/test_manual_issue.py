"""出具保单 (manual issue) follows the batch's and 申领's eligibility rule; 例外出单 needs a reason and is audited."""
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from singlewindow.audit.models import AuditEvent
from singlewindow.enterprises.tests.conftest import another_scheme, exporter  # noqa: F401 (fixtures)
from singlewindow.notifications.models import Notice
from singlewindow.policies.models import Policy, PolicyStatus

from .conftest import page_text

SHANTOU = "440507"  # 汕头市龙湖区: inside the 粤东 office's area, outside the 汕尾 scheme's region


def state():
    """What an issue would change: policies, audit events, notices."""
    return Policy.objects.count(), AuditEvent.objects.count(), Notice.objects.count()


def post_issue(client, scheme, enterprise, **extra):
    return client.post("/insurer/issue/", {"scheme": scheme.pk, "uscc": enterprise.uscc, **extra})


def holding(world, exporter, another_scheme, status):  # noqa: F811
    """An otherwise eligible enterprise holding a policy in `status` under another, overlapping scheme."""
    enterprise = exporter(1, Decimal(100000))
    other = another_scheme(cover_start=world.scheme.cover_end, cover_end=world.scheme.cover_end + dt.timedelta(days=30))
    now = timezone.now()
    Policy.objects.create(scheme=other, enterprise=enterprise, number="XW2099OTHER0001", premium=0, issued_at=now,
                          status_changed_at=now, status=status)
    return enterprise


INELIGIBLE = {
    "outside_region": (lambda w, e, s: e(1, Decimal(100000), region=SHANTOU),
                       "该企业所在县区（龙湖区）不在本方案的适用区域（汕尾市）内。"),
    "over_threshold": (lambda w, e, s: e(1, Decimal(3000000)),
                       "该企业 {year} 年度出口额为 USD 3,000,000.00，不低于本方案的上限 USD 3,000,000.00。"),
    "far_over_threshold": (lambda w, e, s: e(1, Decimal("12500000.50")), "不低于本方案的上限"),
    "no_record": (lambda w, e, s: e(1, None), "海关出口数据中没有该企业 {year} 年度的出口记录"),
    "other_year_only": (lambda w, e, s: e(1, Decimal(100), year=w.scheme.basis_year - 1),
                        "海关出口数据中没有该企业 {year} 年度的出口记录"),
    "zero": (lambda w, e, s: e(1, Decimal(0)), "该企业 {year} 年度出口额为零"),
    **{f"holds_{status}": (lambda w, e, s, status=status: holding(w, e, s, status),
                           f"已有保单 XW2099OTHER0001（另一方案，{PolicyStatus(status).label}），保险期间与本方案重叠")
       for status in (PolicyStatus.EFFECTIVE, PolicyStatus.PENDING, PolicyStatus.CONFIRMED, PolicyStatus.RETURNED,
                      PolicyStatus.EXPIRED)},
}


@pytest.fixture
def ineligible(request, world, exporter, another_scheme):  # noqa: F811
    make, message = INELIGIBLE[request.param]
    return make(world, exporter, another_scheme), message.format(year=world.scheme.basis_year)


@pytest.mark.parametrize("ineligible", list(INELIGIBLE), indirect=True)
def test_it_refuses_to_issue_to_an_ineligible_enterprise_naming_the_reason(world, insurer_client, ineligible):
    enterprise, message = ineligible
    before = state()
    response = post_issue(insurer_client, world.scheme, enterprise, step="issue")
    assertContains(response, "该企业不符合本方案的出单条件：", status_code=400)
    assert message in page_text(response)
    assert "不符合条件" in page_text(response) and "如确需出单，请勾选“例外出单”并填写原因。" in page_text(response)
    assert state() == before
    assert not Policy.objects.filter(scheme=world.scheme, enterprise=enterprise).exists()


@pytest.mark.parametrize("ineligible", list(INELIGIBLE), indirect=True)
def test_the_exception_with_a_reason_issues_and_audits_the_reason(world, insurer_client, ineligible,
                                                                 django_capture_on_commit_callbacks):
    enterprise, _message = ineligible
    reason = "经省商务厅书面确认，该企业出口数据有误，特例出单（粤商函〔2026〕12号）。"
    with django_capture_on_commit_callbacks(execute=True):
            response = post_issue(insurer_client, world.scheme, enterprise, step="issue", exception="on",
                              exception_reason=reason)
    policy = Policy.objects.get(scheme=world.scheme, enterprise=enterprise)
    assert response.status_code == 302 and response.url == f"/insurer/{policy.pk}/"
    assert policy.status == PolicyStatus.PENDING
    event = AuditEvent.objects.get(action="policy.issue", object_id=str(policy.pk))
    assert (event.reason, event.data["exception"], event.actor) == (reason, True, world.insurer)
    assert event.data["eligibility"] != "eligible"
    assert Notice.objects.filter(policy=policy, kind=Notice.Kind.ISSUED).count() == 1


@pytest.mark.parametrize("reason", ["", "   "])
def test_the_exception_without_a_reason_is_refused_and_changes_nothing(world, insurer_client, exporter,  # noqa: F811
                                                                       reason):
    enterprise = exporter(1, Decimal(3000000))
    before = state()
    response = post_issue(insurer_client, world.scheme, enterprise, step="issue", exception="on",
                          exception_reason=reason)
    assertContains(response, '<div class="invalid-feedback" id="id_exception_reason_error">请填写原因。</div>',
                   status_code=400)
    assert state() == before


def test_an_eligible_enterprise_is_issued_without_an_exception(world, insurer_client, exporter):  # noqa: F811
    enterprise = exporter(1, Decimal("2999999.99"))
    response = post_issue(insurer_client, world.scheme, enterprise, step="issue")
    policy = Policy.objects.get(scheme=world.scheme, enterprise=enterprise)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="policy.issue", object_id=str(policy.pk))
    assert (event.reason, event.data) == ("", {})


def test_the_exception_cannot_issue_a_second_policy_under_the_same_scheme(world, insurer_client):
    before = state()
    response = post_issue(insurer_client, world.scheme, world.demo.enterprise, step="issue", exception="on",
                          exception_reason="重复出单测试")
    assertContains(response, f"该企业在本方案下已有保单 {world.pending.number}（待确认），不能重复出单。",
                   status_code=400)
    assert state() == before


@pytest.mark.parametrize("ineligible", ["over_threshold", "holds_effective"], indirect=True)
def test_checking_shows_why_not_before_issuing_and_issues_nothing(world, insurer_client, ineligible):
    enterprise, message = ineligible
    before = state()
    response = post_issue(insurer_client, world.scheme, enterprise, step="check")
    text = page_text(response)
    assert response.status_code == 200 and "出单资格：不符合条件" in text and message in text
    assert state() == before


def test_checking_an_eligible_enterprise_says_so(world, insurer_client, exporter):  # noqa: F811
    enterprise = exporter(1, Decimal(120000))
    text = page_text(post_issue(insurer_client, world.scheme, enterprise, step="check"))
    assert "出单资格：符合条件" in text and f"该企业 {world.scheme.basis_year} 年度出口额为 USD 120,000.00，低于 USD 3,000,000.00" in text
    assert not Policy.objects.filter(enterprise=enterprise).exists()


def test_only_open_schemes_of_the_insurers_own_branch_are_offered(world, insurer_client, another_scheme,  # noqa: F811
                                                                  guangzhou_policy):
    closed = another_scheme(name="已截止方案", confirm_deadline=timezone.localdate() - dt.timedelta(days=1))
    page = insurer_client.get("/insurer/issue/")
    assertContains(page, f'<option value="{world.scheme.pk}"')
    assertNotContains(page, f'value="{closed.pk}"')
    assertNotContains(page, guangzhou_policy.scheme.name)


def test_a_closed_scheme_of_the_branch_is_refused(world, insurer_client, exporter, another_scheme):  # noqa: F811
    closed = another_scheme(name="已截止方案", confirm_deadline=timezone.localdate() - dt.timedelta(days=1))
    enterprise = exporter(1, Decimal(100))
    before = state()
    response = post_issue(insurer_client, closed, enterprise, step="issue")
    assertContains(response, "请选择本机构开放出单的投保方案。", status_code=400)
    assert state() == before


def test_another_branchs_insurer_cannot_issue_under_our_scheme(world, client, exporter):  # noqa: F811
    enterprise = exporter(1, Decimal(100))
    client.force_login(world.other_insurer)
    before = state()
    for step in ("check", "issue"):
        response = post_issue(client, world.scheme, enterprise, step=step, exception="on", exception_reason="越权")
        assert response.status_code == 404
        assertNotContains(response, enterprise.name, status_code=404)
    assert state() == before
