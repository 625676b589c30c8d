"""忘记密码 / 忘记用户名 by mobile or email: the same answers for strangers, codes from the outbox."""
import re

import pytest
from django.test import Client

from singlewindow.accounts.models import User
from singlewindow.audit.models import AuditEvent
from singlewindow.notifications.models import OutboundMessage

from .conftest import code_sent_to

KNOWN = "13729230657"    # boss's mobile
UNKNOWN = "13711110657"  # nobody's; masked the same way (137****0657), so the pages can be compared


def page_text(response):
    """What a person reads: the page without its CSRF tokens."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", page)


def start(client, kind, recipient):
    return client.post(f"/forgot-{kind}/", {"recipient": recipient}, follow=True)


@pytest.mark.parametrize("kind", ["password", "username"])
def test_known_and_unknown_recipients_get_the_same_answers(people, kind):
    known, unknown = Client(), Client()
    answers = [start(known, kind, KNOWN), start(unknown, kind, UNKNOWN)]
    assert answers[0].redirect_chain == answers[1].redirect_chain == [(f"/account/recover/{kind}/verify/", 302)]
    assert page_text(answers[0]) == page_text(answers[1])
    assert "如果 137****0657 是已登记的手机号码，验证码已通过短信发送，10分钟内有效。" in page_text(answers[0])

    wrong = [c.post(f"/account/recover/{kind}/verify/", {"code": "000000", "action": "verify"}) for c in (known, unknown)]
    assert [w.status_code for w in wrong] == [400, 400]
    assert page_text(wrong[0]) == page_text(wrong[1])
    assert "验证码不正确或已过期，请重新获取。" in page_text(wrong[0])

    # Only the real account's mobile receives a message.
    assert list(OutboundMessage.objects.values_list("recipient", flat=True)) == [KNOWN]


def test_the_rate_limit_answers_alike_too(people):
    answers = []
    for recipient in (KNOWN, UNKNOWN):
        client = Client()
        for _ in range(5):
            start(client, "password", recipient)
        answers.append(client.post("/forgot-password/", {"recipient": recipient}))
    assert [a.status_code for a in answers] == [400, 400]
    assert all("获取验证码过于频繁，请1小时后再试。" in page_text(a) for a in answers)


@pytest.mark.parametrize("kind", ["password", "username"])
def test_a_stranger_asking_for_the_owners_codes_does_not_block_the_owner(people, kind):
    stranger = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(5):
        start(stranger, kind, KNOWN)
    assert "获取验证码过于频繁" in page_text(stranger.post(f"/forgot-{kind}/", {"recipient": KNOWN}))
    sent = OutboundMessage.objects.count()

    owner = Client(REMOTE_ADDR="198.51.100.9")
    assert start(owner, kind, KNOWN).redirect_chain == [(f"/account/recover/{kind}/verify/", 302)]
    assert OutboundMessage.objects.count() == sent + 1
    owner.post(f"/account/recover/{kind}/verify/", {"code": code_sent_to(KNOWN), "action": "verify"})
    assert owner.get(f"/account/recover/{kind}/{'reset' if kind == 'password' else 'accounts'}/").status_code == 200


def test_a_password_is_reset_with_the_code_from_the_mobile(people, client, login_as):
    elsewhere = login_as("boss")  # a session on another computer
    start(client, "password", KNOWN)
    response = client.post("/account/recover/password/verify/", {"code": code_sent_to(KNOWN), "action": "verify"},
                           follow=True)
    page = page_text(response)
    assert response.redirect_chain == [("/account/recover/password/reset/", 302)]
    assert "boss" in page and "汕尾市红海湾进出口贸易有限公司" in page and people.ours.uscc in page

    response = client.post("/account/recover/password/reset/",
                           {"username": "boss", "password": "Harbour2025x", "password2": "Harbour2025x"}, follow=True)

    assert response.redirect_chain == [("/login/", 302)]
    assert "账号 boss 的密码已重置，请用新密码登录。" in page_text(response)
    people.boss.refresh_from_db()
    assert people.boss.check_password("Harbour2025x") and not people.boss.check_password("Demo@2020")
    assert elsewhere.get("/account/").status_code == 302  # the old session has ended
    assert AuditEvent.objects.filter(action="account.password_reset", actor=people.boss).count() == 1
    # The verified step is spent: the reset page sends a second try back to the start.
    assert client.get("/account/recover/password/reset/").url == "/forgot-password/"


def test_one_mobile_with_several_accounts_chooses_which_to_reset(people, client):
    User.objects.filter(pk=people.rival.pk).update(mobile=KNOWN)  # one person runs two companies (FAQ 9)
    start(client, "password", KNOWN)
    client.post("/account/recover/password/verify/", {"code": code_sent_to(KNOWN), "action": "verify"})
    page = page_text(client.get("/account/recover/password/reset/"))
    assert "海丰县梅陇工艺品有限公司" in page and "汕尾市红海湾进出口贸易有限公司" in page

    response = client.post("/account/recover/password/reset/", {"password": "Harbour2025x", "password2": "Harbour2025x"})
    assert response.status_code == 400 and "请选择要重置密码的账号。" in page_text(response)
    response = client.post("/account/recover/password/reset/",
                           {"username": "clerk", "password": "Harbour2025x", "password2": "Harbour2025x"})
    assert response.status_code == 400  # clerk has another mobile: not offered, not accepted
    client.post("/account/recover/password/reset/",
                {"username": "rival", "password": "Harbour2025x", "password2": "Harbour2025x"})
    people.rival.refresh_from_db()
    people.boss.refresh_from_db()
    assert people.rival.check_password("Harbour2025x") and people.boss.check_password("Demo@2020")


def test_a_new_password_must_follow_the_policy(people, client):
    start(client, "password", KNOWN)
    client.post("/account/recover/password/verify/", {"code": code_sent_to(KNOWN), "action": "verify"})
    response = client.post("/account/recover/password/reset/",
                           {"username": "boss", "password": "password", "password2": "password"})
    assert response.status_code == 400
    assert "这个密码太常见，容易被猜中，请换一个。" in page_text(response) and "密码须同时包含字母和数字。" in page_text(response)


def test_usernames_are_recovered_by_email_with_their_enterprises(people, client):
    start(client, "username", "BOSS@example.com")
    message = OutboundMessage.objects.get()
    assert (message.channel, message.recipient) == ("email", "boss@example.com")
    assert "验证码" in message.subject and "boss" not in message.body  # the code only, never account data

    response = client.post("/account/recover/username/verify/",
                           {"code": code_sent_to("boss@example.com"), "action": "verify"}, follow=True)

    page = page_text(response)
    assert response.redirect_chain == [("/account/recover/username/accounts/", 302)]
    assert "boss" in page and people.ours.uscc in page and "企业管理员（法人）" in page
    assert AuditEvent.objects.filter(action="account.recover_username").count() == 1
    assert client.get("/account/recover/username/accounts/").url == "/forgot-username/"  # shown once


def test_disabled_and_removed_accounts_are_not_recovered(people, client):
    User.objects.filter(pk=people.boss.pk).update(is_active=False)
    start(client, "username", "boss@example.com")  # boss's alone (the demo world has accounts on KNOWN too)
    assert not OutboundMessage.objects.exists()


def test_resending_sends_a_new_code_and_only_it_counts(people, client):
    verify = "/account/recover/password/verify/"
    start(client, "password", KNOWN)
    first = code_sent_to(KNOWN)
    client.post(verify, {"action": "resend"})
    assert OutboundMessage.objects.filter(recipient=KNOWN).count() == 2
    second = code_sent_to(KNOWN)
    if first != second:
        assert client.post(verify, {"code": first, "action": "verify"}).status_code == 400
    assert client.post(verify, {"code": second, "action": "verify"}).url == "/account/recover/password/reset/"


def test_the_reset_page_needs_a_verified_code(people, client):
    assert client.get("/account/recover/password/reset/").url == "/forgot-password/"
    start(client, "password", KNOWN)
    assert client.get("/account/recover/password/reset/").url == "/forgot-password/"


def test_resending_past_the_limit_says_so_on_the_same_page(people, client):
    start(client, "username", UNKNOWN)
    for _ in range(4):
        client.post("/account/recover/username/verify/", {"action": "resend"})
    response = client.post("/account/recover/username/verify/", {"action": "resend"}, follow=True)
    assert response.redirect_chain == [("/account/recover/username/verify/", 302)]
    assert "获取验证码过于频繁，请1小时后再试。" in page_text(response)
