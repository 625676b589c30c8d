"""The policy after 确认投保 (issue 11 #4): what was submitted, the timeline, the 确认回执, the deadline."""
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from pytest_django.asserts import assertNotContains

from singlewindow.policies import services
from singlewindow.policies.models import Scheme

from .conftest import CONTACT, confirm_data, page_text, refreshed


@pytest.fixture
def approved(world, demo_client):
    """demo's pending policy confirmed through its page, then approved by the insurer."""
    demo_client.post(f"/insure/{world.pending.pk}/confirm/", confirm_data(world.pending))
    services.approve(world.insurer, world.pending.pk, ip="127.0.0.1")
    return refreshed(world.pending)


def test_a_confirmed_policy_shows_what_was_submitted_and_how(world, demo_client, approved):
    text = page_text(demo_client.get(f"/insure/{approved.pk}/"))
    section = text[text.index("确认投保信息"):]
    for shown in [f"联系人 {CONTACT['contact_name']}", f"联系电话 {CONTACT['contact_phone']}",
                  f"电子邮箱 {CONTACT['contact_email']}", "确认方式 账号密码",
                  f"版本 {world.scheme.agreement.version}"]:
        assert shown in section, shown
    assert re.search(r"确认时间 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", section)
    assert world.scheme.agreement.sha256 not in section  # the hash is the insurer's record, not the clerk's


def test_the_timeline_lists_each_move_in_order_with_who_made_it(world, demo_client, approved):
    text = page_text(demo_client.get(f"/insure/{approved.pk}/"))
    timeline = text[text.index("办理进度"):]
    steps = re.findall(r"(出单|确认投保|审批通过|退回) \d{4}-\d\d-\d\d \d\d:\d\d · (\S+)", timeline)
    assert [label for label, _by in steps] == ["出单", "确认投保", "审批通过"]
    # The enterprise's own people by name, the insurer by its organisation, never a staff username.
    assert steps[1][1] == world.demo.display_name
    assert steps[2][1] == "保险公司"
    assert world.insurer.username not in timeline


def test_a_return_shows_its_reason_on_the_timeline(world, demo_client, confirmed):
    services.return_policy(world.insurer, confirmed.pk, reason="联系电话无法接通，请核对。", ip=None)
    text = page_text(demo_client.get(f"/insure/{confirmed.pk}/"))
    assert re.search(r"退回 [\d\- :]+ · 保险公司 原因：联系电话无法接通，请核对。", text)


def test_the_receipt_prints_the_confirmation_and_is_linked_from_both_pages(world, demo_client, approved):
    receipt = f"/insure/{approved.pk}/receipt/"
    assert receipt in demo_client.get(f"/insure/{approved.pk}/").content.decode()
    assert receipt in demo_client.get(f"/insure/{approved.pk}/submitted/").content.decode()
    response = demo_client.get(receipt)
    text = page_text(response)
    assert "出口信用保险投保确认回执" in text and approved.number in text
    assert f"联系人 {CONTACT['contact_name']}" in text and "当前状态 已生效" in text
    assert 'data-sw-print' in response.content.decode()


def test_there_is_no_receipt_before_a_confirmation(world, demo_client):
    assert demo_client.get(f"/insure/{world.pending.pk}/receipt/").status_code == 404


@pytest.mark.parametrize("who", [0, 1], ids=["demo2", "colleague-of-another-enterprise"])
def test_another_enterprise_gets_no_receipt_and_no_timeline(world, client, outsiders, approved, who):
    client.force_login(outsiders[who])
    for path in [f"/insure/{approved.pk}/receipt/", f"/insure/{approved.pk}/"]:
        response = client.get(path)
        assert response.status_code == 404
        assertNotContains(response, CONTACT["contact_phone"], status_code=404)


def test_the_insurer_does_not_use_the_enterprise_receipt_page(world, client_for, approved):
    response = client_for(world.insurer).get(f"/insure/{approved.pk}/receipt/")
    assert response.status_code in (302, 403, 404)
    assertNotContains(response, CONTACT["contact_phone"], status_code=response.status_code)


def test_the_deadline_shows_while_it_matters_and_not_on_an_effective_policy(world, demo_client, approved):
    assert "确认截止日" not in page_text(demo_client.get(f"/insure/{approved.pk}/"))
    assert "确认截止日" not in page_text(demo_client.get("/insure/", {"status": "effective"}))


def test_a_waiting_policy_shows_its_deadline(world, demo_client):
    assert "确认截止日" in page_text(demo_client.get(f"/insure/{world.pending.pk}/"))


@pytest.mark.parametrize(("days", "shown"), [(10, "还剩 10 天"), (1, "还剩 1 天"), (0, "今天截止")])
def test_the_waiting_tabs_list_the_deadline_with_the_days_left(world, demo_client, days, shown):
    today = timezone.localdate()
    Scheme.objects.filter(pk=world.pending.scheme_id).update(confirm_deadline=today + timedelta(days=days))
    text = page_text(demo_client.get("/insure/", {"status": "pending"}))
    row = text[text.index(world.pending.number):]
    assert f"{(today + timedelta(days=days)):%Y-%m-%d} {shown}" in row


def test_money_is_written_one_way_in_chinese_and_in_english(world, demo_client):
    text = page_text(demo_client.get(f"/insure/{world.pending.pk}/"))
    assert "150,000.00 美元" in text and "1,200.00 元" in text and "（960.00 元）" in text
    demo_client.cookies["django_language"] = "en"
    english = page_text(demo_client.get(f"/insure/{world.pending.pk}/"))
    assert "150,000.00" in english and "1,200.00" in english


def test_each_status_has_its_own_badge_colour_and_says_its_name(world, demo_client):
    from singlewindow.policies.models import PolicyStatus
    from singlewindow.policies.templatetags.policy_status import COLOURS

    assert set(COLOURS) == set(PolicyStatus) and len(set(COLOURS.values())) == len(PolicyStatus)
    html = demo_client.get(f"/insure/{world.pending.pk}/").content.decode()
    assert 'class="badge text-bg-warning" data-testid="policy-status" data-status="pending">待确认</span>' in html


def test_every_error_of_the_confirm_form_comes_in_one_pass_the_agreements_too(world, demo_client):
    response = demo_client.post(f"/insure/{world.pending.pk}/confirm/", {"contact_name": "", "contact_phone": "12"})
    assert response.status_code == 400
    text = page_text(response)
    summary = text[text.index("提交未成功"):]
    for message in ["请填写联系人。", "请先阅读并同意《中国出口信用保险公司客户网上服务协议》。"]:
        assert message in summary, message
    assert refreshed(world.pending).status == "pending"


def test_a_return_for_the_contacts_highlights_those_fields_until_confirmed_again(world, demo_client, client_for,
                                                                                  confirmed):
    insurer = client_for(world.insurer)
    page = insurer.get(f"/insurer/{confirmed.pk}/").content.decode()
    assert "需要企业修改的内容" in page and 'value="contact_phone"' in page
    insurer.post(f"/insurer/{confirmed.pk}/return/", {"return-reason": "联系电话无法接通，请核对。",
                                                     "return-to_correct": ["contact_phone"]})
    assert refreshed(confirmed).status == "returned"
    response = demo_client.get(f"/insure/{confirmed.pk}/")
    text = page_text(response)
    assert "需要修改： 联系电话" in text or "需要修改：联系电话" in text
    html = response.content.decode()
    phone = re.search(r'<input[^>]*name="contact_phone"[^>]*>', html).group(0)
    name = re.search(r'<input[^>]*name="contact_name"[^>]*>', html).group(0)
    assert "border-warning" in phone and "border-warning" not in name
    assert "保险公司要求修改此项。" in text


def test_a_return_cannot_ask_for_a_field_that_is_not_a_contact(world, client_for, confirmed):
    insurer = client_for(world.insurer)
    response = insurer.post(f"/insurer/{confirmed.pk}/return/", {"return-reason": "请核对。",
                                                                "return-to_correct": ["premium"]})
    assert response.status_code == 400 and refreshed(confirmed).status == "confirmed"


def test_the_timeline_keeps_the_insurers_exception_reason_to_the_audit(world, demo_client):
    """例外出单's reason is written for the audit log, not for the enterprise's 办理进度."""
    from singlewindow.audit.services import record

    record(actor=world.insurer, action="policy.issue", obj=world.pending, to_status="pending",
           reason="例外出单：出口额超限，经分公司核定")
    text = page_text(demo_client.get(f"/insure/{world.pending.pk}/"))
    assert "办理进度" in text and "经分公司核定" not in text
