"""The e-port card authority: its CA and the certificates it signs. Issuing, revoking and unlocking cards
are business actions: eport/card_services.py.

The CA's key and certificate are created on first use under settings.EPORT_DIR/ca (0600). A card's private
key exists only inside the card file the authority writes (sealed under the card's PIN); the authority keeps
the certificate.
"""
import hashlib
import logging
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

from cardagent.card import KINDS
from singlewindow import certificates

log = logging.getLogger(__name__)
ALGORITHM = "ecdsa-p256-sha256"
CA_COMMON_NAME = "电子口岸卡认证中心（单一窗口演示）"
CA_YEARS = 20
CARD_DAYS = 730
SAN_PREFIX = "urn:x-eport:card:"


def pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def fingerprint(certificate):
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


class CertificateAuthority:
    def __init__(self, key, certificate):
        self.key = key
        self.certificate = certificate
        self.pem = pem(certificate)


_cache = {}


def authority():
    """The CA, created on first use under settings.EPORT_DIR/ca."""
    directory = Path(settings.EPORT_DIR) / "ca"
    cached = _cache.get(directory)
    if cached:
        return cached
    key, certificate, created = certificates.kept_ca(
        directory, certificates.ca_name("中国（广东）国际贸易单一窗口", CA_COMMON_NAME), CA_YEARS)
    if created:
        log.info("e-port CA created in %s", directory)
    _cache[directory] = CertificateAuthority(key, certificate)
    return _cache[directory]


def card_certificate(ca, public_key, *, number, kind, uscc, ent_name, holder, not_before, not_after):
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
