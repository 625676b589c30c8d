"""立即注册's code check (issue 11 #6): the code alone tells whether it is registered, rate-limited, nothing more;
an enterprise known only from the customs list is not told it has an account."""
import re

import pytest

from singlewindow.accounts import services
from singlewindow.enterprises.identifiers import make_uscc
from singlewindow.enterprises.models import Enterprise
from singlewindow.notifications.models import OutboundMessage
from singlewindow.policies.tests.conftest import page_text


@pytest.fixture
def customs_only(db):
    return Enterprise.objects.create(uscc=make_uscc("91", "441521", "97531864"), name="海丰县首开外贸有限公司",
                                     region_id="441521")


def check(client, uscc):
    return page_text(client.post("/register/check/", {"uscc": uscc}))


def test_a_registered_code_says_so_and_nothing_of_the_enterprise(world, client):
    text = check(client, world.demo.enterprise.uscc)
    assert "组织机构代码已存在" in text and "忘记用户名" in text
    assert world.demo.enterprise.name not in text


def test_an_unknown_code_may_go_on(world, client):
    assert "该统一社会信用代码尚未注册" in check(client, make_uscc("91", "441521", "24681357"))


def test_a_malformed_code_is_named_not_judged(world, client):
    text = check(client, "91441521ABC")
    assert "组织机构代码已存在" not in text and "尚未注册" not in text and "统一社会信用代码" in text


def test_a_customs_only_enterprise_is_not_told_it_has_an_account(world, client, customs_only):
    text = check(client, customs_only.uscc)
    assert "组织机构代码已存在" not in text
    assert "该企业尚未开通单一窗口账号" in text and "法人卡" in text and customs_only.name not in text


def test_the_full_form_refuses_a_customs_only_code_before_any_sms(world, client, customs_only):
    sent = OutboundMessage.objects.count()
    response = client.post("/register/", {
        "uscc": customs_only.uscc, "name": "冒名公司", "region": "441521", "legal_representative": "张三",
        "mobile": "13800138999", "email": "x@example.com", "username": "maoming1", "password": "Qx7kLm2pZ",
        "password2": "Qx7kLm2pZ"})
    assert response.status_code == 400
    text = page_text(response)
    assert "第一个账号须用本企业的电子口岸法人卡登录开通" in text and "该企业尚未开通单一窗口账号" in text
    assert OutboundMessage.objects.count() == sent
    assert Enterprise.objects.get(pk=customs_only.pk).name == "海丰县首开外贸有限公司"


def test_enter_in_the_form_still_asks_for_the_sms_code_not_the_check(world, client):
    """The check button is type=button: the form's default (Enter) stays 获取短信验证码."""
    html = client.get("/register/").content.decode()
    buttons = re.findall(r"<button[^>]*>", html[html.index('<form method="post"'):])
    assert 'type="button"' in buttons[0] and "hx-post" in buttons[0]
    assert next(b for b in buttons if 'type="submit"' in b)


def test_checks_are_limited_per_address(world, client):
    for _ in range(services.CODE_CHECKS_PER_HOUR):
        assert "查询过于频繁" not in check(client, world.demo.enterprise.uscc)
    text = check(client, world.demo.enterprise.uscc)
    assert "查询过于频繁，请一小时后再试。" in text and "组织机构代码已存在" not in text


def test_the_check_is_a_post_with_the_csrf_token(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/register/check/", {"uscc": world.demo.enterprise.uscc}).status_code == 403
    assert strict.get("/register/check/").status_code == 405


def test_a_full_registration_counts_against_the_same_limit(world, client):
    """立即注册's refusal tells the code's standing too, so it cannot be used to walk the register past the limit."""
    for _ in range(services.CODE_CHECKS_PER_HOUR):
        check(client, world.demo.enterprise.uscc)
    response = client.post("/register/", {
        "uscc": world.demo.enterprise.uscc, "name": "甲公司", "region": "441521", "legal_representative": "张三",
        "mobile": "13800138999", "email": "x@example.com", "username": "jiagongsi1", "password": "Qx7kLm2pZ",
        "password2": "Qx7kLm2pZ"})
    text = page_text(response)
    assert "查询过于频繁，请一小时后再试。" in text and "组织机构代码已存在" not in text
