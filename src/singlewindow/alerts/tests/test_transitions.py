"""The alert's table walked edge by edge: every allowed move by its service with one audit event, every other refused."""
import pytest

from singlewindow.accounts.models import Role
from singlewindow.alerts import services
from singlewindow.alerts.models import Alert
from singlewindow.alerts.transitions import ALERT
from singlewindow.audit.models import AuditEvent
from singlewindow.machines import Refused

ALLOWED, REFUSED = ALERT.edges()
REASON = "信息有误，将重新发布。"


def act(action, alert, actor):
    if action == "publish":
        return services.publish(actor, alert.pk)
    if action == "withdraw":
        return services.withdraw(actor, alert.pk, reason=REASON)
    raise AssertionError(f"the test does not know how to {action}")


def events_for(alert):
    return AuditEvent.objects.filter(object_type="alerts.alert", object_id=str(alert.pk))


@pytest.fixture
def alert_in(insured, draft):
    """A new draft moved into `status` by the services, along the table's shortest path."""
    def alert_in(status):
        alert = draft()
        for action in ALERT.path(Alert.Status.DRAFT, status):
            act(action, alert, insured.insurer)
        alert.refresh_from_db()
        assert alert.status == status
        return alert

    return alert_in


def test_every_status_is_reachable_from_a_draft():
    assert all(ALERT.path(Alert.Status.DRAFT, status) is not None for status in Alert.Status.values)


def test_every_move_is_the_insurers():
    assert {t.actor_role for t in ALERT.transitions.values()} == {Role.INSURER}


@pytest.mark.parametrize("action,source", ALLOWED)
def test_it_moves_along_every_allowed_edge_with_one_audit_event(insured, alert_in, action, source):
    alert = alert_in(source)
    before = events_for(alert).count()
    act(action, alert, insured.insurer)
    alert.refresh_from_db()
    assert alert.status == ALERT[action].target
    assert events_for(alert).count() == before + 1
    event = events_for(alert).latest("id")
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        f"alert.{action}", source, ALERT[action].target, insured.insurer)


@pytest.mark.parametrize("action,status", REFUSED)
def test_it_refuses_every_edge_not_in_the_table(insured, alert_in, action, status):
    alert = alert_in(status)
    before = events_for(alert).count()
    with pytest.raises(Refused, match="不能|无需重复操作"):
        act(action, alert, insured.insurer)
    alert.refresh_from_db()
    assert alert.status == status
    assert events_for(alert).count() == before


@pytest.mark.parametrize("action,source", ALLOWED)
@pytest.mark.parametrize("who", ["other_insurer", "demo", "bureau"])
def test_no_one_but_the_branchs_insurer_makes_a_move(insured, alert_in, action, source, who):
    from django.core.exceptions import PermissionDenied

    alert = alert_in(source)
    with pytest.raises((PermissionDenied, Alert.DoesNotExist)):
        act(action, alert, getattr(insured, who))
    alert.refresh_from_db()
    assert alert.status == source
