"""The enterprise's pages under /insure/: list, 查看详情, 确认投保, submitted, 放弃投保 — over HTTP."""
import re
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from singlewindow.policies.models import Agreement, Confirmation, Policy, PolicyStatus, Scheme

from .conftest import confirm_data, page_text, refreshed

PAGES = {
    "detail": ("get", "/insure/{pk}/"),
    "confirm": ("post", "/insure/{pk}/confirm/"),
    "decline": ("post", "/insure/{pk}/decline/"),
    "submitted": ("get", "/insure/{pk}/submitted/"),
}


def visit(client, page, policy):
    method, url = PAGES[page]
    data = {"confirm": confirm_data(policy), "decline": {"reason": "企业已另行投保。"}}.get(page, {})
    return getattr(client, method)(url.format(pk=policy.pk), data)


def assert_untouched(policy, status=PolicyStatus.PENDING):
    policy = refreshed(policy)
    assert policy.status == status
    assert (policy.contact_name, policy.contact_phone, policy.last_reason) == ("", "", "")
    assert not Confirmation.objects.filter(policy=policy).exists()


# --- the owner's journey -------------------------------------------------------

def test_the_list_shows_every_status_tab_in_order_with_its_count(world, demo_client):
    html = demo_client.get("/insure/").content.decode()
    tabs = re.findall(r'data-status="(\w+)">(\S+) <span[^>]*>(\d+)</span>', html)
    assert [label for _status, label, _n in tabs] == ["待确认", "审批中", "已生效", "已退回", "已放弃", "已撤销", "已过期", "已到期"]
    own = Policy.objects.filter(enterprise=world.demo.enterprise)
    assert {status: int(n) for status, _label, n in tabs} == {s: own.filter(status=s).count() for s in PolicyStatus}
    assert tabs[0] == ("pending", "待确认", "1")


def test_the_pending_tab_lists_the_policy_with_a_link_to_its_details(world, demo_client):
    response = demo_client.get("/insure/")
    assertContains(response, "出单日期")
    row = re.search(rf"<tr>\s*<td[^>]*>{world.pending.number}</td>.*?</tr>", response.content.decode(), re.DOTALL)
    assert row, "the 待确认 tab lists demo's policy"
    issued = timezone.localtime(world.pending.issued_at).strftime("%Y-%m-%d %H:%M")
    for shown in [world.scheme.name, world.demo.enterprise.uscc, issued, "待确认",
                  f'<a href="/insure/{world.pending.pk}/">查看详情</a>']:
        assert shown in row.group(0)


def test_the_detail_page_shows_the_policy_terms(world, demo_client):
    text = page_text(demo_client.get(f"/insure/{world.pending.pk}/"))
    assert f"被保险人 {world.demo.enterprise.name}（ {world.demo.enterprise.uscc} ）" in text
    assert re.search(r"保险期间 自保险公司审批通过之日起至 \d{4}-\d\d-\d\d（含当日）", text)
    assert f"承保风险 {world.scheme.risks_covered}" in text
    assert "赔偿比例 80%" in text
    assert re.search(r"最高赔偿限额 150,?000(\.00)? 美元", text)
    assert re.search(r"保费 1,?200\.00 元，由省级财政承担 80%（960\.00 元）、市级财政承担 20%（240\.00 元）", text)
    assert "已认真阅读以上内容并同意" in text and "确认投保" in text and "放弃投保" in text


def test_a_valid_confirmation_shows_the_submitted_page_and_waits_for_the_insurer(world, demo_client):
    response = demo_client.post(f"/insure/{world.pending.pk}/confirm/", confirm_data(world.pending))
    assertRedirects(response, f"/insure/{world.pending.pk}/submitted/", fetch_redirect_response=False)
    text = page_text(demo_client.get(response.url))
    assert f"保单号 {world.pending.number}" in text and re.search(r"当前状态\s*：\s*审批中", text)
    assert "保单生效时间以保险公司审批为准" in text
    policy = refreshed(world.pending)
    assert (policy.status, policy.contact_name, policy.contact_phone) == (PolicyStatus.CONFIRMED, "李锐", "13729230657")
    assert Confirmation.objects.get(policy=policy).user == world.demo


BAD_INPUT = [
    pytest.param({"contact_name": ""}, "contact_name", "联系人", "请填写联系人。", id="empty-contact"),
    pytest.param({"contact_name": "李" * 51}, "contact_name", "联系人", "联系人不能超过50个字。", id="51-char-contact"),
    pytest.param({"contact_name": "<script>alert(1)</script>"}, "contact_name", "联系人",
                 "不能包含 < > 等标记、控制字符或文字方向控制符。", id="markup-in-contact"),
    pytest.param({"contact_phone": "3379016"}, "contact_phone", "联系电话",
                 "联系电话格式不正确：请填写11位手机号，或带区号的固定电话（如 0660-3379016）。", id="phone-without-area-code"),
    pytest.param({"contact_email": "x@"}, "contact_email", "电子邮箱", "电子邮箱格式不正确，例如 name@example.com。",
                 id="bad-email"),
]


@pytest.mark.parametrize("typed, field, label, message", BAD_INPUT)
def test_bad_contact_input_is_shown_next_to_the_field_and_kept(world, demo_client, typed, field, label, message):
    response = demo_client.post(f"/insure/{world.pending.pk}/confirm/", confirm_data(world.pending, **typed))
    assertContains(response, f'<div class="invalid-feedback" id="id_{field}_error">{escape(message)}</div>',
                   html=True, status_code=400)
    assertContains(response, f'<li><a href="#id_{field}">{label}：{escape(message)}</a></li>', html=True,
                   status_code=400)
    for name, value in {**confirm_data(world.pending), **typed}.items():
        if value and name != "agreement_sha256":
            assertContains(response, f'value="{escape(value)}"', status_code=400)
    assertNotContains(response, "<script>alert(1)</script>", status_code=400)
    assert_untouched(world.pending)


AGREEMENT_MESSAGE = "请先阅读并同意《中国出口信用保险公司客户网上服务协议》。"


def assert_agreement_refused(response, policy):
    assertContains(response, f'<div class="invalid-feedback d-block">{AGREEMENT_MESSAGE}</div>', html=True,
                   status_code=400)
    assertContains(response, f'<li><a href="#id_agreement">服务协议：{AGREEMENT_MESSAGE}</a></li>', html=True,
                   status_code=400)
    assertContains(response, 'value="李锐"', status_code=400)
    assert_untouched(policy)


def test_confirming_without_ticking_the_agreement_is_refused(world, demo_client):
    data = confirm_data(world.pending)
    del data["agreement_sha256"]
    assert_agreement_refused(demo_client.post(f"/insure/{world.pending.pk}/confirm/", data), world.pending)


def test_confirming_an_agreement_replaced_since_the_page_was_read_is_refused(world, demo_client):
    read = confirm_data(world.pending)
    newer = Agreement.objects.create(version="2026.2", title=world.scheme.agreement.title, body="修订后的协议正文")
    Scheme.objects.filter(pk=world.scheme.pk).update(agreement=newer)
    assert_agreement_refused(demo_client.post(f"/insure/{world.pending.pk}/confirm/", read), world.pending)


def test_confirming_a_policy_already_under_review_says_nothing_more_is_needed(world, demo_client, confirmed):
    response = demo_client.post(f"/insure/{confirmed.pk}/confirm/", confirm_data(confirmed, contact_name="王强"))
    assertRedirects(response, f"/insure/{confirmed.pk}/", fetch_redirect_response=False)
    text = page_text(demo_client.get(response.url))
    assert f"保单 {confirmed.number} 已是“审批中”状态，无需重复操作。" in text
    assert refreshed(confirmed).contact_name == "李锐"
    assert Confirmation.objects.filter(policy=confirmed).count() == 1


def test_declining_requires_a_reason(world, demo_client):
    response = demo_client.post(f"/insure/{world.pending.pk}/decline/", {"reason": "  "})
    assertContains(response, '<div class="invalid-feedback" id="id_reason_error">请填写原因。</div>', html=True,
                   status_code=400)
    assertContains(response, '<li><a href="#id_reason">原因：请填写原因。</a></li>', html=True, status_code=400)
    assert_untouched(world.pending)


def test_declining_is_a_second_step_that_says_what_it_means(world, demo_client):
    detail = demo_client.get(f"/insure/{world.pending.pk}/")
    assert 'name="reason"' not in detail.content.decode()  # no decline form beside 确认投保
    assertContains(detail, f'<a href="/insure/{world.pending.pk}/decline/">放弃投保</a>', html=True)
    page = demo_client.get(f"/insure/{world.pending.pk}/decline/")
    text = page_text(page)
    assert "放弃后本方案下将不再为本企业承保" in text and "确认放弃投保" in text and "返回，不放弃" in text
    assertContains(page, '<span class="text-danger" aria-hidden="true">*</span>', html=True)  # 原因 is required
    assert_untouched(world.pending)


def test_a_policy_that_cannot_be_declined_sends_the_page_back_with_its_state(world, demo_client, confirmed):
    response = demo_client.get(f"/insure/{confirmed.pk}/decline/", follow=True)
    assert response.redirect_chain == [(f"/insure/{confirmed.pk}/", 302)]
    assert f"保单 {confirmed.number} 当前状态为“审批中”，不能放弃投保。" in page_text(response)


def test_a_refused_decline_loses_none_of_the_confirmed_contacts(world, demo_client):
    """Once, the refused 放弃投保 re-drew the confirm form without the e-mail it had been confirmed with."""
    Policy.objects.filter(pk=world.pending.pk).update(contact_email="li.rui@example.com")
    response = demo_client.post(f"/insure/{world.pending.pk}/decline/", {"reason": ""})
    assert response.status_code == 400 and 'name="contact_email"' not in response.content.decode()
    assertContains(demo_client.get(f"/insure/{world.pending.pk}/"), 'value="li.rui@example.com"')


def test_declining_with_a_reason_moves_the_policy_to_the_declined_tab(world, demo_client):
    response = demo_client.post(f"/insure/{world.pending.pk}/decline/", {"reason": "企业已另行投保。"})
    assertRedirects(response, "/insure/?status=declined", fetch_redirect_response=False)
    assert f"已放弃投保保单 {world.pending.number}。" in page_text(demo_client.get(response.url))
    policy = refreshed(world.pending)
    assert (policy.status, policy.last_reason) == (PolicyStatus.DECLINED, "企业已另行投保。")


# --- who may see what -------------------------------------------------------

def test_an_unbound_enterprise_user_is_sent_to_bind_a_local_account_first(world, client):
    client.force_login(world.demo)
    for path in ["/insure/", "/insure/?status=returned", f"/insure/{world.pending.pk}/",
                 f"/insure/{world.pending.pk}/submitted/"]:
        assertRedirects(client.get(path), f"/local/bind/?{urlencode({'next': path})}", fetch_redirect_response=False)
    for page in ["confirm", "decline"]:  # a form sent before binding is not replayed afterwards as a GET
        response = visit(client, page, world.pending)
        assert response.status_code == 302 and response.url == "/local/bind/"
    assert_untouched(world.pending)


@pytest.mark.parametrize("who", [0, 1], ids=["demo2", "colleague-of-another-enterprise"])
def test_it_hides_a_policy_from_another_enterprise(world, client, outsiders, who):
    client.force_login(outsiders[who])
    for page in PAGES:
        response = visit(client, page, world.pending)
        assert response.status_code == 404, page
        assertNotContains(response, world.pending.number, status_code=404)
    assert_untouched(world.pending)


def test_another_enterprise_never_sees_the_policy_in_its_list(world, client, outsiders):
    client.force_login(outsiders[1])
    for status in PolicyStatus.values:
        response = client.get("/insure/", {"status": status})
        assertNotContains(response, world.pending.number)
    assertContains(client.get("/insure/", {"status": "returned"}), world.returned.number)


def test_a_colleague_of_the_same_enterprise_sees_and_can_open_the_policy(world, client, bound_colleague):
    client.force_login(bound_colleague)
    assertContains(client.get("/insure/"), world.pending.number)
    assertContains(client.get(f"/insure/{world.pending.pk}/"), world.pending.number)


@pytest.mark.parametrize("who", ["insurer", "bureau", "county", "admin"])
def test_it_refuses_other_parties(world, client, who):
    client.force_login(getattr(world, who))
    assert client.get("/insure/").status_code == 403
    for page in PAGES:
        assert visit(client, page, world.pending).status_code == 403, page
    assert_untouched(world.pending)


def test_it_sends_anonymous_visitors_to_log_in(world, client):
    for page, (_method, url) in PAGES.items():
        path = url.format(pk=world.pending.pk)
        assertRedirects(visit(client, page, world.pending), f"/login/?{urlencode({'next': path})}",
                        fetch_redirect_response=False)
    assert_untouched(world.pending)


def test_after_confirming_the_list_opens_on_the_tab_that_holds_the_policy(world, demo_client):
    """The demo enterprise's only 待确认 policy becomes 审批中: the list no longer opens on an empty tab."""
    demo_client.post(f"/insure/{world.pending.pk}/confirm/", confirm_data(world.pending))
    response = demo_client.get("/insure/")
    assertContains(response, world.pending.number)
    assertContains(response, 'aria-current="page"')
    assert response.context["status"] == PolicyStatus.CONFIRMED
    assert demo_client.get("/insure/?status=pending").context["status"] == PolicyStatus.PENDING  # asked for


def test_the_confirm_form_starts_from_the_account_and_keeps_the_tick_across_an_error(world, demo_client, bound_demo):
    type(bound_demo).objects.filter(pk=bound_demo.pk).update(display_name="李锐", mobile="13729230657")
    Policy.objects.filter(pk=world.pending.pk).update(contact_name="", contact_phone="", contact_email="")
    page = demo_client.get(f"/insure/{world.pending.pk}/")
    assertContains(page, 'value="李锐"')
    assertContains(page, 'type="tel" name="contact_phone"')
    assertContains(page, 'value="13729230657"')
    refused = demo_client.post(f"/insure/{world.pending.pk}/confirm/", confirm_data(world.pending, contact_phone="12"))
    assert refused.status_code == 400
    tick = re.search(r'<input[^>]*id="id_agreement"[^>]*>', refused.content.decode()).group(0)
    assert " checked" in tick  # the agreement stays accepted while the phone is corrected
