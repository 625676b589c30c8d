"""The card's state machine walked edge by edge from its table (eport/transitions.py): every allowed move,
every refused one, each with its audit event or none."""
import pytest

from singlewindow.audit.models import AuditEvent
from singlewindow.eport.card_services import revoke_card
from singlewindow.eport.models import Card, CardStatus
from singlewindow.eport.transitions import CARD, USABLE
from singlewindow.machines import Refused

ALLOWED, REFUSED = CARD.edges()
REASON = "挂失"


def act(action, card):
    if action == "revoke":
        return revoke_card(card.number, reason=REASON)
    raise AssertionError(f"the test does not know how to {action}")


def events_for(card):
    return AuditEvent.objects.filter(object_type="eport.card", object_id=str(card.pk))


@pytest.fixture
def card_in(demo_card):
    """The demo 法人卡 put into `status` (a card is issued active; only revoke moves it)."""

    def card_in(status):
        Card.objects.filter(pk=demo_card.card.pk).update(status=status)
        return Card.objects.get(pk=demo_card.card.pk)

    return card_in


def test_every_status_is_reachable_from_issue():
    reached = {CardStatus.ACTIVE} | {t.target for t in CARD.transitions.values()}
    assert reached == set(CardStatus)


@pytest.mark.parametrize("action,source", ALLOWED)
def test_it_moves_along_every_allowed_edge_with_one_audit_event(card_in, action, source):
    card = card_in(source)
    before = events_for(card).count()
    act(action, card)
    card.refresh_from_db()
    assert card.status == CARD[action].target
    assert events_for(card).count() == before + 1
    event = events_for(card).latest("id")
    assert (event.action, event.from_status, event.to_status) == (f"eport.{action}", source, CARD[action].target)


@pytest.mark.parametrize("action,status", REFUSED)
def test_it_refuses_every_edge_not_in_the_table(card_in, action, status):
    card = card_in(status)
    before = events_for(card).count()
    with pytest.raises(Refused) as refused:
        act(action, card)
    assert refused.value.code == ("already" if status == CARD[action].target else "state")
    card.refresh_from_db()
    assert card.status == status and events_for(card).count() == before


def test_a_second_revoke_answers_already_done(card_in):
    card = card_in(CardStatus.ACTIVE)
    act("revoke", card)
    with pytest.raises(Refused, match=f"卡 {card.number} 已注销，无需重复操作。"):
        act("revoke", card)


def test_only_a_card_no_move_has_left_may_log_in_and_sign():
    assert USABLE == {CardStatus.ACTIVE}
