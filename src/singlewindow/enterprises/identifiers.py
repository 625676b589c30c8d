"""Unified social credit code (GB 32100-2015) and its organisation code (GB 11714)."""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.cn import uscc as stdnum_uscc

_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CHECK = {r: {10: "X", 11: "0"}.get(11 - r, str(11 - r)) for r in range(11)}  # check character by sum % 11
# Where a USCC carries its organisation code: characters 9–17 (GB 32100-2015), 8 of body then its check character.
# Python reads it with organisation_code(), SQL with organisation_code_sql(): both from this one slice.
ORG_CODE = slice(8, 17)
ORG_CODE_LENGTH = ORG_CODE.stop - ORG_CODE.start
_ORG_BODY, _ORG_CHECK_AT = slice(ORG_CODE.start, ORG_CODE.stop - 1), ORG_CODE.stop - 1


def normalise_uscc(value):
    """Upper-case and drop spaces and hyphens, as people type them."""
    return re.sub(r"[\s\-－—]", "", str(value or "")).upper()


def organisation_code_check_digit(body):
    """GB 11714 check character for the 8-character body of an organisation code."""
    return _ORG_CHECK[sum(_ORG_ALPHABET.index(ch) * w for ch, w in zip(body, _ORG_WEIGHTS)) % 11]


def is_valid_organisation_code(code):
    if not re.fullmatch(r"[0-9A-Z]{8}[0-9X]", code or ""):
        return False
    return organisation_code_check_digit(code[:8]) == code[8]


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"[0-9]{8}[0-9A-HJ-NP-RTUW-Y]{10}")
# Each character's value as a digit that int() reads (the USCC alphabet skips I, O, S, V and Z).
_USCC_DIGITS = bytes.maketrans(_USCC_ALPHABET.encode(), b"0123456789abcdefghijklmnopqrstu")


def uscc_problem(code):
    """None for a valid normalised code, else the message naming its problem.

    Fast enough for a million-row import: the weighted sums run inside int(). The USCC weights are
    3**i (mod 31), so the 17 values read backwards in base 34 (≡ 3 mod 31) give the same sum mod 31;
    the GB 11714 weights are 2**(8-i) (mod 11), so the 8 characters read in base 35 (≡ 2 mod 11; int()
    reads 0-9A-Y as 0-34), doubled, give theirs mod 11. Tested against python-stdnum and the weights.
    """
    if len(code) != 18:
        return _("统一社会信用代码应为18位，当前为%(n)d位。") % {"n": len(code)}
    if not _USCC_SHAPE.fullmatch(code):
        return _("统一社会信用代码格式或校验位不正确。")
    if _USCC_ALPHABET[-int(code[16::-1].encode().translate(_USCC_DIGITS), 34) % 31] != code[17]:
        return _("统一社会信用代码格式或校验位不正确。")
    if _ORG_CHECK[2 * int(code[_ORG_BODY], 35) % 11] != code[_ORG_CHECK_AT]:
        return _("统一社会信用代码中的组织机构代码（第9至17位）校验不正确。")
    return None


def validate_uscc(value):
    """Return the normalised code or raise ValidationError with a message naming the problem."""
    code = normalise_uscc(value)
    problem = uscc_problem(code)
    if problem:
        raise ValidationError(problem, code="uscc")
    return code


def organisation_code(uscc):
    return uscc[ORG_CODE]


def organisation_code_sql(column):
    """The SQL expression (SQLite and PostgreSQL alike) for the organisation code of the USCC in `column`."""
    return f"substr({column}, {ORG_CODE.start + 1}, {ORG_CODE_LENGTH})"


def make_uscc(prefix, region_code, org_body):
    """Build a valid code (used by demo data and tests): prefix '91', 6-digit region, 8-char org body."""
    org = org_body + organisation_code_check_digit(org_body)
    partial = f"{prefix}{region_code}{org}"
    return partial + stdnum_uscc.calc_check_digit(partial)
