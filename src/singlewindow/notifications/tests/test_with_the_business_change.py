"""Notices and outbox messages are part of the business transaction: written with it, rolled back with it."""
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from singlewindow.accounts import services as accounts
from singlewindow.audit.models import AuditEvent
from singlewindow.enterprises.tests.conftest import exporter  # noqa: F401 (fixture)
from singlewindow.notifications.models import Notice, OutboundMessage
from singlewindow.policies import services
from singlewindow.policies.models import PolicyStatus
from singlewindow.policies.tests.conftest import refreshed


class LaterStepFailed(Exception):
    """Something after the notice, in the same business transaction, went wrong."""


REASON = "联系电话无法接通，请核实后重新确认。"
INSURER_ACTIONS = {
    "approve": (lambda world, policy: services.approve(world.insurer, policy.pk), Notice.Kind.APPROVED),
    "return": (lambda world, policy: services.return_policy(world.insurer, policy.pk, reason=REASON),
               Notice.Kind.RETURNED),
    "cancel": (lambda world, policy: services.cancel(world.insurer, policy.pk, reason=REASON),
               Notice.Kind.CANCELLED),
}


def notices(policy, kind):
    return Notice.objects.filter(policy=policy, kind=kind)


@pytest.mark.parametrize("action", INSURER_ACTIONS)
def test_the_notice_is_there_inside_the_transaction_and_gone_with_its_rollback(world, confirmed, action):
    act, kind = INSURER_ACTIONS[action]
    with pytest.raises(LaterStepFailed), transaction.atomic():
        act(world, confirmed)
        assert notices(confirmed, kind).count() == 1  # written with the change, not after the commit
        raise LaterStepFailed
    assert not notices(confirmed, kind).exists()
    assert refreshed(confirmed).status == PolicyStatus.CONFIRMED


def test_an_issued_policy_and_its_notice_roll_back_together(world, exporter):  # noqa: F811
    enterprise = exporter(1, Decimal(100000))
    with pytest.raises(LaterStepFailed), transaction.atomic():
        policy = services.issue(world.insurer, world.scheme.pk, enterprise.pk)
        assert notices(policy, Notice.Kind.ISSUED).count() == 1
        raise LaterStepFailed
    assert not Notice.objects.filter(policy__enterprise=enterprise).exists()


@pytest.mark.parametrize("action", INSURER_ACTIONS)
def test_when_the_notice_cannot_be_written_the_change_is_not_made(world, confirmed, action):
    act, kind = INSURER_ACTIONS[action]

    def refuse_notices(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and Notice._meta.db_table in sql:
            raise DatabaseError("the database refused the notice")
        return execute(sql, params, many, context)

    before = AuditEvent.objects.count()
    with connection.execute_wrapper(refuse_notices), pytest.raises(DatabaseError):
        act(world, confirmed)
    assert refreshed(confirmed).status == PolicyStatus.CONFIRMED
    assert AuditEvent.objects.count() == before and not notices(confirmed, kind).exists()


def test_a_rolled_back_code_request_leaves_no_message(db):
    pending = {"mobile": "13912345678"}
    with pytest.raises(LaterStepFailed), transaction.atomic():
        accounts.send_registration_code(pending, ip="203.0.113.7")
        assert OutboundMessage.objects.filter(recipient="13912345678").count() == 1
        raise LaterStepFailed
    assert not OutboundMessage.objects.filter(recipient="13912345678").exists()
