"""The pages of 申请拨付, 拨付审核, 预算管理 and 补贴台账: what each party sees and does, second steps, bad input
answered on the page, and every other party refused on every page and export."""
import io
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from singlewindow.policies.models import Policy
from singlewindow.policies.tests.conftest import page_text
from singlewindow.subsidies import services
from singlewindow.subsidies.models import FundingApplication, LedgerEntry, SchemeBudget

from .conftest import A, application_in, budget, city_key, draft, new_enterprise, take_effect, today

pytestmark = pytest.mark.usefixtures("effective")


def text(response):
    return page_text(response)


def new_form(world, **overrides):
    return {"scheme": world.scheme.pk, "payer": city_key(world), "period_start": f"{today().year}-01-01",
            "period_end": today().isoformat(), **overrides}


# --- the insurer --------------------------------------------------------------------------------------------

def test_the_insurer_previews_the_eligible_lines_then_creates_a_draft(world, client_for):
    browser = client_for(world.insurer)
    response = browser.get(reverse("subsidies:application_new"), new_form(world))
    commitments = LedgerEntry.objects.filter(scheme=world.scheme, payer="city")
    total = services.money(sum(commitments.values_list("amount", flat=True)))
    assert response.status_code == 200
    assert f"市级 · 汕尾市：{commitments.count()} 份保单，申请金额 {total} 元。" in text(response)
    assert FundingApplication.objects.count() == 0  # a preview stores nothing
    response = browser.post(reverse("subsidies:application_new"), new_form(world))
    application = FundingApplication.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("subsidies:application",
                                                                              args=[application.pk])
    page = text(browser.get(response["Location"]))
    assert f"已创建拨付申请草稿 {application.number}" in page
    assert f"申请金额 {total} 元" in page and f"还有 {commitments.count()} 份保单未填写发票号码。" in page


@pytest.mark.parametrize("overrides, message", [
    ({"period_end": "2026-13-01"}, "期间止（含当日）：请输入有效的日期，如 2026-03-31。"),
    ({"period_start": "2026-02-01", "period_end": "2026-01-01"}, "期间止（含当日）：期间止不能早于期间起。"),
    ({"payer": "city:440100"}, "资助方：请选择本方案的资助方。"),
    ({"payer": "city:441500\x00"}, "资助方：请选择本方案的资助方。"),
    ({"scheme": "99999999999999999999"}, "投保方案：请选择本机构承保的方案。"),
    ({"scheme": "\x00"}, "投保方案："),
])
def test_bad_input_on_the_new_application_is_named_and_nothing_is_stored(world, client_for, overrides, message):
    browser = client_for(world.insurer)
    response = browser.post(reverse("subsidies:application_new"), new_form(world, **overrides))
    assert response.status_code == 400
    assert message in text(response)
    assert FundingApplication.objects.count() == 0


def test_the_other_branch_does_not_see_this_branchs_schemes_as_choices(world, client_for):
    response = client_for(world.other_insurer).post(reverse("subsidies:application_new"), new_form(world))
    assert response.status_code == 400 and "投保方案：请选择本机构承保的方案。" in text(response)


def test_invoice_numbers_pasted_and_filled_then_submitted_after_a_second_step(world, client_for):
    browser = client_for(world.insurer)
    application = draft(world)
    line = application.lines.select_related("policy").first()
    response = browser.post(reverse("subsidies:application_invoices", args=[application.pk]),
                            {"invoices": f"{line.policy.number}\t04400012"})
    assert response.status_code == 302
    assert "已填写 1 份保单的发票号码。" in text(browser.get(response["Location"]))
    response = browser.post(reverse("subsidies:application_invoices", args=[application.pk]),
                            {"invoices": f"{line.policy.number} =cmd|"})
    assert response.status_code == 400
    assert "第1行：发票号码只能包含字母、数字和连字符，最多30位。" in text(response)
    browser.post(reverse("subsidies:application_fill", args=[application.pk]), {"invoice_number": "04400099"})
    assert not application.lines.filter(invoice_number="").exists()
    url = reverse("subsidies:application_submit", args=[application.pk])
    check = browser.post(url)
    assert check.status_code == 200 and "提交后由市级 · 汕尾市商务主管部门审核" in text(check)
    assert FundingApplication.objects.get(pk=application.pk).status == A.DRAFT  # not before the second step
    done = browser.post(url, {"checked": "1"})
    assert FundingApplication.objects.get(pk=application.pk).status == A.SUBMITTED
    assert "已提交，等待市级 · 汕尾市审核" in text(browser.get(done["Location"]))


def test_a_second_click_on_submit_says_it_is_already_done(world, client_for):
    browser = client_for(world.insurer)
    application = application_in(world, A.SUBMITTED)
    response = browser.post(reverse("subsidies:application_submit", args=[application.pk]), {"checked": "1"},
                            follow=True)
    assert "已是“待审核”状态，无需重复操作" in text(response)


def test_the_insurer_withdraws_a_draft_after_a_second_step(world, client_for):
    browser = client_for(world.insurer)
    application = draft(world)
    url = reverse("subsidies:application_withdraw", args=[application.pk])
    assert "作废后本申请不能再提交" in text(browser.post(url))
    browser.post(url, {"checked": "1"})
    assert FundingApplication.objects.get(pk=application.pk).status == A.WITHDRAWN


# --- the bureau ---------------------------------------------------------------------------------------------

def test_the_bureau_finds_it_in_its_inbox_sets_a_budget_approves_pays_and_reconciles(world, client_for):
    application = application_in(world, A.SUBMITTED)
    browser = client_for(world.bureau)
    inbox = text(browser.get(reverse("subsidies:review")))
    assert application.number in inbox and "尚未设置预算" in inbox
    detail = reverse("subsidies:review_detail", args=[application.pk])
    assert "尚未设置本方案的预算：设置前不能审核通过。" in text(browser.get(detail))
    refused = browser.post(reverse("subsidies:review_approve", args=[application.pk]), {"checked": "1"}, follow=True)
    assert "尚未设置市级 · 汕尾市对本方案的预算，不能审核通过" in text(refused)

    response = browser.post(reverse("subsidies:budgets"), {"scheme": world.scheme.pk, "payer": "city",
                                                           "amount": f"{application.total:f}"})
    assert response.status_code == 302
    assert SchemeBudget.objects.get(scheme=world.scheme, payer="city").amount == application.total
    page = text(browser.get(reverse("subsidies:budgets")))
    assert "已承担金额已达预算的 100.0%。" in page

    check = browser.post(reverse("subsidies:review_approve", args=[application.pk]))
    assert "审核通过后不能撤回" in text(check) and "核准后剩余 0.00 元" in text(check)
    browser.post(reverse("subsidies:review_approve", args=[application.pk]), {"checked": "1"})
    assert FundingApplication.objects.get(pk=application.pk).status == A.APPROVED

    pay = reverse("subsidies:review_pay", args=[application.pk])
    paid = {"paid_on": today().isoformat(), "amount": f"{application.total - Decimal('1.00'):f}", "reference": "GK-1"}
    check = browser.post(pay, paid)
    assert "登记后不能更改" in text(check) and "拨付金额与申请金额相差 -1.00 元，对账时须说明。" in text(check)
    browser.post(pay, {**paid, "checked": "1"})
    assert FundingApplication.objects.get(pk=application.pk).status == A.PAID

    reconcile = reverse("subsidies:review_reconcile", args=[application.pk])
    response = browser.post(reconcile, {"note": ""})
    assert response.status_code == 400 and "差额说明：拨付金额与申请金额相差 -1.00 元，请填写差额说明。" in text(response)
    check = browser.post(reconcile, {"note": "一份保单次年再付。"})
    assert "对账后本申请办结" in text(check)
    done = browser.post(reconcile, {"note": "一份保单次年再付。", "checked": "1"})
    assert FundingApplication.objects.get(pk=application.pk).status == A.RECONCILED
    page = text(browser.get(done["Location"]))
    assert "-1.00 元（一份保单次年再付。）" in page


def test_approval_beyond_the_budget_is_refused_on_the_page(world, client_for):
    application = application_in(world, A.SUBMITTED)
    budget(world, f"{application.total - Decimal('0.01'):f}")
    browser = client_for(world.bureau)
    response = browser.post(reverse("subsidies:review_approve", args=[application.pk]), {"checked": "1"}, follow=True)
    assert "（超出 0.01 元），不能审核通过" in text(response)
    assert FundingApplication.objects.get(pk=application.pk).status == A.SUBMITTED


def test_the_inbox_warns_at_90_percent_committed(world, client_for):
    committed = services.budget_for(world.scheme, "city", world.bureau.region).committed
    budget(world, f"{(committed / Decimal('0.95')).quantize(Decimal('0.01'))}")
    page = text(client_for(world.bureau).get(reverse("subsidies:review")))
    assert "达到预算" in page and "的 95.0%" in page


def test_a_return_needs_its_reason_on_the_page(world, client_for):
    application = application_in(world, A.SUBMITTED)
    browser = client_for(world.bureau)
    url = reverse("subsidies:review_return", args=[application.pk])
    for reason, message in [("", "退回原因：这个字段是必填项。"), ("<script>", "不能包含 < > 等标记"),
                            ("原因\x00", "退回原因：")]:
        response = browser.post(url, {"reason": reason})
        assert response.status_code == 400 and message in text(response), reason
    browser.post(url, {"reason": "发票号码有误。"})
    assert FundingApplication.objects.get(pk=application.pk).status == A.RETURNED
    page = text(client_for(world.insurer).get(reverse("subsidies:application", args=[application.pk])))
    assert "退回原因：发票号码有误。" in page


@pytest.mark.parametrize("fields, message", [
    ({"paid_on": "2026-02-30"}, "拨付日期：请输入有效的日期，如 2026-03-31。"),
    ({"amount": "-1"}, "拨付金额（元）：金额不能为负数。"),
    ({"amount": "1.001"}, "拨付金额（元）：请填写金额（元），最多两位小数。"),
    ({"amount": "0"}, "拨付金额（元）：拨付金额应大于零。"),
    ({"reference": "@SUM(A1)"}, "拨付凭证号：不能以 = + - @ 等公式符号开头。"),
    ({"reference": "GK\x00"}, "拨付凭证号："),
])
def test_bad_payment_input_is_named_before_the_second_step(world, client_for, fields, message):
    budget(world)
    application = application_in(world, A.APPROVED)
    data = {"paid_on": today().isoformat(), "amount": f"{application.total:f}", "reference": "GK-1", **fields}
    response = client_for(world.bureau).post(reverse("subsidies:review_pay", args=[application.pk]), data)
    assert response.status_code == 400 and message in text(response)
    assert FundingApplication.objects.get(pk=application.pk).status == A.APPROVED


def test_the_province_bureau_reads_the_citys_application_without_its_buttons(world, client_for, paying):
    application = application_in(world, A.SUBMITTED)
    browser = client_for(paying.province)
    response = browser.get(reverse("subsidies:review_detail", args=[application.pk]))
    assert application.number in text(response) and "本申请由市级 · 汕尾市商务主管部门审核" in text(response)
    html = response.content.decode()
    for action in ("approve", "return", "pay", "reconcile"):
        assert reverse(f"subsidies:review_{action}", args=[application.pk]) not in html
    response = browser.post(reverse("subsidies:review_approve", args=[application.pk]), {"checked": "1"})
    assert response.status_code == 403


# --- the ledger page ----------------------------------------------------------------------------------------

def test_the_ledger_shows_totals_per_payer_for_the_scheme(world, client_for):
    entries = LedgerEntry.objects.filter(scheme=world.scheme)
    province = sum(entries.filter(payer="province").values_list("amount", flat=True))
    city = sum(entries.filter(payer="city").values_list("amount", flat=True))
    for user in (world.bureau, world.insurer):
        page = text(client_for(user).get(reverse("subsidies:ledger"), {"scheme": world.scheme.pk}))
        assert f"省级 · 广东省 {entries.filter(payer='province').count()} {services.money(province)}" in page
        assert f"市级 · 汕尾市 {entries.filter(payer='city').count()} {services.money(city)}" in page
        assert f"合计 {services.money(province + city)}" in page


def test_a_county_bureau_sees_only_its_countys_lines(world, client_for, paying):
    entries = LedgerEntry.objects.filter(scheme=world.scheme)
    mine = entries.filter(policy__enterprise__region="441521")
    others = entries.exclude(policy__enterprise__region="441521")
    assert mine.exists() and others.exists()
    page = text(client_for(paying.county).get(reverse("subsidies:ledger"), {"scheme": world.scheme.pk}))
    assert f"合计 {services.money(sum(mine.values_list('amount', flat=True)))}" in page
    for policy in Policy.objects.filter(pk__in=others.values("policy")):
        assert policy.number not in page


def test_another_city_or_branch_sees_no_line_and_an_unknown_scheme_is_refused(world, client_for, paying):
    browser = client_for(paying.other_city)
    page = text(browser.get(reverse("subsidies:ledger"), {"scheme": world.scheme.pk}))
    assert "暂无可查看的方案。" in page
    for number in Policy.objects.filter(scheme=world.scheme).values_list("number", flat=True):
        assert number not in page
    page = text(client_for(world.other_insurer).get(reverse("subsidies:ledger"), {"scheme": world.scheme.pk}))
    assert "暂无可查看的方案。" in page  # another branch: none of this branch's schemes
    response = client_for(world.bureau).get(reverse("subsidies:ledger"), {"scheme": "99999"})
    assert response.status_code == 400 and "请选择列表中的投保方案。" in text(response)


# --- exports ------------------------------------------------------------------------------------------------

def test_the_xlsx_lists_each_policy_with_neutralised_cells(world, client_for):
    enterprise = new_enterprise()
    type(enterprise).objects.filter(pk=enterprise.pk).update(name="=HYPERLINK(\"http://x\")有限公司")
    from singlewindow.policies import services as policies

    take_effect(world, policies.issue(world.insurer, world.scheme.pk, enterprise.pk))
    application = draft(world)
    services.fill_invoices(world.insurer, application.pk, "04400012")
    for user in (world.insurer, world.bureau):
        response = client_for(user).get(reverse("subsidies:application_xlsx", args=[application.pk]))
        assert response.status_code == 200 and response["Content-Disposition"] == (
            f'attachment; filename="{application.number}.xlsx"')
        rows = [row[:9] for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]
        assert rows[0][:2] == ("申请编号", application.number)
        header = rows.index(("保单号", "被保险人", "统一社会信用代码", "县区", "生效日期", "保费（元）", "资助比例（%）",
                             "申请金额（元）", "发票号码"))
        lines = rows[header + 1:-1]
        assert len(lines) == application.line_count
        assert "'=HYPERLINK(\"http://x\")有限公司" in [line[1] for line in lines]
        assert {line[8] for line in lines} == {"04400012"}
        assert Decimal(str(rows[-1][7])) == application.total


def test_the_pdf_has_the_chinese_text_in_an_embedded_font(world, client_for, tmp_path):
    application = draft(world)
    response = client_for(world.bureau).get(reverse("subsidies:application_pdf", args=[application.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    path = tmp_path / "application.pdf"
    path.write_bytes(response.content)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, timeout=60).stdout.decode()
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert rows and all("WenQuanYi" in row[0] and row[-5:-2] == ["yes", "yes", "yes"] for row in rows), fonts
    words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, timeout=60).stdout.decode()
    assert "保费补贴拨付申请" in words and application.number in words and "市级 · 汕尾市" in words


# --- who is refused -----------------------------------------------------------------------------------------

def insurer_pages(application):
    pk = application.pk
    return [("get", reverse("subsidies:application", args=[pk])),
            ("post", reverse("subsidies:application_invoices", args=[pk])),
            ("post", reverse("subsidies:application_fill", args=[pk])),
            ("post", reverse("subsidies:application_drop", args=[pk])),
            ("post", reverse("subsidies:application_submit", args=[pk])),
            ("post", reverse("subsidies:application_withdraw", args=[pk]))]


def bureau_pages(application):
    pk = application.pk
    return [("get", reverse("subsidies:review_detail", args=[pk])),
            ("post", reverse("subsidies:review_approve", args=[pk])),
            ("post", reverse("subsidies:review_return", args=[pk])),
            ("post", reverse("subsidies:review_pay", args=[pk])),
            ("post", reverse("subsidies:review_reconcile", args=[pk]))]


def exports(application):
    return [("get", reverse("subsidies:application_xlsx", args=[application.pk])),
            ("get", reverse("subsidies:application_pdf", args=[application.pk]))]


def test_another_branch_is_refused_on_each_page_and_export(world, client_for):
    application = draft(world)
    browser = client_for(world.other_insurer)
    for method, url in insurer_pages(application) + exports(application):
        assert getattr(browser, method)(url).status_code == 404, url
    assert application.number not in text(browser.get(reverse("subsidies:applications")))
    assert FundingApplication.objects.get(pk=application.pk).status == A.DRAFT


def test_another_region_is_refused_on_each_page_and_export(world, client_for, paying):
    application = application_in(world, A.SUBMITTED)
    for outsider in (paying.other_city, paying.county):
        browser = client_for(outsider)
        for method, url in bureau_pages(application) + exports(application):
            assert getattr(browser, method)(url).status_code == 404, (outsider, url)
        assert application.number not in text(browser.get(reverse("subsidies:review")))
    assert FundingApplication.objects.get(pk=application.pk).status == A.SUBMITTED


def test_the_province_application_is_not_the_city_bureaus(world, client_for, paying):
    application = draft(world, key=services.payer_key("province", "440000"))
    browser = client_for(world.bureau)
    for method, url in bureau_pages(application) + exports(application):
        assert getattr(browser, method)(url).status_code == 404, url


def test_each_party_is_kept_to_its_own_pages(world, client_for):
    application = application_in(world, A.SUBMITTED)
    for user in (world.demo, world.admin):  # an enterprise and the single-window administrator see nothing here
        browser = client_for(user)
        for method, url in insurer_pages(application) + bureau_pages(application) + exports(application) + [
                ("get", reverse("subsidies:applications")), ("get", reverse("subsidies:application_new")),
                ("get", reverse("subsidies:review")), ("get", reverse("subsidies:budgets")),
                ("get", reverse("subsidies:ledger"))]:
            assert getattr(browser, method)(url).status_code == 403, (user, url)
    insurer, bureau_user = client_for(world.insurer), client_for(world.bureau)
    for method, url in bureau_pages(application) + [("get", reverse("subsidies:budgets"))]:
        assert getattr(insurer, method)(url).status_code == 403, url
    for method, url in insurer_pages(application) + [("get", reverse("subsidies:application_new"))]:
        assert getattr(bureau_user, method)(url).status_code == 403, url


def test_an_anonymous_visitor_is_sent_to_log_in(world, client):
    for name in ("subsidies:applications", "subsidies:review", "subsidies:budgets", "subsidies:ledger"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_overlong_id_is_a_404_not_a_500(world, client_for):
    browser = client_for(world.insurer)
    assert browser.get("/subsidies/applications/99999999999999999999999999/").status_code == 404
    assert browser.get("/subsidies/applications/99999999999999999999999999/export.xlsx").status_code == 404


def test_a_budget_for_a_scheme_the_bureau_does_not_pay_is_refused(world, client_for, paying):
    for user in (paying.other_city, paying.county):
        response = client_for(user).post(reverse("subsidies:budgets"),
                                         {"scheme": world.scheme.pk, "payer": "city", "amount": "1.00"}, follow=True)
        assert "请选择本级承担资助的方案。" in text(response)
    assert not SchemeBudget.objects.exists()
    response = client_for(world.bureau).post(reverse("subsidies:budgets"),
                                             {"scheme": world.scheme.pk, "payer": "city", "amount": "1\x00"})
    assert response.status_code == 400 and "预算（元）：请填写金额（元），最多两位小数。" in text(response)
