"""Browser helpers: a `portal` that walks the notice's steps in a real chromium page.

Every helper goes through the pages as a person would (labels, roles, visible text), so a test reads like
the notice's operation guide.
"""
import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

REFRESH_POPUP = "document.body.dispatchEvent(new Event('sw:refresh'))"


class Portal:
    def __init__(self, url, world):
        self.url = url
        self.world = world

    # --- any party ------------------------------------------------------------
    @staticmethod
    def field(scope, label):
        """The input labelled `label` (a required field's label ends with an asterisk)."""
        return scope.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))

    def login(self, page: Page, username, password):
        page.goto(f"{self.url}/login/")
        page.get_by_role("tab", name="账号密码").click()
        self.field(page, "用户名").fill(username)
        self.field(page, "密码").fill(password)
        page.get_by_role("button", name="登录", exact=True).click()
        # On a phone 退出 is folded behind 菜单 with the rest of the header.
        expect(page.get_by_role("button", name="退出").or_(page.get_by_role("button", name="菜单"))).to_be_visible()

    @staticmethod
    def open_menu(page: Page):
        """On a phone the header's tools and menu fold behind 菜单; unfold them (no-op on a desktop)."""
        menu = page.get_by_role("button", name="菜单")
        if menu.is_visible() and menu.get_attribute("aria-expanded") != "true":
            menu.click()
            expect(page.get_by_role("navigation", name="主导航")).to_be_visible()

    # --- enterprise -------------------------------------------------------------
    def open_insurance(self, page: Page):
        """地方特色应用 → 金融服务 → 出口信用 → 小微企业在线投保 (on a phone, through 菜单 first)."""
        self.open_menu(page)
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="地方特色应用").click()
        page.get_by_role("tab", name="金融服务").click()
        page.get_by_role("button", name="出口信用").click()
        page.get_by_role("link", name="小微企业在线投保", exact=True).click()

    def bind(self, page: Page, username="swdemo", password="Local@2020"):
        expect(page.get_by_role("heading", name="老用户账号绑定")).to_be_visible()
        form = page.get_by_role("region", name="账号绑定")
        self.field(form, "本地账号").fill(username)
        self.field(form, "本地账号密码").fill(password)
        form.get_by_role("button", name="账号绑定").click()

    def quick_register(self, page: Page, username, password="Local@2020", phone="13729230657"):
        expect(page.get_by_role("heading", name="老用户账号绑定")).to_be_visible()
        form = page.get_by_role("region", name="快速注册")
        self.field(form, "本地账号").fill(username)
        self.field(form, "密码").fill(password)
        self.field(form, "联系人").fill("陈芳")
        self.field(form, "联系电话").fill(phone)
        form.get_by_role("button", name="快速注册").click()

    def enter_as(self, page: Page, username, *, register_as=None):
        """Log in, walk to 小微企业在线投保 and bind (or 快速注册) on the way: the list opens on its first tab with a policy."""
        self.login(page, username, "Demo@2020")
        self.open_insurance(page)
        if register_as:
            self.quick_register(page, register_as)
        else:
            self.bind(page)
        expect(page.get_by_role("heading", name="小微企业在线投保系统")).to_be_visible()

    def tab(self, page: Page, label, count=None):
        """A status tab of a policy list; its name is the status and the count."""
        name = f"{label} {count}" if count is not None else re.compile(rf"^{label} \d+$")
        return page.get_by_role("link", name=name, exact=True)

    def row(self, page: Page, policy):
        return page.get_by_role("row").filter(has_text=policy.number)

    def agreement_box(self, page: Page):
        return page.get_by_role("checkbox", name=re.compile("^已认真阅读以上内容并同意"))

    def agreement_dialog(self, page: Page):
        return page.get_by_role("dialog", name="中国出口信用保险公司客户网上服务协议")

    def open_agreement(self, page: Page):
        """Tick the box, which opens the agreement; return the dialog once it has finished opening.

        Bootstrap ignores a close while the dialog is still fading in, and no reader is that quick; waiting
        for its `shown.bs.modal` event keeps the test from being quicker than a person."""
        modal = page.locator("#agreement-dialog")
        modal.evaluate("el => { el.swShown = new Promise(done => el.addEventListener('shown.bs.modal', done, "
                       "{once: true})); }")
        self.agreement_box(page).click()
        modal.evaluate("el => el.swShown")
        return self.agreement_dialog(page)

    def accept_agreement(self, page: Page):
        self.open_agreement(page).get_by_role("button", name="已认真阅读以上内容并同意").click()
        expect(self.agreement_box(page)).to_be_checked()

    def fill_contacts(self, page: Page, name="李锐", phone="13729230657"):
        self.field(page, "联系人").fill(name)
        self.field(page, "联系电话").fill(phone)

    def popup(self, page: Page):
        return page.get_by_role("region", name="通知")

    def refresh_popup(self, page: Page):
        """What htmx does every 20 s, asked for now (once the page's own first requests are done)."""
        page.wait_for_load_state("networkidle")
        try:
            page.evaluate(REFRESH_POPUP)
        except PlaywrightError as error:  # the answer navigated away (a session that timed out): what tests look for
            if "Execution context was destroyed" not in str(error):
                raise

    # --- insurer ------------------------------------------------------------------
    def insurer_page(self, new_context):
        page = new_context().new_page()
        self.login(page, "insurer", "Insurer@2020")
        expect(page.get_by_role("heading", name="保单审批")).to_be_visible()
        return page


@pytest.fixture
def portal(live_server, live_world):
    return Portal(live_server.url, live_world)


@pytest.fixture(autouse=True)
def no_content_security_policy_violation(request):
    """Every journey runs under the site's Content-Security-Policy: a script or style it refuses fails the test."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield
    assert refused == []
