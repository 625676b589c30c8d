"""风险预警 in chromium: the insurer writes an alert for one county and publishes it; an insured enterprise of that
county finds it in its 通知 popup and its 风险预警 list and opens it; one of another county does not; the insurer
sees who read it. A withdrawn alert's notice leads to a page saying so. Then the alert pages on a phone, through axe.
"""
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from singlewindow.alerts import services
from singlewindow.alerts.models import Alert
from singlewindow.alerts.tests.conftest import CHENGQU, alert_data, counties, make_effective

from .test_every_page_fits_and_is_accessible import WIDTHS, problems_on

pytestmark = pytest.mark.browser
TITLE = "欧盟家具新规实施，关注买方拒收风险"


@pytest.fixture
def insured(portal):
    """demo's enterprise (城区) and demo2's (海丰县), both with an effective policy of the 粤东 branch."""
    world = portal.world
    make_effective(world.insurer, world.pending)
    make_effective(world.insurer, world.returned)
    return world


def nav(page, name):
    return page.get_by_role("navigation", name="主导航").get_by_role("link", name=name)


def test_an_alert_for_one_county_reaches_its_insureds_and_the_insurer_sees_who_read_it(portal, insured, new_context):
    insurer = portal.insurer_page(new_context)
    nav(insurer, "风险预警").click()
    expect(insurer.get_by_role("heading", name="风险预警")).to_be_visible()
    insurer.get_by_role("link", name="编写预警").click()
    portal.field(insurer, "标题").fill(TITLE)
    insurer.get_by_label("中", exact=True).check()
    portal.field(insurer, "预警类型").select_option(label="行业风险")
    portal.field(insurer, "正文").fill("欧盟木材新规要求产品溯源，不符合要求的货物可能被买方拒收。")
    portal.field(insurer, "涉及行业").fill("家具")
    insurer.get_by_label("指定区县的参保企业").check()
    insurer.locator(f"input[name=counties][value='{CHENGQU}']").check()
    today = timezone.localdate()
    portal.field(insurer, "有效期起").fill(today.isoformat())
    portal.field(insurer, "有效期止（含当日）").fill(today.replace(year=today.year + 1).isoformat())
    insurer.get_by_role("button", name="保存草稿").click()
    expect(insurer.get_by_role("alert").filter(has_text="已保存为草稿")).to_be_visible()
    expect(insurer.get_by_text(re.compile(r"发布后将送达 \d+ 家参保企业"))).to_be_visible()
    insurer.get_by_role("button", name="发布", exact=True).click()
    expect(insurer.get_by_role("heading", name="发布风险预警")).to_be_visible()
    expect(insurer.get_by_role("listitem").filter(has_text=insured.demo.enterprise.name)).to_be_visible()
    insurer.get_by_role("button", name="确认发布").click()
    expect(insurer.get_by_role("alert").filter(has_text="已发布")).to_be_visible()
    expect(insurer.get_by_text("已读 0 家")).to_be_visible()

    demo = new_context().new_page()
    portal.enter_as(demo, "demo")
    expect(portal.popup(demo).get_by_role("link", name=f"风险预警：{TITLE}")).to_be_visible()
    nav(demo, "风险预警").click()
    row = demo.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_contain_text("未读")
    expect(row).to_contain_text("中风险")
    row.get_by_role("link", name=TITLE).click()
    expect(demo.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(demo.get_by_text("欧盟木材新规要求产品溯源")).to_be_visible()
    demo.go_back()
    demo.reload()
    expect(demo.get_by_role("row").filter(has_text=TITLE)).not_to_contain_text("未读")

    demo2 = new_context().new_page()
    portal.enter_as(demo2, "demo2", register_as="meilong2020")
    demo2.wait_for_load_state("networkidle")
    expect(demo2.get_by_text(TITLE)).to_have_count(0)  # nor in its popup
    nav(demo2, "风险预警").click()
    expect(demo2.get_by_role("heading", name="风险预警")).to_be_visible()
    expect(demo2.get_by_text(TITLE)).to_have_count(0)

    insurer.reload()
    expect(insurer.get_by_text(re.compile(r"已读 1 家"))).to_be_visible()
    receipt = insurer.get_by_role("row").filter(has_text=insured.demo.enterprise.name)
    expect(receipt).to_contain_text(f"{insured.demo} 于")


def test_a_withdrawn_alerts_notice_leads_to_a_page_saying_so(portal, insured, new_context):
    """The enterprise's popup still has the alert's line, now saying 已撤回; it opens the page that says when and
    why, without the text; the alert has left the list."""
    world = insured
    alert = services.save_draft(world.insurer, alert_data(title=TITLE, audience=Alert.Audience.COUNTIES,
                                                           counties=counties(CHENGQU), body="欧盟木材新规要求产品溯源。"))
    services.publish(world.insurer, alert.pk)
    services.withdraw(world.insurer, alert.pk, reason="信息有误，更正后将另行发布。")
    demo = new_context().new_page()
    portal.enter_as(demo, "demo")
    portal.popup(demo).get_by_role("link", name=f"风险预警：{TITLE}（已撤回）").click()
    expect(demo.get_by_role("heading", name="预警已撤回")).to_be_visible()
    expect(demo.get_by_text("信息有误，更正后将另行发布。")).to_be_visible()
    expect(demo.get_by_text(TITLE, exact=True)).to_be_visible()
    expect(demo.get_by_text("欧盟木材新规要求产品溯源")).to_have_count(0)
    demo.get_by_role("link", name="查看当前风险预警").click()
    expect(demo.get_by_role("heading", name="风险预警", exact=True)).to_be_visible()
    expect(demo.get_by_role("row").filter(has_text=TITLE)).to_have_count(0)


def test_the_alert_pages_fit_a_phone_and_pass_axe(portal, insured, browser):
    world = insured
    draft = services.save_draft(world.insurer, alert_data(title="草稿：阿根廷外汇管制"))
    published = services.save_draft(world.insurer, alert_data(audience=Alert.Audience.COUNTIES,
                                                               counties=counties(CHENGQU)))
    services.publish(world.insurer, published.pk)
    withdrawn = services.save_draft(world.insurer, alert_data(title="已撤回：美国关税", audience=Alert.Audience.COUNTIES,
                                                               counties=counties(CHENGQU)))
    services.publish(world.insurer, withdrawn.pk)
    services.withdraw(world.insurer, withdrawn.pk, reason="信息有误，更正后将另行发布。")
    report = {}
    for login, paths in {
        ("insurer", "Insurer@2020"): [f"/alerts/manage/{draft.pk}/", f"/alerts/manage/{draft.pk}/edit/",
                                      f"/alerts/manage/{published.pk}/", f"/alerts/manage/{withdrawn.pk}/",
                                      "/alerts/manage/"],
        ("demo", "Demo@2020"): [f"/alerts/{published.pk}/", f"/alerts/{withdrawn.pk}/", "/alerts/"],
    }.items():
        context = browser.new_context(viewport=WIDTHS["phone"], locale="zh-CN", bypass_csp=True)
        page = context.new_page()
        portal.login(page, *login)
        for path in paths:
            found = problems_on(page, portal.url + path)
            if found:
                report[f"{login[0]} {path}"] = found
        context.close()
    assert not report, "\n".join(f"{where}: {'; '.join(found)}" for where, found in report.items())
