"""Signing the documents: the project's document-signing CA, each insurer branch's signing key, PAdES with pyHanko.

A CA of its own, beside the e-port card CA (docs/decisions/0027-signed-policy-documents.md): every enterprise's
card holds a key the card CA certified for digitalSignature and nonRepudiation, so a PDF reader told to trust the
card CA would show a document the enterprise signed itself as valid. This CA certifies document signers only.

Both are ECDSA P-256 with SHA-256 (SM2 is not in a kept Python library: decision 0009), created on first use:
the CA under SW_SIGNING_DIR/ca, a branch's key and certificate under SW_SIGNING_DIR/branch-<id>/<serial>/, all
keys 0600. A branch's certificate is renewed when it has less than RENEW_BEFORE left; documents signed with the
old one keep its certificate inside their signature.
"""
import asyncio
import datetime as dt
import hashlib
import io
import logging
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier
from django.conf import settings
from django.utils import timezone
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from singlewindow import certificates

log = logging.getLogger(__name__)

CA_COMMON_NAME = "单一窗口电子文件签章认证中心（演示）"
ORGANISATION = "中国（广东）国际贸易单一窗口"
INSURER = "中国出口信用保险公司"
CA_YEARS = 20
SIGNER_DAYS = 5 * 365
RENEW_BEFORE = dt.timedelta(days=30)
# Extended key usages of a document signer: id-kp-documentSigning (RFC 9336), and the two that Adobe Acrobat and
# Microsoft Office look for (Adobe Authentic Documents Trust; Microsoft Document Signing).
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
ADOBE_AUTHENTIC_DOCUMENTS = ObjectIdentifier("1.2.840.113583.1.1.5")
MICROSOFT_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")
SIGNER_USAGES = [DOCUMENT_SIGNING, ADOBE_AUTHENTIC_DOCUMENTS, MICROSOFT_DOCUMENT_SIGNING]


def directory():
    return Path(settings.SW_SIGNING_DIR) if settings.SW_SIGNING_DIR else Path(settings.EPORT_DIR) / "signing"


def _der(certificate):
    return certificate.public_bytes(serialization.Encoding.DER)


def fingerprint(certificate):
    return hashlib.sha256(_der(certificate)).hexdigest()


# --- the CA ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Authority:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @property
    def der(self):
        return _der(self.certificate)


_cache = {}


def authority():
    """The document-signing CA, created on first use under SW_SIGNING_DIR/ca."""
    path = directory() / "ca"
    if path in _cache:
        return _cache[path]
    key, certificate, created = certificates.kept_ca(
        path, certificates.ca_name(ORGANISATION, CA_COMMON_NAME), CA_YEARS)
    if created:
        log.info("document-signing CA in %s", path)
    _cache[path] = Authority(key, certificate)
    return _cache[path]


def trust_root():
    """The CA certificate as pyHanko's validator takes it (a test's, or a bank's, trust root)."""
    return asn1_x509.Certificate.load(authority().der)


# --- a branch's signer ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Signer:
    name: str
    certificate: x509.Certificate
    pyhanko: signers.SimpleSigner

    @property
    def fingerprint(self):
        return fingerprint(self.certificate)


def _signer_certificate(ca, public_key, branch, now):
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, INSURER),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, branch.name[:64]),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{branch.name[:50]}电子保单签章"),
    ])
    return (
        x509.CertificateBuilder().subject_name(subject).issuer_name(ca.certificate.subject).public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=SIGNER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(x509.ExtendedKeyUsage(SIGNER_USAGES), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )


def _usable(certificate, ca, now):
    return (certificate.issuer == ca.certificate.subject and certificate.not_valid_before_utc <= now
            and certificate.not_valid_after_utc - RENEW_BEFORE > now)


def _issue(folder, ca, branch, now):
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(dir=folder, prefix=".new-"))
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _signer_certificate(ca, key.public_key(), branch, now)
    certificates.write_key(fresh / "key.pem", key)
    (fresh / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    certificates.publish(fresh, folder / f"{certificate.serial_number:x}")
    log.info("document signer for branch %s issued, serial %x", branch.pk, certificate.serial_number)


def _newest(folder, ca, now):
    """The folder's usable key and certificate that runs longest, or None."""
    best = None
    for entry in folder.iterdir() if folder.exists() else ():
        if entry.name.startswith(".") or not (entry / "cert.pem").exists():
            continue
        certificate = x509.load_pem_x509_certificate((entry / "cert.pem").read_bytes())
        if _usable(certificate, ca, now) and (best is None or certificate.not_valid_after_utc
                                               > best[1].not_valid_after_utc):
            best = (entry, certificate)
    return best


def signer_for(branch):
    """The branch's signer, its key and certificate issued by authority() on first use and renewed near expiry."""
    ca = authority()
    now = timezone.now()
    folder = directory() / f"branch-{branch.pk}"
    found = _newest(folder, ca, now)
    if found is None:
        _issue(folder, ca, branch, now)
        found = _newest(folder, ca, now)
    entry, certificate = found
    key = serialization.load_pem_private_key((entry / "key.pem").read_bytes(), password=None)
    key_info = asn1_keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    simple = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(_der(certificate)), signing_key=key_info,
        cert_registry=SimpleCertificateStore.from_certs([trust_root()]),
    )
    return Signer(branch.name, certificate, simple)


def sign(pdf, signer, *, reason, location=ORGANISATION):
    """`pdf` (bytes) with a PAdES B-B certification signature of `signer`: no later change is permitted, so any
    edit (a byte, an added page, a filled field) shows as one in a reader and fails validation."""
    metadata = signers.PdfSignatureMetadata(
        field_name="InsurerSignature", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason, location=location, name=signer.name,
        certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES,
    )
    out = outside_any_event_loop(signers.sign_pdf, IncrementalPdfFileWriter(io.BytesIO(pdf)), metadata,
                                  signer=signer.pyhanko)
    return out.getvalue()


def outside_any_event_loop(function, *args, **kwargs):
    """pyHanko signs through asyncio.run, which refuses to start inside a running event loop (an ASGI server's,
    or Playwright's sync API in the tests): there it runs on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()
