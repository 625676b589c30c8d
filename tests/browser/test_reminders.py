"""提醒 in chromium: the city's commerce bureau logs in, opens 提醒, picks 海丰县 and 待确认, previews, sends in a second
step; the enterprise finds the reminder in its 通知 popup and its 消息中心, opens its policy and confirms; the
bureau's run page then shows it confirmed since. Then the reminder pages on a phone, through axe."""
import re

import pytest
from playwright.sync_api import expect

from singlewindow.accounts.models import Role, User
from singlewindow.reminders import services
from singlewindow.reminders.models import Channel
from singlewindow.reminders.tests.conftest import HAIFENG, haifeng_pending, template_of

from .test_every_page_fits_and_is_accessible import AXE, AXE_RUN, LAYOUT_PROBLEMS, WIDTHS, problems_on

pytestmark = pytest.mark.browser


@pytest.fixture
def haifeng_exporter(portal):
    """A login for the 海丰县 enterprise whose policy still waits for 确认投保 (the demo made it without one)."""
    policy = haifeng_pending(portal.world)
    User.objects.create_user("haifeng", password="Demo@2020", role=Role.ENTERPRISE, enterprise=policy.enterprise,
                             is_enterprise_admin=True, display_name="林静", mobile="13800138009")
    return policy


def nav(page, name):
    return page.get_by_role("navigation", name="主导航").get_by_role("link", name=name)


def test_a_bureau_reminds_haifengs_waiting_enterprises_and_sees_who_confirmed(portal, haifeng_exporter, new_context):
    policy = haifeng_exporter
    bureau = new_context().new_page()
    portal.login(bureau, "bureau", "Bureau@2020")
    nav(bureau, "统计分析").click()
    nav(bureau, "提醒").click()
    expect(bureau.get_by_role("heading", name="提醒", exact=True)).to_be_visible()
    bureau.get_by_role("navigation", name="提醒").get_by_role("link", name="发送提醒").click()
    portal.field(bureau, "县区").select_option(label="海丰县")
    expect(bureau.get_by_role("checkbox", name="待确认")).to_be_checked()
    expect(bureau.get_by_role("checkbox", name="已退回")).not_to_be_checked()
    bureau.get_by_role("button", name="预览").click()
    expect(bureau.locator("#preview-count")).to_have_text("符合条件的保单 1 份（1 家企业），将提醒 1 家企业。")
    expect(bureau.get_by_role("row").filter(has_text=policy.enterprise.name)).to_contain_text(policy.number)
    expect(bureau.get_by_text(f"贵企业的出口信用保险保单 {policy.number} 尚待确认投保")).to_be_visible()
    bureau.get_by_role("button", name="发送提醒").click()
    expect(bureau.get_by_role("heading", name="发送提醒")).to_be_visible()
    expect(bureau.get_by_role("note")).to_contain_text("将向 1 家企业发送提醒（站内通知、短信、电子邮件）")
    expect(bureau.get_by_role("listitem").filter(has_text=policy.enterprise.name)).to_be_visible()
    bureau.get_by_role("button", name="确认发送").click()
    expect(bureau.get_by_role("alert").filter(has_text="提醒已发送：1 家企业，跳过 0 家。")).to_be_visible()
    row = bureau.locator("#recipients").get_by_role("row").filter(has_text=policy.enterprise.name)
    expect(row.locator("[data-channel=in_app]")).to_have_text("已送达")
    expect(row.locator("[data-channel=sms]")).to_have_text("待发送")  # to the account's mobile, in the outbox
    expect(row.locator("[data-channel=email]")).to_have_text("未发送")  # no address anywhere
    expect(row).to_contain_text("未确认")

    exporter = new_context().new_page()
    portal.enter_as(exporter, "haifeng", register_as="haifeng2026")
    title = f"请于 {policy.scheme.confirm_deadline.isoformat()} 前确认投保保单 {policy.number}"
    expect(portal.popup(exporter).get_by_role("link", name=f"确认截止日临近：{title}")).to_be_visible()
    portal.open_menu(exporter)
    exporter.get_by_role("link", name="消息中心", exact=True).click()
    message = exporter.get_by_role("row").filter(has_text=title)
    expect(message).to_contain_text("未读")
    message.get_by_role("button", name="查看").click()
    expect(exporter.get_by_role("heading", name="保单详情")).to_be_visible()
    expect(exporter.get_by_text(policy.number).first).to_be_visible()
    portal.fill_contacts(exporter, name="林静", phone="13800138009")
    portal.accept_agreement(exporter)
    exporter.get_by_role("button", name="确认投保").click()
    expect(exporter.get_by_role("heading", name="确认投保已提交")).to_be_visible()

    bureau.reload()
    expect(bureau.locator("#run-summary")).to_have_text("已提醒 1 家企业，跳过 0 家；提醒后已确认投保 1 家。")
    bureau.get_by_role("link", name="提醒后已确认 1").click()
    confirmed = bureau.locator("#recipients").get_by_role("row").filter(has_text=policy.enterprise.name)
    expect(confirmed).to_contain_text("已确认")
    expect(confirmed).to_contain_text("审批中")


def test_the_reminder_pages_fit_a_phone_and_pass_axe(portal, haifeng_exporter, browser):
    world = portal.world
    template = template_of(world.bureau)
    chosen = services.check_criteria(world.bureau, scheme=world.scheme.pk, county="", statuses=["pending", "returned"],
                                     within_days=None)
    run = services.start_run(world.bureau, chosen, template, list(Channel.values))
    services.save_schedule(world.bureau, world.scheme.pk, days="14,3", template_id=template.pk,
                           channels=list(Channel.values), enabled=True)
    preview = (f"/reminders/new/?scheme={world.scheme.pk}&county={HAIFENG}&statuses=pending&within_days="
               f"&template={template.pk}&channels=in_app&channels=sms&channels=email")
    paths = ["/reminders/", "/reminders/new/", preview, f"/reminders/{run.pk}/", f"/reminders/{run.pk}/?show=skipped",
             "/reminders/templates/", "/reminders/templates/new/", f"/reminders/templates/{template.pk}/",
             "/reminders/schedules/", f"/reminders/schedules/{world.scheme.pk}/"]
    report = {}
    context = browser.new_context(viewport=WIDTHS["phone"], locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    portal.login(page, "bureau", "Bureau@2020")
    for path in paths:
        found = problems_on(page, portal.url + path)
        if found:
            report[path] = found
    # a form's errors too, as a phone shows them
    page.goto(portal.url + "/reminders/templates/new/")
    portal.field(page, "模板名称").fill("有误的模板")
    portal.field(page, "标题").fill("{公司}")
    portal.field(page, "正文").fill("请确认 {保单号")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("标题中的 {公司} 不是可用的占位符"))
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(LAYOUT_PROBLEMS) + page.evaluate(AXE_RUN)
    if found:
        report["/reminders/templates/new/ (errors)"] = found
    context.close()
    assert not report, "\n".join(f"{where}: {'; '.join(found)}" for where, found in report.items())
