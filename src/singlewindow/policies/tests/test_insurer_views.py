"""The insurer's workbench under /insurer/ (保单审批): list, search, decide, issue — over HTTP."""
import re
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from singlewindow.enterprises.models import Enterprise
from singlewindow.policies import services
from singlewindow.policies.models import Confirmation, Policy, PolicyStatus

from .conftest import confirm_data, page_text, refreshed

RETURN_REASON = "联系电话无法接通，请核实后重新确认。"


def in_scope(world, status):
    return Policy.objects.visible_to(world.insurer).filter(status=status, scheme=world.scheme)


def messages_after(client, response):
    """The page the user lands on after a redirect, as text (with the one-time messages on it)."""
    assert response.status_code == 302
    return page_text(client.get(response.url))


# --- list and search -------------------------------------------------------------

def test_the_list_opens_on_the_under_review_tab_with_its_policies(world, insurer_client, confirmed):
    response = insurer_client.get("/insurer/")
    html = response.content.decode()
    assert re.search(r'class="nav-link active"[^>]*data-status="confirmed">审批中', html)
    under_review = in_scope(world, PolicyStatus.CONFIRMED)
    assert under_review.count() >= 2
    for policy in under_review:
        assertContains(response, f'value="{policy.pk}" aria-label="{policy.number}"')
    for policy in in_scope(world, PolicyStatus.PENDING):
        assertNotContains(response, policy.number)


def test_the_queue_costs_the_same_queries_for_one_row_as_for_every_row(world, insurer_client, confirmed):
    """Its rows load only what they show (insurer_views.QUEUE_ROW_FIELDS): no field read row by row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(url):
        with CaptureQueriesContext(connection) as seen:
            assert insurer_client.get(url).status_code == 200
        return len(seen)

    tab = "/insurer/?status=pending"
    queries(tab)  # the session's first request also reads the user into the cache
    many = in_scope(world, PolicyStatus.PENDING).count()
    one = in_scope(world, PolicyStatus.PENDING).order_by("status_changed_at", "id").first()
    assert many >= 2 and queries(tab) == queries(f"{tab}&q={one.number}")


def test_search_finds_a_policy_by_number_uscc_or_name(world, insurer_client):
    uscc = world.demo.enterprise.uscc
    others = in_scope(world, PolicyStatus.PENDING).exclude(pk=world.pending.pk)
    for typed in [uscc, f" {uscc[:6].lower()} {uscc[6:]}", "红海湾", world.pending.number.lower()]:
        response = insurer_client.get("/insurer/", {"status": "pending", "q": typed})
        assertContains(response, world.pending.number)
        for other in others:
            assertNotContains(response, other.number)


def test_search_survives_odd_queries(world, insurer_client):
    for query in ["a\x00b", "<script>alert(1)</script>", "保" * 5000, "%", "_", "'"]:
        response = insurer_client.get("/insurer/", {"q": query, "page": "-1"})
        assert response.status_code == (400 if "\x00" in query else 200)  # NUL: refused at the edge
        assertNotContains(response, "<script>alert(1)</script>", status_code=response.status_code)


# --- bulk approve ----------------------------------------------------------------

def test_bulk_approve_approves_what_it_can_and_reports_the_rest(world, insurer_client, confirmed, guangzhou_policy):
    others = list(in_scope(world, PolicyStatus.CONFIRMED).exclude(pk=confirmed.pk)[:1])
    effective = in_scope(world, PolicyStatus.EFFECTIVE).first()
    picked = [confirmed.pk, others[0].pk, effective.pk, guangzhou_policy.pk, 99999999, "abc", "²"]
    text = messages_after(insurer_client, insurer_client.post("/insurer/approve/", {"policy": picked, "checked": "1"}))
    assert "已审批通过 2 份保单。" in text
    assert f"保单 {effective.number} 已是“已生效”状态，无需重复操作。" in text
    assert text.count("保单不存在或不在本机构的服务区域内。") == 2
    for policy in [confirmed, others[0]]:
        policy = refreshed(policy)
        assert (policy.status, policy.cover_start) == (PolicyStatus.EFFECTIVE, timezone.localdate())
    assert refreshed(guangzhou_policy).status == PolicyStatus.PENDING


def test_bulk_approve_with_nothing_ticked_asks_to_tick_first(world, insurer_client):
    text = messages_after(insurer_client, insurer_client.post("/insurer/approve/", {}))
    assert "请先勾选要审批通过的保单。" in text


# --- one policy: detail, approve, return, cancel ----------------------------------

def test_the_detail_page_shows_how_the_enterprise_confirmed(world, client_for, bound_demo):
    client_for(bound_demo).post(f"/insure/{world.pending.pk}/confirm/", confirm_data(world.pending))
    confirmation = Confirmation.objects.get(policy=world.pending)
    text = page_text(client_for(world.insurer).get(f"/insurer/{world.pending.pk}/"))
    assert f"确认时间 {timezone.localtime(confirmation.at):%Y-%m-%d %H:%M:%S}" in text
    assert "登录方式 账号密码" in text and "来源地址 127.0.0.1" in text
    assert f"服务协议 {world.scheme.agreement.version} · {world.scheme.agreement.sha256[:16]}…" in text
    assert "联系人 / 联系电话 李锐 / 13729230657 / lirui@example.com" in text
    assert "审批通过" in text and "退回" in text and "撤销" in text


def test_approving_puts_the_policy_in_force_from_today(world, insurer_client, confirmed):
    following = (Policy.objects.visible_to(world.insurer).filter(status=PolicyStatus.CONFIRMED)
                 .exclude(pk=confirmed.pk).order_by("status_changed_at", "id").first())
    response = insurer_client.post(f"/insurer/{confirmed.pk}/approve/", {"checked": "1"})
    # Decided: the workbench goes on to the confirmation that has waited longest.
    assertRedirects(response, f"/insurer/{following.pk}/", fetch_redirect_response=False)
    told = messages_after(insurer_client, response)
    assert f"保单 {confirmed.number} 已审批通过，已生效。下一份待审批：{following.number}。" in told
    policy = refreshed(confirmed)
    assert (policy.status, policy.cover_start, policy.cover_end) == (
        PolicyStatus.EFFECTIVE, timezone.localdate(), world.scheme.cover_end)


def test_approving_twice_says_it_is_already_done(world, insurer_client, confirmed):
    insurer_client.post(f"/insurer/{confirmed.pk}/approve/", {"checked": "1"})
    response = insurer_client.post(f"/insurer/{confirmed.pk}/approve/", {"checked": "1"})
    assert f"保单 {confirmed.number} 已是“已生效”状态，无需重复操作。" in messages_after(insurer_client, response)


BAD_REASONS = [("", "请填写原因。"), ("   ", "请填写原因。"), ("理" * 501, "原因不能超过500个字。"),
               ("<b>x</b>", "不能包含 &lt; &gt; 等标记、控制字符或文字方向控制符。"), ("a\x00b", None)]


@pytest.mark.parametrize("action", ["return", "cancel"])
def test_return_and_cancel_require_a_proper_reason(world, insurer_client, confirmed, action):
    for reason, message in BAD_REASONS:
        response = insurer_client.post(f"/insurer/{confirmed.pk}/{action}/", {f"{action}-reason": reason})
        if message is None:  # Django's own message for a NUL character
            assertContains(response, "form-control is-invalid", status_code=400)
        else:
            assertContains(response, f'<div class="invalid-feedback" id="id_{action}-reason_error">{message}</div>',
                           html=True, status_code=400)
        assertNotContains(response, "<b>x</b>", status_code=400)
    policy = refreshed(confirmed)
    assert (policy.status, policy.last_reason) == (PolicyStatus.CONFIRMED, "")


def test_a_returned_policy_shows_the_reason_to_the_enterprise_which_can_confirm_again(world, client_for, confirmed,
                                                                                     bound_demo):
    insurer = client_for(world.insurer)
    response = insurer.post(f"/insurer/{confirmed.pk}/return/", {"return-reason": RETURN_REASON})
    assert f"保单 {confirmed.number} 已退回。" in messages_after(insurer, response)
    assert refreshed(confirmed).status == PolicyStatus.RETURNED

    demo = client_for(bound_demo)
    assertContains(demo.get("/insure/", {"status": "returned"}), confirmed.number)
    text = page_text(demo.get(f"/insure/{confirmed.pk}/"))
    assert f"保险公司已退回本保单 ：{RETURN_REASON}" in text and "确认投保" in text
    response = demo.post(f"/insure/{confirmed.pk}/confirm/", confirm_data(confirmed, contact_phone="0660-3379016"))
    assertRedirects(response, f"/insure/{confirmed.pk}/submitted/", fetch_redirect_response=False)
    policy = refreshed(confirmed)
    assert (policy.status, policy.contact_phone) == (PolicyStatus.CONFIRMED, "0660-3379016")
    assert Confirmation.objects.filter(policy=policy).count() == 2


def test_cancelling_with_a_reason_cancels_the_policy_after_a_second_step(world, insurer_client):
    check = insurer_client.post(f"/insurer/{world.pending.pk}/cancel/", {"cancel-reason": "企业已注销。"})
    text = page_text(check)  # 撤销 cannot be undone: first what it will do, then only the page's own POST acts
    assert "撤销后保单不再有效，企业不能再确认投保；撤销不能恢复。撤销原因会告知企业：企业已注销。" in text
    assert "确认撤销" in text and refreshed(world.pending).status == PolicyStatus.PENDING
    response = insurer_client.post(f"/insurer/{world.pending.pk}/cancel/",
                                   {"cancel-reason": "企业已注销。", "checked": "1"})
    assert f"保单 {world.pending.number} 已撤销。" in messages_after(insurer_client, response)
    policy = refreshed(world.pending)
    assert (policy.status, policy.last_reason) == (PolicyStatus.CANCELLED, "企业已注销。")


def test_an_unknown_action_is_not_found(world, insurer_client, confirmed):
    assert insurer_client.post(f"/insurer/{confirmed.pk}/delete/").status_code == 404
    assert insurer_client.post(f"/insurer/{confirmed.pk}/approve_many/").status_code == 404
    assert refreshed(confirmed).status == PolicyStatus.CONFIRMED


# --- issuing a policy ------------------------------------------------------------

def issue(client, world, uscc):
    return client.post("/insurer/issue/", {"scheme": world.scheme.pk, "uscc": uscc})


@pytest.mark.parametrize("case", ["unknown", "outside-region"])
def test_issuing_to_an_enterprise_outside_the_area_is_refused(world, insurer_client, guangzhou_policy, case):
    uscc = {"unknown": "91441502MA4X000000", "outside-region": guangzhou_policy.enterprise.uscc}[case]
    before = Policy.objects.count()
    response = issue(insurer_client, world, uscc)
    assertContains(response, f"本机构服务区域内没有统一社会信用代码为 {uscc} 的企业。", status_code=400)
    assertContains(response, f'value="{uscc}"', status_code=400)
    assert Policy.objects.count() == before


def test_issuing_twice_to_the_same_enterprise_is_refused(world, insurer_client):
    before = Policy.objects.count()
    response = issue(insurer_client, world, world.demo.enterprise.uscc.lower())
    assertContains(response, f"该企业在本方案下已有保单 {world.pending.number}（待确认），不能重复出单。", status_code=400)
    assert Policy.objects.count() == before


def test_issuing_to_an_enterprise_in_the_area_creates_a_pending_policy(world, insurer_client):
    enterprise = Enterprise.objects.visible_to(world.insurer).exclude(policies__scheme=world.scheme).first()
    response = issue(insurer_client, world, enterprise.uscc)
    policy = Policy.objects.get(scheme=world.scheme, enterprise=enterprise)
    assertRedirects(response, f"/insurer/{policy.pk}/", fetch_redirect_response=False)
    assert policy.status == PolicyStatus.PENDING
    assert f"已向 {enterprise.name} 出具保单 {policy.number}，等待企业确认。" in messages_after(insurer_client, response)


# --- who may see what ----------------------------------------------------------

POLICY_URLS = [("get", "/insurer/{pk}/"), ("post", "/insurer/{pk}/approve/"), ("post", "/insurer/{pk}/return/"),
               ("post", "/insurer/{pk}/cancel/")]


def test_another_branch_cannot_see_or_decide_our_policies(world, client, confirmed):
    client.force_login(world.other_insurer)
    for method, url in POLICY_URLS:
        response = getattr(client, method)(url.format(pk=confirmed.pk), {"return-reason": "x", "cancel-reason": "x"})
        assert response.status_code == 404, url
        assertNotContains(response, confirmed.number, status_code=404)
    assert refreshed(confirmed).status == PolicyStatus.CONFIRMED


def test_another_branch_lists_none_of_our_policies_and_cannot_bulk_approve_them(world, client, confirmed,
                                                                                 guangzhou_policy):
    client.force_login(world.other_insurer)
    for status in PolicyStatus.values:
        response = client.get("/insurer/", {"status": status})
        for policy in Policy.objects.visible_to(world.insurer):
            assertNotContains(response, policy.number)
    assertContains(client.get("/insurer/", {"status": "pending"}), guangzhou_policy.number)
    text = messages_after(client, client.post("/insurer/approve/", {"policy": [confirmed.pk], "checked": "1"}))
    assert "保单不存在或不在本机构的服务区域内。" in text
    assert refreshed(confirmed).status == PolicyStatus.CONFIRMED


PAGES = [("get", "/insurer/"), ("get", "/insurer/issue/"), ("post", "/insurer/approve/"), *POLICY_URLS]


@pytest.mark.parametrize("who", ["demo", "demo2", "bureau", "county", "admin"])
def test_it_refuses_everyone_but_insurers(world, client, confirmed, who):
    client.force_login(getattr(world, who))
    for method, url in PAGES:
        response = getattr(client, method)(url.format(pk=confirmed.pk), {"policy": [confirmed.pk]})
        assert response.status_code == 403, url
    assert refreshed(confirmed).status == PolicyStatus.CONFIRMED


def test_it_sends_anonymous_visitors_to_log_in(world, client, confirmed):
    for method, url in PAGES:
        url = url.format(pk=confirmed.pk)
        response = client.get(url) if method == "get" else client.post(url, {"policy": [confirmed.pk]})
        assertRedirects(response, f"/login/?{urlencode({'next': url})}", fetch_redirect_response=False)
    assert refreshed(confirmed).status == PolicyStatus.CONFIRMED


# --- a second step before an irreversible decision (issue 11 #2) -----------------------

def test_approving_asks_once_more_and_changes_nothing_until_then(world, insurer_client, confirmed):
    check = insurer_client.post(f"/insurer/{confirmed.pk}/approve/")
    text = page_text(check)
    assert check.status_code == 200 and "审批通过后保单即时生效" in text and confirmed.number in text
    assertContains(check, '<input type="hidden" name="checked" value="1">', html=True)
    assert "确认审批通过" in text and "返回，暂不操作" in text
    assert refreshed(confirmed).status == PolicyStatus.CONFIRMED


def test_bulk_approval_lists_what_it_will_approve_first(world, insurer_client, confirmed, guangzhou_policy):
    effective = in_scope(world, PolicyStatus.EFFECTIVE).first()
    check = insurer_client.post("/insurer/approve/", {"policy": [confirmed.pk, effective.pk, guangzhou_policy.pk]})
    text = page_text(check)
    assert "确认审批通过（1 份）" in text and confirmed.number in text
    assert effective.number not in text and guangzhou_policy.number not in text  # neither waiting nor ours
    assertContains(check, f'<input type="hidden" name="policy" value="{confirmed.pk}">', html=True)
    assert refreshed(confirmed).status == PolicyStatus.CONFIRMED


def test_the_last_decision_of_the_queue_leads_back_to_the_emptied_list(world, insurer_client, confirmed):
    others = Policy.objects.visible_to(world.insurer).filter(status=PolicyStatus.CONFIRMED).exclude(pk=confirmed.pk)
    for other in others:
        services.approve(world.insurer, other.pk)
    response = insurer_client.post(f"/insurer/{confirmed.pk}/return/", {"return-reason": "联系电话有误，请核对。"})
    assertRedirects(response, "/insurer/?status=confirmed", fetch_redirect_response=False)
    assert "审批中的保单已全部处理。" in messages_after(insurer_client, response)


def test_the_queue_filters_by_scheme_and_county_and_keeps_them_across_pages(world, insurer_client, confirmed):
    county = confirmed.enterprise.region_id
    response = insurer_client.get("/insurer/", {"status": "confirmed", "county": county, "scheme": confirmed.scheme_id})
    text = page_text(response)
    assert confirmed.number in text
    expected = Policy.objects.visible_to(world.insurer).filter(
        status=PolicyStatus.CONFIRMED, enterprise__region=county, scheme=confirmed.scheme_id).count()
    assert f"共 {expected} 份，按确认时间先后排列（等待最久的在前）。" in text
    other_county = "441581" if county != "441581" else "441521"
    assert confirmed.number not in page_text(insurer_client.get("/insurer/", {"status": "confirmed",
                                                                             "county": other_county}))


def test_a_foreign_scheme_or_county_in_the_filter_is_refused_by_name(world, insurer_client, guangzhou_policy):
    text = page_text(insurer_client.get("/insurer/", {"scheme": guangzhou_policy.scheme_id, "county": "440103"}))
    assert "请选择列表中的投保方案。" in text and "请选择列表中的县区。" in text
    assert guangzhou_policy.number not in text


@pytest.mark.parametrize("served", ["441521", "441500"])
def test_the_county_filter_lists_the_counties_a_branch_serves_whether_a_county_or_a_city(world, served):
    from singlewindow.policies.insurer_views import QueueFilter
    from singlewindow.regions.models import Region

    world.insurer.insurer_branch.regions.set([Region.objects.get(pk=served)])
    counties = set(QueueFilter(world.insurer).fields["county"].queryset.values_list("pk", flat=True))
    assert "441521" in counties
    assert all(code.startswith(served[:4] if served.endswith("00") else served) for code in counties)


def test_the_next_confirmation_stays_in_the_queue_the_list_was_filtered_to(world, insurer_client, confirmed):
    county = confirmed.enterprise.region_id
    listing = insurer_client.get("/insurer/", {"status": "confirmed", "county": county}).content.decode()
    assert f'href="/insurer/{confirmed.pk}/?county={county}"' in listing  # the detail keeps the queue
    detail = insurer_client.get(f"/insurer/{confirmed.pk}/", {"county": county}).content.decode()
    assert f'action="/insurer/{confirmed.pk}/approve/?county={county}"' in detail
    same_county = (Policy.objects.visible_to(world.insurer).filter(status=PolicyStatus.CONFIRMED,
                                                                 enterprise__region=county)
                   .exclude(pk=confirmed.pk).order_by("status_changed_at", "id").first())
    response = insurer_client.post(f"/insurer/{confirmed.pk}/approve/?county={county}", {"checked": "1"})
    expected = f"/insurer/{same_county.pk}/?county={county}" if same_county else \
        f"/insurer/?status=confirmed&county={county}"
    assertRedirects(response, expected, fetch_redirect_response=False)
