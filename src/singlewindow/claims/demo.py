"""The demo's 报损与索赔: one insured exporter with a buyer in trouble, a claim waiting for its documents and a
paid one with its working, all made through the services (never a status written by hand)."""
import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from . import services

IP = "127.0.0.1"
# A one-page PDF, enough for the checklist's proof of receipt to show something real.
SAMPLE_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
              b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _notice(user, policy, buyer, today, **fields):
    data = {
        "buyer": buyer.pk, "contract_no": "SW-HT-0001", "invoice_no": "SW-INV-0001",
        "declaration_no": "517020260000012345", "shipment_date": today, "currency": "EUR",
        "invoice_amount": Decimal("48000.00"), "payment_terms": "O/A", "credit_days": 90,
        "due_date": today + dt.timedelta(days=90), "overdue_amount": Decimal("48000.00"), "cause": "insolvency",
        "collection_steps": "买方已向汉堡地方法院申请破产，已委托当地律师申报债权。",
        "contact_name": user.display_name or "联系人", "contact_phone": user.mobile or "13800138003",
    }
    data.update(fields)
    return services.file_notice(user, policy.pk, data, ip=IP)


def build(user, policy, insurer):
    """`user` is the enterprise's login, `policy` its effective policy of this year."""
    today = timezone.localdate()
    hamburg = services.add_buyer(user, {"name_latin": "Nordsee Handelshaus GmbH", "name_zh": "北海贸易公司",
                                        "country": "DE", "address": "Am Sandtorkai 5, 20457 Hamburg",
                                        "registration_no": "HRB 123456"}, ip=IP)
    lagos = services.add_buyer(user, {"name_latin": "Lekki Home Goods Ltd", "country": "NG",
                                      "address": "Admiralty Way, Lekki, Lagos"}, ip=IP)
    # A claim the insurer has asked more of: the enterprise's page says 需要您补充的材料.
    notice = _notice(user, policy, hamburg, today)
    services.acknowledge_notice(insurer, notice.pk, ip=IP)
    claim = services.submit_claim(user, notice.pk, claimed_amount="48000.00", ip=IP)
    for kind, name in (("application", "索赔申请书.pdf"), ("contract", "合同.pdf"), ("invoice", "发票.pdf")):
        services.add_document(user, claim.pk, kind, SimpleUploadedFile(name, SAMPLE_PDF), ip=IP)
    services.take_claim(insurer, claim.pk, ip=IP)
    services.request_info(insurer, claim.pk, ["法院受理破产申请的裁定书", "提单副本"], ip=IP)
    # A paid one, with the working and a recovery shared by the ratio.
    notice = _notice(user, policy, lagos, today, invoice_no="SW-INV-0002", contract_no="SW-HT-0002",
                     currency="USD", invoice_amount=Decimal("12600.00"), overdue_amount=Decimal("12600.00"),
                     cause="political", collection_steps="进口国外汇管制，买方无法购汇付款。")
    claim = services.submit_claim(user, notice.pk, claimed_amount="12600.00", ip=IP)
    services.take_claim(insurer, claim.pk, ip=IP)
    claim = services.approve(insurer, claim.pk, usd_rate="1", rate_date=today, ip=IP)
    services.mark_paid(insurer, claim.pk, paid_on=today, amount_usd=claim.indemnity_usd, reference="CI-PAY-0001",
                       ip=IP)
    return claim
