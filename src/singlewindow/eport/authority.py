"""The e-port card authority: its CA, and issuing, revoking and unlocking cards.

The CA's key and certificate are created on first use under settings.EPORT_DIR/ca (0600). A card's private
key exists only inside the card file the authority writes (sealed under the card's PIN); the authority keeps
the certificate.
"""
import datetime as dt
import hashlib
import logging
import os
import secrets
import shutil
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cardagent.card import KINDS, check_pin_format, reset_pin_counter, write_card
from cardagent.card import Card as CardFile
from singlewindow.accounts.sessions import end_sessions
from singlewindow.audit.services import record
from singlewindow.enterprises.identifiers import validate_uscc

from .models import Card, CardStatus

log = logging.getLogger(__name__)
ALGORITHM = "ecdsa-p256-sha256"
CA_COMMON_NAME = "电子口岸卡认证中心（单一窗口演示）"
CA_YEARS = 20
CARD_DAYS = 730
SAN_PREFIX = "urn:x-eport:card:"


def _pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def fingerprint(certificate):
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


class CertificateAuthority:
    def __init__(self, key, certificate):
        self.key = key
        self.certificate = certificate
        self.pem = _pem(certificate)


_cache = {}


def _create_ca(directory):
    """Write a new CA key and certificate into `directory` (a fresh temporary one)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "中国（广东）国际贸易单一窗口"),
        x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME),
    ])
    now = timezone.now()
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_file = directory / "ca.key"
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ))
    os.chmod(key_file, 0o600)
    (directory / "ca.pem").write_text(_pem(certificate))


def authority():
    """The CA, created on first use. Two processes starting at once agree on one (the directory rename wins)."""
    directory = Path(settings.EPORT_DIR) / "ca"
    cached = _cache.get(directory)
    if cached:
        return cached
    if not (directory / "ca.pem").exists():
        directory.parent.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(dir=directory.parent, prefix=".ca-"))
        _create_ca(fresh)
        try:
            os.rename(fresh, directory)
            log.info("e-port CA created in %s", directory)
        except OSError:  # another process created it first
            shutil.rmtree(fresh, ignore_errors=True)
    key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
    certificate = x509.load_pem_x509_certificate((directory / "ca.pem").read_bytes())
    _cache[directory] = CertificateAuthority(key, certificate)
    return _cache[directory]


def _new_number():
    while True:
        number = f"EP{secrets.randbelow(10**11):011d}"
        if not Card.objects.filter(number=number).exists():
            return number


def _card_certificate(ca, public_key, *, number, kind, uscc, ent_name, holder, not_before, not_after):
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ent_name),
        x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, uscc),
        x509.NameAttribute(NameOID.TITLE, KINDS[kind]),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, number),
        x509.NameAttribute(NameOID.COMMON_NAME, holder),
    ])
    return (
        x509.CertificateBuilder().subject_name(subject).issuer_name(ca.certificate.subject).public_key(public_key)
        .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        # cryptography's client verifier requires a SubjectAlternativeName: the card's own URN.
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(SAN_PREFIX + number)]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )


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
        certificate = _card_certificate(
            ca, key.public_key(), number=number, kind=kind, uscc=uscc, ent_name=ent_name.strip(),
            holder=holder.strip(), not_before=not_before, not_after=not_after,
        )
        card = Card.objects.create(
            number=number, kind=kind, holder=holder.strip(), uscc=uscc, ent_name=ent_name.strip(),
            algorithm=ALGORITHM, certificate=_pem(certificate), serial=format(certificate.serial_number, "x"),
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
        updated = Card.objects.filter(pk=card.pk, status=CardStatus.ACTIVE).update(
            status=CardStatus.REVOKED, revoked_at=timezone.now(), revoke_reason=reason[:200],
        )
        if updated != 1:
            raise ValidationError(f"卡 {number} 已注销，无需重复操作。")
        if card.user_id:
            end_sessions(card.user_id)
        record(actor=actor, action="eport.revoke", obj=card, from_status=CardStatus.ACTIVE,
               to_status=CardStatus.REVOKED, reason=reason)
    log.info("card %s revoked", number)
    card.refresh_from_db()
    return card


def unlock_card(path, *, actor=None):
    """Reset a card's wrong-PIN counter: only for a card this authority issued (its certificate on file)."""
    info = CardFile(path).info()
    certificate = x509.load_pem_x509_certificate(info["certificate"].encode())
    card = Card.objects.filter(number=info["card_no"], fingerprint=fingerprint(certificate)).first()
    if card is None:
        raise ValidationError(f"卡 {info['card_no']} 不是本机构签发的卡，不能解锁。")
    with transaction.atomic():
        record(actor=actor, action="eport.unlock", obj=card, data={"number": card.number})
        reset_pin_counter(path)
    log.info("card %s unlocked", card.number)
    return card
