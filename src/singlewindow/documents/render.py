"""What a document states (its facts), and the PDF made of them: a Django template rendered by weasyprint, in
Chinese with WenQuanYi Micro Hei embedded as a subset (Debian's fonts-wqy-microhei, found through fontconfig), a
QR code (segno, inline SVG) and the verification code leading to the public 保单查验 page.

The facts are plain strings, hashed canonically (facts_sha256): a version is regenerated only when they change.
"""
import datetime as dt
import hashlib
import json
import logging
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from singlewindow.accounts.models import LoginMethod
from singlewindow.audit.models import AuditEvent
from singlewindow.policies.models import Policy, PolicyStatus

FONT_FAMILY = "WenQuanYi Micro Hei"
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # seven INFO lines per PDF otherwise


def digest(facts):
    return hashlib.sha256(json.dumps(facts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def approval_date(policy):
    """The day (Asia/Shanghai) the insurer approved the policy, from the audit chain; its cover start otherwise."""
    event = (AuditEvent.objects.filter(object_type=Policy._meta.label_lower, object_id=str(policy.pk),
                                       action="policy.approve").order_by("-id").first())
    return timezone.localdate(event.at) if event else policy.cover_start


def policy_facts(policy):
    """What the 电子保单 of `policy` (with scheme, enterprise and scheme.insurer_branch loaded) states."""
    scheme, enterprise, branch = policy.scheme, policy.enterprise, policy.scheme.insurer_branch
    facts = {
        "kind": "policy",
        "number": policy.number,
        "insured": enterprise.name,
        "uscc": enterprise.uscc,
        "scheme": scheme.name,
        "cover_start": policy.cover_start.isoformat(),
        "cover_end": policy.cover_end.isoformat(),
        "risks": scheme.risks_covered,
        "indemnity_ratio": str(scheme.indemnity_ratio),
        "max_indemnity_usd": str(scheme.max_indemnity_usd),
        "premium": str(policy.premium),
        "province_share": str(scheme.province_share),
        "province_premium": str(policy.province_premium),
        "city_share": str(scheme.city_share),
        "city_premium": str(policy.city_premium),
        "approved_on": approval_date(policy).isoformat(),
        "insurer": branch.name,
        "hotline": branch.hotline,
    }
    if policy.status == PolicyStatus.CANCELLED:
        facts["cancelled_on"] = timezone.localdate(policy.status_changed_at).isoformat()
        facts["cancel_reason"] = policy.last_reason
    return facts


def receipt_facts(confirmation):
    """What the 确认回执 of one confirmation states: who, when, how (password or card), which agreement text."""
    policy, user, agreement = confirmation.policy, confirmation.user, confirmation.agreement
    facts = {
        "kind": "receipt",
        "number": policy.number,
        "insured": policy.enterprise.name,
        "uscc": policy.enterprise.uscc,
        "scheme": policy.scheme.name,
        "insurer": policy.scheme.insurer_branch.name,
        "confirmation": confirmation.pk,
        "at": timezone.localtime(confirmation.at).isoformat(timespec="seconds"),
        "user": user.display_name or user.get_username(),
        "username": user.get_username(),
        "login_method": confirmation.login_method,
        "ip": confirmation.ip or "",
        "agreement_title": agreement.title,
        "agreement_version": agreement.version,
        "agreement_sha256": confirmation.agreement_sha256,
        "contact_name": confirmation.contact_name,
        "contact_phone": confirmation.contact_phone,
        "contact_email": confirmation.contact_email,
    }
    if confirmation.signature:
        try:
            card = json.loads(confirmation.signature)
        except ValueError:
            card = {}
        facts["card"] = {
            "number": str(card.get("card", "")), "holder": str(card.get("holder", "")),
            "certificate_sha256": str(card.get("certificate_sha256", "")),
            "signature_sha256": hashlib.sha256(str(card.get("signature", "")).encode()).hexdigest(),
        }
    return facts


def verify_url(number, code):
    """The QR code's address: the public 保单查验 page with the number and the code filled in."""
    return f"{settings.SW_PUBLIC_URL}{reverse('documents:verify')}?{urlencode({'number': number, 'code': code})}"


def _day(text):
    return dt.date.fromisoformat(text) if text else None


def context(facts, *, version, code, generated_at):
    url = verify_url(facts["number"], code)
    extra = {}
    if facts["kind"] == "policy":
        extra = {name: _day(facts.get(name)) for name in ("cover_start", "cover_end", "approved_on", "cancelled_on")}
    else:
        extra = {"at": dt.datetime.fromisoformat(facts["at"]),
                 "login_method_label": LoginMethod(facts["login_method"]).label}
    return {
        "facts": facts, "dates": extra, "version": version, "code": f"{code[:4]}-{code[4:]}",
        "generated_at": timezone.localtime(generated_at), "verify_url": url,
        "verify_page": f"{settings.SW_PUBLIC_URL}{reverse('documents:verify')}",
        "qr": segno.make(url, error="m").svg_data_uri(scale=3, border=0), "font_family": FONT_FAMILY,
    }


def pdf(facts, *, version, code, generated_at):
    """The unsigned PDF of `facts`. weasyprint may fetch nothing but the page's own data: URIs."""
    import weasyprint  # its import takes most of a second: only the worker pays for it

    template = "documents/pdf/policy.html" if facts["kind"] == "policy" else "documents/pdf/receipt.html"
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(template, context(facts, version=version, code=code, generated_at=generated_at))
    fetcher = weasyprint.URLFetcher(allowed_protocols=["data"])
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
