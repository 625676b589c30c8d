"""确认投保 by a card user: the card signs the policy, enterprise, contacts, agreement and time; the server keeps it."""
import base64
import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client

from singlewindow.accounts import services as accounts
from singlewindow.eport.models import Card, CardStatus
from singlewindow.eport.tests.conftest import last_attempt
from singlewindow.policies import services as policies
from singlewindow.policies.models import Confirmation, Policy, PolicyStatus
from singlewindow.policies.tests.conftest import LOCAL_ACCOUNT, confirm_data, page_text


def bound(session):
    accounts.bind_existing(session.user, **LOCAL_ACCOUNT)
    return session


def signed_confirm(session, holder, policy, *, sign_overrides=None, post_overrides=None, signature=None):
    """What 确认投保 does for a card user: ask for the data to sign, have the card sign it, submit the form."""
    issued = session.client.post(f"/eport/sign/{policy.pk}/", confirm_data(policy, **(sign_overrides or {})))
    assert issued.status_code == 200, issued.content
    issued = issued.json()
    return session.client.post(f"/insure/{policy.pk}/confirm/", {
        **confirm_data(policy, **(post_overrides or {})), "card_challenge": issued["challenge"],
        "card_signature": signature or holder.sign(issued["data"]),
    }), issued


def test_a_card_user_confirms_with_the_cards_signature_and_the_insurer_sees_it_signed(world, demo_card, logged_in):
    session = bound(logged_in(demo_card))
    response, issued = signed_confirm(session, demo_card, world.pending)
    assert response.status_code == 302, page_text(response)[:300]
    assert Policy.objects.get(pk=world.pending.pk).status == PolicyStatus.CONFIRMED
    stored = json.loads(Confirmation.objects.get(policy=world.pending).signature)
    signed = json.loads(stored["data"])
    assert (signed["policy"], signed["enterprise"], signed["contact_name"], signed["agreement_sha256"]) == (
        world.pending.number, world.demo.enterprise.uscc, "李锐", world.scheme.agreement.sha256)
    assert stored["card"] == demo_card.card.number and stored["data"] == issued["data"] and signed["time"]
    # The stored record verifies on its own, with the card's certificate.
    x509.load_pem_x509_certificate(demo_card.certificate.encode()).public_key().verify(
        base64.b64decode(stored["signature"]), stored["data"].encode(), ec.ECDSA(hashes.SHA256()))
    insurer = Client()
    insurer.force_login(world.insurer)
    assert "卡签名" in page_text(insurer.get(f"/insurer/{world.pending.pk}/"))


def test_the_detail_page_asks_a_card_user_for_the_pin_to_sign(world, demo_card, logged_in):
    session = bound(logged_in(demo_card))
    html = session.client.get(f"/insure/{world.pending.pk}/").content.decode()
    assert "卡密码（用于签名）" in html and f'data-card="{demo_card.card.number}"' in html


def test_a_card_user_cannot_confirm_without_a_signature(world, demo_card, logged_in):
    session = bound(logged_in(demo_card))
    response = session.client.post(f"/insure/{world.pending.pk}/confirm/", confirm_data(world.pending))
    assert response.status_code == 400 and "用卡签名后确认投保" in page_text(response)
    assert Policy.objects.get(pk=world.pending.pk).status == PolicyStatus.PENDING


def test_a_signature_of_other_contacts_is_refused(world, demo_card, logged_in):
    session = bound(logged_in(demo_card))
    response, _ = signed_confirm(session, demo_card, world.pending, post_overrides={"contact_name": "王五"})
    assert response.status_code == 400 and "签名内容与确认信息不一致" in page_text(response)
    assert (last_attempt().code, Policy.objects.get(pk=world.pending.pk).status) == ("EP-210", PolicyStatus.PENDING)


def test_a_forged_confirmation_signature_is_refused(world, demo_card, logged_in, issue):
    session = bound(logged_in(demo_card))
    issued = session.client.post(f"/eport/sign/{world.pending.pk}/", confirm_data(world.pending)).json()
    response = session.client.post(f"/insure/{world.pending.pk}/confirm/", {
        **confirm_data(world.pending), "card_challenge": issued["challenge"],
        "card_signature": issue().sign(issued["data"]),
    })
    assert response.status_code == 400 and "EP-203" in page_text(response)


def test_a_replayed_confirmation_signature_is_refused(world, demo_card, logged_in):
    session = bound(logged_in(demo_card))
    first, issued = signed_confirm(session, demo_card, world.pending)
    policies.return_policy(world.insurer, world.pending.pk, reason="请核实联系电话。")
    again = session.client.post(f"/insure/{world.pending.pk}/confirm/", {
        **confirm_data(world.pending), "card_challenge": issued["challenge"],
        "card_signature": demo_card.sign(issued["data"]),
    })
    assert first.status_code == 302 and again.status_code == 400 and "EP-201" in page_text(again)
    assert Policy.objects.get(pk=world.pending.pk).status == PolicyStatus.RETURNED


def test_a_card_whose_record_says_revoked_cannot_sign_even_in_a_session_that_goes_on(world, demo_card, logged_in):
    """revoke_card also ends the card's sessions (test_revocation.py); the signature check stands on its own."""
    session = bound(logged_in(demo_card))
    Card.objects.filter(pk=demo_card.card.pk).update(status=CardStatus.REVOKED)
    response, _ = signed_confirm(session, demo_card, world.pending)
    assert response.status_code == 400 and "该卡已注销" in page_text(response)
    assert last_attempt().code == "EP-206"


def test_signing_is_only_for_card_users(world, client):
    accounts.bind_existing(world.demo, **LOCAL_ACCOUNT)
    client.force_login(world.demo)
    response = client.post(f"/eport/sign/{world.pending.pk}/", confirm_data(world.pending))
    assert response.status_code == 400 and "只有用电子口岸卡登录的用户" in response.json()["error"]
    assert "卡密码（用于签名）" not in client.get(f"/insure/{world.pending.pk}/").content.decode()


def test_another_enterprises_card_user_cannot_get_data_to_sign_for_this_policy(world, cardonly_card, logged_in):
    session = logged_in(cardonly_card)
    response = session.client.post(f"/eport/sign/{world.pending.pk}/", confirm_data(world.pending))
    assert response.status_code == 404
