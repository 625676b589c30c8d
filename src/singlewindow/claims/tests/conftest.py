"""A policy with cover to claim on, a buyer, and a way to put a notice or a claim in any status through the
services (the path the tables give), so tests never write a status by hand."""
import datetime as dt
import itertools
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from singlewindow.claims import services
from singlewindow.claims.models import Claim, LossNotice
from singlewindow.claims.transitions import CLAIM, NOTICE
from singlewindow.policies.models import Policy, PolicyStatus
from singlewindow.policies.tests.conftest import client_for  # noqa: F401 (a fixture the page tests use)

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
      b"trailer<</Root 1 0 R>>\n%%EOF\n"
_invoices = itertools.count(1)


def at(day, hour=10, minute=0):
    """A moment in Asia/Shanghai (the project's TIME_ZONE)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def pdf(name="invoice.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def insured(world):
    """demo's 2020 policy: approved on 2020-05-10, cover to 2021-03-24, expired since — it still covers the
    shipments of its period. Notices on it are filed at moments of 2020 (`now=`), so deadlines are testable."""
    policy = Policy.objects.select_related("scheme").get(enterprise=world.demo.enterprise_id, scheme__year=2020)
    assert policy.status == PolicyStatus.EXPIRED and policy.cover_start <= dt.date(2020, 6, 1)
    buyer = services.add_buyer(world.demo, {"name_latin": "Hamburg Trading GmbH", "country": "DE",
                                            "address": "Speicherstadt 1, Hamburg"})
    return SimpleNamespace(policy=policy, buyer=buyer, user=world.demo, insurer=world.insurer, world=world)


def notice_data(insured, **overrides):
    data = {
        "buyer": insured.buyer.pk, "contract_no": "HT-2020-001", "invoice_no": f"INV-{next(_invoices)}",
        "declaration_no": "530120200000123456", "shipment_date": dt.date(2020, 6, 1), "currency": "EUR",
        "invoice_amount": Decimal("20000.00"), "payment_terms": "O/A", "credit_days": 90,
        "due_date": dt.date(2020, 9, 1), "overdue_amount": Decimal("12500.00"), "cause": "default",
        "collection_steps": "已三次发函催收，买方未回复。", "contact_name": "李锐", "contact_phone": "13729230657",
    }
    data.update(overrides)
    return data


FILED = at(dt.date(2020, 10, 1))


def file(insured, now=FILED, **overrides):
    return services.file_notice(insured.user, insured.policy.pk, notice_data(insured, **overrides), now=now)


def claim_for(insured, amount=Decimal("10000.00"), now=None):
    notice = file(insured)
    return services.submit_claim(insured.user, notice.pk, claimed_amount=amount, now=now or at(dt.date(2020, 10, 5)))


def act_on_notice(insured, notice, action):
    if action == "acknowledge":
        return services.acknowledge_notice(insured.insurer, notice.pk)
    if action == "withdraw":
        return services.withdraw_notice(insured.user, notice.pk, reason="买方已付款。")
    if action == "claim":
        return services.submit_claim(insured.user, notice.pk, claimed_amount=Decimal("100.00"),
                                     now=at(dt.date(2020, 10, 5)))
    raise AssertionError(action)


def act_on_claim(insured, claim, action):
    """Each action of the claim table, done the way its page does it."""
    user, insurer = insured.user, insured.insurer
    if action == "take":
        return services.take_claim(insurer, claim.pk)
    if action == "request_info":
        return services.request_info(insurer, claim.pk, ["买方破产的法院文书"])
    if action == "resubmit":
        replies = {request.pk: "已附法院公告。" for request in claim.requests.all()}
        return services.resubmit(user, claim.pk, replies)
    if action == "approve":
        return services.approve(insurer, claim.pk, usd_rate=Decimal("1.18"), rate_date=dt.date(2020, 11, 2))
    if action == "reject":
        return services.reject(insurer, claim.pk, reason="损失不属于保险责任。")
    if action == "pay":
        claim.refresh_from_db()
        return services.mark_paid(insurer, claim.pk, paid_on=timezone.localdate(), amount_usd=claim.indemnity_usd,
                                  reference="PAY-0001")
    if action == "withdraw":
        return services.withdraw_claim(user, claim.pk, reason="与买方达成付款安排。")
    raise AssertionError(action)


def notice_in(insured, status):
    notice = file(insured)
    for action in NOTICE.path(LossNotice.Status.SUBMITTED, status):
        act_on_notice(insured, notice, action)
    notice.refresh_from_db()
    return notice


def claim_in(insured, status):
    claim = claim_for(insured)
    for action in CLAIM.path(Claim.Status.SUBMITTED, status):
        act_on_claim(insured, claim, action)
    claim.refresh_from_db()
    return claim

