"""忘记密码 / 忘记用户名 in chromium, with the code read from the outbox; strangers see the same pages."""
import pytest
from playwright.sync_api import expect

from .test_accounts_register import code_sent_to

pytestmark = pytest.mark.browser

DEMO_MOBILE = "13729230657"   # demo's registered mobile
STRANGER = "13711110657"      # nobody's, masked alike: 137****0657


def ask_for_code(portal, page, link, recipient):
    page.goto(f"{portal.url}/login/")
    page.get_by_role("link", name=link, exact=True).click()
    portal.field(page, "手机号码或电子邮箱").fill(recipient)
    page.get_by_role("button", name="获取验证码").click()


def test_a_forgotten_password_is_reset_with_the_sms_code(portal, page):
    ask_for_code(portal, page, "忘记密码", DEMO_MOBILE)
    expect(page.get_by_text("如果 137****0657 是已登记的手机号码，验证码已通过短信发送，10分钟内有效。")).to_be_visible()
    portal.field(page, "验证码").fill(code_sent_to(DEMO_MOBILE))
    page.get_by_role("button", name="下一步").click()

    expect(page.get_by_role("heading", name="忘记密码 · 设置新密码")).to_be_visible()
    account = page.get_by_role("radio", name="demo · 汕尾市红海湾进出口贸易有限公司", exact=False)
    expect(account).to_be_checked()
    portal.field(page, "新密码").fill("Harbour2025x")
    portal.field(page, "确认新密码").fill("Harbour2025x")
    page.get_by_role("button", name="重置密码").click()

    expect(page.get_by_text("账号 demo 的密码已重置，请用新密码登录。")).to_be_visible()
    portal.login(page, "demo", "Harbour2025x")


def test_a_forgotten_username_is_shown_with_its_enterprise_after_the_email_code(portal, page):
    ask_for_code(portal, page, "忘记用户名", "lirui@example.com")
    expect(page.get_by_text("如果 l***@example.com 是已登记的电子邮箱，验证码已发送到该邮箱，10分钟内有效。")).to_be_visible()
    portal.field(page, "验证码").fill(code_sent_to("lirui@example.com"))
    page.get_by_role("button", name="下一步").click()

    row = page.get_by_role("row").filter(has_text="demo")
    expect(row).to_contain_text("汕尾市红海湾进出口贸易有限公司")
    expect(row).to_contain_text(portal.world.demo.enterprise.uscc)


@pytest.mark.parametrize("link", ["忘记密码", "忘记用户名"])
def test_a_stranger_reads_exactly_what_an_account_holder_reads(portal, page, new_context, link):
    stranger = new_context().new_page()
    ask_for_code(portal, page, link, DEMO_MOBILE)
    ask_for_code(portal, stranger, link, STRANGER)
    assert page.url == stranger.url
    assert page.locator("main").inner_text() == stranger.locator("main").inner_text()

    real = code_sent_to(DEMO_MOBILE)
    wrong = "000000" if real != "000000" else "111111"
    for each in (page, stranger):
        portal.field(each, "验证码").fill(wrong)
        each.get_by_role("button", name="下一步").click()
    expect(page.get_by_role("alert")).to_contain_text("验证码不正确或已过期，请重新获取。")
    assert page.locator("main").inner_text() == stranger.locator("main").inner_text()
