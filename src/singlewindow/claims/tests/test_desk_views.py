"""理赔审核 (the insurer's desk) and 报损理赔统计 over HTTP: the review from take to recovery, refusals, scopes."""
import datetime as dt

import pytest
from django.urls import reverse

from singlewindow.claims.models import Claim
from singlewindow.claims.tests.conftest import claim_for, claim_in, file
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


def test_another_branch_gets_404_and_others_are_refused(client_for, insured):
    claim = claim_for(insured)
    gets, posts = desk_urls(claim)
    other = client_for(insured.world.other_insurer)
    for url in gets[1:3] + posts:
        response = other.get(url) if url in gets else other.post(url, {"checked": "1"})
        assert response.status_code == 404, url
    for user in (insured.world.bureau, insured.world.demo):
        browser = client_for(user)
        for url in gets:
            assert browser.get(url).status_code == 403, url
        for url in posts:
            assert browser.post(url).status_code == 403, url
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED


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
