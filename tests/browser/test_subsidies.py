"""申请拨付 in chromium on a 390 px phone, as the insurer and 汕尾市商务局 do it: the insurer previews the city share's
eligible policies, creates the draft, fills the invoice numbers and submits after the second step; the bureau
finds it in 拨付审核, sets its budget, approves, records the payment and reconciles, each after its second step;
the 补贴台账 adds up to the same. Every page on the way: no sideways scroll, no serious axe-core violation."""
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from singlewindow.subsidies import services
from singlewindow.subsidies.models import FundingApplication, LedgerEntry

from .test_every_page_fits_and_is_accessible import AXE, AXE_RUN, LAYOUT_PROBLEMS

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def problems(page):
    page.wait_for_load_state("networkidle")
    found = page.evaluate(LAYOUT_PROBLEMS)
    page.add_script_tag(path=str(AXE))
    return found + page.evaluate(AXE_RUN)


def menu(portal, page, label):
    """The main navigation's entry `label`, through 菜单 on a phone, once the menu has finished unfolding (a click
    while Bootstrap's collapse is still moving it may land beside the link)."""
    portal.open_menu(page)
    page.locator("#sw-main-nav.collapse.show").wait_for()
    link = page.get_by_role("navigation", name="主导航").get_by_role("link", name=label, exact=True)
    with page.expect_navigation():
        link.click()


def test_the_insurer_files_the_city_share_and_the_city_bureau_approves_pays_and_reconciles(portal, browser):
    world = portal.world
    city = LedgerEntry.objects.filter(scheme=world.scheme, payer="city")
    count, total = city.count(), services.money(sum(city.values_list("amount", flat=True)))
    assert count
    report = {}

    def check(page, name):
        if found := problems(page):
            report[name] = found

    insurer_context = browser.new_context(viewport=PHONE, locale="zh-CN", bypass_csp=True)
    insurer = insurer_context.new_page()
    portal.login(insurer, "insurer", "Insurer@2020")
    menu(portal, insurer, "申请拨付")
    expect(insurer.get_by_role("heading", name="申请拨付")).to_be_visible()
    check(insurer, "申请拨付")
    insurer.get_by_role("link", name="新建拨付申请").click()
    portal.field(insurer, "投保方案").select_option(label=world.scheme.name)
    portal.field(insurer, "资助方").select_option(label="市级 · 汕尾市")
    portal.field(insurer, "期间起").fill(f"{timezone.localdate().year}-01-01")
    insurer.get_by_role("button", name="查看可申请的保单").click()
    expect(insurer.get_by_test_id("preview-summary")).to_have_text(f"市级 · 汕尾市：{count} 份保单，申请金额 {total} 元。")
    check(insurer, "新建拨付申请")
    insurer.get_by_role("button", name="创建草稿").click()
    expect(insurer.get_by_text(re.compile(r"^已创建拨付申请草稿 BF\d+"))).to_be_visible()
    application = FundingApplication.objects.get()
    expect(insurer.get_by_test_id("total")).to_have_text(f"{total} 元")
    check(insurer, "草稿")
    portal.field(insurer, "统一发票号码").fill("04400012")
    insurer.get_by_role("button", name="填入未填写的保单").click()
    expect(insurer.get_by_text(f"已为 {count} 份保单填入统一发票号码。")).to_be_visible()
    insurer.get_by_role("button", name="提交", exact=True).click()
    expect(insurer.get_by_role("heading", name="提交拨付申请")).to_be_visible()
    check(insurer, "提交（第二步）")
    insurer.get_by_role("button", name="确认提交").click()
    expect(insurer.get_by_test_id("application-status")).to_have_text("待审核")

    bureau_context = browser.new_context(viewport=PHONE, locale="zh-CN", bypass_csp=True)
    bureau = bureau_context.new_page()
    portal.login(bureau, "bureau", "Bureau@2020")
    menu(portal, bureau, "拨付审核")
    expect(bureau.get_by_role("link", name=application.number)).to_be_visible()
    check(bureau, "拨付审核")
    bureau.get_by_role("link", name="预算管理").first.click()
    row = bureau.get_by_test_id("budget-row").filter(has_text=world.scheme.name).filter(has_text="市级 · 汕尾市")
    portal.field(row, "预算（元）").fill(f"{application.total:f}")
    check(bureau, "预算管理")
    row.get_by_role("button", name="保存预算").click()
    expect(bureau.get_by_text(f"已设置“{world.scheme.name}”的市级 · 汕尾市预算。")).to_be_visible()
    expect(bureau.get_by_test_id("budget-warning").first).to_be_visible()  # 100 % of it committed

    menu(portal, bureau, "拨付审核")
    bureau.get_by_role("link", name=application.number).click()
    check(bureau, "审核")
    bureau.get_by_role("button", name="审核通过").click()
    expect(bureau.get_by_text("核准后剩余 0.00 元", exact=False)).to_be_visible()
    check(bureau, "审核通过（第二步）")
    bureau.get_by_role("button", name="确认审核通过").click()
    expect(bureau.get_by_test_id("application-status")).to_have_text("已审核")
    portal.field(bureau, "拨付凭证号").fill("GK-2026-0001")
    bureau.get_by_role("button", name="登记拨付").click()
    expect(bureau.get_by_role("heading", name="登记拨付")).to_be_visible()
    bureau.get_by_role("button", name="确认登记拨付").click()
    expect(bureau.get_by_test_id("payment")).to_contain_text(f"{total} 元 · GK-2026-0001")
    bureau.get_by_role("button", name="对账").click()
    expect(bureau.get_by_text(f"拨付金额 {total} 元，申请金额 {total} 元，差额 0.00 元")).to_be_visible()
    bureau.get_by_role("button", name="确认对账").click()
    expect(bureau.get_by_test_id("application-status")).to_have_text("已对账")
    expect(bureau.get_by_test_id("difference")).to_have_text("0.00 元")
    check(bureau, "已对账")

    menu(portal, bureau, "补贴台账")
    totals = bureau.get_by_test_id("ledger-totals")
    expect(totals.get_by_role("row").filter(has_text="市级 · 汕尾市")).to_contain_text(total)
    check(bureau, "补贴台账")
    insurer_context.close()
    bureau_context.close()
    assert not report, "\n".join(f"{where}: {'; '.join(found)}" for where, found in report.items())
