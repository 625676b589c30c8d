"""The project's certificate authorities, made one way: the e-port card CA (eport/authority.py) and the
document-signing CA (documents/signing.py) are two CAs (decision 0027) built and kept by the same code.

Both are ECDSA P-256 with SHA-256 (decision 0009), self-signed, for certifying others only (no path below),
kept as ca.key (0600) and ca.pem in a directory of their own, created on first use.
"""
import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone


def ca_name(organisation, common_name):
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def make_ca(name, years):
    """A new CA named `name` (an x509.Name), valid `years` years from an hour ago: its key and certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = timezone.now()
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def write_key(path, key):
    """A private key as PEM in a new file that only its owner can read from the first byte on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


def publish(fresh, final):
    """Move the directory `fresh` (written whole) to `final`: True, or False when another process got there
    first (its directory wins and `fresh` is removed)."""
    try:
        os.rename(fresh, final)
    except OSError:
        shutil.rmtree(fresh, ignore_errors=True)
        return False
    return True


def kept_ca(path, name, years):
    """The CA kept in the directory `path`, made (make_ca) on first use: its key and certificate, and whether
    this call created it. Two processes starting at once agree on one: the directory rename wins."""
    created = False
    if not (path / "ca.pem").exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(dir=path.parent, prefix=".ca-"))
        key, certificate = make_ca(name, years)
        write_key(fresh / "ca.key", key)
        (fresh / "ca.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        created = publish(fresh, path)
    key = serialization.load_pem_private_key((path / "ca.key").read_bytes(), password=None)
    certificate = x509.load_pem_x509_certificate((path / "ca.pem").read_bytes())
    return key, certificate, created
