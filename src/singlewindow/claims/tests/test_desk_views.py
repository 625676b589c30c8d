"""理赔审核 (the insurer's desk) and 报损理赔统计 over HTTP: the review from take to recovery, refusals, scopes."""
import datetime as dt
import re

import pytest
from django.urls import reverse

from singlewindow.accounts.models import Role, User
from singlewindow.claims import services
from singlewindow.claims.models import Buyer, Claim, LossNotice, SettlementConsent
from singlewindow.claims.tests.conftest import at, claim_for, claim_in, file, pdf
from singlewindow.claims.transitions import CLAIM
from singlewindow.policies.models import Policy
from singlewindow.policies.tests.conftest import page_text


def after(client, response):
    assert response.status_code == 302, response.status_code
    return page_text(client.get(response.url))


def desk_urls(claim):
    notice = claim.notice
    gets = [reverse("claims:desk"), reverse("claims:desk_notice", args=[notice.pk]),
            reverse("claims:desk_claim", args=[claim.pk]), reverse("claims:desk_buyers")]
    posts = [reverse(f"claims:desk_{name}", args=[claim.pk]) for name in
             ("claim_take", "claim_assign", "claim_request", "claim_approve", "claim_reject", "claim_pay",
              "claim_recovery")]
    posts += [reverse("claims:desk_notice_acknowledge", args=[notice.pk]),
              reverse("claims:desk_notice_message", args=[notice.pk])]
    settlement = notice.settlements.first()
    if settlement is not None:
        posts.append(reverse("claims:desk_settlement_decide", args=[settlement.pk]))
    return gets, posts


def test_the_review_from_take_to_recovery(client_for, insured):
    from singlewindow.claims import services

    claim = claim_for(insured)
    insurer = client_for(insured.insurer)
    queue = page_text(insurer.get("/claims/desk/", {"tab": "claims"}))
    assert claim.number in queue and "Hamburg Trading GmbH" in queue
    url = reverse("claims:desk_claim", args=[claim.pk])
    assert "开始审核" in page_text(insurer.get(url))
    assert "已开始审核" in after(insurer, insurer.post(reverse("claims:desk_claim_take", args=[claim.pk])))
    response = insurer.post(reverse("claims:desk_claim_request", args=[claim.pk]), {"items": "法院文书\n催收函"})
    assert "补充 2 项材料" in after(insurer, response)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.INFO_REQUESTED
    services.resubmit(insured.user, claim.pk, {r.pk: "已附说明。" for r in claim.requests.all()})
    page = page_text(insurer.get(url, {"usd_rate": "1.18", "rate_date": "2020-11-02"}))
    assert "1.18" in page and "2020-11-02" in page and "USD 9,440.00" in page  # 10,000 EUR × 1.18 × 80 %
    check = insurer.post(reverse("claims:desk_claim_approve", args=[claim.pk]),
                         {"usd_rate": "1.18", "rate_date": "2020-11-02"})
    assert check.status_code == 200 and "确认核赔" in page_text(check)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.RESUBMITTED  # nothing done before the second step
    done = insurer.post(reverse("claims:desk_claim_approve", args=[claim.pk]),
                        {"usd_rate": "1.18", "rate_date": "2020-11-02", "checked": "1"})
    assert "已核赔" in after(insurer, done)
    again = insurer.post(reverse("claims:desk_claim_approve", args=[claim.pk]),
                         {"usd_rate": "1.18", "rate_date": "2020-11-02", "checked": "1"})
    assert "已是“已核赔”" in after(insurer, again)
    claim.refresh_from_db()
    assert claim.indemnity_usd == 9440
    pay = {"paid_on": dt.date.today().isoformat(), "amount_usd": "9440.00", "reference": "PAY-1"}
    assert "确认登记赔付" in page_text(insurer.post(reverse("claims:desk_claim_pay", args=[claim.pk]), pay))
    insurer.post(reverse("claims:desk_claim_pay", args=[claim.pk]), {**pay, "checked": "1"})
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID
    response = insurer.post(reverse("claims:desk_claim_recovery", args=[claim.pk]),
                            {"amount_usd": "1000.00", "received_on": dt.date.today().isoformat(), "note": ""})
    text = after(insurer, response)
    assert "保险公司分得 USD 800.00" in text and "企业分得 USD 200.00" in text


def test_reject_takes_a_second_step(client_for, insured):
    claim = claim_in(insured, Claim.Status.UNDER_REVIEW)
    insurer = client_for(insured.insurer)
    url = reverse("claims:desk_claim_reject", args=[claim.pk])
    assert "确认拒赔" in page_text(insurer.post(url, {"reason": "损失不属于保险责任。"}))
    insurer.post(url, {"reason": "损失不属于保险责任。", "checked": "1"})
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REJECTED and claim.decision_reason == "损失不属于保险责任。"


def a_claim_with_a_plan(insured):
    """A claim whose notice has a settlement plan waiting for the insurer: every desk URL has a target."""
    claim = claim_for(insured)
    services.propose_settlement(insured.user, claim.notice_id, "买方分三期付清，每月一期。")
    return claim


def test_another_branch_gets_404_on_every_desk_url_and_changes_nothing(client_for, insured):
    claim = a_claim_with_a_plan(insured)
    settlement = claim.notice.settlements.get()
    gets, posts = desk_urls(claim)
    assert reverse("claims:desk_settlement_decide", args=[settlement.pk]) in posts
    other = client_for(insured.world.other_insurer)
    decided = {f"s{settlement.pk}-decision": "consented", f"s{settlement.pk}-text": "同意。", "checked": "1",
               "usd_rate": "1.18", "rate_date": "2020-11-02", "reason": "不予赔付。", "items": "法院文书",
               "kind": "question", "body": "请说明。"}
    for url in gets[1:3]:
        assert other.get(url).status_code == 404, url
    for url in posts:
        assert other.post(url, decided).status_code == 404, url
    # the lists answer, with none of this branch's cases or buyers in them
    for url in (gets[0], f"{gets[0]}?tab=claims&status=all", f"{gets[0]}?tab=notices&status=all", gets[3]):
        response = other.get(url)
        text = page_text(response)
        assert response.status_code == 200 and claim.number not in text and claim.notice.number not in text, url
        assert "Hamburg Trading GmbH" not in text, url
    twin = services.add_buyer(insured.user, {"name_latin": "Hamburg Trading", "country": "DE"})
    merge = other.post(gets[3], {"keep": insured.buyer.pk, "duplicates": [twin.pk], "checked": "1"})
    assert merge.status_code == 400 and "请选择要保留的买方" in page_text(merge)
    claim.refresh_from_db()
    settlement.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED and settlement.decision == SettlementConsent.Decision.PENDING
    assert not Buyer.objects.filter(merged_into__isnull=False, enterprise=insured.policy.enterprise_id).exists()
    assert not claim.notice.messages.exists()


def test_a_bureau_an_enterprise_and_the_administrator_are_refused_on_the_desk(client_for, insured):
    claim = a_claim_with_a_plan(insured)
    gets, posts = desk_urls(claim)
    for user in (insured.world.bureau, insured.world.county, insured.world.demo, insured.world.colleague,
                 insured.world.admin):
        browser = client_for(user)
        for url in gets:
            assert browser.get(url).status_code == 403, (user, url)
        for url in posts:
            assert browser.post(url, {"checked": "1"}).status_code == 403, (user, url)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert claim.notice.settlements.get().decision == SettlementConsent.Decision.PENDING


def test_an_enterprise_is_refused_the_bureaus_figures(client_for, insured):
    claim_for(insured)
    for user in (insured.world.demo, insured.world.demo2):
        browser = client_for(user)
        assert browser.get(reverse("claims:figures")).status_code == 403
        assert browser.get(reverse("claims:figures"), {"format": "xlsx"}).status_code == 403


def test_anonymous_is_sent_to_log_in(client, insured):
    claim = claim_for(insured)
    gets, _posts = desk_urls(claim)
    for url in gets:
        assert client.get(url).status_code == 302
    assert client.get("/claims/figures/").status_code == 302


def test_acknowledge_a_notice(client_for, insured):
    notice = file(insured)
    insurer = client_for(insured.insurer)
    assert "受理" in page_text(insurer.get(reverse("claims:desk_notice", args=[notice.pk])))
    assert "已受理" in after(insurer, insurer.post(reverse("claims:desk_notice_acknowledge", args=[notice.pk])))


def test_figures_count_the_region_and_show_no_names(client_for, insured):
    claim_for(insured)  # demo: 城区
    bureau = page_text(client_for(insured.world.bureau).get("/claims/figures/"))
    assert "城区" in bureau and "Hamburg" not in bureau
    county = client_for(insured.world.county).get("/claims/figures/")
    assert "城区" not in page_text(county) and "/claims/documents/" not in county.content.decode()
    xlsx = client_for(insured.world.bureau).get("/claims/figures/", {"format": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("name", ["desk", "desk_buyers"])
def test_desk_pages_render(client_for, insured, name):
    claim_for(insured)
    assert client_for(insured.insurer).get(reverse(f"claims:{name}")).status_code == 200


# --- 和解方案: the insurer's written decision, and what the enterprise reads of it ----------------------

@pytest.mark.parametrize(("decision", "label", "text"), [
    ("consented", "同意", "同意，请每期到账后三日内告知。"),
    ("refused", "不同意", "不同意：首期金额过低，请重新协商。"),
])
def test_a_settlement_decision_takes_a_second_step_and_the_enterprise_reads_it(
        client_for, insured, decision, label, text):
    notice = file(insured)
    settlement = services.propose_settlement(insured.user, notice.pk, "买方分三期付清，每月一期。")
    insurer = client_for(insured.insurer)
    page = page_text(insurer.get(reverse("claims:desk_notice", args=[notice.pk])))
    assert "买方分三期付清，每月一期。" in page and "待保险公司决定" in page and "提交决定" in page
    url = reverse("claims:desk_settlement_decide", args=[settlement.pk])
    fields = {f"s{settlement.pk}-decision": decision, f"s{settlement.pk}-text": text}
    check = insurer.post(url, fields)
    assert check.status_code == 200
    shown = page_text(check)
    assert f"确认{label}" in shown and f"书面意见：{text}" in shown and "不能更改" in shown
    settlement.refresh_from_db()
    assert settlement.decision == SettlementConsent.Decision.PENDING  # nothing decided before the second step
    assert f"已就和解方案作出决定：{label}。" in after(insurer, insurer.post(url, {**fields, "checked": "1"}))
    settlement.refresh_from_db()
    assert settlement.decision == decision and settlement.decision_text == text
    assert settlement.decided_by == insured.insurer
    again = insurer.post(url, {**fields, "checked": "1"})
    assert "该和解方案已有决定，无需重复操作。" in after(insurer, again)
    desk = page_text(insurer.get(reverse("claims:desk_notice", args=[notice.pk])))
    assert f"{label}：{text}" in desk and "提交决定" not in desk
    enterprise = page_text(client_for(insured.user).get(reverse("claims:notice_detail", args=[notice.pk])))
    assert f"{label}" in enterprise and f"保险公司书面意见：{text}" in enterprise


def test_a_settlement_decision_needs_a_choice_and_a_written_opinion(client_for, insured):
    notice = file(insured)
    settlement = services.propose_settlement(insured.user, notice.pk, "买方分三期付清。")
    insurer = client_for(insured.insurer)
    url = reverse("claims:desk_settlement_decide", args=[settlement.pk])
    for fields, message in (({f"s{settlement.pk}-text": "同意。"}, "决定"),
                            ({f"s{settlement.pk}-decision": "consented"}, "书面意见"),
                            ({f"s{settlement.pk}-decision": "maybe", f"s{settlement.pk}-text": "x"}, "决定")):
        response = insurer.post(url, {**fields, "checked": "1"})
        assert response.status_code == 400 and message in page_text(response)
    settlement.refresh_from_db()
    assert settlement.decision == SettlementConsent.Decision.PENDING


# --- 买方管理: merging duplicates -------------------------------------------------------------------------

def test_the_insurer_merges_duplicate_buyers_after_a_second_step(client_for, insured):
    world = insured.world
    twin = services.add_buyer(world.demo, {"name_latin": "Hamburg Trading", "country": "DE"})
    e11 = User.objects.get(username="e11")  # an insured of 海丰县, the same branch
    other = services.add_buyer(e11, {"name_latin": "HAMBURG TRADING GMBH", "country": "DE"})
    insurer = client_for(world.insurer)
    url = reverse("claims:desk_buyers")
    listed = page_text(insurer.get(url))
    assert "Hamburg Trading GmbH" in listed and "HAMBURG TRADING GMBH" in listed
    fields = {"keep": insured.buyer.pk, "duplicates": [twin.pk, other.pk]}
    check = insurer.post(url, fields)
    assert check.status_code == 200 and "确认合并（2 个）" in page_text(check)
    assert not Buyer.objects.filter(merged_into=insured.buyer).exists()
    text = after(insurer, insurer.post(url, {**fields, "checked": "1"}))
    assert "已将 2 个买方合并至 Hamburg Trading GmbH。" in text
    assert "已合并至 Hamburg Trading GmbH" in text
    assert set(Buyer.objects.filter(merged_into=insured.buyer).values_list("pk", flat=True)) == {twin.pk, other.pk}


def test_a_buyer_is_not_merged_into_itself_nor_across_branches(client_for, insured):
    world = insured.world
    insurer = client_for(world.insurer)
    url = reverse("claims:desk_buyers")
    itself = insurer.post(url, {"keep": insured.buyer.pk, "duplicates": [insured.buyer.pk], "checked": "1"})
    assert itself.status_code == 400 and "请选择与之重复的买方。" in page_text(itself)
    # a buyer of an insured of another branch (广州): neither kept nor merged from here
    guangzhou = services.add_buyer(world.demo, {"name_latin": "Guangzhou Twin", "country": "DE"})
    Buyer.objects.filter(pk=guangzhou.pk).update(enterprise=_enterprise_outside(world))
    assert "Guangzhou Twin" not in page_text(insurer.get(url))
    assert "Guangzhou Twin" in page_text(client_for(world.other_insurer).get(url))
    across = insurer.post(url, {"keep": insured.buyer.pk, "duplicates": [guangzhou.pk], "checked": "1"})
    assert across.status_code == 400 and "请选择与之重复的买方。" in page_text(across)
    other = client_for(world.other_insurer)
    into = other.post(url, {"keep": guangzhou.pk, "duplicates": [insured.buyer.pk], "checked": "1"})
    assert into.status_code == 400 and "请选择与之重复的买方。" in page_text(into)
    assert not Buyer.objects.exclude(merged_into=None).filter(pk__in=[insured.buyer.pk, guangzhou.pk]).exists()


def _enterprise_outside(world):
    """An enterprise of 广州市越秀区 (the other branch's region), made for the test."""
    from singlewindow.enterprises.identifiers import make_uscc
    from singlewindow.enterprises.models import Enterprise

    return Enterprise.objects.create(uscc=make_uscc("91", "440104", "44556677"), name="广州越秀测试贸易有限公司",
                                     region_id="440104")


# --- the queue: filters and its order by deadline ---------------------------------------------------------

def haifeng(world):
    """e11, an insured of 海丰县 under the same branch, with its 2020 policy and a buyer: a second county."""
    from types import SimpleNamespace

    user = User.objects.get(username="e11")
    policy = Policy.objects.select_related("scheme").get(enterprise=user.enterprise_id, scheme__year=2020)
    buyer = services.add_buyer(user, {"name_latin": "Lagos Home Goods Ltd", "country": "NG"})
    return SimpleNamespace(user=user, policy=policy, buyer=buyer, insurer=world.insurer, world=world)


def listed(client, **query):
    """The case numbers the queue lists, in its order."""
    html = client.get(reverse("claims:desk"), query).content.decode()
    return re.findall(r">((?:SP|BS)\d{14})</a>", html.split('data-testid="desk-queue"')[1])


def in_order(numbers, *cases):
    return [number for number in numbers if number in {case.number for case in cases}]


@pytest.fixture
def claims_queue(insured):
    """Four claims of the branch: `reviewed` (城区, 买方破产, under review by the insurer, due 2020-11-05),
    `fresh` (城区, 拖欠, unassigned, due 2020-10-25), `county` (海丰县, 拖欠, a colleague's, due 2020-10-10) and
    `withdrawn` (no date) — made in an order that is not the queue's."""
    from types import SimpleNamespace

    world = insured.world
    colleague = User.objects.create_user("insurer_colleague", password="Insurer@2020", role=Role.INSURER,
                                         insurer_branch=world.insurer.insurer_branch, display_name="林静")
    reviewed = services.submit_claim(insured.user, file(insured, cause="insolvency").pk, claimed_amount="100.00",
                                     now=at(dt.date(2020, 10, 2)))
    services.take_claim(world.insurer, reviewed.pk, now=at(dt.date(2020, 10, 6)))
    fresh = services.submit_claim(insured.user, file(insured).pk, claimed_amount="200.00",
                                  now=at(dt.date(2020, 10, 20)))
    other = haifeng(world)
    county = services.submit_claim(other.user, file(other).pk, claimed_amount="300.00", now=at(dt.date(2020, 10, 5)))
    services.assign(world.insurer, county.pk, colleague.pk)
    withdrawn = claim_in(insured, Claim.Status.WITHDRAWN)
    cases = SimpleNamespace(reviewed=reviewed, fresh=fresh, county=county, withdrawn=withdrawn, colleague=colleague)
    for name in ("reviewed", "fresh", "county"):
        getattr(cases, name).refresh_from_db()
    return cases


def test_the_claims_queue_is_ordered_by_its_deadline_soonest_first(client_for, insured, claims_queue):
    q = claims_queue
    assert (q.county.target_date, q.fresh.target_date, q.reviewed.target_date) == (
        dt.date(2020, 10, 10), dt.date(2020, 10, 25), dt.date(2020, 11, 5))
    insurer = client_for(insured.insurer)
    waiting = listed(insurer, tab="claims")
    assert in_order(waiting, q.reviewed, q.fresh, q.county, q.withdrawn) == [q.county.number, q.fresh.number,
                                                                            q.reviewed.number]
    everything = listed(insurer, tab="claims", status="all")
    assert in_order(everything, q.reviewed, q.fresh, q.county, q.withdrawn) == [
        q.county.number, q.fresh.number, q.reviewed.number, q.withdrawn.number]  # no date: last


@pytest.mark.parametrize(("query", "expected"), [
    ({"status": "under_review"}, ["reviewed"]),
    ({"status": "withdrawn"}, ["withdrawn"]),
    ({"county": "441521"}, ["county"]),
    ({"county": "441502", "status": "all"}, ["fresh", "reviewed", "withdrawn"]),
    ({"cause": "insolvency"}, ["reviewed"]),
    ({"cause": "default"}, ["county", "fresh"]),
    ({"assignee": "me"}, ["reviewed"]),
    ({"assignee": "none"}, ["fresh"]),
    ({"assignee": "colleague"}, ["county"]),
    ({"county": "441502", "cause": "default", "assignee": "none"}, ["fresh"]),
])
def test_the_claims_queue_filters_by_status_county_cause_and_assignee(client_for, insured, claims_queue, query,
                                                                      expected):
    q = claims_queue
    if query.get("assignee") == "colleague":
        query = {**query, "assignee": str(q.colleague.pk)}
    numbers = listed(client_for(insured.insurer), tab="claims", **query)
    assert in_order(numbers, q.reviewed, q.fresh, q.county, q.withdrawn) == [getattr(q, n).number for n in expected]


def test_the_queue_refuses_a_county_outside_the_branch(client_for, insured, claims_queue):
    response = client_for(insured.insurer).get(reverse("claims:desk"), {"tab": "claims", "county": "440104"})
    assert response.status_code == 200 and "请选择列表中的县区。" in page_text(response)


def test_the_notices_queue_filters_and_is_ordered_by_its_deadline(client_for, insured):
    other = haifeng(insured.world)
    later = file(other, now=at(dt.date(2020, 10, 3)), cause="insolvency")  # to acknowledge by 2020-10-08
    sooner = file(insured, now=at(dt.date(2020, 10, 1)))  # by 2020-10-06, made after `later`
    seen = notice_in_status_acknowledged(insured)
    insurer = client_for(insured.insurer)
    cases = (later, sooner, seen)
    assert in_order(listed(insurer, tab="notices"), *cases) == [sooner.number, later.number]
    assert in_order(listed(insurer, tab="notices", status="acknowledged"), *cases) == [seen.number]
    assert in_order(listed(insurer, tab="notices", county="441521"), *cases) == [later.number]
    assert in_order(listed(insurer, tab="notices", cause="default", status="all"), *cases) == [
        sooner.number, seen.number]


def notice_in_status_acknowledged(insured):
    notice = file(insured, now=at(dt.date(2020, 9, 20)))
    return services.acknowledge_notice(insured.insurer, notice.pk)


# --- 报损理赔统计: each bureau its own region's counts ---------------------------------------------------

def test_a_bureau_sees_only_its_own_regions_counts(client_for, insured):
    claim_for(insured)  # demo: 城区 (汕尾市)
    other = haifeng(insured.world)
    file(other)  # e11: 海丰县
    in_haifeng = LossNotice.objects.filter(policy__enterprise__region="441521").count()
    in_shanwei = LossNotice.objects.filter(policy__enterprise__region__parent="441500").count()
    assert in_haifeng < in_shanwei

    def total_filed(user):
        html = client_for(user).get(reverse("claims:figures")).content.decode()
        return int(re.search(r'data-testid="total-filed">(\d+)<', html).group(1)), page_text_of(html)

    city, city_text = total_filed(insured.world.bureau)
    assert city == in_shanwei and "城区" in city_text and "海丰县" in city_text
    county, county_text = total_filed(insured.world.county)
    assert county == in_haifeng and "海丰县" in county_text and "城区" not in county_text
    guangzhou = User.objects.create_user("bureau_gz", password="Bureau@2020", role=Role.BUREAU, region_id="440100")
    nothing, text = total_filed(guangzhou)
    assert nothing == 0 and "辖区内暂无报损或索赔。" in text and "城区" not in text and "海丰县" not in text
    workbook = client_for(guangzhou).get(reverse("claims:figures"), {"format": "xlsx"})
    import io

    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(workbook.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[-1][1] == "合计" and rows[-1][2] == 0  # the total line only, nothing in it


def page_text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the claim page: what the insurer does next, amounts on one line, a truthful checklist -----------------

def desk_claim(client_for, insured, claim):
    return client_for(insured.insurer).get(reverse("claims:desk_claim", args=[claim.pk]))


def next_step_shown(response):
    html = response.content.decode()
    return page_text_of(re.search(r'data-testid="next-step">(.*?)</dd>', html, re.DOTALL).group(1)).strip()


def test_after_the_enterprise_resubmitted_the_desk_says_what_the_insurer_does_and_by_when(client_for, insured):
    claim = claim_in(insured, Claim.Status.RESUBMITTED)
    shown = next_step_shown(desk_claim(client_for, insured, claim))
    enterprise_text, _by = services.next_step(claim)
    assert enterprise_text not in shown  # "保险公司正在审核您补充的材料。": the enterprise's words
    assert shown.startswith("企业已补充材料：请审核所补材料，然后核赔或拒赔，或再次要求补充。")
    assert f"（{claim.target_date:%Y-%m-%d} 前）" in shown


@pytest.mark.parametrize("status", list(Claim.Status))
def test_the_desk_has_its_own_next_step_for_every_status(client_for, insured, status):
    claim = claim_in(insured, status)
    shown = next_step_shown(desk_claim(client_for, insured, claim))
    desk_text, by = services.desk_next_step(claim)
    assert shown.startswith(desk_text) and services.next_step(claim)[0] != desk_text
    if by is None:
        assert " 前）" not in shown
    else:
        assert f"（{by:%Y-%m-%d} 前）" in shown


def test_the_working_amounts_do_not_wrap_inside_a_number(client_for, insured):
    claim = claim_in(insured, Claim.Status.PAID)
    services.record_recovery(insured.insurer, claim.pk, amount_usd="1000.00", received_on=dt.date.today())
    html = desk_claim(client_for, insured, claim).content.decode()
    values = results_of(html, "working")
    assert len(values) == 4 and all("sw-nowrap" in attributes for attributes, _value in values), values
    recoveries = html.split('data-testid="recoveries"')[1].split("</table>")[0]
    assert all("sw-nowrap" in a for a, _v in re.findall(r"<td([^>]*)>(USD [^<]*)</td>", recoveries))
    assert re.search(r'<dd class="[^"]*sw-nowrap[^"]*">EUR 12,500.00</dd>', html)  # the overdue amount


def test_the_preview_amounts_do_not_wrap_inside_a_number(client_for, insured):
    claim = claim_in(insured, Claim.Status.UNDER_REVIEW)
    html = client_for(insured.insurer).get(reverse("claims:desk_claim", args=[claim.pk]),
                                           {"usd_rate": "1.18", "rate_date": "2020-11-02"}).content.decode()
    values = results_of(html, "preview")
    assert len(values) == 4 and all("sw-nowrap" in attributes for attributes, _value in values), values


def results_of(html, testid):
    """(attributes, text) of the result cell (the last) of each line of the working table `testid`."""
    table = html.split(f'data-testid="{testid}"')[1].split("</table>")[0]
    return re.findall(r"<td>[^<]*</td><td([^>]*)>([^<]*)</td></tr>", table)


def checklist_on_desk(response):
    """{label: the badge it wears} of the desk's 材料清单."""
    html = response.content.decode()
    items = re.findall(r'<li class="py-1" data-testid="checklist-item">(.*?)</li>', html, re.DOTALL)
    rows = {}
    for item in items:
        badge, label = re.search(r'data-testid="checklist-state"[^>]*>([^<]*)</span>\s*([^<]*)', item).groups()
        rows[label.strip()] = badge.strip()
    return rows


def test_the_desk_checklist_says_submitted_only_for_a_file(client_for, insured):
    """A document asked for and answered by a reply alone is not 已交; a written explanation asked for is
    answered by its reply."""
    claim = claim_in(insured, Claim.Status.UNDER_REVIEW)
    services.add_document(insured.user, claim.pk, "invoice", pdf())
    insurer = client_for(insured.insurer)
    asked = insurer.post(reverse("claims:desk_claim_request", args=[claim.pk]),
                         {"items": "法院文书\n物流签收记录", "questions": "买方最后一次付款的时间"})
    assert "已要求企业补充 2 项材料、书面说明 1 个问题" in after(insurer, asked)
    requests = {r.item: r for r in claim.requests.all()}
    services.add_document(insured.user, claim.pk, "requested", pdf("pod.pdf"), request_id=requests["物流签收记录"].pk)
    services.resubmit(insured.user, claim.pk, {requests["法院文书"].pk: "法院尚未出具文书。",
                                               requests["买方最后一次付款的时间"].pk: "2020年7月15日。"})
    rows = checklist_on_desk(insurer.get(reverse("claims:desk_claim", args=[claim.pk])))
    assert rows["发票"] == "已交" and rows["合同"] == "缺"
    assert rows["物流签收记录"] == "已交"
    assert rows["法院文书"] == "未交文件，已说明"
    assert rows["买方最后一次付款的时间"] == "已答复"


def test_asking_for_nothing_is_refused_on_the_field(client_for, insured):
    claim = claim_in(insured, Claim.Status.UNDER_REVIEW)
    response = client_for(insured.insurer).post(reverse("claims:desk_claim_request", args=[claim.pk]),
                                                {"items": " \n ", "questions": ""})
    assert response.status_code == 400 and "请逐行写明需要企业补充的材料" in page_text(response)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.UNDER_REVIEW and not claim.requests.exists()


@pytest.mark.parametrize(("status", "action", "fields"), [
    (Claim.Status.APPROVED, "approve", {"usd_rate": "abc", "rate_date": "2020-11-02", "checked": "1"}),
    (Claim.Status.SUBMITTED, "approve", {"usd_rate": "", "rate_date": "2999-01-01"}),
    (Claim.Status.REJECTED, "reject", {"reason": ""}),
    (Claim.Status.PAID, "pay", {"paid_on": "x", "amount_usd": "abc", "reference": "", "checked": "1"}),
])
def test_a_decision_on_a_claim_that_no_longer_allows_it_is_refused_for_its_status(
        client_for, insured, status, action, fields):
    claim = claim_in(insured, status)
    before = Claim.objects.filter(pk=claim.pk).values().get()
    insurer = client_for(insured.insurer)
    response = insurer.post(reverse(f"claims:desk_claim_{action}", args=[claim.pk]), fields)
    text = after(insurer, response)
    assert f"索赔 {claim.number} " in text and (f"已是“{claim.get_status_display()}”" in text
                                                or f"当前状态为“{claim.get_status_display()}”" in text)
    assert "请填写汇率" not in text and "请填写金额" not in text
    assert Claim.objects.filter(pk=claim.pk).values().get() == before
    assert CLAIM[action].target != status or "无需重复操作" in text
