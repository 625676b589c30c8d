"""注销/挂失 of a card ends every session opened with it, at its next request, whatever it was doing."""
from django.core.management import call_command
from django.test import Client

from singlewindow.eport.card_services import revoke_card
from singlewindow.eport.tests.conftest import card_login
from singlewindow.eport.tests.test_confirm import bound
from singlewindow.policies.models import Policy, PolicyStatus
from singlewindow.policies.tests.conftest import page_text


def logged_out(response):
    return response.status_code == 302 and response["Location"].startswith("/login/")


def test_revoking_a_card_ends_every_session_opened_with_it(world, demo_card, logged_in):
    office, laptop = logged_in(demo_card), logged_in(demo_card)
    assert office.client.get("/account/").status_code == 200 and laptop.client.get("/account/").status_code == 200
    call_command("eport_revoke_card", demo_card.card.number, reason="挂失")
    assert logged_out(office.client.get("/account/")) and logged_out(laptop.client.get("/account/"))
    assert "_auth_user_id" not in office.client.session


def test_a_stolen_cards_session_cannot_decline_once_the_card_is_revoked(world, demo_card, logged_in):
    thief = bound(logged_in(demo_card))
    revoke_card(demo_card.card.number, reason="挂失")
    response = thief.client.post(f"/insure/{world.pending.pk}/decline/", {"reason": "不需要了。"})
    assert logged_out(response)
    assert Policy.objects.get(pk=world.pending.pk).status == PolicyStatus.PENDING


def test_revoking_one_card_leaves_other_cards_and_password_sessions_alone(world, demo_card, logged_in, issue):
    other_card = logged_in(issue(holder="钱七"))
    password = Client()
    password.force_login(world.demo)
    revoke_card(demo_card.card.number, reason="人员离职")
    assert other_card.client.get("/account/").status_code == 200
    assert password.get("/account/").status_code == 200


def test_the_revoked_card_cannot_log_in_again_and_the_page_says_why(world, demo_card, logged_in):
    session = logged_in(demo_card)
    revoke_card(demo_card.card.number, reason="挂失")
    session.client.get("/account/")
    assert "该卡已注销" in page_text(card_login(session.client, demo_card))
