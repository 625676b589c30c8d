"""The notice's operation guide, click by click, in chromium; then the insurer's approval reaches the popup."""
import pytest
from playwright.sync_api import expect

from singlewindow.policies.models import Policy, PolicyStatus

pytestmark = pytest.mark.browser


def confirm_pending_policy(portal, page):
    """From the list's 待确认 tab: 查看详情, fill the contacts, accept the agreement, 确认投保."""
    portal.row(page, portal.world.pending).get_by_role("link", name="查看详情").click()
    expect(page.get_by_role("heading", name="保单详情")).to_be_visible()
    portal.fill_contacts(page)
    box = portal.agreement_box(page)
    dialog = portal.open_agreement(page)
    expect(dialog).to_be_visible()
    expect(box).not_to_be_checked()
    dialog.get_by_role("button", name="已认真阅读以上内容并同意").click()
    expect(dialog).to_be_hidden()
    expect(box).to_be_checked()
    page.get_by_role("button", name="确认投保").click()
    expect(page.get_by_role("heading", name="确认投保已提交")).to_be_visible()
    expect(page.get_by_text(f"保单号 {portal.world.pending.number}")).to_be_visible()


def test_login_page_is_styled_and_offers_both_ways_in(portal, page):
    page.goto(f"{portal.url}/login/")
    expect(page.get_by_role("tablist")).to_have_css("display", "flex")  # bootstrap's .nav is a flexbox
    expect(page.get_by_role("button", name="登录", exact=True)).to_have_css("background-color", "rgb(13, 110, 253)")
    page.get_by_role("tab", name="卡介质").click()  # bootstrap's javascript switches the pane
    expect(page.get_by_role("tabpanel").get_by_role("link", name="客户端控件下载")).to_be_visible()
    for link in ("立即注册", "忘记密码", "忘记用户名"):
        expect(page.get_by_role("link", name=link, exact=True)).to_be_visible()


def test_enterprise_binds_confirms_and_sees_the_approval_without_reloading(portal, page, new_context):
    world = portal.world
    portal.login(page, "demo", "Demo@2020")
    portal.open_insurance(page)
    expect(page.get_by_role("heading", name="老用户账号绑定")).to_be_visible()
    portal.bind(page)

    expect(page.get_by_role("heading", name="小微企业在线投保系统")).to_be_visible()
    expect(page.get_by_text("账号绑定成功。")).to_be_visible()
    expect(portal.tab(page, "待确认", 1)).to_have_attribute("aria-current", "page")
    popup = portal.popup(page)
    waiting = popup.get_by_role("link", name="您有 1 份“待确认”保单，点击查看")
    expect(waiting).to_be_visible()
    corner = popup.bounding_box()
    assert corner["x"] > 1280 / 2 and corner["y"] > 900 / 2  # the lower-right corner of the 1280×900 window
    portal.tab(page, "审批中", 0).click()
    expect(page.get_by_text("暂无“审批中”的保单。")).to_be_visible()
    waiting.click()
    expect(portal.tab(page, "待确认", 1)).to_have_attribute("aria-current", "page")

    confirm_pending_policy(portal, page)
    page.get_by_role("link", name="查看审批中的保单").click()
    expect(portal.tab(page, "审批中", 1)).to_have_attribute("aria-current", "page")
    expect(portal.row(page, world.pending)).to_contain_text("审批中")

    insurer = portal.insurer_page(new_context)
    expect(portal.tab(insurer, "审批中")).to_have_attribute("aria-current", "page")
    portal.row(insurer, world.pending).get_by_role("link", name="查看详情").click()
    expect(insurer.get_by_text("李锐 / 13729230657")).to_be_visible()
    insurer.get_by_role("button", name="审批通过").click()
    expect(insurer.get_by_role("note")).to_contain_text("审批通过后保单即时生效")
    insurer.get_by_role("button", name="确认审批通过").click()
    expect(insurer.get_by_text(f"保单 {world.pending.number} 已审批通过，已生效。")).to_be_visible()

    page.evaluate("window.swSamePage = true")
    portal.refresh_popup(page)  # the enterprise's page is still open: htmx would do this within 20 s
    approved = popup.get_by_role("link", name=f"保单 {world.pending.number}：已生效")
    expect(approved).to_be_visible()
    assert page.evaluate("window.swSamePage") is True  # updated in place, not reloaded
    expect(portal.row(page, world.pending)).to_be_hidden()  # the list reloaded with the popup: it left 审批中
    approved.click()
    expect(page.get_by_role("heading", name="保单详情")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="保单已生效")).to_be_visible()


def test_enterprise_without_a_local_account_registers_one_on_the_way(portal, page):
    portal.login(page, "demo", "Demo@2020")
    portal.open_insurance(page)
    portal.quick_register(page, "hongha2020")
    expect(page.get_by_text("本地账号注册并绑定成功。")).to_be_visible()
    expect(portal.tab(page, "待确认", 1)).to_have_attribute("aria-current", "page")
    confirm_pending_policy(portal, page)
    assert Policy.objects.get(pk=portal.world.pending.pk).status == PolicyStatus.CONFIRMED


def test_a_bad_phone_is_explained_next_to_the_field_and_the_typing_is_kept(portal, page):
    portal.enter_as(page, "demo")
    portal.row(page, portal.world.pending).get_by_role("link", name="查看详情").click()
    portal.fill_contacts(page, name="李锐", phone="12345")
    portal.accept_agreement(page)
    page.get_by_role("button", name="确认投保").click()

    phone = portal.field(page, "联系电话")
    expect(phone).to_have_value("12345")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_accessible_description(
        "联系电话格式不正确：请填写11位手机号，或带区号的固定电话（如 0660-3379016）。")
    expect(portal.field(page, "联系人")).to_have_value("李锐")
    assert Policy.objects.get(pk=portal.world.pending.pk).status == PolicyStatus.PENDING


def test_closing_the_agreement_without_agreeing_leaves_it_unaccepted(portal, page):
    portal.enter_as(page, "demo")
    portal.row(page, portal.world.pending).get_by_role("link", name="查看详情").click()
    portal.fill_contacts(page)
    box = portal.agreement_box(page)
    dialog = portal.open_agreement(page)
    dialog.get_by_role("button", name="关闭").first.click()
    expect(dialog).to_be_hidden()
    expect(box).not_to_be_checked()

    page.get_by_role("button", name="确认投保").click()
    refusal = "请先阅读并同意《中国出口信用保险公司客户网上服务协议》。"
    expect(page.get_by_role("alert")).to_contain_text(refusal)
    expect(box).not_to_be_checked()
    expect(page.locator(".form-check").filter(has=box)).to_contain_text(refusal)  # said next to the box too
    expect(portal.field(page, "联系人")).to_have_value("李锐")
    assert Policy.objects.get(pk=portal.world.pending.pk).status == PolicyStatus.PENDING
