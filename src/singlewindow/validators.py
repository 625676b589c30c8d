"""Field validators shared by forms, services and imports; messages name the problem in Chinese."""
import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

_MARKUP = re.compile(r"[<>]|&#|javascript:", re.IGNORECASE)
# C0/C1 controls (NUL included; tab and newlines are text), bidirectional embeddings/overrides/isolates
# (U+202A–U+202E, U+2066–U+2069) and marks that reorder what a reader sees, and lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# what a spreadsheet would run as a formula when the text opens a cell (OWASP CSV injection)
# A mainland mobile as normalise_phone writes it (no spaces or hyphens): what an SMS can be sent to.
MOBILE = re.compile(r"1[3-9][0-9]{9}")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Full-width digits and plus (U+FF10–FF19, U+FF0B), as Chinese input methods type them, read as ASCII.
# Digits of other scripts are not read at all: number patterns here say [0-9], never \d (which in
# Python matches every script's digits).
_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋", "0123456789+")


def ascii_digits(value):
    """`value` with full-width digits (and ＋) as ASCII; other characters unchanged."""
    return (value or "").translate(_FULL_WIDTH)


def no_markup(value):
    """The one rule for free text a person types or a file brings (names, scheme texts, reasons):
    no markup, no control or bidirectional-override character, and no formula prefix at the start."""
    if not value:
        return
    if _MARKUP.search(value) or _CONTROL.search(value):
        raise ValidationError(_("不能包含 < > 等标记、控制字符或文字方向控制符。"), code="markup")
    if value.lstrip(" ").startswith(FORMULA_PREFIXES):
        raise ValidationError(_("不能以 = + - @ 等公式符号开头。"), code="formula")


def clean_text(value, field_label=None, *, required=True, max_length, field=None):
    """Free text as typed, stripped ("" when optional and left empty): at most `max_length` characters, no markup.

    Messages name the field when `field_label` is given (请填写姓名。), else they say 此项, for a page that shows
    them beside the field. With `field`, the error is keyed by that form field, as a service's errors are."""
    value = (value or "").strip()
    try:
        if not value:
            if required:
                raise ValidationError(_("请填写%(label)s。") % {"label": field_label} if field_label
                                      else _("请填写此项。"), code="required")
            return ""
        if len(value) > max_length:
            raise ValidationError(
                _("%(label)s不能超过%(n)d个字。") % {"label": field_label, "n": max_length} if field_label
                else _("不能超过%(n)d个字。") % {"n": max_length}, code="max_length")
        no_markup(value)
    except ValidationError as error:
        if field is None:
            raise
        raise ValidationError({field: error}) from None
    return value


# A contact person's name (联系人) is at most this many characters: the models' columns, the forms' fields and
# clean_person_name all read it, and say so with contact_name_too_long().
CONTACT_NAME_MAX_LENGTH = 50


def contact_name_too_long():
    return _("联系人不能超过%(n)d个字。") % {"n": CONTACT_NAME_MAX_LENGTH}


def clean_person_name(value):
    """A contact person's name: required, at most CONTACT_NAME_MAX_LENGTH characters, no markup."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("请填写联系人。"), code="required")
    if len(value) > CONTACT_NAME_MAX_LENGTH:
        raise ValidationError(contact_name_too_long(), code="max_length")
    no_markup(value)
    return value


def clean_email(value):
    """An e-mail address as typed (already stripped and not empty): Django's check with our one message, lower-cased
    as accounts keep and look addresses up."""
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError(_("电子邮箱格式不正确。"), code="email") from None
    return value.lower()


def normalise_phone(value):
    """A mainland mobile (13812345678) or a landline with its area code (0660-3379016, ext. allowed).

    Returns the canonical form or raises ValidationError.
    """
    raw = re.sub(r"[\s()（）]", "", ascii_digits(value))
    if not raw:
        raise ValidationError(_("请填写联系电话。"), code="required")
    raw = re.sub(r"^(\+86|0086)", "", raw)
    main, _sep, extension = re.sub(r"[-－—]", "-", raw).partition("转")
    main = main.replace("-", "") if re.fullmatch(r"1[0-9]{2}-?[0-9]{4}-?[0-9]{4}", main) else main
    if MOBILE.fullmatch(main):
        number = phonenumbers.parse(main, "CN")
        if phonenumbers.number_type(number) in (
            phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
        ) and phonenumbers.is_valid_number(number):
            return main
        raise ValidationError(_("手机号码不是有效的中国大陆手机号。"), code="mobile")
    match = re.fullmatch(r"(0[0-9]{2,3})-?([0-9]{7,8})(?:-([0-9]{1,6}))?", main)
    if not match or (extension and not re.fullmatch(r"[0-9]{1,6}", extension)):
        raise ValidationError(
            _("联系电话格式不正确：请填写11位手机号，或带区号的固定电话（如 0660-3379016）。"), code="format"
        )
    ext = match.group(3) or extension
    number = phonenumbers.parse(match.group(1) + match.group(2), "CN")
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("固定电话的区号或号码不正确。"), code="landline")
    # Split where the numbering plan does: typed without a hyphen, (020)12345678 is 020-12345678.
    national = f"0{number.national_number}"
    cut = 1 + phonenumbers.length_of_geographical_area_code(number)
    area, local = (national[:cut], national[cut:]) if cut > 1 else (match.group(1), match.group(2))
    return f"{area}-{local}" + (f"-{ext}" if ext else "")


def mask_phone(value):
    """138****0000: what logs and other parties may see."""
    digits = value or ""
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"


def clean_contacts(errors, name, phone):
    """A contact person and phone, cleaned; problems go into the form's `errors` dict under their fields."""
    try:
        name = clean_person_name(name)
    except ValidationError as error:
        errors["contact_name"] = error.messages
    try:
        phone = normalise_phone(phone)
    except ValidationError as error:
        errors["contact_phone"] = error.messages
    return name, phone


# NUL (PostgreSQL text cannot hold it) and lone surrogates (no UTF-8 encoding exists for them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value):
    """Untrusted text as a record may keep it (attempt logs): NUL and lone surrogates shown as U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", str(value or ""))


def is_storable(value):
    return not _UNSTORABLE.search(value)
