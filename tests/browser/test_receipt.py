"""确认回执 after 确认投保: on a phone it fits and passes axe; printed, the menu, footer and popup are left out."""
import pytest
from playwright.sync_api import expect

from .test_enterprise_journey import confirm_pending_policy
from .test_every_page_fits_and_is_accessible import AXE, AXE_RUN, LAYOUT_PROBLEMS

pytestmark = pytest.mark.browser


def test_the_receipt_fits_a_phone_passes_axe_and_prints_without_the_chrome(portal, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    portal.login(page, "demo", "Demo@2020")
    portal.open_insurance(page)
    portal.bind(page)
    confirm_pending_policy(portal, page)
    page.get_by_role("link", name="查看并打印确认回执").click()
    expect(page.get_by_role("heading", name="出口信用保险投保确认回执")).to_be_visible()
    expect(page.get_by_text(portal.world.pending.number).first).to_be_visible()
    expect(page.get_by_role("button", name="打印回执")).to_be_visible()
    page.wait_for_load_state("networkidle")
    problems = page.evaluate(LAYOUT_PROBLEMS)
    page.add_script_tag(path=str(AXE))
    assert problems + page.evaluate(AXE_RUN) == []

    page.emulate_media(media="print")
    for chrome in ["header.sw-header", "footer.sw-footer", "#sw-main-nav", "#sw-notice"]:
        expect(page.locator(chrome)).to_be_hidden()
    expect(page.get_by_role("button", name="打印回执")).to_be_hidden()
    expect(page.get_by_role("heading", name="出口信用保险投保确认回执")).to_be_visible()

    # The detail now tells what was submitted and how the policy got here.
    page.emulate_media(media="screen")
    page.get_by_role("link", name="返回保单详情").click()
    expect(page.get_by_role("heading", name="确认投保信息")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_contain_text("出单")
    expect(page.get_by_test_id("timeline")).to_contain_text("确认投保")
    context.close()
