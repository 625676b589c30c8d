"""我的报损与索赔 through its pages: what the enterprise sees and can do, and that nobody else can."""
import datetime as dt
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from singlewindow.claims.models import ClaimDocument, LossNotice
from singlewindow.policies.tests.conftest import at, page_text

from .conftest import PDF, claim_for, claim_in, file, pdf

TODAY = dt.date(2020, 10, 1)  # the clock of these tests: within the 2020 policy's claims


def form_data(insured, **overrides):
    data = {
        "buyer": insured.buyer.pk, "contract_no": "HT-2020-009", "invoice_no": "INV-PAGE-1",
        "declaration_no": "530120200000123456", "shipment_date": "2020-06-01", "currency": "EUR",
        "invoice_amount": "20,000.00", "payment_terms": "O/A", "credit_days": "90", "due_date": "2020-09-01",
        "overdue_amount": "12500.00", "cause": "default", "collection_steps": "已三次发函催收。",
        "contact_name": "李锐", "contact_phone": "13729230657",
    }
    data.update(overrides)
    return data


@pytest.fixture
def as_demo(client, insured):
    client.force_login(insured.user)
    return client


@pytest.fixture
def frozen():
    with at(dt.datetime(2020, 10, 1, 2, 0, tzinfo=dt.UTC)):
        yield


def test_it_files_a_notice_from_its_page(as_demo, insured, frozen):
    url = f"/claims/notices/new/?policy={insured.policy.pk}"
    assert "报告可能损失" in page_text(as_demo.get(url))
    response = as_demo.post(url, form_data(insured), follow=True)
    notice = LossNotice.objects.get(invoice_no="INV-PAGE-1")
    text = page_text(response)
    assert notice.number in text and "等待保险公司受理" in text and not notice.late
    assert "逾期报损" not in text.split("报损信息")[0].replace("逾期报损：", "")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("declaration_no", "1234", "报关单号应为18位数字。"),
    ("credit_days", "361", "信用期限应为0至360天。"),
    ("overdue_amount", "30000", "逾期金额不能超过发票金额。"),
    ("invoice_amount", "abc", "请填写金额，最多两位小数。"),
    ("shipment_date", "2020-13-01", "请按“年-月-日”填写日期"),
    ("buyer", "", "请选择买方"),
    ("collection_steps", "", "请填写已采取的催收措施。"),
    ("cause", "", "请选择损失原因。"),
])
def test_each_bad_field_shows_its_message_and_files_nothing(as_demo, insured, frozen, field, value, message):
    response = as_demo.post(f"/claims/notices/new/?policy={insured.policy.pk}", form_data(insured, **{field: value}))
    assert response.status_code == 400
    assert message in page_text(response)
    assert not LossNotice.objects.filter(invoice_no="INV-PAGE-1").exists()


def test_a_late_notice_is_flagged_with_its_consequence(as_demo, insured, frozen):
    response = as_demo.post(f"/claims/notices/new/?policy={insured.policy.pk}",
                            form_data(insured, due_date="2020-07-01", credit_days="30"), follow=True)
    text = page_text(response)
    assert LossNotice.objects.get(invoice_no="INV-PAGE-1").late
    assert "逾期报损" in text and "可能因此降低赔偿比例" in text


def test_the_deadline_fragment_follows_the_due_date(as_demo, insured, frozen):
    base = f"/claims/notices/deadline/?policy={insured.policy.pk}"
    on_time = page_text(as_demo.get(f"{base}&due_date=2020-09-01"))
    assert "报损截止日：2020-10-31（应付款日后60天内）" in on_time and "逾期" not in on_time
    late = page_text(as_demo.get(f"{base}&due_date=2020-07-01"))
    assert "报损截止日：2020-08-30" in late and "可能因此降低赔偿比例" in late
    assert "今天截止" in page_text(as_demo.get(f"{base}&due_date=2020-08-02"))


def test_withdrawing_a_notice_takes_a_second_step(as_demo, insured):
    notice = file(insured)
    url = f"/claims/notices/{notice.pk}/withdraw/"
    assert "撤回不能撤销" in page_text(as_demo.get(url))
    assert as_demo.post(url, {"reason": ""}).status_code == 400
    notice.refresh_from_db()
    assert notice.status == LossNotice.Status.SUBMITTED
    text = page_text(as_demo.post(url, {"reason": "买方已付款。"}, follow=True))
    notice.refresh_from_db()
    assert notice.status == LossNotice.Status.WITHDRAWN and "已撤回" in text


def test_a_claim_above_the_overdue_amount_is_refused(as_demo, insured):
    notice = file(insured, now=at_2020())
    with at(dt.datetime(2020, 10, 5, 2, 0, tzinfo=dt.UTC)):
        response = as_demo.post(f"/claims/notices/{notice.pk}/claim/", {"claimed_amount": "12500.01"})
        assert response.status_code == 400
        assert "索赔金额不能超过报损的逾期金额" in page_text(response)
        response = as_demo.post(f"/claims/notices/{notice.pk}/claim/", {"claimed_amount": "12500.00"}, follow=True)
    assert "索赔材料清单" in page_text(response)


def at_2020():
    from .conftest import at as shanghai

    return shanghai(TODAY)


def test_an_uploaded_pdf_shows_its_sha256(as_demo, insured):
    claim = claim_for(insured)
    upload = SimpleUploadedFile("合同.pdf", PDF, content_type="application/pdf")
    response = as_demo.post(f"/claims/{claim.pk}/documents/", {"kind": "contract", "file": upload}, follow=True)
    assert hashlib.sha256(PDF).hexdigest() in page_text(response)
    document = ClaimDocument.objects.get(claim=claim)
    download = as_demo.get(f"/claims/documents/{document.pk}/")
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF


def test_requested_items_are_listed_for_the_enterprise(as_demo, insured):
    claim = claim_in(insured, "info_requested")
    text = page_text(as_demo.get(f"/claims/{claim.pk}/"))
    assert "需要您补充的材料" in text and "买方破产的法院文书" in text
    request = claim.requests.get()
    assert as_demo.post(f"/claims/{claim.pk}/resubmit/", {}).status_code == 400
    as_demo.post(f"/claims/{claim.pk}/resubmit/", {f"reply_{request.pk}": "已附法院公告。"})
    claim.refresh_from_db()
    assert claim.status == "resubmitted"


def urls_of(insured):
    claim = claim_for(insured)
    from singlewindow.claims import services

    document = services.add_document(insured.user, claim.pk, "invoice", pdf())
    notice = claim.notice
    return [f"/claims/notices/{notice.pk}/", f"/claims/notices/{notice.pk}/withdraw/",
            f"/claims/notices/{notice.pk}/claim/", f"/claims/{claim.pk}/", f"/claims/{claim.pk}/withdraw/",
            f"/claims/documents/{document.pk}/", f"/claims/buyers/{insured.buyer.pk}/edit/"]


def test_another_enterprise_gets_404_everywhere(client, insured):
    urls = urls_of(insured)
    client.force_login(insured.world.demo2)
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_the_bureau_and_visitors_are_refused(client, insured):
    urls = [*urls_of(insured), "/claims/", "/claims/buyers/", f"/claims/notices/new/?policy={insured.policy.pk}"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"], url
    client.force_login(insured.world.bureau)
    for url in urls:
        assert client.get(url).status_code == 403, url


def test_a_colleague_sees_and_acts(client, insured):
    claim = claim_for(insured)
    client.force_login(insured.world.colleague)
    assert claim.number in page_text(client.get("/claims/"))
    assert claim.number in page_text(client.get(f"/claims/{claim.pk}/"))
    client.post(f"/claims/{claim.pk}/withdraw/", {"reason": "与买方达成付款安排。"})
    claim.refresh_from_db()
    assert claim.status == "withdrawn"


def test_the_overview_explains_itself_when_empty(as_demo):
    text = page_text(as_demo.get("/claims/"))
    assert "可能损失通知（报损）" in text and "报损" in text


def test_the_enterprise_checklist_says_what_was_given_for_each_item_asked_for(as_demo, insured):
    """A document asked for is 已补充 only with a file; a reply alone says so; a written explanation asked for
    takes no file and is 已答复 by its reply."""
    import re

    from singlewindow.claims import services

    claim = claim_in(insured, "under_review")
    services.request_info(insured.insurer, claim.pk, ["法院文书", "物流签收记录"], questions=["买方最后一次付款的时间"])
    asked = {r.item: r for r in claim.requests.all()}
    html = as_demo.get(f"/claims/{claim.pk}/").content.decode()
    assert f'id="file-request-{asked["物流签收记录"].pk}"' in html
    assert f'id="file-request-{asked["买方最后一次付款的时间"].pk}"' not in html  # nothing to upload for it
    assert "对“买方最后一次付款的时间”的答复" in page_text(as_demo.get(f"/claims/{claim.pk}/"))
    upload = SimpleUploadedFile("签收.pdf", PDF, content_type="application/pdf")
    as_demo.post(f"/claims/{claim.pk}/documents/", {"kind": "requested", "request": asked["物流签收记录"].pk,
                                                   "file": upload})
    missing = as_demo.post(f"/claims/{claim.pk}/resubmit/", {f"reply_{asked['法院文书'].pk}": "法院尚未出具文书。"})
    assert missing.status_code == 400 and "还有未答复的问题：买方最后一次付款的时间" in page_text(missing)
    as_demo.post(f"/claims/{claim.pk}/resubmit/", {f"reply_{asked['法院文书'].pk}": "法院尚未出具文书。",
                                                  f"reply_{asked['买方最后一次付款的时间'].pk}": "2020年7月15日。"})
    html = as_demo.get(f"/claims/{claim.pk}/").content.decode()
    rows = {}
    for row in re.findall(r'<tr data-testid="checklist-row">(.*?)</tr>', html, re.DOTALL):
        label = re.search(r'data-label="材料">([^<]*)', row).group(1).strip()
        rows[label] = re.search(r'data-testid="checklist-state"[^>]*>([^<]*)<', row).group(1) if (
            "checklist-state" in row) else None
    assert rows["法院文书"] == "未交文件，已说明"
    assert rows["物流签收记录"] == "已补充"
    assert rows["买方最后一次付款的时间"] == "已答复"
    assert "2020年7月15日。" in page_text(as_demo.get(f"/claims/{claim.pk}/"))


def test_a_file_for_a_question_is_refused_in_its_row(as_demo, insured):
    from singlewindow.claims import services

    claim = claim_in(insured, "under_review")
    services.request_info(insured.insurer, claim.pk, [], questions=["买方最后一次付款的时间"])
    question = claim.requests.get()
    upload = SimpleUploadedFile("说明.pdf", PDF, content_type="application/pdf")
    response = as_demo.post(f"/claims/{claim.pk}/documents/", {"kind": "requested", "request": question.pk,
                                                              "file": upload})
    assert response.status_code == 400 and "要求的是书面说明" in page_text(response)
    assert not ClaimDocument.objects.filter(claim=claim).exists()


def test_a_file_for_an_item_never_asked_for_is_refused_with_a_message(as_demo, insured):
    claim = claim_in(insured, "under_review")
    upload = SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf")
    response = as_demo.post(f"/claims/{claim.pk}/documents/", {"kind": "requested", "request": "999999",
                                                              "file": upload})
    assert response.status_code == 400 and "请选择这份材料对应的补充要求。" in page_text(response)
    assert not ClaimDocument.objects.filter(claim=claim).exists()
