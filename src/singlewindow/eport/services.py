"""Card login and card-signed confirmations (DESIGN.md §5).

The server hands out a challenge (single-use, expiring after challenge_lifetime(), ≤ 120 s, bound to the
browser session); the page has the card agent sign it; the server then checks, in this order: the challenge,
the certificate's validity period, its chain to our CA, the signature, the card's record, the card's status
(revoked is refused) and that the certificate's enterprise (USCC) exists here. Every attempt, accepted
or refused, is written to CardAttempt and the log. PINs never reach the server.
"""
import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from singlewindow.accounts.models import Role, User
from singlewindow.accounts.services import has_administrator
from singlewindow.audit.services import record
from singlewindow.enterprises.models import Enterprise
from singlewindow.machines import Refused
from singlewindow.validators import is_storable, storable

from .authority import authority, fingerprint
from .models import Card, CardAttempt, CardKind, Challenge, Purpose
from .transitions import USABLE

log = logging.getLogger(__name__)
SESSION_BINDING = "eport_binding"
SESSION_CARD = "eport_card"

# Every code a user may see, explained on the 客户端控件下载 page (#codes). EP-1xx: the page and the agent;
# 1001–1099: the agent's own answers; EP-2xx: the server's checks.
CODES = {
    "EP-101": (gettext_lazy("未检测到客户端控件"),
               gettext_lazy("客户端控件未安装或未启动，或本机端口被占用、被拦截。请下载并安装客户端控件；已安装的，"
                            "请在“开始”菜单中找到客户端控件重新启动，然后刷新登录页。")),
    "EP-103": (gettext_lazy("客户端控件拒绝了本网站的地址"),
               gettext_lazy("客户端控件已启动，但启动时没有允许本网站的地址，所以不让本页使用电子口岸卡。请关闭控件，"
                            "按本页的启动命令（其中 --allow-origin 后为本网站的地址）重新启动，然后点击“重新检测”。")),
    "EP-102": (gettext_lazy("客户端控件无应答"),
               gettext_lazy("控件已连接但没有应答。请关闭浏览器，只重启客户端控件后再进入单一窗口。")),
    "1001": (gettext_lazy("未检测到电子口岸卡"), gettext_lazy("请插卡（或确认控件启动时指定的卡文件正确），再点“重新检测”。")),
    "1002": (gettext_lazy("卡密码错误"), gettext_lazy("请核对卡密码后重试。连续输错10次卡将被锁定。")),
    "1003": (gettext_lazy("卡已锁定"), gettext_lazy("卡密码连续输错10次，卡已锁定。请携卡到发卡机构解锁或重置密码。")),
    "1004": (gettext_lazy("控件不支持该操作"), gettext_lazy("请从本页下载最新版本的客户端控件。")),
    "1005": (gettext_lazy("请求格式错误"), gettext_lazy("请刷新页面后重试；仍不行的，请更新浏览器。")),
    "1006": (gettext_lazy("缺少参数"), gettext_lazy("请输入卡密码后重试。")),
    "1099": (gettext_lazy("控件内部错误"), gettext_lazy("请重启客户端控件；仍不行的，请重新下载安装。")),
    "EP-201": (gettext_lazy("请求无效或已使用过"), gettext_lazy("每次登录或签名的请求只能使用一次，请重新操作。")),
    "EP-202": (gettext_lazy("请求已超时"), gettext_lazy("登录或签名须在2分钟内完成，请重新操作。")),
    "EP-203": (gettext_lazy("签名验证失败"), gettext_lazy("签名与卡证书不符。请重新插卡后再试；仍不行的，请联系发卡机构。")),
    "EP-204": (gettext_lazy("证书不是电子口岸卡认证中心签发的"),
               gettext_lazy("请使用电子口岸发给本企业的法人卡或操作员卡。")),
    "EP-205": (gettext_lazy("卡证书已过期或尚未生效"), gettext_lazy("请到发卡机构办理证书更新。")),
    "EP-206": (gettext_lazy("该卡已注销"), gettext_lazy("已注销的卡不能再使用，请使用本企业其他有效的卡或账号密码登录。")),
    "EP-207": (gettext_lazy("该卡所属企业未在单一窗口登记"),
               gettext_lazy("证书中的统一社会信用代码在单一窗口中没有对应企业（或与卡的登记不符）。请拨打客服热线核实。")),
    "EP-208": (gettext_lazy("该卡未在电子口岸登记"), gettext_lazy("请联系发卡机构核实卡的状态。")),
    "EP-209": (gettext_lazy("请使用登录时的电子口岸卡"),
               gettext_lazy("确认投保、放弃投保须由登录时使用的同一张卡签名；换卡后请重新用卡介质登录。")),
    "EP-210": (gettext_lazy("签名内容与确认信息不一致"), gettext_lazy("提交的联系人或协议与签名时不同，请重新确认投保。")),
    "EP-211": (gettext_lazy("该卡对应的用户已停用"), gettext_lazy("请联系单一窗口管理员。")),
    "EP-212": (gettext_lazy("登录请求过于频繁"),
               gettext_lazy("同一网络地址10分钟内请求卡介质登录的次数过多，请稍后再试。")),
    "EP-213": (gettext_lazy("签名内容与放弃投保的原因不一致"), gettext_lazy("提交的放弃原因与签名时不同，请重新放弃投保。")),
}


def summary(code):
    """What went wrong and what to do, without the code (the login page links the code itself)."""
    title, advice = CODES[code]
    return _("%(title)s：%(advice)s") % {"title": title, "advice": advice}


def card_refusal(code, detail=""):
    """A card check said no: machines.Refused with the code, what people read (from CODES, with the code)
    and the `detail` only the attempt log and the security team see."""
    return Refused(code, _("%(summary)s（错误代码 %(code)s）") % {"summary": summary(code), "code": code}, detail)


def canonical(data):
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()


def session_binding(session):
    """The hash a challenge is bound to: a random token kept in this browser session only."""
    token = session.get(SESSION_BINDING)
    if not token:
        token = session[SESSION_BINDING] = secrets.token_urlsafe(32)
    return _digest(token)


# --- challenges ---------------------------------------------------------------

CHALLENGE_MAX_SECONDS = 120


def challenge_lifetime():
    """How long a challenge lives: settings.EPORT_CHALLENGE_SECONDS, never more than CHALLENGE_MAX_SECONDS. The one
    statement of it: the challenges' expiry, what they sign and what the page is told all read it."""
    return dt.timedelta(seconds=min(settings.EPORT_CHALLENGE_SECONDS, CHALLENGE_MAX_SECONDS))


CHALLENGE_WINDOW = dt.timedelta(minutes=10)  # EPORT_CHALLENGES_PER_ADDRESS login challenges in this long


def new_login_challenge(session, ip=None):
    """A challenge for the 卡介质 login, refused (EP-212) when this address asked too often lately."""
    now = timezone.now()
    if ip and Challenge.objects.filter(ip=ip, created_at__gte=now - CHALLENGE_WINDOW).count() >= \
            settings.EPORT_CHALLENGES_PER_ADDRESS:
        log.warning("card login challenges refused for %s: over %s in %s", ip,
                    settings.EPORT_CHALLENGES_PER_ADDRESS, CHALLENGE_WINDOW)
        raise card_refusal("EP-212", "too many login challenges from this address")
    nonce = secrets.token_urlsafe(32)
    data = canonical({"type": "单一窗口卡介质登录", "nonce": nonce, "issued": now.isoformat(),
                      "expires": (now + challenge_lifetime()).isoformat()})
    Challenge.objects.filter(expires_at__lt=now - dt.timedelta(hours=1)).delete()
    return Challenge.objects.create(nonce=nonce, purpose=Purpose.LOGIN, data=data, created_at=now,
                                    session_hash=session_binding(session), expires_at=now + challenge_lifetime(), ip=ip)


def _consume(nonce, purpose, binding_hash, user=None):
    """The challenge, spent now; refused when unknown, another session's, already spent or expired."""
    challenge = Challenge.objects.filter(nonce=str(nonce or "")[:64], purpose=purpose).first()
    if (challenge is None or not hmac.compare_digest(challenge.session_hash, str(binding_hash or ""))
            or (user is not None and challenge.user_id != user.pk)):
        raise card_refusal("EP-201", "unknown challenge or another session's")
    now = timezone.now()
    if Challenge.objects.filter(pk=challenge.pk, used_at__isnull=True).update(used_at=now) != 1:
        raise card_refusal("EP-201", "challenge already used (replay)")
    if challenge.expires_at <= now:
        raise card_refusal("EP-202", "challenge expired")
    return challenge


# --- certificates and signatures ----------------------------------------------

def _load_certificate(pem):
    try:
        return x509.load_pem_x509_certificate(str(pem or "").encode())
    except ValueError:
        raise card_refusal("EP-204", "not a PEM certificate") from None


def _check_chain(certificate):
    """Issued by our CA: the signature chain, the CA's constraints, the card certificate's extensions."""
    try:
        PolicyBuilder().store(Store([authority().certificate])).time(timezone.now()).build_client_verifier().verify(
            certificate, [])
    except (VerificationError, ValueError) as error:
        raise card_refusal("EP-204", f"chain: {error}"[:200]) from None


def _check_signature(certificate, data, signature):
    try:
        raw = base64.b64decode(str(signature or "").encode("ascii"), validate=True)
        public_key = certificate.public_key()
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise InvalidSignature
        public_key.verify(raw, data.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error, UnicodeEncodeError):
        raise card_refusal("EP-203", "signature does not verify with the certificate") from None


def _certificate_uscc(certificate):
    values = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
    return values[0].value if values else ""


def check_card(certificate_pem, data, signature):
    """The card behind a signature of `data`, after every check; raises Refused naming the first failure."""
    certificate = _load_certificate(certificate_pem)
    now = timezone.now()
    if not (certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc):
        raise card_refusal("EP-205", f"certificate valid {certificate.not_valid_before_utc:%Y-%m-%d} to "
                                    f"{certificate.not_valid_after_utc:%Y-%m-%d}")
    _check_chain(certificate)
    _check_signature(certificate, data, signature)
    card = Card.objects.filter(fingerprint=fingerprint(certificate)).first()
    if card is None:
        raise card_refusal("EP-208", "certificate from our CA but no card on record")
    if card.status not in USABLE:
        raise card_refusal("EP-206", f"card {card.number} {card.status}")
    uscc = _certificate_uscc(certificate)
    enterprise = Enterprise.objects.filter(uscc=uscc).first() if uscc == card.uscc else None
    if enterprise is None:
        raise card_refusal("EP-207", f"no enterprise {uscc}")
    return card, enterprise


def _hint(certificate_pem):
    """Card number and USCC named by a (possibly refused) certificate, for the attempt log."""
    try:
        certificate = x509.load_pem_x509_certificate(str(certificate_pem or "").encode())
        numbers = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
        return (numbers[0].value if numbers else "")[:40], _certificate_uscc(certificate)[:40]
    except ValueError:
        return "", ""


def _edge(value, code, name):
    """A card input as it arrives, refused (with the code of the check it is for) when it holds what no
    database stores: NUL or a lone surrogate. Checked before anything queries with it."""
    text = value if isinstance(value, str) else str(value or "")
    if not is_storable(text):
        raise card_refusal(code, f"{name} contains NUL or a lone surrogate")
    return text


def _attempt(purpose, refusal=None, *, card_number="", uscc="", user=None, ip=None):
    # Card number and USCC may come from a forged certificate's subject: kept storable, NUL shown as U+FFFD.
    card_number, uscc = storable(card_number)[:40], storable(uscc)[:40]
    CardAttempt.objects.create(
        purpose=purpose, ok=refusal is None, code=refusal.code if refusal else "OK",
        detail=storable(refusal.detail if refusal else "")[:300], card_number=card_number, uscc=uscc,
        user=user if getattr(user, "pk", None) else None, ip=ip,
    )
    if refusal:
        log.warning("card %s refused %s: %s (card %s, uscc %s, ip %s)", purpose, refusal.code, storable(refusal.detail),
                    card_number or "-", uscc or "-", ip or "-")
    else:
        log.info("card %s accepted (card %s, uscc %s, ip %s)", purpose, card_number, uscc, ip or "-")


# --- login --------------------------------------------------------------------

def _holder_user(card, enterprise):
    """The card holder's portal user, created on the card's first login (no registration).

    A 法人卡's holder is the legal person: the enterprise's administrator (操作员管理, cannot be removed by an
    operator) unless the enterprise already has one — so a customs-listed enterprise without any account opens
    its first one with the card alone (立即注册 sends it here)."""
    with transaction.atomic():
        card = Card.objects.select_for_update().get(pk=card.pk)
        user = card.user
        if user is None:
            # The enterprise's row is locked too: two 法人卡 logging in at once make one administrator, not two.
            Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
            legal = card.kind == CardKind.LEGAL and not has_administrator(enterprise)
            user, created = User.objects.get_or_create(
                username=f"card-{card.number.lower()}",
                defaults={"role": Role.ENTERPRISE, "enterprise": enterprise, "display_name": card.holder,
                          "is_enterprise_admin": legal},
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            card.user = user
            card.save(update_fields=["user"])
            record(actor=user, action="eport.first_login", obj=card, data={"number": card.number})
    if user.role != Role.ENTERPRISE or user.enterprise_id != enterprise.pk:
        raise card_refusal("EP-207", f"card user {user.pk} belongs to another enterprise")
    if not user.is_active:
        raise card_refusal("EP-211", f"user {user.pk} inactive")
    return user, card


def login_with_card(*, challenge, certificate, signature, binding_hash, ip=None):
    """卡介质登录: returns (user, card) or raises Refused. The caller logs the user in."""
    card_number = uscc = ""
    try:
        challenge = _edge(challenge, "EP-201", "challenge")
        certificate = _edge(certificate, "EP-204", "certificate")
        signature = _edge(signature, "EP-203", "signature")
        card_number, uscc = _hint(certificate)
        spent = _consume(challenge, Purpose.LOGIN, binding_hash)
        card, enterprise = check_card(certificate, spent.data, signature)
        user, card = _holder_user(card, enterprise)
    except Refused as refusal:
        _attempt(Purpose.LOGIN, refusal, card_number=card_number, uscc=uscc, ip=ip)
        raise
    _attempt(Purpose.LOGIN, card_number=card.number, uscc=card.uscc, user=user, ip=ip)
    return user, card


# --- card-signed 确认投保 and 放弃投保 -------------------------------------------
# A card session's decision on a policy is signed by the card: the page asks for the data to sign (built from
# the form about to be submitted), the card signs it, and the service checks the signature and that what was
# signed is what is submitted, before the change. The record kept (data, signature, card, certificate
# fingerprint) verifies later with the certificate alone.

def _signing_challenge(session, user, purpose, data_for):
    """A challenge for the session's own card to sign: `data_for(card, nonce, at)` is the text."""
    card = Card.objects.filter(pk=session.get(SESSION_CARD), user=user).first()
    if card is None:
        raise card_refusal("EP-209", "session has no card")
    now = timezone.now()
    nonce = secrets.token_urlsafe(32)
    return Challenge.objects.create(nonce=nonce, purpose=purpose, data=data_for(card, nonce, now), user=user,
                                    card=card, created_at=now, session_hash=session_binding(session),
                                    expires_at=now + challenge_lifetime())


def signing_proof(request):
    """What a card user's form brings back: the challenge, the card's signature, this session's binding."""
    return canonical({
        "challenge": request.POST.get("card_challenge", ""), "signature": request.POST.get("card_signature", ""),
        "binding": session_binding(request.session),
    })


def _verify_signed(actor, policy, proof, purpose, expected, *, missing, mismatch, ip=None):
    """The record of a card user's signature of `purpose` on `policy`, or ValidationError({"signature": ...}).

    `expected` is what the signed data must say (the form as submitted); `mismatch` the code when it does not.
    """
    try:
        proof = json.loads(proof or "{}")
    except ValueError:
        proof = {}
    if not isinstance(proof, dict) or not proof.get("challenge") or not proof.get("signature"):
        raise ValidationError({"signature": missing})
    card = None
    try:
        challenge = _edge(proof["challenge"], "EP-201", "challenge")
        signature = _edge(proof["signature"], "EP-203", "signature")
        spent = _consume(challenge, purpose, proof.get("binding"), user=actor)
        card = spent.card
        card, enterprise = check_card(card.certificate, spent.data, signature)
        if card.user_id != actor.pk:
            raise card_refusal("EP-209", f"card {card.number} is not the session's")
        if enterprise.pk != actor.enterprise_id or policy.enterprise_id != enterprise.pk:
            raise card_refusal("EP-207", f"card enterprise {enterprise.uscc} is not the policy's")
        signed = json.loads(spent.data)
        expected = {"policy": policy.number, "enterprise": enterprise.uscc, **expected}
        changed = sorted(name for name, value in expected.items() if signed.get(name) != value)
        if changed:
            raise card_refusal(mismatch, f"signed data differs in {', '.join(changed)}")
    except Refused as refusal:
        _attempt(purpose, refusal, card_number=card.number if card else "",
                 uscc=card.uscc if card else "", user=actor, ip=ip)
        raise ValidationError({"signature": refusal.message}) from None
    _attempt(purpose, card_number=card.number, uscc=card.uscc, user=actor, ip=ip)
    return {
        "algorithm": card.algorithm, "card": card.number, "kind": card.kind, "holder": card.holder,
        "certificate_sha256": card.fingerprint, "data": spent.data, "signature": signature,
    }


def _policy_data(kind, policy, card, nonce, at, **fields):
    return canonical({
        "type": kind, "policy": policy.number, "enterprise": policy.enterprise.uscc,
        "enterprise_name": policy.enterprise.name, **fields, "card": card.number,
        "time": timezone.localtime(at).isoformat(), "nonce": nonce,
    })


def confirmation_data(policy, card, *, contact_name, contact_phone, contact_email, agreement_sha256, nonce, at):
    """What the card signs at 确认投保: the policy, the enterprise, the contacts, the agreement, the time."""
    return _policy_data("小微企业在线投保确认", policy, card, nonce, at, contact_name=contact_name,
                        contact_phone=contact_phone, contact_email=contact_email or "",
                        agreement_sha256=agreement_sha256)


def new_confirmation_challenge(session, user, policy, *, contact_name, contact_phone, contact_email,
                               agreement_sha256):
    return _signing_challenge(session, user, Purpose.CONFIRM, lambda card, nonce, at: confirmation_data(
        policy, card, contact_name=contact_name, contact_phone=contact_phone, contact_email=contact_email,
        agreement_sha256=agreement_sha256, nonce=nonce, at=at))


def verify_confirmation(actor, policy, proof, *, contact_name, contact_phone, contact_email, agreement_sha256,
                        ip=None):
    """Check a card user's signed confirmation; returns the record to store with it, or raises ValidationError."""
    record_ = _verify_signed(
        actor, policy, proof, Purpose.CONFIRM, {
            "contact_name": contact_name, "contact_phone": contact_phone, "contact_email": contact_email or "",
            "agreement_sha256": agreement_sha256,
        }, missing=_("您是用电子口岸卡登录的：请输入卡密码，用卡签名后确认投保。"), mismatch="EP-210", ip=ip)
    return canonical(record_)


def decline_data(policy, card, *, reason, nonce, at):
    """What the card signs at 放弃投保: the policy, the enterprise, the reason, the time."""
    return _policy_data("小微企业在线投保放弃", policy, card, nonce, at, reason=reason)


def new_decline_challenge(session, user, policy, *, reason):
    return _signing_challenge(session, user, Purpose.DECLINE, lambda card, nonce, at: decline_data(
        policy, card, reason=reason, nonce=nonce, at=at))


def verify_decline(actor, policy, proof, *, reason, ip=None):
    """Check a card user's signed 放弃投保; returns the record (a dict) for the audit event, or ValidationError."""
    return _verify_signed(actor, policy, proof, Purpose.DECLINE, {"reason": reason},
                          missing=_("您是用电子口岸卡登录的：请输入卡密码，用卡签名后放弃投保。"), mismatch="EP-213", ip=ip)
