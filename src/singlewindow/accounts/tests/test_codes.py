"""One-time codes: a keyed hash only, 10 minutes, single use, a few tries, limits per recipient and address."""
import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils import timezone

from singlewindow.accounts import codes
from singlewindow.accounts.models import Channel, CodePurpose, VerificationCode

from .conftest import code_sent_to

RESET = CodePurpose.RESET_PASSWORD
MOBILE = "13729230657"


def issue(recipient=MOBILE, ip="203.0.113.5", purpose=RESET):
    codes.issue(purpose, Channel.SMS, recipient, ip=ip)
    return code_sent_to(recipient)


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def refused(purpose, recipient, code):
    with pytest.raises(ValidationError) as caught:
        codes.verify(purpose, recipient, code)
    return caught.value.messages[0]


def test_only_a_keyed_hash_of_the_code_is_stored(db):
    code = issue()
    row = VerificationCode.objects.get()
    assert code not in {str(value) for value in model_to_dict(row).values()} and len(row.code_hash) == 64
    assert row.expires_at - row.created_at == dt.timedelta(minutes=10)


def test_a_code_works_until_ten_minutes_have_passed(db):
    start = timezone.now()
    with at(start):
        code = issue()
    with at(start + dt.timedelta(minutes=9, seconds=59)):
        codes.verify(RESET, MOBILE, code)

    with at(start):
        code = issue()
    with at(start + dt.timedelta(minutes=10)):
        assert refused(RESET, MOBILE, code) == "验证码不正确或已过期，请重新获取。"


def test_a_code_is_used_once(db):
    code = issue()
    codes.verify(RESET, MOBILE, code)
    assert refused(RESET, MOBILE, code) == "验证码不正确或已过期，请重新获取。"


def test_a_code_is_for_its_purpose_and_recipient_only(db):
    code = issue()
    assert refused(CodePurpose.RECOVER_USERNAME, MOBILE, code) == "验证码不正确或已过期，请重新获取。"
    assert refused(RESET, "13800138001", code) == "验证码不正确或已过期，请重新获取。"
    codes.verify(RESET, MOBILE, f" {code[:3]} {code[3:]} ")  # spaces typed in the code do not matter


def test_five_wrong_tries_burn_the_code(db):
    code = issue()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert refused(RESET, MOBILE, wrong) == "验证码不正确或已过期，请重新获取。"
    assert refused(RESET, MOBILE, code) == "验证码输错次数过多，请重新获取。"


def test_only_the_newest_code_counts(db):
    first = issue()
    second = issue()
    if first != second:
        assert refused(RESET, MOBILE, first) == "验证码不正确或已过期，请重新获取。"
    codes.verify(RESET, MOBILE, second)


def test_one_address_gets_five_codes_an_hour_for_one_recipient(db):
    start = timezone.now()
    with at(start):
        for _ in range(5):
            issue()
        with pytest.raises(ValidationError, match="获取验证码过于频繁，请1小时后再试。"):
            issue()
    with at(start + dt.timedelta(hours=1, seconds=1)):
        issue()


def test_a_stranger_using_up_a_recipients_codes_does_not_block_the_owners_address(db):
    for _ in range(5):
        issue(ip="203.0.113.5")
    with pytest.raises(ValidationError, match="获取验证码过于频繁"):
        issue(ip="203.0.113.5")
    issue(ip="198.51.100.9")  # the owner, from its own address


def test_one_recipient_gets_twenty_codes_an_hour_from_all_addresses(db):
    start = timezone.now()
    with at(start):
        for n in range(20):
            issue(ip=f"203.0.113.{n // 5}")  # four addresses, five each
        with pytest.raises(ValidationError, match="获取验证码过于频繁"):
            issue(ip="198.51.100.9")
    with at(start + dt.timedelta(hours=1, seconds=1)):
        issue(ip="198.51.100.9")


def test_one_address_gets_twenty_codes_an_hour(db):
    for n in range(20):
        issue(recipient=f"1380013{n:04d}")
    with pytest.raises(ValidationError, match="获取验证码过于频繁"):
        issue(recipient="13900000000")
    issue(recipient="13900000000", ip="198.51.100.7")  # another address still may


@pytest.mark.parametrize(("typed", "expected"), [
    ("137 2923 0657", (Channel.SMS, MOBILE)),
    ("+86 137-2923-0657", (Channel.SMS, MOBILE)),
    ("Boss@Example.COM", (Channel.EMAIL, "boss@example.com")),
])
def test_a_recipient_is_a_mobile_or_an_email(typed, expected):
    assert codes.parse_recipient(typed) == expected


@pytest.mark.parametrize(("typed", "message"), [
    ("", "请填写注册时登记的手机号码或电子邮箱。"),
    ("0660-3379016", "请填写11位手机号码（验证码通过短信发送，不能使用固定电话）。"),
    ("boss@", "电子邮箱格式不正确。"),
])
def test_a_recipient_names_its_problem(typed, message):
    with pytest.raises(ValidationError) as caught:
        codes.parse_recipient(typed)
    assert caught.value.messages == [message]
