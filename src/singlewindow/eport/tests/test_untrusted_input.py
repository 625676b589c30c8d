"""NUL bytes and lone surrogates in anything a card login brings (form fields, certificate subject, cookie, headers):
refused with a code the user sees, the attempt recorded in storable text, never a 500 (PostgreSQL stores no NUL)."""
import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from singlewindow.eport import services
from singlewindow.eport.models import CardAttempt
from singlewindow.eport.tests.conftest import ask_challenge, card_login, last_attempt
from singlewindow.eport.tests.test_confirm import bound
from singlewindow.machines import Refused
from singlewindow.policies.models import Policy, PolicyStatus
from singlewindow.policies.tests.conftest import confirm_data, page_text

fuzz = settings(max_examples=25, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# Any text with at least one NUL or lone surrogate somewhere in it.
POISONED = st.builds("{}{}{}".format, st.text(max_size=10), st.sampled_from(["\x00", "\ud800", "\udfff", "\x00\x00"]),
                     st.text(max_size=10))
FIELD_CODES = {"challenge": "EP-201", "certificate": "EP-204", "signature": "EP-203"}


def storable(attempt):
    """What PostgreSQL can keep: no NUL, no lone surrogate in any text of the attempt."""
    text = f"{attempt.code}{attempt.detail}{attempt.card_number}{attempt.uscc}"
    text.encode("utf-8")  # raises on a lone surrogate
    return "\x00" not in text


def forged_certificate(serial="EP\x0010000000001", uscc="91441502\x00MA4W000001", holder="李\x00锐"):
    """A self-signed look-alike whose subject carries NUL bytes (UTF8String allows them)."""
    key = ec.generate_private_key(ec.SECP256R1())
    utf8 = _ASN1Type.UTF8String
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "汕尾\x00公司"),
        x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, uscc, _type=utf8),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, serial, _type=utf8),
        x509.NameAttribute(NameOID.COMMON_NAME, holder),
    ])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    return key, certificate.public_bytes(serialization.Encoding.PEM).decode()


def test_a_forged_certificate_whose_subject_has_nul_is_refused_and_recorded(world):
    key, pem = forged_certificate()
    client = Client()
    challenge = ask_challenge(client)
    signature = base64.b64encode(key.sign(challenge["data"].encode(), ec.ECDSA(hashes.SHA256()))).decode()
    response = client.post("/eport/login/", {"challenge": challenge["challenge"], "certificate": pem,
                                             "signature": signature}, follow=True)
    assert "卡介质登录失败" in page_text(response) and "错误代码 EP-204" in page_text(response)
    attempt = last_attempt()
    assert (attempt.ok, attempt.code) == (False, "EP-204") and storable(attempt)
    assert attempt.card_number == "EP\ufffd10000000001" and attempt.uscc == "91441502\ufffdMA4W000001"
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("field", sorted(FIELD_CODES))
@pytest.mark.parametrize("poison", ["\x00", "%00\x00", "\x00" * 3])
def test_a_card_login_field_with_nul_is_refused_with_its_code_and_recorded(demo_card, field, poison):
    client = Client()
    challenge = ask_challenge(client)
    data = {"challenge": challenge["challenge"], "certificate": demo_card.certificate,
            "signature": demo_card.sign(challenge["data"])}
    data[field] = data[field][:20] + poison + data[field][20:]
    response = client.post("/eport/login/", data, follow=True)
    code = FIELD_CODES[field]
    assert response.status_code == 200 and f"错误代码 {code}" in page_text(response)
    attempt = last_attempt()
    assert (attempt.ok, attempt.code) == (False, code) and storable(attempt)
    assert "_auth_user_id" not in client.session


def test_a_lone_surrogate_sent_over_http_arrives_replaced_and_is_refused(demo_card):
    client = Client()
    challenge = ask_challenge(client)
    body = (f"challenge={challenge['challenge']}%ED%A0%80&certificate=x%ED%B0%80&signature=%00").encode()
    response = client.post("/eport/login/", body, content_type="application/x-www-form-urlencoded", follow=True)
    assert response.status_code == 200 and "卡介质登录失败" in page_text(response)
    assert not last_attempt().ok and storable(last_attempt())


@fuzz
@given(field=st.sampled_from(sorted(FIELD_CODES)), poison=POISONED)
def test_any_card_login_input_with_nul_or_a_lone_surrogate_is_refused_and_recorded(demo_card, field, poison):
    session = SessionStore()
    challenge = services.new_login_challenge(session)  # no address: not rate-limited across examples
    values = {"challenge": challenge.nonce, "certificate": demo_card.certificate,
              "signature": demo_card.sign(challenge.data), field: poison}
    before = CardAttempt.objects.count()
    with pytest.raises(Refused) as refused:
        services.login_with_card(**values, binding_hash=services.session_binding(session))
    assert refused.value.code == FIELD_CODES[field]
    assert CardAttempt.objects.count() == before + 1 and storable(last_attempt())


def test_a_session_cookie_with_nul_gets_a_fresh_session_and_a_challenge(demo_card):
    client = Client()
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnopqrstuvwxyz012345"
    response = client.post("/eport/challenge/")
    assert response.status_code == 200 and response.json()["challenge"]
    assert card_login(client, demo_card).redirect_chain[-1][0] == "/" and last_attempt().ok


def test_a_browser_name_with_nul_does_not_break_the_card_login(demo_card):
    client = Client(HTTP_USER_AGENT="Mozilla/5.0\x00(evil)", HTTP_ACCEPT="text/html\x00")
    response = card_login(client, demo_card)
    assert response.redirect_chain[-1][0] == "/" and last_attempt().ok
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize("field", ["card_challenge", "card_signature"])
def test_a_confirmation_signature_with_nul_is_refused_and_recorded(world, demo_card, logged_in, field):
    session = bound(logged_in(demo_card))
    issued = session.client.post(f"/eport/sign/{world.pending.pk}/", confirm_data(world.pending)).json()
    proof = {"card_challenge": issued["challenge"], "card_signature": demo_card.sign(issued["data"])}
    proof[field] = proof[field][:10] + "\x00" + proof[field][10:]
    response = session.client.post(f"/insure/{world.pending.pk}/confirm/", {**confirm_data(world.pending), **proof})
    code = {"card_challenge": "EP-201", "card_signature": "EP-203"}[field]
    assert response.status_code == 400 and f"错误代码 {code}" in page_text(response)
    assert (last_attempt().code, storable(last_attempt())) == (code, True)
    assert Policy.objects.get(pk=world.pending.pk).status == PolicyStatus.PENDING
