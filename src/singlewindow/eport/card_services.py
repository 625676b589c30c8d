"""The card authority's business actions: issue, revoke (注销/挂失) and unlock a card.

Each is one service function, as every business action is (DESIGN.md §4, decision 0017): checks, one
transaction with the change and its audit event, then the log. The management commands (eport_issue_card,
eport_revoke_card, eport_unlock_card) and the demo call them; the CA and the certificates are authority.py's,
the card's statuses move along eport/transitions.py.
"""
import datetime as dt
import logging
import secrets

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cardagent.card import KINDS, check_pin_format, reset_pin_counter, write_card
from cardagent.card import Card as CardFile
from singlewindow.accounts.sessions import end_sessions
from singlewindow.audit.services import record
from singlewindow.enterprises.identifiers import validate_uscc
from singlewindow.machines import Refused

from .authority import ALGORITHM, CARD_DAYS, authority, card_certificate, fingerprint, pem
from .models import Card
from .transitions import CARD

log = logging.getLogger(__name__)


def _new_number():
    while True:
        number = f"EP{secrets.randbelow(10**11):011d}"
        if not Card.objects.filter(number=number).exists():
            return number


def issue_card(*, uscc, ent_name, holder, kind, pin, path, days=CARD_DAYS, not_before=None, actor=None):
    """Issue a card: a new key pair, its certificate, the card file sealed by `pin`, and the record."""
    errors = {}
    try:
        uscc = validate_uscc(uscc)
    except ValidationError as error:
        errors["uscc"] = error.messages
    if kind not in KINDS:
        errors["kind"] = [f"卡类型应为 {' 或 '.join(KINDS)}"]
    if not (holder or "").strip() or not (ent_name or "").strip():
        errors["holder"] = ["请填写持卡人和企业名称"]
    try:
        check_pin_format(pin)
    except ValueError as error:
        errors["pin"] = [str(error)]
    if errors:
        raise ValidationError(errors)
    ca = authority()
    not_before = not_before or timezone.now() - dt.timedelta(minutes=5)
    not_after = not_before + dt.timedelta(days=days)
    key = ec.generate_private_key(ec.SECP256R1())
    with transaction.atomic():
        number = _new_number()
        certificate = card_certificate(
            ca, key.public_key(), number=number, kind=kind, uscc=uscc, ent_name=ent_name.strip(),
            holder=holder.strip(), not_before=not_before, not_after=not_after,
        )
        card = Card.objects.create(
            number=number, kind=kind, holder=holder.strip(), uscc=uscc, ent_name=ent_name.strip(),
            algorithm=ALGORITHM, certificate=pem(certificate), serial=format(certificate.serial_number, "x"),
            fingerprint=fingerprint(certificate), not_before=not_before, not_after=not_after,
        )
        write_card(
            path, private_key=key, certificate_pem=card.certificate, ca_certificate_pem=ca.pem, card_no=number,
            kind=kind, uscc=uscc, ent_name=card.ent_name, holder=card.holder, pin=pin,
            kdf_n=settings.EPORT_PIN_KDF_N,
        )
        record(actor=actor, action="eport.issue", obj=card, to_status=card.status,
               data={"number": number, "kind": kind, "uscc": uscc})
    log.info("card %s (%s) issued to %s", number, kind, uscc)
    return card


def revoke_card(number, *, reason, actor=None):
    """注销/挂失: the card can no longer log in or sign, and every session opened with it ends (they are its
    holder user's sessions: the card's user is made for the card at its first login)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请填写注销原因"]})
    with transaction.atomic():
        card = Card.objects.select_for_update().filter(number=number).first()
        if card is None:
            raise Card.DoesNotExist(number)
        if not CARD.try_move(Card.objects.all(), card.pk, "revoke", revoked_at=timezone.now(),
                             revoke_reason=reason[:200]):
            raise Refused("already", f"卡 {number} 已注销，无需重复操作。")
        if card.user_id:
            end_sessions(card.user_id)
        record(actor=actor, action="eport.revoke", obj=card, from_status=card.status,
               to_status=CARD["revoke"].target, reason=reason)
    log.info("card %s revoked", number)
    card.refresh_from_db()
    return card


def unlock_card(path, *, actor=None):
    """Reset a card's wrong-PIN counter: only for a card this authority issued (its certificate on file)."""
    info = CardFile(path).info()
    certificate = x509.load_pem_x509_certificate(info["certificate"].encode())
    card = Card.objects.filter(number=info["card_no"], fingerprint=fingerprint(certificate)).first()
    if card is None:
        raise Refused("not_ours", f"卡 {info['card_no']} 不是本机构签发的卡，不能解锁。")
    with transaction.atomic():
        record(actor=actor, action="eport.unlock", obj=card, data={"number": card.number})
        reset_pin_counter(path)
    log.info("card %s unlocked", card.number)
    return card
