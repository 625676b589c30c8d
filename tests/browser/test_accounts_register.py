"""立即注册 in chromium: the form, the SMS code read from the outbox, login, then 老用户账号绑定."""
import re

import pytest
from playwright.sync_api import expect

from singlewindow.accounts.models import User
from singlewindow.enterprises.identifiers import make_uscc
from singlewindow.notifications.models import OutboundMessage

pytestmark = pytest.mark.browser

USCC = make_uscc("91", "441502", "MA5FXXXX")


def code_sent_to(recipient):
    """The code as the person reads it on the phone: the newest outbox message to that number."""
    message = OutboundMessage.objects.filter(recipient=recipient).order_by("-id").first()
    return re.search(r"验证码：(\d{6})", message.body).group(1)


def fill_registration(portal, page, uscc):
    page.goto(f"{portal.url}/login/")
    page.get_by_role("link", name="立即注册", exact=True).click()
    expect(page.get_by_role("heading", name="立即注册")).to_be_visible()
    portal.field(page, "统一社会信用代码").fill(uscc)
    portal.field(page, "企业名称").fill("汕尾市品清湖海产有限公司")
    portal.field(page, "所在县区").select_option("441502")
    portal.field(page, "法定代表人").fill("蔡明")
    portal.field(page, "联系手机").fill("139 1234 5678")
    portal.field(page, "电子邮箱").fill("caiming@example.com")
    portal.field(page, "用户名").fill("pinqing")
    portal.field(page, "密码").fill("Tide2024sea")
    portal.field(page, "确认密码").fill("Tide2024sea")
    page.get_by_role("button", name="获取短信验证码").click()


def test_register_with_the_sms_code_then_log_in_and_bind(portal, page):
    # Typed as people do: lower case, with spaces and a hyphen.
    fill_registration(portal, page, f"{USCC[:8].lower()} {USCC[8:12].lower()}-{USCC[12:].lower()}")
    expect(page.get_by_text("短信验证码已发送至 139****5678，10分钟内有效。")).to_be_visible()
    assert not User.objects.filter(username="pinqing").exists()

    portal.field(page, "验证码").fill(code_sent_to("13912345678"))
    page.get_by_role("button", name="完成注册").click()

    expect(page.get_by_text(f"注册成功：汕尾市品清湖海产有限公司（{USCC}）")).to_be_visible()
    portal.login(page, "pinqing", "Tide2024sea")
    banner = page.get_by_role("status").filter(has_text="当前企业")
    expect(banner).to_contain_text("汕尾市品清湖海产有限公司")
    expect(banner).to_contain_text(USCC)
    portal.open_insurance(page)
    portal.quick_register(page, "pinqing_local", phone="13912345678")
    expect(page.get_by_role("heading", name="小微企业在线投保系统")).to_be_visible()
    expect(page.get_by_text("保单出具给被保险企业本身的账号。")).to_be_visible()  # nothing issued to it yet


def test_an_organisation_code_already_registered_shows_the_ways_forward(portal, page):
    existing = portal.world.demo.enterprise
    fill_registration(portal, page, make_uscc("92", "441521", existing.org_code[:8]))

    ways = page.get_by_role("alert").filter(has=page.get_by_role("heading", name="组织机构代码已存在"))
    expect(ways).to_be_visible()
    ways.get_by_role("link", name="忘记用户名").click()
    expect(page.get_by_role("heading", name="忘记用户名")).to_be_visible()
    assert not User.objects.filter(username="pinqing").exists()


def test_a_username_found_taken_after_the_code_is_changed_on_the_same_page(portal, page):
    User.objects.create_user("pinqing", role="operator")
    fill_registration(portal, page, USCC)
    expect(page.get_by_text("短信验证码已发送至 139****5678，10分钟内有效。")).to_be_visible()  # nothing said yet

    portal.field(page, "验证码").fill(code_sent_to("13912345678"))
    page.get_by_role("button", name="完成注册").click()
    expect(page.get_by_role("alert")).to_contain_text("用户名“pinqing”已被使用，请换一个。")
    portal.field(page, "用户名").fill("pinqing_sea")
    page.get_by_role("button", name="完成注册").click()

    expect(page.get_by_text(f"注册成功：汕尾市品清湖海产有限公司（{USCC}）")).to_be_visible()
    assert User.objects.get(username="pinqing_sea").enterprise.uscc == USCC
