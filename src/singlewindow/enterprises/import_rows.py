"""What a row of the customs export list must be, and why one is refused: pure rules, no database.

The header row names the columns (HEADER_ALIASES: the titles bureaus' spreadsheets use); each data row is
checked by RowChecker, whose short way takes a good row at once and whose diagnose() names every problem
of a doubtful one. The amount's bounds come from ExportRecord.export_usd. Used by imports.py (the job)
and by the upload page (LABELS, LARGEST). See docs/decisions/0006-import-pipeline.md.
"""
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from singlewindow.validators import no_markup

from .identifiers import uscc_problem
from .models import ExportRecord

MIN_YEAR = 1980
# The figure's column bounds an amount (15 digits, what SQLite's doubles read back: see Scheme.threshold_usd),
# two of them decimals: below 10,000,000,000,000.
_USD = ExportRecord._meta.get_field("export_usd")
PLACES = _USD.decimal_places
DIGITS = _USD.max_digits
MAX_EXPORT = Decimal(10) ** (DIGITS - PLACES)  # refused from here up
LARGEST = f"{MAX_EXPORT - Decimal(1).scaleb(-PLACES):,}"  # 9,999,999,999,999.99
FIELDS = ("uscc", "name", "county", "year", "export_usd")
LABELS = {
    "uscc": "统一社会信用代码", "name": "企业名称", "county": "县区代码", "year": "年度",
    "export_usd": "出口额（美元）", "file": "文件", "row": "整行",
}
HEADER_ALIASES = {
    "uscc": {"统一社会信用代码", "社会信用代码", "uscc"},
    "name": {"企业名称", "名称", "name", "enterprisename"},
    "county": {"县区代码", "区划代码", "所在县区代码", "行政区划代码", "county", "countycode"},
    "year": {"年度", "年份", "year"},
    "export_usd": {"出口额（美元）", "出口额", "出口额美元", "exportusd", "export_usd", "出口金额（美元）"},
}
_SEPARATORS = re.compile(r"[\s\-－—]")
# An amount: ASCII digits ([0-9] is ASCII only, unlike \d), at most PLACES decimals after a point, and either
# no separator or a comma before every group of three (1,234,567.89). The short way of RowChecker.check
# takes the forms below MAX_EXPORT by their length alone.
_CENTS = rf"(?:\.[0-9]{{1,{PLACES}}})?"
_AMOUNT = re.compile(rf"(?:[0-9]+|[0-9]{{1,3}}(?:,[0-9]{{3}})+){_CENTS}")
_SHORT_AMOUNT = re.compile(
    rf"(?:[0-9]{{1,{DIGITS - PLACES}}}|[0-9]{{1,3}}(?:,[0-9]{{3}}){{1,{(DIGITS - PLACES - 3) // 3}}}){_CENTS}")


# --- the header --------------------------------------------------------------------------------------

def _key(header):
    text = re.sub(r"[\s_]", "", str(header or "")).lower().replace("(", "（").replace(")", "）")
    for field, aliases in HEADER_ALIASES.items():
        if text in {a.lower().replace(" ", "") for a in aliases}:
            return field
    return None



def header_columns(header, report):
    """Index of each needed column in the header row, or None (reported) when some are missing."""
    if header is None:
        report.add(1, "file", "", _("文件是空的。"))
        return None
    found = {}
    for index, title in enumerate(header):
        field = _key(title)
        if field and field not in found:
            found[field] = index
    missing = [LABELS[f] for f in FIELDS if f not in found]
    if missing:
        report.add(1, "file", "", _("缺少列：%(cols)s。第一行应为列名：统一社会信用代码、企业名称、县区代码、年度、出口额（美元）。")
                   % {"cols": "、".join(missing)})
        return None
    return [found[f] for f in FIELDS]



# --- checking one row ---------------------------------------------------------------------------------

def parse_amount(text):
    """(Decimal, None), or (None, message) when `text` is not an amount the import accepts (see _AMOUNT)."""
    text = text.strip()
    if not text:
        return None, _("出口额不能为空。")
    if not _AMOUNT.fullmatch(text):
        return None, _amount_problem(text)
    value = Decimal(text.replace(",", ""))
    if value >= MAX_EXPORT:
        return None, _("出口额超出可记录的范围（最大 %(max)s 美元）。") % {"max": LARGEST}
    return value, None


def _amount_problem(text):
    """Why `text` is not an amount, as precisely as can be said."""
    if text[0] in "-－−" and _AMOUNT.fullmatch(text[1:].strip()):
        return _("出口额不能为负数。")
    if any(c.isdigit() and not c.isascii() for c in text):
        return _("出口额只能使用半角阿拉伯数字 0–9，不能使用全角或其他文字的数字。")
    whole, point, cents = text.partition(".")
    if point and cents.isascii() and cents.isdigit() and _AMOUNT.fullmatch(whole):
        return _("出口额最多两位小数（到美分）；文件中的数值不会被四舍五入。")
    if "," in text and _AMOUNT.fullmatch(text.replace(",", "")):
        return _("出口额中的逗号只能作千位分隔符，每三位一个（如 1,234,567.89）；小数点请用“.”。")
    return _("出口额应为数字（美元，最多两位小数），如 1234567.89 或 1,234,567.89，不带正负号、空格或科学计数法。")


class RowChecker:
    def __init__(self, region, this_year, counties):
        """counties: {code: name} of the known county-level divisions (imports.known_counties())."""
        self.names = counties
        self.prefix = region.prefix if region else ""
        self.region = region
        self.this_year = this_year

    def check(self, values):
        """(uscc, name, county, year, export_usd) or None, and a list of (field, value, message).

        The common case (a good row) takes the short way; any doubt goes to diagnose(), which names
        every problem of the row and is the one definition of the rules.
        """
        uscc, name, county, year, amount = values
        if uscc.isascii() and uscc.isalnum():
            code = uscc.upper()
            name = name.strip()
            county = county.strip()
            if (uscc_problem(code) is None and name and len(name) <= 100 and county in self.names
                    and county.startswith(self.prefix) and len(year) == 4 and year.isascii() and year.isdigit()
                    and MIN_YEAR <= int(year) <= self.this_year and _SHORT_AMOUNT.fullmatch(amount)):
                try:
                    no_markup(name)
                except ValidationError:
                    return self.diagnose(values)
                return (code, name, county, int(year), Decimal(amount.replace(",", ""))), ()
        return self.diagnose(values)

    def diagnose(self, values):
        errors = []
        uscc, name, county, year, amount = values
        code = uscc.upper() if uscc.isascii() and uscc.isalnum() else _SEPARATORS.sub("", uscc).upper()
        if not code:
            errors.append(("uscc", uscc, _("统一社会信用代码不能为空。")))
        else:
            problem = uscc_problem(code)
            if problem:
                errors.append(("uscc", uscc, problem))
        name = name.strip()
        if not name:
            errors.append(("name", name, _("企业名称不能为空。")))
        elif len(name) > 100:
            errors.append(("name", name[:30] + "…", _("企业名称不能超过100个字。")))
        else:
            try:
                no_markup(name)
            except ValidationError as error:
                errors.append(("name", name, error.messages[0]))
        county = county.strip()
        if county not in self.names:
            errors.append(("county", county, _("县区代码不能为空。") if not county
                           else _("“%(code)s”不是广东省的县级行政区划代码。") % {"code": county}))
        elif not county.startswith(self.prefix):
            errors.append(("county", county, _("%(name)s 不在本单位管辖区域（%(region)s）内。")
                           % {"name": self.names[county], "region": self.region}))
        year_text = year.strip()
        year = int(year_text) if year_text.isascii() and year_text.isdigit() and len(year_text) == 4 else None
        if year is None:
            errors.append(("year", year_text, _("年度应为四位数字，如 %(y)d。") % {"y": self.this_year - 1}))
        elif not MIN_YEAR <= year <= self.this_year:
            errors.append(("year", year_text, _("年度应在 %(a)d 至 %(b)d 之间。") % {"a": MIN_YEAR, "b": self.this_year}))
        value, problem = parse_amount(amount)
        if problem:
            errors.append(("export_usd", amount.strip(), problem))
        if errors:
            return None, errors
        return (code, name, county, year, value), errors

