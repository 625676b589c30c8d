"""singlewindow.certificates: the card CA and the document-signing CA are made and kept by one piece of code."""
import datetime as dt

from cryptography import x509

from singlewindow import certificates
from singlewindow.documents import signing
from singlewindow.eport import authority


def test_a_new_ca_certifies_others_only_for_the_years_asked():
    name = certificates.ca_name("某机构", "某认证中心")
    key, certificate = certificates.make_ca(name, 3)
    assert certificate.subject == certificate.issuer == name
    certificate.verify_directly_issued_by(certificate)
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert lifetime == dt.timedelta(days=3 * 365, hours=1)
    assert key.public_key().public_numbers() == certificate.public_key().public_numbers()


def test_a_kept_ca_is_created_once_with_its_key_readable_by_the_owner_only(tmp_path):
    name = certificates.ca_name("某机构", "某认证中心")
    first = certificates.kept_ca(tmp_path / "ca", name, 1)
    again = certificates.kept_ca(tmp_path / "ca", name, 1)
    assert first[2] and not again[2]
    assert first[1] == again[1]
    assert (tmp_path / "ca" / "ca.key").stat().st_mode & 0o777 == 0o600
    assert not [entry for entry in tmp_path.iterdir() if entry.name.startswith(".ca-")]


def test_the_card_ca_and_the_document_ca_are_two_cas_with_their_own_names(db):
    card, document = authority.authority().certificate, signing.authority().certificate
    assert card != document
    assert card.subject.rfc4514_string() != document.subject.rfc4514_string()
    for certificate in (card, document):
        assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
