"""A throwaway authority and card for the agent's own tests (the portal's authority lives in singlewindow.eport)."""
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cardagent.card import write_card

PIN = "12345678"
PORTAL = "http://127.0.0.1:8000"


def _certificate(subject, issuer, public_key, signing_key, ca):
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signing_key, hashes.SHA256())
    )


@pytest.fixture
def card_file(tmp_path):
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    holder = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "李锐")])
    ca = _certificate(ca_name, ca_name, ca_key.public_key(), ca_key, True)
    cert = _certificate(holder, ca_name, key.public_key(), ca_key, False)
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM).decode()
    return write_card(
        tmp_path / "card.card", private_key=key, certificate_pem=pem(cert), ca_certificate_pem=pem(ca),
        card_no="EP10000000001", kind="legal", uscc="91441502MA4W000001", ent_name="汕尾市红海湾进出口贸易有限公司",
        holder="李锐", pin=PIN, kdf_n=2**4,
    )


@pytest.fixture
def pin():
    return PIN
