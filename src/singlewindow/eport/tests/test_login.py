"""卡介质 login: the card signs a single-use challenge; every refused case says why and is logged."""
import base64
import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from django.utils import timezone

from singlewindow.accounts.models import LoginMethod, Role, User
from singlewindow.enterprises.identifiers import make_uscc
from singlewindow.enterprises.models import Enterprise
from singlewindow.eport.card_services import revoke_card
from singlewindow.eport.demo import has_password_account
from singlewindow.eport.models import Card, Challenge
from singlewindow.eport.tests.conftest import ask_challenge, card_login, last_attempt, long_ago
from singlewindow.policies.tests.conftest import page_text


def refused_with(response, code):
    text = page_text(response)
    assert response.redirect_chain[-1][0].startswith("/login/?method=card")
    assert "卡介质登录失败" in text and f"错误代码 {code}" in text, text[:400]
    attempt = last_attempt()
    assert (attempt.ok, attempt.code) == (False, code)
    return text


def test_a_card_holder_logs_in_without_registering_and_gets_a_user_on_first_login(cardonly_card):
    enterprise = Enterprise.objects.get(uscc=cardonly_card.card.uscc)
    assert not has_password_account(enterprise)
    client = Client()
    response = card_login(client, cardonly_card)
    assert response.redirect_chain[-1][0] == "/"
    user = Card.objects.get(pk=cardonly_card.card.pk).user
    assert (user.role, user.display_name, user.has_usable_password()) == (Role.ENTERPRISE, cardonly_card.card.holder,
                                                                         False)
    assert client.session["login_method"] == LoginMethod.CARD
    assert cardonly_card.card.ent_name in page_text(response)  # 当前企业 banner
    card_login(Client(), cardonly_card)
    assert User.objects.filter(username=user.username).count() == 1 and user.enterprise == enterprise
    assert (last_attempt().ok, last_attempt().user) == (True, user)


def test_it_goes_on_to_the_page_that_asked_for_a_login(demo_card):
    client = Client()
    challenge = ask_challenge(client)
    response = client.post("/eport/login/", {
        "challenge": challenge["challenge"], "certificate": demo_card.certificate,
        "signature": demo_card.sign(challenge["data"]), "next": "/insure/",
    })
    assert response.status_code == 302 and response["Location"] == "/insure/"


def test_a_challenge_expires_within_two_minutes_and_names_its_expiry(db):
    issued = ask_challenge(Client())
    challenge = Challenge.objects.get(nonce=issued["challenge"])
    assert dt.timedelta(0) < challenge.expires_at - challenge.created_at <= dt.timedelta(seconds=120)
    assert issued["expires_in"] <= 120 and challenge.expires_at.isoformat() in issued["data"]


def test_a_replayed_login_is_refused(demo_card):
    client = Client()
    challenge = ask_challenge(client)
    signature = demo_card.sign(challenge["data"])
    card_login(client, demo_card, challenge=challenge, signature=signature)
    client.post("/logout/")
    refused_with(card_login(client, demo_card, challenge=challenge, signature=signature), "EP-201")


def test_a_challenge_taken_from_another_session_is_refused(demo_card):
    stolen = ask_challenge(Client())
    text = refused_with(card_login(Client(), demo_card, challenge=stolen), "EP-201")
    assert "请求无效或已使用过" in text


def test_an_expired_challenge_is_refused(demo_card):
    client = Client()
    challenge = ask_challenge(client)
    Challenge.objects.filter(nonce=challenge["challenge"]).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    text = refused_with(card_login(client, demo_card, challenge=challenge), "EP-202")
    assert "请求已超时" in text


def test_a_signature_the_card_did_not_make_is_refused(demo_card, issue):
    other_card = issue()
    client = Client()
    challenge = ask_challenge(client)
    forged = other_card.sign(challenge["data"])  # another key, presented with the demo card's certificate
    text = refused_with(card_login(client, demo_card, challenge=challenge, signature=forged), "EP-203")
    assert "签名验证失败" in text and "_auth_user_id" not in client.session


def test_a_certificate_from_another_ca_is_refused(demo_card):
    """A look-alike certificate (same names, same card number) signed by a CA of the attacker's own."""
    genuine = x509.load_pem_x509_certificate(demo_card.certificate.encode())
    fake_ca, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder().subject_name(genuine.subject).issuer_name(genuine.issuer)
               .public_key(key.public_key()).serial_number(genuine.serial_number)
               .not_valid_before(genuine.not_valid_before_utc).not_valid_after(genuine.not_valid_after_utc))
    for extension in genuine.extensions:
        if extension.oid != x509.oid.ExtensionOID.AUTHORITY_KEY_IDENTIFIER:
            builder = builder.add_extension(extension.value, extension.critical)
    fake = builder.sign(fake_ca, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()
    client = Client()
    challenge = ask_challenge(client)
    signature = base64.b64encode(key.sign(challenge["data"].encode(), ec.ECDSA(hashes.SHA256()))).decode()
    text = refused_with(card_login(client, demo_card, challenge=challenge, certificate=fake, signature=signature),
                        "EP-204")
    assert "证书不是电子口岸卡认证中心签发的" in text


def test_a_revoked_card_is_refused(demo_card):
    revoke_card(demo_card.card.number, reason="挂失")
    text = refused_with(card_login(Client(), demo_card), "EP-206")
    assert "该卡已注销" in text
    assert last_attempt().card_number == demo_card.card.number


def test_a_card_whose_certificate_has_expired_is_refused(issue):
    expired = issue(not_before=long_ago(400), days=365)
    text = refused_with(card_login(Client(), expired), "EP-205")
    assert "卡证书已过期或尚未生效" in text


def test_a_card_of_an_enterprise_unknown_to_the_single_window_is_refused(issue, unknown_uscc):
    stranger = issue(uscc=unknown_uscc, ent_name="陆丰市未登记贸易有限公司")
    text = refused_with(card_login(Client(), stranger), "EP-207")
    assert "该卡所属企业未在单一窗口登记" in text
    assert not User.objects.filter(username__startswith=f"card-{stranger.card.number.lower()}").exists()


def test_a_card_once_used_by_one_enterprise_user_cannot_log_into_another(demo_card, world):
    demo_card.card.user = world.demo2
    demo_card.card.save()
    refused_with(card_login(Client(), demo_card), "EP-207")


def test_the_login_page_asks_the_configured_agent_and_never_posts_the_pin(client, world, settings):
    settings.EPORT_AGENT_URL = "ws://127.0.0.1:61999"
    html = client.get("/login/").content.decode()
    assert 'data-agent-url="ws://127.0.0.1:61999"' in html
    assert 'id="eport-pin"' in html and 'name="pin"' not in html and "客户端控件下载" in html


def test_a_legal_person_card_makes_its_holder_the_enterprise_administrator(world, issue, logged_in):
    """A customs-listed enterprise without any account: its 法人卡 opens the first one, the legal person's
    (企业管理员（法人）, the holder's name), which manages operators and is not listed as one to remove."""
    enterprise = Enterprise.objects.create(uscc=make_uscc("91", "441521", "55667788"), name="海丰县新近出口有限公司",
                                           region_id="441521")
    holder = issue(kind="legal", holder="黄海", uscc=enterprise.uscc, ent_name=enterprise.name)
    session = logged_in(holder)
    user = session.user
    assert (user.is_enterprise_admin, user.display_name, user.enterprise) == (True, "黄海", enterprise)
    page = page_text(session.client.get("/account/operators/"))
    assert f"{user.username} 黄海" in page and "企业管理员（法人）" in page


def test_an_operator_card_or_a_second_legal_card_does_not_make_another_administrator(world, issue, logged_in):
    operator = logged_in(issue(kind="operator", holder="赵六")).user
    assert not operator.is_enterprise_admin
    world.demo.is_enterprise_admin = True
    world.demo.save()
    second = logged_in(issue(kind="legal", holder="钱七")).user
    assert not second.is_enterprise_admin  # the enterprise has its administrator already
