"""Each token sees and does only what its organisation's users may: another branch, a bureau on the insurer's
endpoints, another enterprise are all refused; what is allowed goes through the pages' services."""
import datetime as dt
import re
from decimal import Decimal

import pytest

from singlewindow.alerts.models import Alert
from singlewindow.audit.models import AuditEvent
from singlewindow.claims.models import Claim, LossNotice
from singlewindow.claims.tests.conftest import claim_in, file
from singlewindow.enterprises import eligibility
from singlewindow.enterprises.models import ImportJob
from singlewindow.enterprises.tests.conftest import CITY, HAIFENG, csv_bytes, new_uscc
from singlewindow.policies.models import Policy, PolicyStatus

from .conftest import is_problem


def numbers(response):
    return {row["number"] for row in response.data["data"]}


def all_of(api, path, token, **filters):
    """Every row of a list, walking its pages."""
    rows, after = [], None
    while True:
        response = api.get(path, token, limit=100, **filters, **({"after": after} if after else {}))
        assert response.status_code == 200, response.content
        rows += response.data["data"]
        if not response.data["has_more"]:
            return rows
        after = response.data["next_cursor"]


# --- policies ------------------------------------------------------------------------------------------------

def test_each_insurer_token_lists_only_its_branchs_policies(api, keys, world, guangzhou_policy):
    mine = {row["number"] for row in all_of(api, "/policies", keys.insurer)}
    assert mine == set(Policy.objects.visible_to(world.insurer).values_list("number", flat=True))
    assert world.pending.number in mine and guangzhou_policy.number not in mine
    theirs = {row["number"] for row in all_of(api, "/policies", keys.other_insurer)}
    assert theirs == {guangzhou_policy.number}


def test_an_enterprise_token_lists_only_its_own_policies(api, keys, world):
    rows = all_of(api, "/policies", keys.demo)
    assert rows and {row["enterprise"]["uscc"] for row in rows} == {world.demo.enterprise.uscc}
    assert world.returned.number not in {row["number"] for row in rows}


@pytest.mark.parametrize("who", ["bureau", "county"])
def test_a_bureau_token_is_refused_the_policy_endpoints(api, keys, world, who):
    token = getattr(keys, who)
    is_problem(api.get("/policies", token), 403, "forbidden")
    is_problem(api.get(f"/policies/{world.pending.pk}", token), 403, "forbidden")
    is_problem(api.post(f"/policies/{world.pending.pk}/cancel", token, {"reason": "测试"}), 403, "forbidden")
    is_problem(api.post("/policies", token, {"scheme_id": world.scheme.pk, "uscc": "x"}), 403, "forbidden")


def test_another_branch_or_enterprise_does_not_find_the_policy(api, keys, world):
    for token in (keys.other_insurer, keys.demo2):
        problem = is_problem(api.get(f"/policies/{world.pending.pk}", token), 404, "not_found")
        assert "不存在" in problem["detail"]
    assert api.get(f"/policies/{world.pending.pk}", keys.demo).data["number"] == world.pending.number


def test_the_filters_narrow_the_list(api, keys, world):
    pending = all_of(api, "/policies", keys.insurer, status="pending")
    assert pending and {row["status"] for row in pending} == {"pending"}
    one = api.get("/policies", keys.insurer, number=world.pending.number).data["data"]
    assert [row["id"] for row in one] == [world.pending.pk]
    assert is_problem(api.get("/policies", keys.insurer, status="nonsense"), 422, "validation")["errors"][0][
        "field"] == "status"


def eligible_enterprise(scheme):
    return eligibility.eligible_records(scheme).select_related("enterprise").first().enterprise


def test_the_insurer_issues_a_policy_by_the_pages_rules(api, keys, world):
    enterprise = eligible_enterprise(world.scheme)
    response = api.post("/policies", keys.insurer, {"scheme_id": world.scheme.pk, "uscc": enterprise.uscc})
    assert response.status_code == 201, response.content
    assert response.data["status"] == "pending" and response.data["enterprise"]["uscc"] == enterprise.uscc
    event = AuditEvent.objects.get(action="policy.issue", object_id=str(response.data["id"]))
    assert event.actor_id == keys.insurer.user_id and event.actor_label == f"api.{keys.insurer.prefix}"
    again = api.post("/policies", keys.insurer, {"scheme_id": world.scheme.pk, "uscc": enterprise.uscc})
    assert "不能重复出单" in is_problem(again, 409, "duplicate")["detail"]


def test_another_branch_cannot_issue_under_this_branchs_scheme(api, keys, world):
    enterprise = eligible_enterprise(world.scheme)
    problem = is_problem(api.post("/policies", keys.other_insurer, {"scheme_id": world.scheme.pk,
                                                                     "uscc": enterprise.uscc}), 422, "validation")
    assert problem["errors"] == [{"field": "scheme_id", "message": "请选择本机构承保的方案。"}]
    assert not Policy.objects.filter(enterprise=enterprise, scheme=world.scheme).exists()


def test_an_enterprise_token_cannot_issue_or_decide(api, keys, world, confirmed):
    is_problem(api.post("/policies", keys.demo, {"scheme_id": world.scheme.pk, "uscc": "x"}), 403, "forbidden")
    is_problem(api.post(f"/policies/{confirmed.pk}/approve", keys.demo), 403, "forbidden")


def test_approve_return_and_cancel_go_through_the_transition_table(api, keys, world, confirmed):
    is_problem(api.post(f"/policies/{confirmed.pk}/approve", keys.other_insurer), 404, "not_found")
    response = api.post(f"/policies/{confirmed.pk}/approve", keys.insurer)
    assert response.status_code == 200, response.content
    assert response.data["status"] == "effective" and response.data["cover_start"]
    assert "无需重复操作" in is_problem(api.post(f"/policies/{confirmed.pk}/approve", keys.insurer), 409,
                                       "already")["detail"]
    assert "不能退回" in is_problem(api.post(f"/policies/{confirmed.pk}/return", keys.insurer, {"reason": "测试"}),
                                    409, "state")["detail"]
    cancelled = api.post(f"/policies/{confirmed.pk}/cancel", keys.insurer, {"reason": "企业已注销"})  # decision 0034
    assert cancelled.status_code == 200 and cancelled.data["status"] == "cancelled"
    assert "无需重复操作" in is_problem(api.post(f"/policies/{confirmed.pk}/cancel", keys.insurer, {"reason": "再撤"}),
                                       409, "already")["detail"]


def test_a_return_needs_its_reason_named_by_field(api, keys, confirmed):
    problem = is_problem(api.post(f"/policies/{confirmed.pk}/return", keys.insurer, {"reason": "  "}), 422,
                         "validation")
    assert problem["errors"] == [{"field": "reason", "message": "请填写原因。"}]
    assert Policy.objects.get(pk=confirmed.pk).status == PolicyStatus.CONFIRMED
    response = api.post(f"/policies/{confirmed.pk}/return", keys.insurer,
                        {"reason": "联系电话有误", "to_correct": ["contact_phone"]})
    assert response.status_code == 200 and response.data["status"] == "returned"
    assert response.data["last_reason"] == "联系电话有误"


def test_cancel_with_a_reason(api, keys, world):
    is_problem(api.post(f"/policies/{world.pending.pk}/cancel", keys.other_insurer, {"reason": "重复"}), 404)
    response = api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer, {"reason": "企业已注销"})
    assert response.status_code == 200 and response.data["status"] == "cancelled"


# --- alerts ----------------------------------------------------------------------------------------------------

ALERT = {"title": "某国外汇管制风险", "body": "该国近期收紧外汇管制，请关注买方付款。", "level": "medium", "kind": "country",
         "countries": ["DE"], "audience": "branch", "valid_from": "2020-06-01", "valid_until": "2099-12-31"}


def test_the_insurer_drafts_publishes_and_withdraws_an_alert(api, keys, world):
    made = api.post("/alerts", keys.insurer, ALERT)
    assert made.status_code == 201, made.content
    assert made.data["status"] == "draft" and made.data["countries"] == ["DE"]
    alert_id = made.data["id"]
    is_problem(api.get(f"/alerts/{alert_id}", keys.other_insurer), 404, "not_found")
    is_problem(api.post(f"/alerts/{alert_id}/publish", keys.other_insurer), 404, "not_found")
    published = api.post(f"/alerts/{alert_id}/publish", keys.insurer)
    assert published.status_code == 200, published.content
    assert published.data["status"] == "published" and published.data["delivered"] > 0
    assert alert_id in {row["id"] for row in all_of(api, "/alerts", keys.insurer)}
    assert alert_id not in {row["id"] for row in all_of(api, "/alerts", keys.other_insurer)}
    withdrawn = api.post(f"/alerts/{alert_id}/withdraw", keys.insurer, {"reason": "管制已解除"})
    assert withdrawn.data["status"] == "withdrawn" and withdrawn.data["withdraw_reason"] == "管制已解除"


def test_an_alert_draft_is_checked_by_the_pages_form(api, keys):
    problem = is_problem(api.post("/alerts", keys.insurer, {**ALERT, "title": "<b>标题</b>"}), 422)
    assert [error["field"] for error in problem["errors"]] == ["title"]
    assert not Alert.objects.filter(title="<b>标题</b>").exists()
    problem = is_problem(api.post("/alerts", keys.insurer, {**ALERT, "countries": []}), 422)
    assert problem["errors"] == [{"field": "countries", "message": "国别风险预警请选择涉及国家（地区）。"}]


@pytest.mark.parametrize("who", ["bureau", "demo"])
def test_alerts_are_the_insurers_only(api, keys, who):
    token = getattr(keys, who)
    is_problem(api.get("/alerts", token), 403, "forbidden")
    is_problem(api.post("/alerts", token, ALERT), 403, "forbidden")


# --- loss notices and claims -----------------------------------------------------------------------------------

def test_notices_are_read_by_their_insurer_and_enterprise_only(api, keys, insured):
    notice = file(insured)
    assert notice.pk in {row["id"] for row in all_of(api, "/loss-notices", keys.insurer)}
    assert notice.pk in {row["id"] for row in all_of(api, "/loss-notices", keys.demo)}
    assert notice.pk not in {row["id"] for row in all_of(api, "/loss-notices", keys.other_insurer)}
    for token in (keys.other_insurer, keys.demo2):
        is_problem(api.get(f"/loss-notices/{notice.pk}", token), 404, "not_found")
    is_problem(api.get(f"/loss-notices/{notice.pk}", keys.bureau), 403, "forbidden")
    is_problem(api.post(f"/loss-notices/{notice.pk}/acknowledge", keys.demo), 403, "forbidden")
    is_problem(api.post(f"/loss-notices/{notice.pk}/acknowledge", keys.other_insurer), 404, "not_found")
    response = api.post(f"/loss-notices/{notice.pk}/acknowledge", keys.insurer)
    assert response.status_code == 200 and response.data["status"] == "acknowledged"
    assert LossNotice.objects.get(pk=notice.pk).status == LossNotice.Status.ACKNOWLEDGED


def test_the_insurer_decides_a_claim_through_the_desks_services(api, keys, insured):
    claim = claim_in(insured, Claim.Status.SUBMITTED)
    is_problem(api.post(f"/claims/{claim.pk}/take", keys.other_insurer), 404, "not_found")
    is_problem(api.post(f"/claims/{claim.pk}/take", keys.demo), 403, "forbidden")
    is_problem(api.get(f"/claims/{claim.pk}", keys.demo2), 404, "not_found")
    assert api.get(f"/claims/{claim.pk}", keys.demo).data["number"] == claim.number
    taken = api.post(f"/claims/{claim.pk}/take", keys.insurer)
    assert taken.data["status"] == "under_review" and taken.data["assignee"]
    asked = api.post(f"/claims/{claim.pk}/request-info", keys.insurer, {"items": ["买方破产的法院文书"]})
    assert asked.data["status"] == "info_requested" and asked.data["open_requests"] == ["买方破产的法院文书"]


def test_approve_and_pay_a_claim_with_its_working(api, keys, insured):
    claim = claim_in(insured, Claim.Status.UNDER_REVIEW)
    bad = is_problem(api.post(f"/claims/{claim.pk}/approve", keys.insurer, {"usd_rate": "x", "rate_date": "2020-11-02"}),
                     422, "validation")
    assert bad["errors"][0]["field"] == "usd_rate"
    approved = api.post(f"/claims/{claim.pk}/approve", keys.insurer, {"usd_rate": "1.18", "rate_date": "2020-11-02"})
    assert approved.status_code == 200, approved.content
    assert approved.data["status"] == "approved" and approved.data["working"]
    amount = approved.data["indemnity_usd"]
    assert Decimal(amount) == Claim.objects.get(pk=claim.pk).indemnity_usd
    wrong = is_problem(api.post(f"/claims/{claim.pk}/pay", keys.insurer, {
        "paid_on": dt.date.today().isoformat(), "amount_usd": "1.00", "reference": "PAY-1"}), 422)
    assert wrong["errors"][0]["field"] == "amount_usd"
    paid = api.post(f"/claims/{claim.pk}/pay", keys.insurer, {
        "paid_on": dt.date.today().isoformat(), "amount_usd": amount, "reference": "PAY-1"})
    assert paid.data["status"] == "paid" and paid.data["paid_reference"] == "PAY-1"


def test_reject_a_claim_needs_a_reason(api, keys, insured):
    claim = claim_in(insured, Claim.Status.UNDER_REVIEW)
    is_problem(api.post(f"/claims/{claim.pk}/reject", keys.insurer, {"reason": ""}), 422)
    rejected = api.post(f"/claims/{claim.pk}/reject", keys.insurer, {"reason": "损失不属于保险责任。"})
    assert rejected.data["status"] == "rejected" and rejected.data["decision_reason"] == "损失不属于保险责任。"


# --- the bureau ------------------------------------------------------------------------------------------------

def test_the_bureau_reads_figures_per_county_of_its_region_only(api, keys, world):
    city = api.get("/stats/counties", keys.bureau, scheme_id=world.scheme.pk)
    assert city.status_code == 200, city.content
    codes = {line["county_code"] for line in city.data["counties"]}
    assert codes and all(code.startswith("4415") for code in codes)
    county = api.get("/stats/counties", keys.county, scheme_id=world.scheme.pk).data
    assert {line["county_code"] for line in county["counties"]} <= {HAIFENG}
    total = city.data["total"]
    assert total["issued"] == sum(line["issued"] for line in city.data["counties"])
    for token in (keys.insurer, keys.demo):
        is_problem(api.get("/stats/counties", token), 403, "forbidden")


def test_the_bureau_uploads_the_export_list_as_a_job(api, keys, world):
    response = api.upload("/imports", keys.bureau, "exports.csv",
                          csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "10"), (new_uscc(2), "乙公司", HAIFENG, 2025, "20")]))
    assert response.status_code == 202, response.content
    job = api.get(f"/imports/{response.data['id']}", keys.bureau).data
    assert job["status"] == "done" and job["records_written"] == 2 and job["error_report"] is None
    is_problem(api.get(f"/imports/{job['id']}", keys.county), 404, "not_found")
    is_problem(api.get(f"/imports/{job['id']}", keys.insurer), 403, "forbidden")
    is_problem(api.upload("/imports", keys.demo, "exports.csv", b"x"), 403, "forbidden")
    assert job["id"] in {row["id"] for row in all_of(api, "/imports", keys.bureau)}


def test_a_rejected_upload_offers_its_error_report(api, keys):
    response = api.upload("/imports", keys.bureau, "exports.csv",
                          csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "10"), (new_uscc(2), "乙公司", CITY, 2025, "-1")]))
    job = api.get(f"/imports/{response.data['id']}", keys.bureau).data
    assert job["status"] == "rejected" and job["error_count"] == 1
    assert job["errors_preview"][0][3] == "出口额不能为负数。"
    report = api.client.get(job["error_report"], headers={"Authorization": f"Bearer {keys.bureau.secret}"})
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    assert "出口额不能为负数。" in b"".join(report.streaming_content).decode("utf-8-sig")
    assert api.client.get(job["error_report"], headers={"Authorization": f"Bearer {keys.county.secret}"}
                          ).status_code == 404
    assert ImportJob.objects.get(pk=job["id"]).status == ImportJob.Status.REJECTED


def test_an_upload_is_checked_by_the_pages_form(api, keys):
    problem = is_problem(api.upload("/imports", keys.bureau, "exports.pdf", b"%PDF-1.4"), 422, "validation")
    assert problem["errors"] == [{"field": "file", "message": "只支持 CSV 或 XLSX 文件。"}]
    assert not re.search("[a-z]{5,}", problem["detail"])  # the Chinese message, not pydantic's English
