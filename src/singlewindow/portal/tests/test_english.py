"""The UI in English: every page a party opens reads in English; only data stays Chinese."""
import re
from html import unescape

import pytest
from pytest_django.asserts import assertContains

from singlewindow.accounts.models import User
from singlewindow.alerts import services as alerts
from singlewindow.alerts.models import Alert
from singlewindow.alerts.tests.conftest import CHENGQU, alert_data, counties, countries, make_effective
from singlewindow.audit.models import AuditEvent
from singlewindow.claims import services as claims
from singlewindow.claims.models import (
    Buyer, Claim, ClaimDocument, Country, InfoRequest, LossNotice, NoticeMessage, Recovery, SettlementConsent,
)
from singlewindow.claims.tests.conftest import claim_in, file, pdf
from singlewindow.enterprises.import_rows import LABELS
from singlewindow.enterprises.models import Enterprise
from singlewindow.notifications.models import OutboundMessage
from singlewindow.policies.models import Agreement, InsurerBranch, Policy, Scheme
from singlewindow.policies.tests.conftest import confirm_as, page_text
from singlewindow.regions.models import Region

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
LABELLING_ATTRIBUTES = re.compile(r'\b(?:placeholder|title|aria-label|alt)="([^"]*)"')
LOGO = re.compile(r'<span class="sw-logo"[^>]*>[^<]*</span>')  # the 单 glyph of the Single Window logo


def data_strings():
    """What a page may show in Chinese because it is data (longest first, so parts go with the whole)."""
    strings = {"简体中文", *LABELS.values()}  # the language switch; the column names an import file carries
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
    ]:
        for values in model.objects.values_list(*fields):
            strings.update(line for value in values for line in (value or "").splitlines())
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
