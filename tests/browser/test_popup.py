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
    expect(popup.get_by_role("link", name=f"保单已生效：{world.pending.number}")).to_be_visible()
    reload_and_wait_for_popup(page)
    expect(popup).to_be_visible()


@pytest.mark.parametrize("line", ["保单被退回：{number}", "您有 1 份“已退回”保单，点击查看"])
def test_each_line_of_the_popup_opens_its_tab(portal, page, line):
    returned = portal.world.returned
    portal.enter_as(page, "demo2", register_as="meilong2020")
    expect(portal.tab(page, "待确认")).to_have_attribute("aria-current", "page")
    portal.popup(page).get_by_role("link", name=line.format(number=returned.number)).click()
    expect(portal.tab(page, "已退回", 1)).to_have_attribute("aria-current", "page")
    expect(portal.row(page, returned)).to_contain_text("已退回")
