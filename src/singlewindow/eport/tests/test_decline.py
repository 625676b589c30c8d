"""放弃投保 by a card user: like 确认投保, the card signs what is decided (policy, enterprise, reason, time)."""
import base64
import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from singlewindow.audit.models import AuditEvent
from singlewindow.eport.tests.conftest import last_attempt
from singlewindow.eport.tests.test_confirm import bound
from singlewindow.policies.models import Policy, PolicyStatus
from singlewindow.policies.tests.conftest import confirm_data, page_text

REASON = "企业已另行投保。"


def signed_decline(session, holder, policy, *, reason=REASON, posted_reason=None, signature=None):
    """What 放弃投保 does for a card user: ask for the data to sign, have the card sign it, submit the form."""
    issued = session.client.post(f"/eport/sign/{policy.pk}/decline/", {"reason": reason})
    assert issued.status_code == 200, issued.content
    issued = issued.json()
    return session.client.post(f"/insure/{policy.pk}/decline/", {
        "reason": posted_reason or reason, "card_challenge": issued["challenge"],
        "card_signature": signature or holder.sign(issued["data"]),
    }), issued


def status(policy):
    return Policy.objects.get(pk=policy.pk).status


def test_a_card_user_declines_with_the_cards_signature_and_the_audit_keeps_it(world, demo_card, logged_in):
    session = bound(logged_in(demo_card))
    response, issued = signed_decline(session, demo_card, world.pending)
    assert response.status_code == 302 and status(world.pending) == PolicyStatus.DECLINED
    event = AuditEvent.objects.get(action="policy.decline", object_id=str(world.pending.pk))
    kept = event.data["card_signature"]
    signed = json.loads(kept["data"])
    assert (signed["policy"], signed["enterprise"], signed["reason"], signed["card"]) == (
        world.pending.number, world.demo.enterprise.uscc, REASON, demo_card.card.number)
    assert signed["time"] and kept["data"] == issued["data"] and event.data["login_method"] == "card"
    x509.load_pem_x509_certificate(demo_card.certificate.encode()).public_key().verify(
        base64.b64decode(kept["signature"]), kept["data"].encode(), ec.ECDSA(hashes.SHA256()))
    assert (last_attempt().purpose, last_attempt().ok) == ("decline", True)


def test_a_card_user_cannot_decline_without_the_card(world, demo_card, logged_in):
    session = bound(logged_in(demo_card))
    response = session.client.post(f"/insure/{world.pending.pk}/decline/", {"reason": REASON})
    assert response.status_code == 400 and "用卡签名后放弃投保" in page_text(response)
    assert status(world.pending) == PolicyStatus.PENDING


def test_a_signature_of_another_reason_is_refused(world, demo_card, logged_in):
    session = bound(logged_in(demo_card))
    response, _ = signed_decline(session, demo_card, world.pending, posted_reason="保费太高。")
    assert response.status_code == 400 and "签名内容与放弃投保的原因不一致" in page_text(response)
    assert (last_attempt().code, status(world.pending)) == ("EP-213", PolicyStatus.PENDING)


def test_another_cards_signature_is_refused(world, demo_card, logged_in, issue):
    session = bound(logged_in(demo_card))
    response, _ = signed_decline(session, demo_card, world.pending, signature=issue().sign("x"))
    assert response.status_code == 400 and "EP-203" in page_text(response)
    assert status(world.pending) == PolicyStatus.PENDING


def test_a_confirmation_signature_cannot_decline(world, demo_card, logged_in):
    session = bound(logged_in(demo_card))
    issued = session.client.post(f"/eport/sign/{world.pending.pk}/", confirm_data(world.pending)).json()
    response = session.client.post(f"/insure/{world.pending.pk}/decline/", {
        "reason": REASON, "card_challenge": issued["challenge"], "card_signature": demo_card.sign(issued["data"])})
    assert response.status_code == 400 and "EP-201" in page_text(response)
    assert status(world.pending) == PolicyStatus.PENDING


def test_a_decline_signature_is_used_once(world, demo_card, logged_in):
    session = bound(logged_in(demo_card))
    issued = session.client.post(f"/eport/sign/{world.pending.pk}/decline/", {"reason": REASON}).json()
    proof = {"card_challenge": issued["challenge"], "card_signature": demo_card.sign(issued["data"])}
    session.client.post(f"/insure/{world.pending.pk}/decline/", {**proof, "reason": "保费太高。"})  # EP-213, spent
    again = session.client.post(f"/insure/{world.pending.pk}/decline/", {**proof, "reason": REASON})
    assert again.status_code == 400 and "EP-201" in page_text(again)
    assert (last_attempt().code, status(world.pending)) == ("EP-201", PolicyStatus.PENDING)


def test_a_second_decline_says_it_is_done_already_without_spending_a_signature(world, demo_card, logged_in):
    session = bound(logged_in(demo_card))
    signed_decline(session, demo_card, world.pending)
    attempts = last_attempt().pk
    response, _ = signed_decline(session, demo_card, world.pending)
    assert response.status_code == 302 and "无需重复操作" in page_text(session.client.get(response["Location"]))
    assert last_attempt().pk == attempts


def test_the_decline_form_asks_a_card_user_for_the_pin_and_a_reason_first(world, demo_card, logged_in):
    session = bound(logged_in(demo_card))
    html = session.client.get(f"/insure/{world.pending.pk}/decline/").content.decode()
    assert f'data-sign-url="/eport/sign/{world.pending.pk}/decline/"' in html and 'id="eport-sign-pin-decline"' in html
    refused = session.client.post(f"/eport/sign/{world.pending.pk}/decline/", {"reason": " "})
    assert refused.status_code == 400 and "请填写原因" in refused.json()["error"]


def test_a_password_user_declines_without_a_card(world, client):
    from singlewindow.accounts import services as accounts
    from singlewindow.policies.tests.conftest import LOCAL_ACCOUNT

    accounts.bind_existing(world.demo, **LOCAL_ACCOUNT)
    client.force_login(world.demo)
    assert "eport-sign-pin-decline" not in client.get(f"/insure/{world.pending.pk}/decline/").content.decode()
    assert client.post(f"/insure/{world.pending.pk}/decline/", {"reason": REASON}).status_code == 302
    assert status(world.pending) == PolicyStatus.DECLINED
    assert client.post(f"/eport/sign/{world.pending.pk}/decline/", {"reason": REASON}).status_code == 400
