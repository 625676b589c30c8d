"""Digits as people type them: full-width ones read as ASCII, any other script's refused; what is stored
in a phone field is ASCII only. (Python's \\d matches every script's digits.)"""
import re
import sys
import unicodedata
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from singlewindow.accounts import codes, services
from singlewindow.accounts.logmask import mask_text
from singlewindow.accounts.models import Channel, CodePurpose, User
from singlewindow.validators import normalise_phone

from .conftest import code_sent_to

# The zero of each script's run of decimal digits (Unicode keeps each run 0-9 in order).
ZEROS = [c for c in map(chr, range(sys.maxunicode + 1))
         if unicodedata.category(c) == "Nd" and unicodedata.decimal(c) == 0]
FOREIGN_ZEROS = [z for z in ZEROS if z not in "0０"]
CANONICAL = re.compile(r"1[3-9][0-9]{9}|0[0-9]{2,3}-[0-9]{7,8}(-[0-9]{1,6})?")
PHONES = {"13729230657": "13729230657", "+86 137-2923-0657": "13729230657", "0660-3379016": "0660-3379016",
          "(020)12345678转123": "020-12345678-123"}
examples = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def in_script(text, zero, positions=None):
    """`text` with its ASCII digits (those at `positions`, or all) written in the script of `zero`."""
    return "".join(chr(ord(zero) + int(ch)) if ch.isascii() and ch.isdigit() and (positions is None or i in positions)
                   else ch for i, ch in enumerate(text))


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.mark.parametrize(("typed", "expected"), [
    ("１３７２９２３０６５７", "13729230657"),
    ("＋８６ １３７－２９２３－０６５７", "13729230657"),
    ("０６６０－３３７９０１６", "0660-3379016"),
    ("（０２０）１２３４５６７８转１２３", "020-12345678-123"),
    ("137２９２３0657", "13729230657"),
])
def test_full_width_digits_are_read_as_ascii(typed, expected):
    assert normalise_phone(typed) == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("(020)12345678", "020-12345678"), ("02012345678", "020-12345678"), ("057112345678", "0571-12345678"),
    ("06603379016", "0660-3379016"), ("0660-3379016-8", "0660-3379016-8"),
])
def test_a_landline_typed_without_a_hyphen_is_split_at_its_area_code(typed, expected):
    assert normalise_phone(typed) == expected


@examples
@given(typed=st.sampled_from(sorted(PHONES)), zero=st.sampled_from(ZEROS), data=st.data())
def test_a_phone_with_any_scripts_digits_is_read_as_ascii_or_refused(typed, zero, data):
    digits = [i for i, ch in enumerate(typed) if ch.isdigit()]
    positions = data.draw(st.sets(st.sampled_from(digits), min_size=1))
    written = in_script(typed, zero, positions)
    if zero in "0０":
        assert normalise_phone(written) == PHONES[typed]
    else:
        with pytest.raises(ValidationError):
            normalise_phone(written)


@examples
@given(typed=st.text(alphabet=st.one_of(st.characters(categories=["Nd"]), st.sampled_from(" -－+＋()（）转")),
                     max_size=24))
def test_whatever_is_typed_a_phone_is_ascii_and_canonical_or_refused(typed):
    try:
        number = normalise_phone(typed)
    except ValidationError:
        return
    assert number.isascii() and CANONICAL.fullmatch(number)


@examples
@given(zero=st.sampled_from(FOREIGN_ZEROS), field=st.sampled_from(["mobile", "contact_phone", "new_mobile"]),
       positions=st.sets(st.integers(min_value=2, max_value=10), min_size=1))
def test_no_phone_field_stores_another_scripts_digits(people, zero, field, positions):
    typed = in_script("13912345678", zero, positions)
    with rolled_back(), pytest.raises(ValidationError) as refused:
        if field == "mobile":
            services.add_operator(people.boss, username="newclerk", display_name="张三", mobile=typed, email="",
                                  password="Harbour2025x")
        elif field == "contact_phone":
            services.quick_register(people.boss, username="hongwan2026", password="Hongwan2026",
                                    contact_name="李锐", contact_phone=typed)
        else:
            services.send_mobile_code(people.boss, typed)
    assert set(refused.value.message_dict) == {"mobile" if field == "new_mobile" else field}
    assert not User.objects.filter(username="newclerk").exists()


def test_a_full_width_mobile_is_stored_as_ascii(people):
    operator = services.add_operator(people.boss, username="newclerk", display_name="张三", mobile="１３９１２３４５６７８",
                                     email="", password="Harbour2025x")
    assert User.objects.get(pk=operator.pk).mobile == "13912345678"


@pytest.mark.parametrize("zero", ZEROS, ids=[f"U+{ord(z):04X}" for z in ZEROS])
def test_a_code_typed_in_full_width_digits_works_and_in_other_scripts_does_not(db, zero):
    mobile = "13729230657"
    codes.issue(CodePurpose.RESET_PASSWORD, Channel.SMS, mobile)
    typed = in_script(code_sent_to(mobile), zero)
    if zero in "0０":
        codes.verify(CodePurpose.RESET_PASSWORD, mobile, typed)
    else:
        with pytest.raises(ValidationError, match="验证码不正确或已过期"):
            codes.verify(CodePurpose.RESET_PASSWORD, mobile, typed)


def test_passwords_need_an_ascii_digit():
    from singlewindow.accounts.passwords import LettersAndDigitsValidator

    for zero in FOREIGN_ZEROS:
        with pytest.raises(ValidationError, match="密码须同时包含字母和数字"):
            LettersAndDigitsValidator().validate(in_script("Harbour2025", zero))


def test_logs_mask_mobiles_written_in_full_width_digits_too():
    assert mask_text("sms to １３７２９２３０６５７.") == "sms to １３７****０６５７."
