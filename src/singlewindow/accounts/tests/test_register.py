"""立即注册: the unified social credit code, the form's rules, the SMS code, one enterprise per code."""
import re

import pytest
from django.test import Client

from singlewindow.accounts.models import User
from singlewindow.audit.models import AuditEvent
from singlewindow.enterprises.identifiers import make_uscc
from singlewindow.enterprises.models import Enterprise
from singlewindow.notifications.models import OutboundMessage

from .conftest import code_sent_to


@pytest.mark.parametrize("uscc", [
    make_uscc("91", "441502", "MA5FXXXX"),    # a company registered after 2015 (MA… organisation code)
    make_uscc("92", "441521", "22345678"),    # 个体工商户
    make_uscc("93", "441523", "L2345678"),    # 农民专业合作社
    make_uscc("12", "441581", "00000001"),    # 事业单位
    make_uscc("51", "441502", "MJ000001"),    # 社会团体
    " " + "-".join([make_uscc("91", "441502", "MA5FXXXX")[:8], make_uscc("91", "441502", "MA5FXXXX")[8:]]).lower(),
])
def test_it_registers_codes_of_several_kinds(people, company, register, uscc):
    response = register({**company, "uscc": uscc})

    assert response.status_code == 302 and response.url == "/login/"
    normalised = uscc.replace("-", "").replace(" ", "").upper()
    enterprise = Enterprise.objects.get(uscc=normalised)
    assert (enterprise.org_code, enterprise.name, enterprise.region_id) == (normalised[8:17], company["name"], "441502")
    user = User.objects.get(username="pinqing")
    assert user.enterprise == enterprise and user.is_enterprise_admin and user.check_password("Tide2024sea")
    assert (user.mobile, user.email, user.display_name) == ("13912345678", "caiming@example.com", "蔡明")
    actions = set(AuditEvent.objects.filter(actor=user).values_list("action", flat=True))
    assert actions == {"enterprise.register", "account.register"}


def test_it_says_so_on_the_login_page_and_the_new_account_logs_in(people, company, register, client):
    register(company)
    page = client.get("/login/").content.decode()
    assert "注册成功：汕尾市品清湖海产有限公司" in page and "请使用用户名 pinqing" in page
    response = client.post("/login/", {"username": "pinqing", "password": "Tide2024sea"})
    assert response.status_code == 302
    banner = client.get("/").content.decode()
    assert "汕尾市品清湖海产有限公司" in banner and company["uscc"] in banner  # whom the new account acts for


@pytest.mark.parametrize(("uscc", "message"), [
    ("", "请填写统一社会信用代码。"),
    ("91441502MA5F", "统一社会信用代码应为18位，当前为12位。"),
    (make_uscc("91", "441502", "MA5FXXXX")[:17] + "0", "统一社会信用代码格式或校验位不正确。"),
    ("91441502MA5FXXXX!9", "统一社会信用代码格式或校验位不正确。"),
])
def test_it_refuses_malformed_codes_and_creates_nothing(people, company, client, uscc, message):
    before = (Enterprise.objects.count(), User.objects.count(), OutboundMessage.objects.count())

    response = client.post("/register/", {**company, "uscc": uscc})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert (Enterprise.objects.count(), User.objects.count(), OutboundMessage.objects.count()) == before


def test_it_refuses_a_code_whose_organisation_code_check_digit_is_wrong(people, company, client):
    from stdnum.cn import uscc as stdnum_uscc

    good = make_uscc("91", "441502", "MA5FXXXX")
    body = good[:16] + ("0" if good[16] != "0" else "1")  # a wrong GB 11714 check character ...
    bad = body + stdnum_uscc.calc_check_digit(body)  # ... behind a right GB 32100 check character
    response = client.post("/register/", {**company, "uscc": bad})

    assert response.status_code == 400
    assert "统一社会信用代码中的组织机构代码（第9至17位）校验不正确。" in response.content.decode()
    assert not Enterprise.objects.filter(uscc=bad).exists()


@pytest.mark.parametrize("prefix", ["91", "92"])
def test_an_organisation_code_already_registered_offers_the_ways_forward(people, company, client, prefix):
    existing = people.ours
    same_org = make_uscc(prefix, "441521", existing.org_code[:8])  # same organisation code, other prefix/region
    before = (Enterprise.objects.count(), User.objects.count(), OutboundMessage.objects.count())

    response = client.post("/register/", {**company, "uscc": same_org})

    page = response.content.decode()
    assert response.status_code == 400
    assert "组织机构代码已存在" in page
    for way in ('href="/forgot-username/"', 'href="/forgot-password/"', 'href="/login/"', "卡介质", "老用户账号绑定", "95198"):
        assert way in page
    assert (Enterprise.objects.count(), User.objects.count(), OutboundMessage.objects.count()) == before


def test_nothing_is_created_before_the_sms_code_matches(people, company, client):
    response = client.post("/register/", company)
    assert response.status_code == 302 and response.url == "/account/register/verify/"
    assert not Enterprise.objects.filter(uscc=company["uscc"]).exists()
    page = client.get("/account/register/verify/").content.decode()
    assert "短信验证码已发送至 139****5678" in page and "提交未成功" not in page

    code = code_sent_to("13912345678")
    wrong = "000000" if code != "000000" else "111111"
    response = client.post("/account/register/verify/", {"code": wrong, "action": "verify"})

    assert response.status_code == 400
    assert "验证码不正确或已过期，请重新获取。" in response.content.decode()
    assert not Enterprise.objects.filter(uscc=company["uscc"]).exists()
    assert not User.objects.filter(username="pinqing").exists()


def test_a_code_is_used_once_and_only_the_newest_counts(people, company, register, client):
    register(company)
    used = code_sent_to("13912345678")
    second = {**company, "uscc": make_uscc("91", "441502", "MA5FYYYY"), "username": "pinqing2"}
    client.post("/register/", second)

    response = client.post("/account/register/verify/", {"code": used, "action": "verify"})

    assert response.status_code == 400
    assert not User.objects.filter(username="pinqing2").exists()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("username", "9abc", "用户名须为4至30位字母、数字或下划线，并以字母开头。"),
    ("password", "abcdefghij", "密码须同时包含字母和数字。"),
    ("password", "12345678", "密码须同时包含字母和数字。"),
    ("password", "ab12", "密码太短，至少需要8位。"),
    ("mobile", "0660-3379016", "请填写11位手机号码（验证码通过短信发送，不能使用固定电话）。"),
    ("mobile", "1381234567", "联系电话格式不正确"),
    ("email", "caiming@", "电子邮箱格式不正确。"),
    ("name", "", "请填写企业名称。"),
    ("legal_representative", "", "请填写法定代表人。"),
    ("region", "", "请选择企业所在县区。"),
    ("region", "441500", "请选择企业所在县区。"),
])
def test_each_field_names_its_problem(people, company, client, field, value, message):
    data = {**company, field: value}
    if field == "password":
        data["password2"] = value
    response = client.post("/register/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Enterprise.objects.filter(uscc=company["uscc"]).exists()


def test_passwords_must_match_and_what_was_typed_is_kept(people, company, client):
    response = client.post("/register/", {**company, "password2": "Other2024x"})
    page = response.content.decode()
    assert "两次输入的密码不一致。" in page
    assert 'value="汕尾市品清湖海产有限公司"' in page and 'value="441502" selected' in page
    assert "Tide2024sea" not in page


def test_the_form_states_the_password_policy_and_groups_counties_by_city(people, client):
    page = client.get("/register/").content.decode()
    assert "密码8至64位，须同时包含字母和数字" in page
    assert '<optgroup label="汕尾市">' in page and ">海丰县</option>" in page


def test_resending_the_code_is_rate_limited_with_a_message(people, company, client):
    client.post("/register/", company)
    for _ in range(4):
        assert client.post("/account/register/verify/", {"action": "resend"}).status_code == 302
    response = client.post("/account/register/verify/", {"action": "resend"}, follow=True)
    assert "获取验证码过于频繁，请1小时后再试。" in response.content.decode()
    assert OutboundMessage.objects.filter(recipient="13912345678").count() == 5


def test_a_username_taken_while_the_code_was_on_its_way_creates_nothing(people, company, client):
    client.post("/register/", company)
    User.objects.create_user("pinqing", password="Other2024x", role="staff")

    response = client.post("/account/register/verify/", {"code": code_sent_to("13912345678"), "action": "verify"})

    assert response.status_code == 400 and "用户名“pinqing”已被使用，请换一个。" in response.content.decode()
    assert not Enterprise.objects.filter(uscc=company["uscc"]).exists()


def page_text(response, username):
    """What a person reads, with the username they typed (and CSRF tokens) left out."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"', "", response.content.decode())
    return page.replace(username, "…")


@pytest.mark.parametrize("taken", ["boss", "BOSS", "Clerk", "sw_admin", "SW_ADMIN", "insurer_sz"])
def test_without_the_sms_code_a_taken_username_gets_the_same_answers_as_a_free_one(people, company, taken):
    User.objects.create_user("insurer_sz", role="insurer")  # staff accounts are as unlisted as any
    answers = []
    for username in (taken, "freename1"):
        client = Client()
        first = client.post("/register/", {**company, "username": username})
        page = client.get(first.url)
        wrong = client.post("/account/register/verify/", {"code": "000000", "action": "verify"})
        answers.append([first.status_code, first.url, page_text(page, username), page_text(wrong, username)])
    assert answers[0] == answers[1]
    assert answers[0][:2] == [302, "/account/register/verify/"] and "已被使用" not in answers[0][3]
    assert OutboundMessage.objects.filter(recipient=company["mobile"]).count() == 2  # a code to each


def test_a_taken_username_is_told_with_the_right_code_and_another_is_chosen_with_it(people, company, client):
    client.post("/register/", {**company, "username": "boss"})
    code = code_sent_to(company["mobile"])

    response = client.post("/account/register/verify/", {"code": code, "action": "verify"})
    assert response.status_code == 400 and "用户名“boss”已被使用，请换一个。" in response.content.decode()
    assert re.search(r'name="username"[^>]*value="boss"', response.content.decode())
    assert not Enterprise.objects.filter(uscc=company["uscc"]).exists()

    response = client.post("/account/register/verify/", {"code": code, "username": "pinqing", "action": "verify"})
    assert response.status_code == 302 and response.url == "/login/"
    assert User.objects.get(username="pinqing").enterprise.uscc == company["uscc"]


def test_one_code_tries_at_most_five_usernames(people, company, client):
    client.post("/register/", {**company, "username": "boss"})
    code = code_sent_to(company["mobile"])
    for taken in ("boss", "clerk", "rival", "sw_admin", "BOSS"):
        response = client.post("/account/register/verify/", {"code": code, "username": taken, "action": "verify"})
        assert "已被使用" in response.content.decode()

    response = client.post("/account/register/verify/", {"code": code, "username": "rival", "action": "verify"})
    assert "验证码输错次数过多，请重新获取。" in response.content.decode() and "已被使用" not in response.content.decode()
    response = client.post("/account/register/verify/", {"code": code, "username": "pinqing", "action": "verify"})
    assert response.status_code == 400 and not User.objects.filter(username="pinqing").exists()
