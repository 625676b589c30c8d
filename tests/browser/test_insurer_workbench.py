"""The insurer's 保单审批 in chromium: approve in bulk, return with a reason the enterprise reads, refuse an
empty reason; 出具保单 shows eligibility first and issues an ineligible enterprise only as a 例外出单."""
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from singlewindow.audit.models import AuditEvent
from singlewindow.enterprises.identifiers import make_uscc
from singlewindow.enterprises.models import Enterprise, ExportRecord
from singlewindow.policies import services
from singlewindow.policies.models import Policy, PolicyStatus

pytestmark = pytest.mark.browser


@pytest.fixture
def awaiting(portal):
    """The 审批中 policies the insurer's list shows, oldest first: the demo's ones and demo's own."""
    world = portal.world
    services.confirm(world.demo, world.pending.pk, contact_name="李锐", contact_phone="13729230657",
                     agreement_sha256=world.scheme.agreement.sha256)
    return list(Policy.objects.visible_to(portal.world.insurer).filter(status=PolicyStatus.CONFIRMED)
                .order_by("status_changed_at", "id"))


def statuses(policies):
    return [Policy.objects.get(pk=p.pk).status for p in policies]


def test_insurer_approves_the_two_ticked_policies(portal, page, new_context, awaiting):
    assert len(awaiting) >= 3
    insurer = portal.insurer_page(new_context)
    first, second, untouched = awaiting[:3]
    bar = insurer.get_by_test_id("action-bar")
    expect(bar).to_contain_text("已选 0 份")
    insurer.get_by_role("checkbox", name=first.number).check()
    insurer.get_by_role("checkbox", name=second.number).check()
    expect(bar).to_contain_text("已选 2 份")
    insurer.get_by_role("button", name="审批通过").click()
    check = insurer.get_by_role("region", name="审批通过")  # a second step lists what will be approved
    expect(check.get_by_role("listitem")).to_have_count(2)
    expect(check).to_contain_text(first.number)
    check.get_by_role("button", name="确认审批通过（2 份）").click()

    expect(insurer.get_by_role("alert")).to_have_text("已审批通过 2 份保单。")
    expect(portal.row(insurer, first)).to_have_count(0)
    expect(portal.row(insurer, untouched)).to_be_visible()
    assert statuses([first, second, untouched]) == [PolicyStatus.EFFECTIVE, PolicyStatus.EFFECTIVE,
                                                     PolicyStatus.CONFIRMED]


def test_select_all_approves_every_policy_on_the_page(portal, page, new_context, awaiting):
    insurer = portal.insurer_page(new_context)
    insurer.get_by_role("checkbox", name="全选").check()
    for policy in awaiting:
        expect(insurer.get_by_role("checkbox", name=policy.number)).to_be_checked()
    expect(insurer.get_by_test_id("action-bar")).to_contain_text(f"已选 {len(awaiting)} 份")
    insurer.get_by_role("button", name="审批通过").click()
    insurer.get_by_role("button", name=f"确认审批通过（{len(awaiting)} 份）").click()

    expect(insurer.get_by_role("alert")).to_have_text(f"已审批通过 {len(awaiting)} 份保单。")
    expect(insurer.get_by_text("暂无“审批中”的保单。")).to_be_visible()
    assert set(statuses(awaiting)) == {PolicyStatus.EFFECTIVE}


def test_a_returned_policy_shows_the_reason_and_can_be_confirmed_again(portal, page, new_context):
    world = portal.world
    policy = world.returned  # demo2 confirms it again, so it waits in the insurer's 审批中 tab
    services.confirm(world.demo2, policy.pk, contact_name="陈芳", contact_phone="13800138002",
                     agreement_sha256=world.scheme.agreement.sha256)
    reason = "联系人应为企业在职员工，请更正联系人后重新确认。"

    insurer = portal.insurer_page(new_context)
    portal.row(insurer, policy).get_by_role("link", name="查看详情").click()
    portal.field(insurer, "退回原因").fill(reason)
    insurer.get_by_role("button", name="退回").click()
    # One banner: what was done, and that the workbench moved on to the next confirmation waiting.
    expect(insurer.get_by_role("alert")).to_contain_text(f"保单 {policy.number} 已退回。")
    expect(insurer.get_by_role("alert")).to_contain_text("下一份待审批：")

    portal.enter_as(page, "demo2", register_as="meilong2020")
    portal.popup(page).get_by_role("link", name="您有 1 份“已退回”保单，点击查看").click()
    portal.row(page, policy).get_by_role("link", name="查看详情").click()
    expect(page.get_by_role("alert")).to_contain_text(f"保险公司已退回本保单：{reason}")
    expect(portal.field(page, "联系人")).to_have_value("陈芳")
    portal.fill_contacts(page, name="林晓梅", phone="0660-3379016")
    portal.accept_agreement(page)
    page.get_by_role("button", name="确认投保").click()

    expect(page.get_by_role("heading", name="确认投保已提交")).to_be_visible()
    policy.refresh_from_db()
    assert (policy.status, policy.contact_name, policy.contact_phone) == (
        PolicyStatus.CONFIRMED, "林晓梅", "0660-3379016")
    assert policy.confirmations.latest("at").contact_name == "林晓梅"


def test_cancelling_without_a_reason_is_refused_and_changes_nothing(portal, page, new_context, awaiting):
    policy = awaiting[0]
    insurer = portal.insurer_page(new_context)
    portal.row(insurer, policy).get_by_role("link", name="查看详情").click()
    insurer.get_by_role("button", name="撤销").click()

    expect(portal.field(insurer, "撤销原因")).to_have_class("form-control is-invalid")
    expect(insurer.get_by_text("请填写原因。")).to_be_visible()
    expect(insurer.get_by_role("button", name="审批通过")).to_be_visible()
    assert Policy.objects.get(pk=policy.pk).status == PolicyStatus.CONFIRMED
    assert Policy.objects.get(pk=policy.pk).last_reason == policy.last_reason


def test_manual_issue_shows_why_not_and_issues_only_as_an_audited_exception(portal, page, new_context):
    world = portal.world
    enterprise = Enterprise.objects.create(uscc=make_uscc("91", "441502", "70000001"), name="汕尾市超限外贸有限公司",
                                           region_id="441502")
    ExportRecord.objects.create(enterprise=enterprise, year=world.scheme.basis_year, export_usd=Decimal(4200000))
    insurer = portal.insurer_page(new_context)
    insurer.get_by_role("link", name="出具保单").click()
    portal.field(insurer, "统一社会信用代码").fill(enterprise.uscc)
    insurer.get_by_role("button", name="查看资格").click()
    expect(insurer.get_by_text("出单资格：不符合条件")).to_be_visible()
    expect(insurer.get_by_text("不低于本方案的上限 USD 3,000,000.00")).to_be_visible()

    insurer.get_by_role("button", name="出具保单").click()
    expect(insurer.get_by_role("alert").first).to_contain_text("该企业不符合本方案的出单条件")
    assert not Policy.objects.filter(enterprise=enterprise).exists()

    insurer.get_by_label("例外出单", exact=True).check()
    portal.field(insurer, "例外出单原因").fill("经市商务局书面确认，出口额含转口部分，特例出单。")
    insurer.get_by_role("button", name="出具保单").click()
    policy = Policy.objects.get(enterprise=enterprise)
    expect(insurer.get_by_role("alert")).to_have_text(f"已向 {enterprise.name} 出具保单 {policy.number}，等待企业确认。")
    assert AuditEvent.objects.get(action="policy.issue", object_id=str(policy.pk)).reason.startswith("经市商务局")


def test_the_action_bar_stays_at_the_foot_of_a_short_window(portal, page, new_context, awaiting):
    insurer = portal.insurer_page(new_context)
    height = 600  # the list runs past the foot of the window; the bar rises to stay in sight
    insurer.set_viewport_size({"width": 1366, "height": height})
    insurer.evaluate("window.scrollTo(0, 0)")
    last_row = portal.row(insurer, awaiting[-1]).bounding_box()
    bar = insurer.get_by_test_id("action-bar").bounding_box()
    assert last_row["y"] + last_row["height"] > bar["y"], "the bar stands over the list's foot, not after it"
    assert bar["y"] + bar["height"] <= height + 1, "the bar and its 审批通过 are in sight without scrolling"


def test_cancelling_asks_once_more_then_cancels(portal, page, new_context, awaiting):
    policy = awaiting[0]
    insurer = portal.insurer_page(new_context)
    portal.row(insurer, policy).get_by_role("link", name="查看详情").click()
    portal.field(insurer, "撤销原因").fill("企业已注销。")
    insurer.get_by_role("button", name="撤销").click()
    check = insurer.get_by_role("region", name="撤销")  # the second step says what cannot be undone
    expect(check).to_contain_text("撤销不能恢复")
    assert Policy.objects.get(pk=policy.pk).status == PolicyStatus.CONFIRMED
    check.get_by_role("button", name="确认撤销").click()
    expect(insurer.get_by_role("alert")).to_contain_text(f"保单 {policy.number} 已撤销。")
    assert Policy.objects.get(pk=policy.pk).status == PolicyStatus.CANCELLED
