"""The 电子保单 as a file: Chinese text in an embedded subset font that renders and extracts, what it states, the QR
code's address, and a PAdES signature that validates against our document-signing CA and breaks on any change."""
import io
import subprocess

import pytest
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from singlewindow.documents import signing

pytestmark = pytest.mark.django_db  # the module's one document is made in the test database


def squeezed(text):
    return "".join(text.split())


def text_of(pdf):
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True,
                          timeout=60).stdout.decode()


def fonts_of(pdf, tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, timeout=60).stdout.decode()


def ink(pdf, tmp_path):
    """The share of page 1's pixels that are not white, rasterised by poppler at 40 dpi."""
    from PIL import Image

    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-gray", "-png", str(path), str(tmp_path / "page")],
                   check=True, timeout=60)
    histogram = Image.open(next(tmp_path.glob("page*.png"))).convert("L").histogram()
    return sum(histogram[:200]) / sum(histogram)


def status_of(pdf, root):
    reader = PdfFileReader(io.BytesIO(pdf))
    (signature,) = reader.embedded_signatures
    # pyHanko validates through asyncio.run too: off any loop a browser test left running in this thread
    return signing.outside_any_event_loop(validate_pdf_signature, signature, ValidationContext(trust_roots=[root]))


def test_the_chinese_text_is_in_an_embedded_subset_of_wenquanyi_and_extracts(issued, tmp_path):
    fonts = fonts_of(issued.pdf, tmp_path)
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert rows and all("WenQuanYi" in row[0] for row in rows), fonts
    # pdffonts: name, type…, then "emb sub uni" as yes/no: every font embedded, as a subset (ABCDEF+ prefix).
    assert all(row[0][6] == "+" and row[-5:-2] == ["yes", "yes", "yes"] for row in rows), fonts
    text = squeezed(text_of(issued.pdf))  # lines wrap where the page is full
    for words in ["小微企业出口信用保险电子保单", issued.insured, issued.uscc, issued.number, "保险期间", "（起止日均含当日）",
                  "承保风险", "赔偿比例", "80%", "最高赔偿限额", "150,000.00 美元", "1,200.00 元", "省级财政承担 80%（960.00 元）",
                  "市级财政承担 20%（240.00 元）", "审批生效日期", "中国信保粤东办事处", "保单查验验证码",
                  f"{issued.code[:4]}-{issued.code[4:]}"]:
        assert squeezed(words) in text, words
    assert f"/verify/?number={issued.number}&code={issued.code}" in text


def test_a_page_rasterised_by_poppler_is_not_blank(issued, tmp_path):
    import weasyprint

    blank = weasyprint.HTML(string="<html><body></body></html>").write_pdf()
    (tmp_path / "blank").mkdir()
    assert ink(blank, tmp_path / "blank") == 0
    assert ink(issued.pdf, tmp_path) > 0.02


def test_its_signature_validates_against_our_document_ca(issued):
    status = status_of(issued.pdf, signing.trust_root())
    assert status.bottom_line and status.intact and status.valid and status.trusted, status.summary()
    assert status.signing_cert.subject.native["organization_name"] == "中国出口信用保险公司"
    assert status.docmdp_ok is not False  # a certification signature: no change permitted after it


def test_poppler_agrees_the_signature_is_valid(issued, tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(issued.pdf)
    # pdfsig does not know our CA (its exit status says so); the signature itself it checks on its own
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, check=False, timeout=60).stdout.decode()
    assert "Signature is Valid." in out and "Total document signed" in out, out


def _producer(pdf):
    return pdf.index(b"WeasyPrint")  # the document information's /Producer, in plain text


@pytest.mark.parametrize("where", [_producer, lambda pdf: pdf.index(b"stream") // 2, lambda pdf: len(pdf) // 4])
def test_one_changed_byte_breaks_the_signature(issued, where):
    data = bytearray(issued.pdf)
    data[where(issued.pdf)] ^= 0x01  # inside the first signed range: the document before the signature
    status = status_of(bytes(data), signing.trust_root())
    assert not status.bottom_line and not status.intact


def test_another_root_does_not_trust_it(issued):
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from singlewindow.eport.authority import authority as card_authority

    card_ca = asn1_x509.Certificate.load(card_authority().certificate.public_bytes(Encoding.DER))
    status = status_of(issued.pdf, card_ca)
    assert status.intact and not status.trusted and not status.bottom_line


def test_the_signer_certificate_is_for_signing_documents(issued):
    from singlewindow.policies.models import InsurerBranch

    signer = signing.signer_for(InsurerBranch.objects.get(code="YD"))
    assert signer.fingerprint == issued.signer_sha256
    certificate = signer.certificate
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    extended = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert signing.DOCUMENT_SIGNING in extended and x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH not in extended
    assert certificate.issuer == signing.authority().certificate.subject
    basic = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca is False
