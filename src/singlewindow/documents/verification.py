"""保单查验, the public check of a document: by its policy number and verification code (typed, or the QR code's
address), or by the file itself (its SHA-256 against every version ever issued).

A found document answers only: genuine, which kind and version, the policy's current status, its cover period,
the insured's name partly masked, and how often and when the policy was verified before. Anything else (a wrong
number, a wrong code, both) answers one and the same "not found", so numbers cannot be enumerated without a code;
each address gets SW_VERIFY_PER_ADDRESS_HOUR look-ups an hour (the shared cache, as accounts' code checks).
"""
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from singlewindow.machines import Refused
from singlewindow.policies.models import PolicyStatus

from .models import Kind, PolicyDocument, Verification
from .services import CODE_ALPHABET, CODE_LENGTH

# --- what visitors type -----------------------------------------------------------------------------------

_MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1"})
NUMBER = re.compile(r"[A-Z0-9]{1,30}")


def normalise_number(text):
    """XW2026… as typed: full-width characters as ASCII, spaces dropped, upper case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).upper()


def normalise_code(text):
    """ABCD-EFGH as typed: full-width as ASCII, spaces and hyphens dropped, upper case, O read as 0, I and L as 1."""
    text = re.sub(r"[\s\-‐‑–—－]+", "", unicodedata.normalize("NFKC", text or "")).upper()
    return text.translate(_MISREAD)


def is_code(text):
    return len(text) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in text)


# --- the answer ---------------------------------------------------------------------------------------------

_LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "公司", "合伙企业", "商行", "厂")
_TRADES = ("进出口", "贸易", "实业", "科技", "电子", "服饰", "服装", "工艺品", "五金", "水产", "食品", "塑胶", "珠宝",
           "纺织", "机械", "电器", "玩具", "家具", "陶瓷", "化工", "照明", "国际")
_PLACE = re.compile(r"\A(?:.{2,3}省)?.{1,4}?[市县区]")


def mask_name(name):
    """汕尾市红海湾进出口贸易有限公司 → 汕尾市**贸易有限公司: the place it opens with and its trade and legal form
    are kept, the rest (what tells one company from another) becomes **, whatever its length."""
    name = (name or "").strip()
    suffix = next((form for form in _LEGAL_FORMS if name.endswith(form)), "")
    body = name[:len(name) - len(suffix)]
    trade = next((word for word in _TRADES if body.endswith(word) and len(body) - len(word) >= 2), "")
    body = body[:len(body) - len(trade)]
    place = _PLACE.match(body)
    head = place[0] if place and len(body) - len(place[0]) >= 2 else body[:1]
    if len(body) - len(head) < 1:
        head = ""
    return f"{head}**{trade}{suffix}"


@dataclass(frozen=True)
class Outcome:
    found: bool
    method: str = ""
    number: str = ""
    kind: str = ""
    kind_label: str = ""
    version: int = 0
    latest_version: int = 0
    current: bool = True
    status: str = ""
    status_label: str = ""
    cover_start: date | None = None
    cover_end: date | None = None
    insured: str = ""
    earlier: int = 0
    last_at: datetime | None = None


NOT_FOUND = Outcome(found=False)


def standing(policy, today=None):
    """The policy's status as a verifier is told it: (code, label). In force through its last day inclusive."""
    today = today or timezone.localdate()
    status = policy.status
    if status == PolicyStatus.EFFECTIVE:
        return ("effective", _("有效")) if policy.cover_end >= today else ("expired", _("已到期"))
    return {
        PolicyStatus.EXPIRED: ("expired", _("已到期")),
        PolicyStatus.CANCELLED: ("cancelled", _("已撤销")),
        PolicyStatus.CONFIRMED: ("confirmed", _("审批中，尚未生效")),
        PolicyStatus.PENDING: ("pending", _("待确认，尚未生效")),
        PolicyStatus.RETURNED: ("returned", _("已退回企业修改，尚未生效")),
        PolicyStatus.DECLINED: ("declined", _("企业已放弃投保，未生效")),
        PolicyStatus.LAPSED: ("lapsed", _("确认期满未确认，未生效")),
    }.get(status, (status, _("未生效")))


def _address_hash(ip):
    return salted_hmac("singlewindow.documents.verification.ip", ip or "unknown").hexdigest()


def check_rate(ip):
    """Count one look-up from `ip` this hour; Refused past SW_VERIFY_PER_ADDRESS_HOUR. An address client_ip could
    not read counts under one key: a closed door, not an open one."""
    key = f"sw:verify:{_address_hash(ip)}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, count := 1, timeout=3600)
    if count > settings.SW_VERIFY_PER_ADDRESS_HOUR:
        raise Refused("limited", _("查验过于频繁，请一小时后再试。"))


def _answer(document, method, ip, now):
    policy = document.policy
    before = (Verification.objects.filter(policy=policy, result__in=[
        Verification.Result.GENUINE, Verification.Result.SUPERSEDED]).aggregate(n=Count("id"), last=Max("at")))
    current = document.superseded_at is None
    Verification.objects.create(
        at=now, method=method, document=document, policy=policy, ip_hash=_address_hash(ip),
        result=Verification.Result.GENUINE if current else Verification.Result.SUPERSEDED,
    )
    latest = (PolicyDocument.objects.filter(policy=policy, kind=document.kind, confirmation=document.confirmation_id)
              .aggregate(top=Max("version"))["top"])
    code, label = standing(policy, timezone.localdate(now))
    return Outcome(
        found=True, method=method, number=policy.number, kind=document.kind, kind_label=Kind(document.kind).label,
        version=document.version, latest_version=latest, current=current, status=code, status_label=label,
        cover_start=policy.cover_start, cover_end=policy.cover_end, insured=mask_name(policy.enterprise.name),
        earlier=before["n"], last_at=before["last"],
    )


def _not_found(method, ip, now):
    Verification.objects.create(at=now, method=method, result=Verification.Result.NOT_FOUND,
                                ip_hash=_address_hash(ip))
    return NOT_FOUND


def _documents():
    return PolicyDocument.objects.select_related("policy__enterprise")


def by_code(number, code, *, ip=None, now=None):
    """The document numbered `number` with verification code `code` (both as normalised), counted against `ip`'s
    limit; NOT_FOUND for any other pair, looked up by both at once."""
    check_rate(ip)
    now = now or timezone.now()
    document = _documents().filter(policy__number=number, code=code).first()
    if document is None:
        return _not_found(Verification.Method.CODE, ip, now)
    return _answer(document, Verification.Method.CODE, ip, now)


def by_content(sha256, *, ip=None, now=None):
    """The document whose file hashes to `sha256` (an uploaded copy), counted against `ip`'s limit."""
    check_rate(ip)
    now = now or timezone.now()
    document = _documents().filter(sha256=sha256).first()
    if document is None:
        return _not_found(Verification.Method.UPLOAD, ip, now)
    return _answer(document, Verification.Method.UPLOAD, ip, now)
