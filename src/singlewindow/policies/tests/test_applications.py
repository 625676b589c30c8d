"""申领: the enterprise sees whether it is eligible and why not, applies, and the insurer issues."""
from decimal import Decimal

import pytest

from singlewindow.accounts import services as accounts
from singlewindow.accounts.models import Role, User
from singlewindow.audit.models import AuditEvent
from singlewindow.enterprises.tests.conftest import exporter  # noqa: F401 (fixture)
from singlewindow.machines import Refused
from singlewindow.policies import issuance
from singlewindow.policies.models import Application, Policy, PolicyStatus

from .conftest import page_text


@pytest.fixture
def newcomer(world, exporter):  # noqa: F811
    """A user of an eligible enterprise without a policy, bound to its own local account."""
    enterprise = exporter(1, Decimal(120000))
    user = User.objects.create_user("newcomer", password="Demo@2020", role=Role.ENTERPRISE, enterprise=enterprise)
    accounts.quick_register(user, username="newlocal", password="Local2020x", contact_name="王强",
                            contact_phone="13800138009")
    user.refresh_from_db()
    return user


def test_an_eligible_enterprise_sees_so_and_can_apply(world, newcomer, client):
    client.force_login(newcomer)
    panel = page_text(client.get("/insure/eligibility/"))
    assert "符合条件" in panel and "USD 120,000.00" in panel and "申领保单" in panel
    response = client.post(f"/insure/apply/{world.scheme.pk}/", follow=True)
    assert "已提交申领" in page_text(response)
    application = Application.objects.get(enterprise=newcomer.enterprise)
    assert application.status == Application.Status.SUBMITTED
    assert AuditEvent.objects.filter(action="application.submit", object_id=str(application.pk)).exists()
    assert "已于" in page_text(client.get("/insure/eligibility/"))


def test_an_enterprise_already_insured_is_told_why_and_cannot_apply(world, client):
    accounts.bind_existing(world.demo, username="swdemo", password="Local@2020")
    client.force_login(world.demo)
    panel = page_text(client.get("/insure/eligibility/"))
    assert "已出单" in panel and "不符合条件" not in panel and world.pending.number in panel and "申领保单" not in panel
    response = client.post(f"/insure/apply/{world.scheme.pk}/", follow=True)
    assert "每家企业每个方案只出一份保单" in page_text(response)
    assert not Application.objects.exists()


def test_applying_twice_answers_already_done(world, newcomer):
    issuance.apply(newcomer, world.scheme.pk)
    with pytest.raises(Refused, match="已于"):
        issuance.apply(newcomer, world.scheme.pk)
    assert Application.objects.count() == 1


def test_the_insurer_issues_the_application_as_the_usual_pending_policy(world, newcomer, client):
    issuance.apply(newcomer, world.scheme.pk)
    client.force_login(world.insurer)
    workbench = page_text(client.get("/insurer/applications/"))
    assert newcomer.enterprise.name in workbench
    application = Application.objects.get()
    response = client.post(f"/insurer/applications/{application.pk}/issue/", follow=True)
    policy = Policy.objects.get(scheme=world.scheme, enterprise=newcomer.enterprise)
    assert policy.status == PolicyStatus.PENDING and f"已向 {newcomer.enterprise.name} 出具保单 {policy.number}" in page_text(response)
    application.refresh_from_db()
    assert (application.status, application.policy) == (Application.Status.ISSUED, policy)
    again = client.post(f"/insurer/applications/{application.pk}/issue/", follow=True)
    assert "该申领已处理" in page_text(again)
    assert Policy.objects.filter(enterprise=newcomer.enterprise).count() == 1


def test_another_branch_cannot_issue_the_application(world, newcomer, client):
    issuance.apply(newcomer, world.scheme.pk)
    client.force_login(world.other_insurer)
    assert newcomer.enterprise.name not in page_text(client.get("/insurer/applications/"))
    assert client.post(f"/insurer/applications/{Application.objects.get().pk}/issue/").status_code == 404


def test_batch_issuance_closes_the_application_with_its_policy(world, newcomer):
    application = issuance.apply(newcomer, world.scheme.pk)
    issuance.start_issuance(world.insurer, world.scheme.pk)
    application.refresh_from_db()
    assert application.status == Application.Status.ISSUED
    assert application.policy == Policy.objects.get(scheme=world.scheme, enterprise=newcomer.enterprise)
