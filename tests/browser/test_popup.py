"""The lower-right 通知 popup in chromium: dismissed it stays away until something new happens; each line
opens the tab it speaks of."""
import pytest
from playwright.sync_api import expect

from singlewindow.policies import services

pytestmark = pytest.mark.browser


def reload_and_wait_for_popup(page):
    """Reload, and let htmx's on-load request for the popup come back before looking."""
    with page.expect_response("**/notices/popup/"):
        page.reload()


def test_a_dismissed_popup_stays_hidden_until_a_new_event(portal, page):
    world = portal.world
    portal.enter_as(page, "demo")
    popup = portal.popup(page)
    expect(popup).to_contain_text("您有 1 份“待确认”保单，点击查看")
    popup.get_by_role("button", name="关闭").click()
    expect(popup).to_be_hidden()
    reload_and_wait_for_popup(page)
    expect(popup).to_be_hidden()
    expect(portal.tab(page, "待确认", 1)).to_be_visible()  # the policy still waits; only the popup is gone

    services.confirm(world.demo, world.pending.pk, contact_name="李锐", contact_phone="13729230657",
                     agreement_sha256=world.scheme.agreement.sha256)
    reload_and_wait_for_popup(page)
    expect(popup).to_be_hidden()  # the enterprise's own confirmation is not news to it

    services.approve(world.insurer, world.pending.pk)
    portal.refresh_popup(page)
    expect(popup.get_by_role("link", name=f"保单 {world.pending.number}：已生效")).to_be_visible()
    reload_and_wait_for_popup(page)
    expect(popup).to_be_visible()


def test_a_tab_line_of_the_popup_opens_its_tab(portal, page):
    returned = portal.world.returned
    portal.enter_as(page, "demo2", register_as="meilong2020")
    expect(portal.tab(page, "已退回", 1)).to_have_attribute("aria-current", "page")  # its only policy's tab
    portal.tab(page, "待确认", 0).click()
    expect(portal.tab(page, "待确认", 0)).to_have_attribute("aria-current", "page")
    portal.popup(page).get_by_role("link", name="您有 1 份“已退回”保单，点击查看").click()
    expect(portal.tab(page, "已退回", 1)).to_have_attribute("aria-current", "page")
    expect(portal.row(page, returned)).to_contain_text("已退回")


def test_a_policy_line_of_the_popup_opens_the_policy(portal, page):
    returned = portal.world.returned
    portal.enter_as(page, "demo2", register_as="meilong2020")
    portal.popup(page).get_by_role("link", name=f"保单 {returned.number}：已退回").click()
    expect(page.get_by_role("heading", name="保单详情")).to_be_visible()
    expect(page.get_by_text(returned.number).first).to_be_visible()


def test_when_the_popup_learns_of_an_approval_the_list_shows_it_without_a_reload(portal, page):
    world = portal.world
    portal.enter_as(page, "demo")
    services.confirm(world.demo, world.pending.pk, contact_name="李锐", contact_phone="13729230657",
                     agreement_sha256=world.scheme.agreement.sha256)
    page.goto(f"{portal.url}/insure/?status=confirmed")
    expect(portal.row(page, world.pending)).to_contain_text("审批中")
    portal.refresh_popup(page)  # the popup has seen everything so far
    page.wait_for_load_state("networkidle")

    services.approve(world.insurer, world.pending.pk)
    portal.refresh_popup(page)
    expect(portal.popup(page)).to_contain_text(f"保单 {world.pending.number}：已生效")
    expect(portal.tab(page, "已生效")).to_contain_text("1")
    expect(portal.tab(page, "审批中")).to_contain_text("0")
    expect(portal.row(page, world.pending)).to_be_hidden()  # it left the 审批中 tab


def test_the_message_centre_keeps_what_the_popup_showed(portal, page):
    world = portal.world
    portal.enter_as(page, "demo2", register_as="meilong2020")
    portal.popup(page).get_by_role("button", name="关闭").click()
    page.get_by_role("link", name="消息中心").first.click()
    expect(page.get_by_role("heading", name="消息中心")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=world.returned.number).filter(has_text="保单被退回")
    expect(row).to_contain_text("未读")
    row.get_by_role("button", name="查看保单").click()
    expect(page.get_by_role("heading", name="保单详情")).to_be_visible()
    page.go_back()
    page.reload()
    expect(page.get_by_role("row").filter(has_text=world.returned.number).filter(has_text="保单被退回")
           ).not_to_contain_text("未读")


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1366, "height": 768}])
def test_the_popup_never_covers_a_form_field(portal, browser, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    portal.enter_as(page, "demo")
    page.goto(f"{portal.url}/insure/{portal.world.pending.pk}/")
    popup = portal.popup(page)
    expect(popup).to_be_visible()
    for field in page.locator("main input:visible, main textarea:visible, main select:visible").all():
        field.scroll_into_view_if_needed()
        box, other = popup.bounding_box(), field.bounding_box()
        overlap = (box["x"] < other["x"] + other["width"] and other["x"] < box["x"] + box["width"]
                   and box["y"] < other["y"] + other["height"] and other["y"] < box["y"] + box["height"])
        assert not overlap, f"the popup covers {field.get_attribute('name')}"
    context.close()
