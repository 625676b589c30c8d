"""Whatever fails after a business change has committed cannot turn the committed answer into a 500.

Real commits (transactional tests), real requests. The failure: the database refuses every statement
while the after-commit hooks run (a dropped connection, a failover), which hits any notice or delivery
work left for after the commit.
"""
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client

from singlewindow.enterprises.identifiers import make_uscc
from singlewindow.notifications import outbox
from singlewindow.notifications.models import Notice, OutboundMessage
from singlewindow.policies.models import PolicyStatus
from singlewindow.policies.tests.conftest import confirm_as, page_text, refreshed

pytestmark = pytest.mark.django_db(transaction=True)
REASON = "联系电话无法接通，请核实后重新确认。"


@pytest.fixture
def world(live_world):
    return live_world


@contextmanager
def database_fails_after_each_commit():
    hooks_running = False
    run_hooks = connection.run_and_clear_commit_hooks

    def run_hooks_on_a_dead_connection():
        nonlocal hooks_running
        hooks_running = True
        try:
            run_hooks()
        finally:
            hooks_running = False

    def refuse(execute, sql, params, many, context):
        if hooks_running:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with mock.patch.object(connection, "run_and_clear_commit_hooks", run_hooks_on_a_dead_connection), \
            connection.execute_wrapper(refuse):
        yield


def browser_of(user):
    browser = Client(raise_request_exception=False)
    browser.force_login(user)
    return browser


@pytest.mark.parametrize("action,status,kind,said", [
    ("approve", PolicyStatus.EFFECTIVE, Notice.Kind.APPROVED, "已审批通过，已生效"),
    ("return", PolicyStatus.RETURNED, Notice.Kind.RETURNED, "已退回"),
    ("cancel", PolicyStatus.CANCELLED, Notice.Kind.CANCELLED, "已撤销"),
])
def test_an_insurer_decision_answers_done_and_stays_done(world, action, status, kind, said):
    policy = confirm_as(world.demo, world.pending)
    insurer = browser_of(world.insurer)
    with database_fails_after_each_commit():
        response = insurer.post(f"/insurer/{policy.pk}/{action}/", {f"{action}-reason": REASON, "checked": "1"})
    assert response.status_code == 302, response.content.decode()[:500]
    assert refreshed(policy).status == status
    assert Notice.objects.filter(policy=policy, kind=kind).count() == 1
    assert f"保单 {policy.number} {said}" in page_text(insurer.get(response.url))


def test_an_enterprise_confirmation_answers_done_and_stays_done(world, bound_demo):
    demo = browser_of(bound_demo)
    data = {"contact_name": "李锐", "contact_phone": "13729230657", "contact_email": "lirui@example.com",
            "agreement_sha256": world.pending.scheme.agreement.sha256}
    with database_fails_after_each_commit():
        response = demo.post(f"/insure/{world.pending.pk}/confirm/", data)
    assert (response.status_code, response.url) == (302, f"/insure/{world.pending.pk}/submitted/")
    assert refreshed(world.pending).status == PolicyStatus.CONFIRMED


def test_a_code_request_answers_sent_and_the_drain_delivers_the_code_later(world):
    person = Client(raise_request_exception=False)
    company = {
        "uscc": make_uscc("91", "441502", "MA5FXXXX"), "name": "汕尾市品清湖海产有限公司", "region": "441502",
        "legal_representative": "蔡明", "mobile": "13912345678", "email": "caiming@example.com",
        "username": "pinqing", "password": "Tide2024sea", "password2": "Tide2024sea",
    }
    with database_fails_after_each_commit():
        response = person.post("/register/", company)
    assert response.status_code == 302, response.content.decode()[:500]
    message = OutboundMessage.objects.get(recipient="13912345678")
    assert message.status == "queued"  # the worker never got it
    assert outbox.drain() == 1
    assert refreshed(message).status == "sent"
