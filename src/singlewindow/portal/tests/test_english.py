"""The UI in English: every page a party opens reads in English; only data stays Chinese."""
import datetime as dt
import re
from html import unescape
from pprint import pformat
from types import SimpleNamespace

import pytest
from django.utils import timezone, translation
from pytest_django.asserts import assertContains

from singlewindow.accounts.models import User
from singlewindow.alerts import services as alerts
from singlewindow.alerts.models import Alert
from singlewindow.alerts.tests.conftest import CHENGQU, alert_data, counties, countries, make_effective
from singlewindow.api.models import ApiToken
from singlewindow.audit.models import AuditEvent
from singlewindow.claims import services as claims
from singlewindow.claims.models import (
    Buyer,
    Claim,
    ClaimDocument,
    Country,
    InfoRequest,
    LossNotice,
    NoticeMessage,
    Recovery,
    SettlementConsent,
)
from singlewindow.claims.tests.conftest import claim_in, file, pdf
from singlewindow.documents import services as documents
from singlewindow.documents.signing import CA_COMMON_NAME
from singlewindow.documents.tests.conftest import make_effective as approved
from singlewindow.documents.verification import mask_name
from singlewindow.enterprises import publication as publications
from singlewindow.enterprises.import_rows import LABELS
from singlewindow.enterprises.models import Enterprise, Objection, Publication
from singlewindow.enterprises.tests.conftest import exporter  # noqa: F401 (a fixture: an enterprise with exports)
from singlewindow.notifications.models import OutboundMessage
from singlewindow.policies.models import Agreement, InsurerBranch, Policy, Scheme
from singlewindow.policies.tests.conftest import confirm_as, page_text
from singlewindow.regions.models import Region
from singlewindow.reminders import services as reminders
from singlewindow.reminders.models import Channel, ReminderRun, ReminderTemplate
from singlewindow.reminders.rendering import PLACEHOLDERS
from singlewindow.reminders.services import DEFAULT_TEMPLATE
from singlewindow.subsidies.models import FundingApplication
from singlewindow.subsidies.tests.conftest import act, budget, city_key, draft

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
LABELLING_ATTRIBUTES = re.compile(r'\b(?:placeholder|title|aria-label|alt|data-label[\w-]*)="([^"]*)"')  # data-label-*: a chart's legend
DEFAULT_NAME = DEFAULT_TEMPLATE["name"]  # a bureau's first reminder template
LOGO = re.compile(r'<span class="sw-logo"[^>]*>[^<]*</span>')  # the 单 glyph of the Single Window logo


def data_strings():
    """What a page may show in Chinese because it is data (longest first, so parts go with the whole)."""
    strings = {"简体中文", *LABELS.values(), CA_COMMON_NAME}  # the language switch; the column names an import file
    # carries; the name of the certificate authority 保单查验 names (the certificate's, in Chinese)
    for model, fields in [
        (Enterprise, ["name", "address", "legal_representative"]), (Scheme, ["name", "risks_covered"]),
        (Region, ["name"]), (InsurerBranch, ["name"]), (User, ["display_name"]),
        (Policy, ["last_reason", "contact_name"]), (Agreement, ["title", "body"]),
        # what the parties of a claim typed (the insurer's questions and requests, the enterprise's answers,
        # reasons, file names) and the buyers' and countries' names; an alert as its insurer wrote it
        (Buyer, ["name_latin", "name_zh", "address", "registration_no"]), (Country, ["name_zh"]),
        (LossNotice, ["contract_no", "invoice_no", "collection_steps", "contact_name"]),
        (NoticeMessage, ["body"]), (SettlementConsent, ["plan", "decision_text"]),
        (Claim, ["decision_reason", "paid_reference"]), (InfoRequest, ["item", "reply"]),
        (ClaimDocument, ["original_name"]), (Recovery, ["note"]), (AuditEvent, ["reason"]),
        (Alert, ["title", "body", "industries", "withdraw_reason"]),
        (Publication, ["note", "reason"]), (Objection, ["objector", "contact", "text", "answer"]),  # 名单公示
        (ReminderTemplate, ["name"]),  # 提醒: a bureau's templates (the default one too: a row it may change)
        (FundingApplication, ["last_reason", "difference_note"]),  # 拨付审核: what the bureau wrote
        (ApiToken, ["name"]),  # 接口令牌: as its maker named it
    ]:
        for values in model.objects.values_list(*fields):
            strings.update(line for value in values for line in (value or "").splitlines())
    written = [*ReminderTemplate.objects.values_list("subject", "body"), *ReminderRun.objects.values_list("subject", "body")]
    strings.update(part for texts in written for text in texts for part in re.split(r"\{[^{}]*\}", text))  # what
    # a reminder reads around the values filled in
    strings.update(f"{{{name}}}" for name in PLACEHOLDERS)  # the placeholders, as a bureau types them
    strings.update(str(t) for t in ReminderTemplate.objects.select_related("region"))  # name（region）: a choice
    names = Enterprise.objects.values_list("name", "uscc")
    strings.update(f"{name}（{uscc}）" for name, uscc in names)  # str(enterprise): a choice in 名单公示's objection form
    strings.update(mask_name(name) for name, _uscc in names)  # the insured as 保单查验 shows it
    strings.update(str(buyer) for buyer in Buyer.objects.exclude(name_zh="").exclude(name_latin=""))  # A（甲）
    return sorted((s.strip() for s in strings if s.strip()), key=len, reverse=True)


def leftover_chinese(response):
    """The Chinese a reader still sees (text and labelling attributes) once data is taken out."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.DOTALL)
    html = LOGO.sub(" ", html)
    text = unescape(re.sub(r"<[^>]+>", " ", html) + " " + " ".join(LABELLING_ATTRIBUTES.findall(html)))
    text = re.sub(r"\s+", " ", text)
    for data in data_strings():
        text = text.replace(re.sub(r"\s+", " ", data), " ")
    return sorted(set(CJK.findall(text)))


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def english_page(client, url, *strings):
    response = client.get(url)
    assert response.status_code == 200, url
    text = page_text(response)
    for string in strings:
        assert string in text, (url, string)
    assert leftover_chinese(response) == [], url
    return text


def test_the_language_switch_turns_the_portal_english_and_back(db, client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Online Application for SME Export Credit Insurance" in page_text(client.get("/"))
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "小微企业出口信用保险在线申领" in page_text(client.get("/"))


def test_a_visitor_reads_home_login_and_faq_in_english(db, english):
    english_page(english, "/", "Local Services", "Single Window service hotline", "SME Online Insurance")
    english_page(english, "/login/", "User Login", "IC Card", "Download Client Control", "Register Now",
                 "Forgot Password", "Forgot Username")
    english_page(english, "/help/", "FAQ", 'What is the "Single Window"?', "Organisation code already registered",
                 "Legal-Person Card")


def test_a_bound_enterprise_user_finds_and_confirms_the_policy_in_english(world, bound_demo, english):
    english.force_login(bound_demo)
    english_page(english, "/features/", "Local Services", "Financial Services", "Export Credit",
                 "SME Online Insurance")
    english_page(english, "/insure/", "Pending", "Under Review", "In Force", "View Details", world.pending.number)
    english_page(english, f"/insure/{world.pending.pk}/", "Policy Details", "Confirm Insurance", "Decline Insurance",
                 "I have read the above carefully and agree to the China Export & Credit Insurance Corporation "
                 "Online Customer Service Agreement", "This agreement exists in Chinese only")
    response = english.post(f"/insure/{world.pending.pk}/confirm/", {})
    assertContains(response, "Contact Person: Please enter the contact person.", status_code=400)
    assert leftover_chinese(response) == []
    confirm_as(bound_demo, world.pending)
    english_page(english, f"/insure/{world.pending.pk}/submitted/", "Insurance Confirmation Submitted",
                 "Current status: Under Review", "View and Print the Confirmation Receipt")
    english_page(english, f"/insure/{world.pending.pk}/", "Confirmation Details", "Progress", "Password")
    english_page(english, f"/insure/{world.pending.pk}/receipt/", "Export Credit Insurance Confirmation Receipt",
                 "Print Receipt")


def test_an_unbound_user_binds_in_english(world, english):
    english.force_login(world.demo)
    english_page(english, "/local/bind/", "Existing Account Binding", "Bind Account", "Quick Registration")


def test_the_insurer_workbench_reads_in_english(world, english):
    english.force_login(world.insurer)
    english_page(english, "/insurer/", "Policy Approval", "Pending", "View Details")
    english_page(english, f"/insurer/schemes/{world.scheme.pk}/", "Edit Insurance Scheme", "Confirmation deadline")
    english_page(english, f"/insurer/{world.returned.pk}/", "Policy Details", "Returned", "Cancel")
    confirm_as(world.demo, world.pending)
    english_page(english, f"/insurer/{world.pending.pk}/", "Approve", "Return", "Insurance Confirmation Record")


def test_a_missing_page_and_a_verification_code_speak_english(world, english):
    assertContains(english.get("/no-such-page/"), "Page Not Found", status_code=404)
    english.post("/forgot-password/", {"recipient": world.demo.mobile})
    message = OutboundMessage.objects.get(recipient=world.demo.mobile)
    assert "You are resetting your Single Window password. Verification code:" in message.body


def test_a_form_error_speaks_english(world, english):
    response = english.post("/register/", {})
    assertContains(response, "Enterprise name is required.", status_code=400)
    assert leftover_chinese(response) == []


PAGES = {
    None: ["/register/", "/forgot-password/", "/forgot-username/", "/control/"],
    "demo": ["/insure/?status=confirmed", "/insure/?status=returned", "/insure/?status=lapsed", "/insure/eligibility/",
             "/account/", "/account/password/", "/account/mobile/", "/account/operators/", "/account/operators/add/",
             "/notices/popup/"],
    "insurer": ["/insurer/?status=confirmed", "/insurer/issue/", "/insurer/schemes/", "/insurer/schemes/new/",
                "/insurer/batch/", "/insurer/applications/"],
    "bureau": ["/bureau/", "/enterprises/imports/", "/enterprises/eligible/"],
    "admin": ["/account/locked/", "/bureau/"],
}


@pytest.mark.parametrize("who", PAGES)
def test_no_chinese_is_left_on_any_page_but_data(world, bound_demo, english, who):
    if who:
        english.force_login(getattr(world, who))
    responses = {url: english.get(url) for url in PAGES[who]}
    assert {url: r.status_code for url, r in responses.items() if r.status_code != 200} == {}
    leftovers = {url: leftover_chinese(response) for url, response in responses.items()}
    assert {url: found for url, found in leftovers.items() if found} == {}


def test_the_header_names_the_portal_once_in_the_readers_language(db, english):
    from django.test import Client

    chinese = page_text(Client().get("/"))
    assert chinese.count("中国（广东）国际贸易单一窗口") >= 1 and "China (Guangdong) International Trade Single Window" in chinese
    header = re.search(r'<header class="sw-header">.*?</a>', english.get("/").content.decode(), re.DOTALL).group(0)
    assert header.count("China (Guangdong) International Trade Single Window") == 1
    assert "中国（广东）" not in header


# --- 报损与索赔, 理赔审核, 报损理赔统计 and 风险预警: every page of each party, with real records on it ---------------

def english_pages(client, pages, posts=()):
    """Each page (`pages`: url → strings; `posts`: (url, data, strings[, status]), what a post answers: a second
    step's page, a form's errors) answers 200 (or `status`), shows its English strings and keeps no Chinese but
    data. All are fetched before anything is asserted, so one run names every page that fails."""
    found = {}
    for url, data, strings, *status in [(url, None, strings) for url, strings in pages.items()] + list(posts):
        response = client.get(url) if data is None else client.post(url, data)
        expected = status[0] if status else 200
        if response.status_code != expected:
            found[f"{'GET' if data is None else 'POST'} {url}"] = [f"status {response.status_code}"]
            continue
        text = page_text(response)
        problems = [f"missing {s!r}" for s in strings if s not in text]
        problems += [f"Chinese {c!r}" for c in leftover_chinese(response)]
        if problems:
            found[f"{'GET' if data is None else 'POST'} {url}"] = problems
    assert not found, "\n" + pformat(found, width=118)


@pytest.fixture
def losses(world):
    """demo's 2020 policy (expired, it still covers its period's shipments) and its buyer, as
    claims/tests/conftest.py's `insured` has them, with a case in each state a page shows: a notice the insurer
    acknowledged, asked about and was sent a settlement plan on; a claim waiting for documents (some uploaded);
    one under review, one approved, one paid with a recovery, one rejected."""
    policy = Policy.objects.get(enterprise=world.demo.enterprise_id, scheme__year=2020)
    buyer = claims.add_buyer(world.demo, {"name_latin": "Hamburg Trading GmbH", "name_zh": "汉堡贸易公司",
                                          "country": "DE", "address": "Speicherstadt 1, Hamburg"})
    twin = claims.add_buyer(world.demo, {"name_latin": "Hamburg Trading", "country": "DE"})
    case = SimpleNamespace(policy=policy, buyer=buyer, twin=twin, user=world.demo, insurer=world.insurer,
                           world=world)
    case.notice = file(case)
    claims.acknowledge_notice(world.insurer, case.notice.pk)
    claims.post_message(world.insurer, case.notice.pk, "question", "请提供最近一次催收邮件。")
    claims.post_message(world.demo, case.notice.pk, "answer", "已附 9 月 15 日的催收邮件。")
    case.settlement = claims.propose_settlement(world.demo, case.notice.pk, "买方分三期付清，每期 4000 欧元。")
    case.waiting = claim_in(case, Claim.Status.INFO_REQUESTED)
    for kind, name in (("application", "索赔申请书.pdf"), ("contract", "合同.pdf")):
        claims.add_document(world.demo, case.waiting.pk, kind, pdf(name))
    case.review = claim_in(case, Claim.Status.UNDER_REVIEW)
    with translation.override("en"):  # the working as an English-reading approver writes it
        case.approved = claim_in(case, Claim.Status.APPROVED)
        case.paid = claim_in(case, Claim.Status.PAID)
    claims.record_recovery(world.insurer, case.paid.pk, amount_usd="1000.00", received_on=timezone.localdate(),
                           note="买方破产清算分配款")
    case.rejected = claim_in(case, Claim.Status.REJECTED)
    case.open_notice = file(case)  # not claimed yet: 索赔 can be opened on it
    return case


def test_the_enterprise_reads_its_losses_and_claims_in_english(losses, english):
    english.force_login(losses.user)
    notice, waiting, paid = losses.notice, losses.waiting, losses.paid
    english_pages(english, {
        "/claims/": ["My Losses & Claims", "Policies You Can Report a Loss On", "Report Loss", "Possible-Loss Notice",
                     "Remaining maximum indemnity", "Documents Requested", "Paid", "Rejected", "View Details"],
        "/claims/buyers/": ["My Buyers", "Add Buyer", "Hamburg Trading GmbH", "Germany", "Edit"],
        "/claims/buyers/new/": ["Add Buyer", "Buyer name (foreign language)", "Country (region)", "Save"],
        f"/claims/buyers/{losses.buyer.pk}/edit/": ["Edit Buyer", "Registration number"],
        f"/claims/notices/deadline/?policy={losses.policy.pk}&due_date=2020-09-01": [
            "Notice deadline: 2020-10-31 (within 60 days of the payment due date)"],
        f"/claims/notices/{notice.pk}/": ["Possible-Loss Notice", "Status:", "Acknowledged", "Notice Details",
                                          "Messages with the Insurer", "Insurer's question", "Send Answer",
                                          "Settlement plan", "Awaiting the insurer's decision", "Progress"],
        f"/claims/notices/{notice.pk}/withdraw/": ["Withdraw Notice", "A withdrawal cannot be undone",
                                                   "Confirm: Withdraw Notice"],
        f"/claims/notices/{losses.open_notice.pk}/claim/": ["Claim", "Claim deadline", "Claimed amount",
                                                            "Submit Claim", "Back, do not submit"],
        f"/claims/{waiting.pk}/": ["Documents You Need to Supply", "Claim Document Checklist", "Claim form",
                                   "Bill of lading", "To upload", "Uploaded", "Submit Documents", "Withdraw Claim",
                                   "bytes", "SHA-256:"],
        f"/claims/{waiting.pk}/withdraw/": ["Withdraw Claim", "Confirm: Withdraw Claim"],
        f"/claims/{paid.pk}/": ["Indemnity and Working", "Assessed loss", "At the indemnity ratio",
                                "The lesser of the two above", "Amount paid", "Recovery", "Your share"],
        f"/claims/{losses.rejected.pk}/": ["Rejected", "Reason for rejection:"],
    })


def test_the_claims_desk_reads_in_english(losses, english):
    english.force_login(losses.insurer)
    notice, review, approved = losses.notice, losses.review, losses.approved
    english_pages(english, {
        "/claims/desk/": ["Claims desk", "Loss notices", "Manage Buyers", "Awaiting our branch", "Filter", "Due by"],
        "/claims/desk/?tab=claims&status=all": ["Claim", "Handler", "Unassigned", "Under Review", "Paid"],
        f"/claims/desk/notices/{notice.pk}/": ["Possible-Loss Notice", "Notice Details", "Messages",
                                               "Collection advice", "Submit Decision", "Agreed", "Not agreed"],
        "/claims/desk/buyers/": ["Manage Buyers", "Keep", "Duplicate", "Merge Selected Buyers", "Sort by"],
        "/claims/figures/": ["Claims figures", "Counts", "Notices", "Late notice", "Approved indemnity (USD)"],
    }, posts=[  # the second steps of what cannot be undone
        (f"/claims/desk/{review.pk}/reject/", {"reason": "损失不属于保险责任。"}, ["Confirm Rejection"]),
        (f"/claims/desk/{approved.pk}/pay/", {"paid_on": timezone.localdate().isoformat(), "reference": "P-1",
                                              "amount_usd": f"{approved.indemnity_usd:.2f}"},
         ["Confirm Payment", "Payment reference: P-1"]),
        (f"/claims/desk/settlements/{losses.settlement.pk}/decide/",
         {f"s{losses.settlement.pk}-decision": "consented", f"s{losses.settlement.pk}-text": "Three instalments are fine."},
         ["Settlement Plan: Agreed", "Confirm: Agreed"]),
        ("/claims/desk/buyers/", {"keep": losses.buyer.pk, "duplicates": [losses.twin.pk]},
         ["Merge Buyers", "Keep: Hamburg Trading GmbH", "Confirm Merge (1)"]),
    ])


def test_the_claim_review_reads_in_english(losses, english):
    english.force_login(losses.insurer)
    review = losses.review
    english_pages(english, {
        f"/claims/desk/{losses.waiting.pk}/": ["Claim Review", "Document Checklist", "Missing", "Received",
                                               "Document Requests", "Assign Handler"],
        f"/claims/desk/{review.pk}/?usd_rate=1.18&rate_date=2020-11-02": [
            "Working (preview, not saved)", "Rate date", "Reject", "Reason for rejection"],
        f"/claims/desk/{losses.approved.pk}/": ["Approved indemnity", "Record Payment", "Payment reference"],
        f"/claims/desk/{losses.paid.pk}/": ["Recovery", "Insurer's share", "Maximum restored", "Record Recovery"],
    }, posts=[(f"/claims/desk/{review.pk}/approve/", {"usd_rate": "1.18", "rate_date": "2020-11-02"},
               ["Confirm Approval (indemnity USD"])])


@pytest.mark.parametrize("who", ["bureau", "admin"])
def test_the_claims_figures_read_in_english(losses, english, who):
    english.force_login(getattr(losses.world, who))
    english_pages(english, {"/claims/figures/": ["Claims figures", "County/District", "Counts", "Amount",
                                                 "Counts and amounts only"]})


def test_the_notice_form_reads_in_english(losses, english):
    english.force_login(losses.user)
    english_pages(english, {f"/claims/notices/new/?policy={losses.policy.pk}": [
        "Report a Possible Loss", "Buyer and Shipment", "Customs declaration number", "Payment terms",
        "O/A (open account)", "Credit period (days)", "Cause of loss", "Payment default", "Submit Notice"]},
        posts=[(f"/claims/notices/new/?policy={losses.policy.pk}", {}, ["Contract number is required."], 400)])


def test_the_working_of_a_claim_approved_in_chinese_reads_in_english(losses, english):
    claim = claim_in(losses, Claim.Status.APPROVED)  # approved with the site's default language, Chinese
    english.force_login(losses.user)
    text = page_text(english.get(f"/claims/{claim.pk}/"))
    assert "核定损失" not in text and "Assessed loss" in text


@pytest.fixture
def warned(world):
    """The 粤东 branch's alerts as alerts/tests/conftest.py makes them: demo's and demo2's enterprises insured,
    a 中 industry alert to 城区 that demo has read, a 高 country alert (Argentina) and a buyer alert, one past
    its validity, a draft, and a withdrawn one."""
    make_effective(world.insurer, world.pending)
    make_effective(world.insurer, world.returned)
    acme = Buyer.objects.create(enterprise=world.demo.enterprise, name_latin="ACME Trading LLC", country_id="US")

    def published(**overrides):
        alert = alerts.save_draft(world.insurer, alert_data(audience=Alert.Audience.COUNTIES,
                                                            counties=counties(CHENGQU), **overrides))
        return alerts.publish(world.insurer, alert.pk)

    today = timezone.localdate()
    case = SimpleNamespace(world=world)
    case.industry = published()
    case.country = published(kind=Alert.Kind.COUNTRY, level=Alert.Level.HIGH, countries=countries("AR", "BR"),
                             title="阿根廷外汇管制")
    case.buyer = published(kind=Alert.Kind.BUYER, buyers=[acme], level=Alert.Level.LOW, title="ACME 拖欠货款")
    case.past = published(title="土耳其里拉贬值", kind=Alert.Kind.COUNTRY, countries=countries("TR"))
    Alert.objects.filter(pk=case.past.pk).update(valid_from=today - dt.timedelta(days=9),
                                                 valid_until=today - dt.timedelta(days=1))
    case.draft = alerts.save_draft(world.insurer, alert_data(title="越南港口拥堵"))
    case.withdrawn = published(title="错误的预警")
    alerts.withdraw(world.insurer, case.withdrawn.pk, reason="发布有误。")
    return case


def test_the_enterprise_reads_its_risk_alerts_in_english(warned, english):
    english.force_login(warned.world.demo)
    english_pages(english, {
        "/alerts/": ["Risk alerts", "Current Alerts", "Unread", "Medium risk", "High risk", "Industry risk",
                     "Valid until"],
        f"/alerts/{warned.industry.pk}/": ["Alert type", "Risk level", "Issued by", "Validity", "(inclusive)",
                                           "Industries concerned", "Alert Text"],
        f"/alerts/{warned.country.pk}/": ["Countries (regions) concerned", "Argentina", "Brazil"],
        f"/alerts/{warned.buyer.pk}/": ["Buyers concerned", "Low risk", "Buyer risk"],
        "/alerts/archive/": ["Lapsed"],
        f"/alerts/{warned.past.pk}/": ["This alert is past its validity"],
        "/alerts/countries/ar/": ["Country Risk: Argentina", "Current Alerts", "Past Alerts", "No past alerts."],
        "/alerts/countries/tr/": ["Country Risk: Türkiye", "No current alerts concern this country (region)."],
    })


def test_the_insurer_manages_risk_alerts_in_english(warned, english, client):
    client.force_login(warned.world.demo)
    client.get(f"/alerts/{warned.industry.pk}/")  # a read receipt
    english.force_login(warned.world.insurer)
    english_pages(english, {
        "/alerts/manage/": ["Risk alerts", "Write Alert", "Draft", "Published", "Withdrawn", "Read / Delivered"],
        "/alerts/manage/new/": ["Write Risk Alert", "Audience", "Valid until (inclusive)", "Save Draft"],
        f"/alerts/manage/{warned.draft.pk}/edit/": ["Edit Alert Draft", "Save Draft"],
        f"/alerts/manage/{warned.draft.pk}/": ["Alert Details", "Publish", "Edit Draft", "insured enterprise"],
        f"/alerts/manage/{warned.industry.pk}/": ["Read Receipts", "1 read", "read it at", "Withdraw",
                                                  "Reason for withdrawal"],
        f"/alerts/manage/{warned.country.pk}/": ["Argentina", "High risk", "Unread ("],
        f"/alerts/manage/{warned.withdrawn.pk}/": ["Withdrawn"],
        "/alerts/countries/ar/": ["Country Risk: Argentina"],
    }, posts=[
        (f"/alerts/manage/{warned.draft.pk}/publish/", {}, ["Publish Risk Alert", "Confirm Publication"]),
        (f"/alerts/manage/{warned.industry.pk}/withdraw/", {"reason": "发布有误。"},
         ["Withdraw Risk Alert", "Confirm Withdrawal"]),
    ])


# --- 统计分析, 企业名单, 名单公示, 电子保单 and 保单查验 -------------------------------------------------------

def chart_leftovers(response):
    """The Chinese in the dashboard's chart data (a json_script, which leftover_chinese leaves out) but data."""
    found = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', response.content.decode(),
                      re.DOTALL)
    text = found.group(1).encode().decode("unicode_escape") if found else ""
    for data in data_strings():
        text = text.replace(data, " ")
    return sorted(set(CJK.findall(text)))


@pytest.mark.parametrize("who", ["bureau", "county", "admin"])
def test_the_statistics_and_the_enterprise_list_read_in_english(world, english, who):
    confirm_as(world.demo, world.pending)
    english.force_login(getattr(world, who))
    today = timezone.localdate()
    english_pages(english, {
        "/bureau/": ["Statistics", "Search", "Eligible Enterprises", "Take-up rate", "Confirmation rate",
                     "Premiums and subsidies (in force)", "Provincial", "Municipal", "Provincial subsidy (CNY)",
                     "Municipal subsidy (CNY)", "County/District"],
        f"/bureau/?scheme={world.scheme.pk}&start={today - dt.timedelta(days=7)}&end={today}": ["Statistics"],
        "/bureau/enterprises/": ["Enterprise List", "County/District", "Eligible"],
        "/bureau/enterprises/?status=pending&eligibility=yes": ["Enterprise List"],
        "/bureau/enterprises/?q=没有这样的企业": ["Enterprise List"],
    }, posts=[])
    response = english.get("/bureau/")
    html = response.content.decode()
    assert 'data-label-take-up="' in html and "data-label-take-up=\"参保率" not in html
    assert chart_leftovers(response) == []


@pytest.mark.parametrize("url, params", [
    ("/bureau/", {"start": "2020-13-01"}), ("/bureau/enterprises/", {"status": "approved"}),
    ("/bureau/enterprises/", {"q": "<script>"}),
])
def test_a_refused_statistics_or_list_filter_speaks_english(world, english, url, params):
    english.force_login(world.bureau)
    response = english.get(url, params)
    assert response.status_code == 400
    assert leftover_chinese(response) == []


@pytest.fixture
def published(world, exporter):  # noqa: F811
    """The 海丰县 bureau's list of its three eligible enterprises (as enterprises/tests/test_publication.py makes
    it) with an objection it recorded and answered (the enterprise taken off) and one demo2 filed, unanswered;
    the 汕尾市 bureau's list, confirmed after its period."""
    for n in range(1, 4):
        exporter(n, 1000 * n, region="441521")
    today = timezone.localdate()
    case = SimpleNamespace(world=world)
    case.county = publications.publish(world.county, world.scheme.pk, starts_on=today,
                                       ends_on=today + dt.timedelta(days=6), note="请各企业核对名单。")
    first = case.county.rows.order_by("enterprise__uscc").first()
    recorded = publications.object_to(world.county, case.county.pk, text="该企业已注销。", objector="王先生",
                                      contact="13729230657", enterprise_id=first.enterprise_id)
    publications.answer(world.county, case.county.pk, recorded.pk, answer="经核实属实，移出名单。", remove=True)
    case.objection = publications.object_to(world.demo2, case.county.pk, text="我司已于去年停止出口。")
    case.city = publications.publish(world.bureau, world.scheme.pk, starts_on=today,
                                     ends_on=today + dt.timedelta(days=6))
    publications.confirm(world.bureau, case.city.pk,
                         now=timezone.now() + dt.timedelta(days=8))
    return case


def test_the_bureau_publishes_and_decides_a_list_in_english(published, english):
    english.force_login(published.world.county)
    pk, objection = published.county.pk, published.objection
    english_pages(english, {
        "/enterprises/publications/": ["List Publication", "Publish List", "at least 5 days", "Publication start date",
                                       "Publication end date (inclusive)", "Publication note", "Publication area",
                                       "Publication period", "Enterprises", "Under publication"],
        f"/enterprises/publications/{pk}/": [
            "List Publication ·", "Publication period", "(inclusive)", "Publication note", "Confirm List",
            "Withdraw Publication", "Objections", "Enterprise concerned:", "Response: 经核实属实，移出名单。",
            "Submit Response", "Record an Objection Received", "Objector", "Enterprise concerned (optional)",
            "Submit Objection", "Published List", "Removed after objection", "On the list"],
        f"/enterprises/publications/{pk}/confirm/": ["Confirm List", "Once confirmed, the list can no longer be changed",
                                                      "2 enterprises on the list"],
        f"/enterprises/publications/{pk}/withdraw/": ["Withdraw Publication", "is withdrawn, the list is no longer valid",
                                                       "Reason for withdrawal"],
    }, posts=[
        ("/enterprises/publications/", {"scheme": published.world.scheme.pk, "starts_on": "2020-01-01",
                                        "ends_on": "x"}, ["Publish List"], 400),
        (f"/enterprises/publications/{pk}/object/", {"text": ""}, ["Record an Objection Received"], 400),
        (f"/enterprises/publications/{pk}/objections/{objection.pk}/answer/", {"answer": ""}, ["Submit Response"],
         400),
        (f"/enterprises/publications/{pk}/withdraw/", {"reason": ""}, ["Withdraw Publication"], 400),
    ])
    response = english.post(f"/enterprises/publications/{pk}/confirm/", {"checked": "1"}, follow=True)  # too early
    assert "the list can be confirmed only after it ends" in page_text(response)
    assert leftover_chinese(response) == []


def test_an_enterprise_of_the_county_reads_the_list_and_objects_in_english(published, english):
    english.force_login(published.world.demo2)
    pk = published.county.pk
    english_pages(english, {
        "/enterprises/publications/": ["List Publication", "Publication area", "Under publication"],
        f"/enterprises/publications/{pk}/": ["List Publication ·", "Objections", "我司已于去年停止出口。",
                                             "Awaiting response", "Raise an Objection", "Submit Objection",
                                             "Published List", "On the list"],
    }, posts=[(f"/enterprises/publications/{pk}/object/", {"text": ""}, ["Raise an Objection"], 400)])
    response = english.post(f"/enterprises/publications/{pk}/object/", {"text": "名单缺少我司。"}, follow=True)
    assert "Objection recorded" in page_text(response) and leftover_chinese(response) == []


def test_an_enterprise_left_off_a_required_list_is_told_why_in_english(published, exporter):  # noqa: F811
    """A scheme that requires 名单公示, an eligible enterprise of 海丰县 made after the list: not on a confirmed
    list, the eligibility panel's verdict says so."""
    from singlewindow.enterprises import eligibility

    Scheme.objects.filter(pk=published.world.scheme.pk).update(publication_required=True)
    late = exporter(7, 7000, region="441521")
    with translation.override("en"):
        verdict = next(v for v in eligibility.verdicts_for(late) if v.scheme.pk == published.world.scheme.pk)
    assert verdict.message.startswith("This scheme requires list publication: your enterprise is not on the list")


def test_a_confirmed_list_reads_in_english(published, english):
    english.force_login(published.world.bureau)
    english_pages(english, {
        "/enterprises/publications/": ["Confirmed", "Under publication"],
        f"/enterprises/publications/{published.city.pk}/": ["Confirmed", "No objections.", "Published List"],
    })


@pytest.fixture
def documented_policy(world):
    """demo's policy confirmed and approved, with its 电子保单 (documents/tests/conftest.py's `documented`)."""
    policy = approved(world)
    document, _made = documents.ensure_policy_document(policy.pk)
    documents.ensure_receipts(policy.pk)
    return SimpleNamespace(policy=policy, document=document)


def test_the_electronic_policy_panel_and_the_verification_read_in_english(documented_policy, bound_demo, english,
                                                                          world):
    policy, document = documented_policy.policy, documented_policy.document
    english.force_login(bound_demo)
    english_pages(english, {f"/insure/{policy.pk}/": ["Electronic Policy and Receipts", "Download Electronic Policy",
                                                      "verification code", "Download Confirmation Receipt",
                                                      "Policy Verification"]})
    english.force_login(world.insurer)
    english_pages(english, {f"/insurer/{policy.pk}/": ["Download Electronic Policy"]})
    english.logout()
    english.cookies["django_language"] = "en"  # logging out forgets it
    english_pages(english, {  # in this order: the first genuine answer is the third's earlier verification
        "/verify/": ["Policy Verification", "Verify", "Policy number", "About the Digital Signature"],
        f"/verify/?number={policy.number}&code={document.code}": ["Verification result: genuine", policy.number,
                                                                  "(inclusive)", "has not been verified before"],
        f"/verify/?number={policy.number}&code=0000-0000": ["Verification result: not found"],
        f"/verify/?number={policy.number}&code={document.code.lower()}": ["verified 1 time before"],
    }, posts=[("/verify/", {}, ["Policy Verification"], 400)])
    response = english.get("/verify/", {"number": "x", "code": ""})
    assert response.status_code == 400 and leftover_chinese(response) == []


# --- 提醒: a bureau's runs, templates and schedules ---------------------------------------------------------

def remind(world, template, statuses=("pending",)):
    """A 海丰县 run of the county bureau, every channel (as reminders/tests/conftest.py's `send`)."""
    chosen = reminders.check_criteria(world.county, scheme=world.scheme.pk, county="441521", statuses=list(statuses),
                                      within_days=None, day=reminders.reminder_day())
    return reminders.start_run(world.county, chosen, template, list(Channel.values))


@pytest.fixture
def reminded(world):
    """A 海丰县 run sent with a template of the county's own (as reminders/tests/test_views.py's `haifeng_run`),
    then the same again, so the enterprise reached first is skipped. Its policies have a phone and an e-mail, so
    every channel is sent (a skipped channel's reason is read in English: the test after this one)."""
    Policy.objects.filter(enterprise__region="441521").update(contact_phone="13800138021",
                                                              contact_email="export@example.com")
    reminders.templates_for(world.county)  # the county's default first
    template = ReminderTemplate.objects.create(region_id="441521", name="海丰专用模板", subject="海丰专用提醒 {保单号}",
                                               body="{企业名称}：请确认投保。")
    with translation.override("en"):  # why an enterprise is skipped is written in the sender's language
        return SimpleNamespace(world=world, template=template, run=remind(world, template),
                               again=remind(world, template, statuses=("pending", "returned")))


def test_the_bureau_reminds_enterprises_in_english(reminded, english):
    world, template = reminded.world, reminded.template
    english.force_login(world.county)
    chosen = {"scheme": world.scheme.pk, "county": "441521", "statuses": ["pending", "returned"], "within_days": "",
              "template": template.pk, "channels": ["in_app", "sms", "email"]}
    query = "&".join(f"{key}={value}" for key, values in chosen.items()
                     for value in (values if isinstance(values, list) else [values]))
    english_pages(english, {
        "/reminders/": ["Reminder History", "Sent at", "Scope", "Reminded / skipped"],
        "/reminders/new/": ["Send Reminders", "Choose Whom to Remind", "Preview", "Manage Reminder Templates"],
        f"/reminders/new/?{query}": ["What an enterprise receives (the first one as an example)", "Policy number"],
        f"/reminders/{reminded.run.pk}/": ["Reminder text", "Policy status", "Send by", "Reminder template"],
        f"/reminders/{reminded.again.pk}/?show=skipped": ["Reminder text"],
        "/reminders/templates/": ["New Template", "Template name", "Region", "Actions"],
        "/reminders/templates/new/": ["New Reminder Template", "Save"],
        f"/reminders/templates/{template.pk}/": ["Edit Reminder Template",
                                                 "Example (placeholders filled in with a sample enterprise)"],
        "/reminders/schedules/": ["Scheduled reminder", "Confirmation deadline"],
    }, posts=[  # the second step; a template and a filter refused, naming the field
        ("/reminders/new/", {**chosen, "template": ReminderTemplate.objects.get(name=DEFAULT_NAME).pk},
         ["(In-app notification, SMS, Email)", "cannot be recalled"]),
        ("/reminders/templates/new/", {"name": "New template", "subject": "Reminder", "body": "Hello {company}"},
         ["{company}"], 400),
        ("/reminders/new/", {**chosen, "within_days": "abc"}, ["Send Reminders"], 400),
    ])
    assert not ReminderTemplate.objects.filter(name="New template").exists()
    english.force_login(world.bureau)
    english_pages(english, {f"/reminders/schedules/{world.scheme.pk}/": ["Scheduled reminder", "Save"]}, posts=[
        (f"/reminders/schedules/{world.scheme.pk}/", {"days": "14,abc", "channels": ["in_app"], "enabled": "on"},
         ["Scheduled reminder"], 400)])


def test_the_reasons_of_a_run_sent_in_chinese_read_in_english(world, english):
    reminders.templates_for(world.county)
    template = ReminderTemplate.objects.get(region_id="441521")
    first = remind(world, template)  # 海丰县's enterprise gave no phone or e-mail: both channels skipped
    again = remind(world, template, statuses=("pending", "returned"))  # sent in the site's language, Chinese
    english.force_login(world.county)
    english_pages(english, {f"/reminders/{first.pk}/": ["Skipped"], f"/reminders/{again.pk}/?show=skipped": []})


# --- 申请拨付, 拨付审核, 预算管理 and 补贴台账: one application walked through its table -------------------------

def test_a_funding_application_is_made_reviewed_and_paid_in_english(world, english):
    """As subsidies/tests/conftest.py does it: the scheme's 审批中 policies approved (the ledger's commitments), a
    city budget, then the city share's application from draft to reconciled, each party's pages read at each step."""
    from singlewindow.policies import services as policies

    confirmed = Policy.objects.filter(scheme=world.scheme, status="confirmed").values_list("pk", flat=True)
    assert policies.approve_many(world.insurer, list(confirmed))[0]
    budget(world)
    application = draft(world)
    pk, scheme, year, today = application.pk, world.scheme.pk, timezone.localdate().year, timezone.localdate()
    english.force_login(world.insurer)
    english_pages(english, {
        "/subsidies/applications/": ["Funding Applications", "New Funding Application", "Application number",
                                     "Payer", "Amount applied for (CNY)", "Draft"],
        "/subsidies/applications/new/": ["New Funding Application", "Payer and Period", "See the Policies Available"],
        f"/subsidies/applications/new/?scheme={scheme}&payer={city_key(world)}&period_start={year}-01-01"
        f"&period_end={today}": ["Policies That Can Go in This Application"],  # none left: the draft has them
        f"/subsidies/applications/{pk}/": ["Application Details", "Draft", "Invoice number", "Save Invoice Numbers",
                                           "Fill In the Policies Without One", "History", "Create Draft"],
        f"/subsidies/ledger/?scheme={scheme}": ["Subsidy Ledger", "Totals by Payer", "Provincial (CNY)",
                                                "Municipal (CNY)", "Ledger Entries", "Recorded at"],
    }, posts=[  # a bad date named on its field; the second step of 作废
        ("/subsidies/applications/new/", {"scheme": scheme, "payer": city_key(world), "period_start": "2026-02-30",
                                          "period_end": today.isoformat()}, ["New Funding Application"], 400),
        (f"/subsidies/applications/{pk}/withdraw/", {}, ["Void"]),
    ])
    act(world, application, "submit")
    english.force_login(world.bureau)
    english_pages(english, {
        "/subsidies/review/": ["Funding Review", "Pending Review", "Filter"],
        f"/subsidies/review/{pk}/": ["Funding Review", "Pending Review", "Budget (", "Committed", "Still available",
                                     "Approve", "Enter Invoice Numbers", "Submitted"],
        "/subsidies/budgets/": ["Budgets", "Save Budget", "Committed"],
        f"/subsidies/ledger/?scheme={scheme}": ["Subsidy Ledger", "By County/District (where the enterprise is)"],
    }, posts=[  # the second step of 审核通过; a return without its reason; a negative budget
        (f"/subsidies/review/{pk}/approve/", {}, ["Confirm Approval"]),
        (f"/subsidies/review/{pk}/return/", {"reason": ""}, ["Funding Review"], 400),
        ("/subsidies/budgets/", {"scheme": scheme, "payer": "city", "amount": "-1"}, ["Save Budget"], 400),
    ])
    act(world, application, "approve")
    application.refresh_from_db()
    english_pages(english, {f"/subsidies/review/{pk}/": ["Approved", "Record Payment"]}, posts=[
        (f"/subsidies/review/{pk}/pay/", {"paid_on": today.isoformat(), "amount": f"{application.total:f}",
                                          "reference": "GK-1"}, ["Record Payment"]),
        (f"/subsidies/review/{pk}/pay/", {"paid_on": "2026-02-30", "amount": "-1", "reference": "GK-1"},
         ["Record Payment"], 400),
    ])
    act(world, application, "pay")
    english_pages(english, {f"/subsidies/review/{pk}/": ["Paid", "Reconcile"]}, posts=[
        (f"/subsidies/review/{pk}/reconcile/", {}, ["Confirm Reconciliation"])])
    act(world, application, "reconcile")
    english_pages(english, {f"/subsidies/review/{pk}/": ["Reconciled", "History"]})
    english.force_login(world.insurer)
    english_pages(english, {f"/subsidies/applications/{pk}/": ["Reconciled", "Download: ", "Excel details"]})


def test_a_returned_funding_application_reads_in_english(world, english):
    from singlewindow.policies import services as policies

    confirmed = Policy.objects.filter(scheme=world.scheme, status="confirmed").values_list("pk", flat=True)
    policies.approve_many(world.insurer, list(confirmed))
    application = draft(world)
    act(world, application, "submit")
    act(world, application, "return")
    english.force_login(world.insurer)
    english_pages(english, {f"/subsidies/applications/{application.pk}/": ["Returned", "发票号码与保单不符"]}, posts=[
        (f"/subsidies/applications/{application.pk}/submit/", {}, ["Confirm Submission"])])


# --- 接口令牌 and 事件投递记录 ------------------------------------------------------------------------------

def test_the_api_tokens_and_the_webhook_log_read_in_english(world, english):
    """The administrator's token page with a live and a revoked token, the revoke step, a token refused naming its
    field; the delivery log with a subscription and a delivery, one delivered (as api/tests/test_webhooks.py)."""
    from unittest import mock

    from singlewindow.accounts.models import Role
    from singlewindow.api import tokens, webhooks
    from singlewindow.api.models import WebhookDelivery

    admin, expires = world.admin, timezone.localdate() + dt.timedelta(days=30)
    live, secret = tokens.create(admin, role=Role.INSURER, organisation=world.insurer.insurer_branch,
                                 name="核心业务系统", access="write", expires_on=expires)
    gone, _unused = tokens.create(admin, role=Role.BUREAU, organisation=world.bureau.region, name="统计系统",
                                  access="read", expires_on=expires)
    tokens.revoke(admin, gone.pk)
    webhooks.subscribe(tokens.authenticate(secret), url="https://insurer.example/hooks/singlewindow",
                       events=["policy.approved"])
    confirm_as(world.demo, world.pending)
    assert webhooks.queue("policy.approved", "policies.policy", world.pending.pk) == 1
    with mock.patch.object(webhooks, "post", lambda url, body, headers: 200):
        webhooks.deliver(WebhookDelivery.objects.get().pk)
    english.force_login(admin)
    english_pages(english, {
        "/api/tokens/": ["API token", "New Token", "Token name", "Prefix", "Valid until", "Valid", "Revoked",
                         "Revoke"],
        f"/api/tokens/{live.pk}/revoke": ["Revoke API Token", "Confirm Revocation"],
        "/api/webhooks/": ["Event Deliveries", "Subscriptions", "Receiving URL", "Recent Deliveries", "Attempts",
                           "Redeliver", "Delivered", "policy.approved"],
    }, posts=[("/api/tokens/", {"name": "", "access": "write", "expires_on": "x"}, ["Token name"], 400)])
    assert ApiToken.objects.count() == 2
    with mock.patch.object(webhooks, "post", lambda url, body, headers: 200):
        response = english.post(f"/api/webhooks/deliveries/{WebhookDelivery.objects.get().pk}/replay", follow=True)
    assert "redelivered" in page_text(response) and leftover_chinese(response) == []
