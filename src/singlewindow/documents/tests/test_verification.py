"""保单查验, public: what a valid number and code (or the file) shows, and nothing more; one answer for every wrong
pair; fields named when malformed; the hourly limit per address; the count of earlier verifications."""
import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from singlewindow.documents import services, verification
from singlewindow.documents.models import Verification
from singlewindow.enterprises.models import Enterprise
from singlewindow.policies.tests.conftest import page_text

URL = reverse("documents:verify")


def result_of(response):
    """The result panel's text, as a reader sees it."""
    html = response.content.decode()
    match = re.search(r'<(section|div)[^>]*data-testid="verify-result".*?</\1>', html, flags=re.DOTALL)
    return page_text(type("R", (), {"content": match[0].encode()})) if match else ""


def by_code(client, number, code, **extra):
    return client.get(URL, {"number": number, "code": code}, **extra)


def test_the_page_works_without_login(client, db):
    response = client.get(URL)
    assert response.status_code == 200
    text = page_text(response)
    assert "保单查验" in text and "按保单号和验证码查验" in text and "上传文件查验" in text
    assert response["Cache-Control"] == "no-store"


def test_a_valid_number_and_code_show_what_is_listed_and_nothing_else(client, documented):
    policy, document = documented.policy, documented.document
    response = by_code(client, policy.number, document.code)
    assert response.status_code == 200
    shown = result_of(response)
    assert "查验结果：真实" in shown and "当前版本" in shown and "有效" in shown
    assert f"{policy.cover_start:%Y-%m-%d} 至 {policy.cover_end:%Y-%m-%d}（含当日）" in shown
    assert "汕尾市**贸易有限公司" in shown and "此保单此前未被查验过。" in shown
    page = page_text(response)
    enterprise = policy.enterprise
    for secret in [enterprise.name, enterprise.uscc, enterprise.legal_representative, "1,200.00", "960.00",
                   policy.scheme.name, policy.contact_phone, policy.scheme.insurer_branch.hotline, document.sha256]:
        assert secret not in page, secret
    assert Verification.objects.get().result == Verification.Result.GENUINE


def test_the_page_says_how_often_and_when_the_policy_was_verified_before(client, documented):
    first = by_code(client, documented.policy.number, documented.document.code)
    assert "此保单此前未被查验过。" in result_of(first)
    by_code(client, documented.policy.number, "0000-0000")  # a wrong code is not a verification of this policy
    again = by_code(client, documented.policy.number, documented.document.code)
    earlier = Verification.objects.filter(result=Verification.Result.GENUINE).order_by("at").first()
    assert re.search(rf"此保单此前已被查验 1 次，最近一次 {earlier.at.astimezone(dt.timezone(dt.timedelta(hours=8))):%Y-%m-%d %H:%M}",
                     result_of(again))


def test_the_code_may_be_typed_loosely(client, documented):
    code = documented.document.code
    loose = f" {code[:4].lower()} - {code[4:].lower()} ".replace("0", "o").replace("1", "l")
    response = by_code(client, f" {documented.policy.number.lower()} ", loose)
    assert "查验结果：真实" in result_of(response)


def test_every_wrong_pair_gets_one_and_the_same_answer(client, documented, world):
    policy, code = documented.policy, documented.document.code
    other = "0000-0000" if code != "00000000" else "1111-1111"
    answers = [by_code(client, number, typed) for number, typed in [
        (policy.number, other),  # the right number, a wrong code
        ("XW202600200099999", code),  # a number that is no policy's, the right code
        (world.returned.number, code),  # another policy's number with this code
        ("XW202600200099999", other),
    ]]
    assert {answer.status_code for answer in answers} == {200}
    results = {result_of(answer) for answer in answers}
    assert len(results) == 1
    (result,) = results
    assert "查验结果：未找到" in result
    for answer in answers:
        page = page_text(answer)
        assert verification.mask_name(policy.enterprise.name) not in page and f"{policy.cover_start:%Y-%m-%d}" not in page
    assert Verification.objects.filter(result=Verification.Result.NOT_FOUND, policy=None).count() == 4


@pytest.mark.parametrize(("number", "code", "field", "message"), [
    ("", "ABCD-EFGH", "保单号", "请填写保单号。"),
    ("XW2026", "", "验证码", "请填写验证码。"),
    ("XW2026\uff38\u200f", "ABCD-EFGH", "保单号", "保单号由字母和数字组成"),
    ("XW2026", "ＡＢＣＤ－ＥＦＧＵ", "验证码", "验证码为 8 位字母和数字"),
    ("XW2026", "ABC", "验证码", "验证码为 8 位字母和数字"),
    ("XW2026", "ABCD-EFGU", "验证码", "验证码为 8 位字母和数字"),
    ("<script>", "ABCD-EFGH", "保单号", "保单号由字母和数字组成"),
    ("X" * 61, "ABCD-EFGH", "保单号", "保单号由字母和数字组成"),
])
def test_a_malformed_field_is_named_and_nothing_is_looked_up(client, db, number, code, field, message):
    response = by_code(client, number, code)
    assert response.status_code == 400
    assert f"{field}：{message}" in page_text(response)
    assert not Verification.objects.exists()


def test_a_nul_in_the_address_is_refused_at_the_edge(client, db):
    response = by_code(client, "XW2026\x00", "ABCD-EFGH")
    assert response.status_code == 400 and "您提交的内容含有无法识别的字符或编码" in page_text(response)
    assert not Verification.objects.exists()


def test_each_address_has_an_hourly_limit(client, documented, settings):
    settings.SW_VERIFY_PER_ADDRESS_HOUR = 2
    number, code = documented.policy.number, documented.document.code
    assert by_code(client, number, "0000-0000").status_code == 200
    assert by_code(client, number, "1111-1111").status_code == 200
    refused = by_code(client, number, code)  # even the right code, once the address used its look-ups
    assert refused.status_code == 429 and "查验过于频繁，请一小时后再试。" in result_of(refused)
    assert verification.mask_name(documented.policy.enterprise.name) not in page_text(refused)
    assert "查验结果：真实" in result_of(by_code(client, number, code, REMOTE_ADDR="10.1.2.3"))


def upload(client, name, data, **extra):
    return client.post(URL, {"file": SimpleUploadedFile(name, data, content_type="application/pdf")}, **extra)


def test_the_file_itself_can_be_checked(client, documented):
    response = upload(client, "电子保单.pdf", documented.pdf)
    assert response.status_code == 200
    shown = result_of(response)
    assert "查验结果：真实" in shown and "汕尾市**贸易有限公司" in shown
    assert Verification.objects.get().method == Verification.Method.UPLOAD


def test_a_file_changed_by_one_byte_is_not_found(client, documented):
    changed = bytearray(documented.pdf)
    changed[len(changed) // 3] ^= 0x01
    response = upload(client, "电子保单.pdf", bytes(changed))
    assert response.status_code == 200 and "查验结果：未找到" in result_of(response)
    assert verification.mask_name(documented.policy.enterprise.name) not in page_text(response)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("photo.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "“photo.pdf”不是 PDF 文件（按文件内容判断）"),
    ("empty.pdf", b"", "请重新选择"),
    ("big.pdf", b"%PDF-1.7\n" + b"0" * (1 << 20), "“big.pdf”超过 1 MB"),
])
def test_a_file_that_cannot_be_ours_is_refused_naming_the_field(client, db, settings, name, data, message):
    settings.SW_VERIFY_MAX_MB = 1
    response = upload(client, name, data)
    assert response.status_code == 400
    assert "电子保单或确认回执文件（PDF）：" in page_text(response) and message in page_text(response)
    assert not Verification.objects.exists()


def test_no_file_is_refused_naming_the_field(client, db):
    response = client.post(URL, {})
    assert response.status_code == 400
    assert "电子保单或确认回执文件（PDF）：请选择要查验的 PDF 文件。" in page_text(response)


def test_an_earlier_version_is_genuine_but_superseded(client, documented):
    Enterprise.objects.filter(pk=documented.policy.enterprise_id).update(name="汕尾市红海湾进出口贸易股份有限公司")
    second, _made = services.ensure_policy_document(documented.policy.pk)
    old = result_of(by_code(client, documented.policy.number, documented.document.code))
    assert "查验结果：真实，但已被新版本取代" in old and "它已被第 2 版取代" in old and "已被新版本取代" in old
    assert "汕尾市**贸易股份有限公司" in old  # the policy as it is now
    new = result_of(by_code(client, documented.policy.number, second.code))
    assert "查验结果：真实" in new and "当前版本" in new and "此保单此前已被查验 1 次" in new


def test_the_standing_follows_the_day_boundary_inclusively(documented):
    policy = documented.policy
    assert verification.standing(policy, policy.cover_end) == ("effective", "有效")  # its last day is in force
    assert verification.standing(policy, policy.cover_end + dt.timedelta(days=1)) == ("expired", "已到期")


@pytest.mark.parametrize(("name", "masked"), [
    ("汕尾市红海湾进出口贸易有限公司", "汕尾市**贸易有限公司"),
    ("海丰县梅陇工艺品有限公司", "海丰县**工艺品有限公司"),
    ("汕尾市海丰螺溪五金有限公司", "汕尾市**五金有限公司"),
    ("汕尾市海丰螺溪五金003有限公司", "汕尾市**有限公司"),
    ("广东省汕尾市品清电子股份有限公司", "广东省汕尾市**电子股份有限公司"),
    ("红海湾商行", "红**商行"),
    ("某公司", "**公司"),
    ("Acme", "A**"),
])
def test_the_insured_name_is_partly_masked(name, masked):
    assert verification.mask_name(name) == masked


def test_the_ca_certificate_is_public(client, db):
    from cryptography import x509

    from singlewindow.documents import signing

    response = client.get(reverse("documents:ca"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pkix-cert"
    assert x509.load_der_x509_certificate(response.content) == signing.authority().certificate
