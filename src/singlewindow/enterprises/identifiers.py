"""Unified social credit code (GB 32100-2015) and its organisation code (GB 11714)."""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError

_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def normalise_uscc(value):
    """Upper-case and drop spaces and hyphens, as people type them."""
    return re.sub(r"[\s\-－—]", "", str(value or "")).upper()


def organisation_code_check_digit(body):
    """GB 11714 check character for the 8-character body of an organisation code."""
    total = sum(_ORG_ALPHABET.index(ch) * w for ch, w in zip(body, _ORG_WEIGHTS))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def is_valid_organisation_code(code):
    if not re.fullmatch(r"[0-9A-Z]{8}[0-9X]", code or ""):
        return False
    return organisation_code_check_digit(code[:8]) == code[8]


def validate_uscc(value):
    """Return the normalised code or raise ValidationError with a message naming the problem."""
    code = normalise_uscc(value)
    if len(code) != 18:
        raise ValidationError(_("统一社会信用代码应为18位，当前为%(n)d位。") % {"n": len(code)}, code="length")
    try:
        stdnum_uscc.validate(code)
    except StdnumError:
        raise ValidationError(_("统一社会信用代码格式或校验位不正确。"), code="checksum") from None
    if not is_valid_organisation_code(code[8:17]):
        raise ValidationError(_("统一社会信用代码中的组织机构代码（第9至17位）校验不正确。"), code="org_code")
    return code


def organisation_code(uscc):
    return uscc[8:17]


def make_uscc(prefix, region_code, org_body):
    """Build a valid code (used by demo data and tests): prefix '91', 6-digit region, 8-char org body."""
    org = org_body + organisation_code_check_digit(org_body)
    partial = f"{prefix}{region_code}{org}"
    return partial + stdnum_uscc.calc_check_digit(partial)
