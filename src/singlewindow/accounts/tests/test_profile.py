"""账户设置: change password (every session ends), display name and email, the mobile re-verified by code."""
import pytest

from singlewindow.accounts.models import VerificationCode
from singlewindow.audit.models import AuditEvent

from .conftest import PASSWORD, code_sent_to

NEW = "Harbour2025x"


def test_a_password_change_ends_every_session(people, login_as):
    here, elsewhere = login_as("boss"), login_as("boss")

    response = here.post("/account/password/", {"old_password": PASSWORD, "password": NEW, "password2": NEW},
                         follow=True)

    assert response.redirect_chain == [("/login/", 302)]
    assert "密码已修改，所有已登录的会话均已退出，请用新密码重新登录。" in response.content.decode()
    assert here.get("/account/").status_code == 302 and elsewhere.get("/account/").status_code == 302
    login_as("boss", NEW)
    assert AuditEvent.objects.filter(action="account.password_change", actor=people.boss).count() == 1


@pytest.mark.parametrize(("data", "message"), [
    ({"old_password": "Wrong2020x", "password": NEW, "password2": NEW}, "当前密码不正确。"),
    ({"old_password": PASSWORD, "password": NEW, "password2": NEW + "y"}, "两次输入的密码不一致。"),
    ({"old_password": PASSWORD, "password": "Example12", "password2": "Example12"}, "太相近，请换一个。"),  # boss@example.com
    ({"old_password": PASSWORD, "password": PASSWORD, "password2": PASSWORD}, "新密码不能与当前密码相同。"),
    ({"old_password": "", "password": NEW, "password2": NEW}, "请填写当前密码。"),
])
def test_a_password_change_names_its_problem_and_keeps_the_session(people, login_as, data, message):
    boss = login_as("boss")
    response = boss.post("/account/password/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert boss.get("/account/").status_code == 200
    people.boss.refresh_from_db()
    assert people.boss.check_password(PASSWORD)


def test_the_profile_shows_whom_the_account_acts_for_and_saves_name_and_email(people, login_as):
    clerk = login_as("clerk")
    page = clerk.get("/account/").content.decode()
    assert "汕尾市红海湾进出口贸易有限公司" in page and people.ours.uscc in page and "操作员" in page

    clerk.post("/account/", {"display_name": "黄静文", "email": "Huang@Example.com"})

    people.clerk.refresh_from_db()
    assert (people.clerk.display_name, people.clerk.email) == ("黄静文", "huang@example.com")
    response = clerk.post("/account/", {"display_name": "黄静文", "email": "huang@"})
    assert response.status_code == 400 and "电子邮箱：电子邮箱格式不正确。" in response.content.decode()
    response = clerk.post("/account/", {"display_name": "<b>x</b>", "email": ""})
    assert response.status_code == 400 and "不能包含 &lt; &gt; 等标记" in response.content.decode()
    people.clerk.refresh_from_db()
    assert (people.clerk.display_name, people.clerk.email) == ("黄静文", "huang@example.com")


def test_a_new_mobile_is_verified_by_a_code_sent_to_it(people, login_as):
    boss = login_as("boss")
    response = boss.post("/account/mobile/", {"action": "send", "mobile": "139 0000 1111"}, follow=True)
    assert "验证码已发送至新手机号码 139****1111" in response.content.decode()
    people.boss.refresh_from_db()
    assert people.boss.mobile == "13729230657"  # not yet

    wrong = boss.post("/account/mobile/", {"action": "verify", "code": "00000"})
    assert wrong.status_code == 400 and "验证码不正确或已过期，请重新获取。" in wrong.content.decode()
    response = boss.post("/account/mobile/", {"action": "verify", "code": code_sent_to("13900001111")}, follow=True)

    assert "手机号码已更换为 139****1111。" in response.content.decode()
    people.boss.refresh_from_db()
    assert people.boss.mobile == "13900001111"
    event = AuditEvent.objects.get(action="account.mobile_change")
    assert event.data == {"from": "137****0657", "to": "139****1111"}


def test_a_mobile_code_is_bound_to_the_user_who_asked(people, login_as):
    login_as("boss").post("/account/mobile/", {"action": "send", "mobile": "13900001111"})
    clerk = login_as("clerk")
    clerk.post("/account/mobile/", {"action": "send", "mobile": "13900001111"})
    boss_code = VerificationCode.objects.filter(user=people.boss).get()
    assert boss_code.user == people.boss
    response = clerk.post("/account/mobile/", {"action": "verify", "code": code_sent_to("13900001111")})
    assert response.status_code == 302  # the clerk's own (newest) code works for the clerk ...
    people.boss.refresh_from_db()
    assert people.boss.mobile == "13729230657"  # ... and changes nothing of boss


def test_the_account_pages_need_a_login(db, client):
    for url in ("/account/", "/account/password/", "/account/mobile/", "/account/operators/"):
        assert client.get(url).url.startswith("/login/?next=")


def test_forms_show_no_errors_before_they_are_sent(people, login_as, client):
    boss = login_as("boss")
    for browser, url in ((boss, "/account/mobile/"), (boss, "/account/password/"), (boss, "/account/operators/add/"),
                         (client, "/register/"), (client, "/forgot-password/")):
        assert "提交未成功" not in browser.get(url).content.decode(), url
    response = client.post("/register/", {})
    assert response.status_code == 400 and "请填写统一社会信用代码。" in response.content.decode()
