"""Customs export list import: stream the file, check every row, stage it, then write all or nothing.

One pass reads the file row by row (csv / openpyxl read_only) and never holds more than one chunk of
rows: good rows go to a per-job staging table (PostgreSQL: COPY; SQLite: executemany), bad ones to the
error report on disk. Duplicates inside the file are found by the database over the staging table. Only
when no row is bad does one transaction create the unknown enterprises and replace the year's figures;
any problem found there (an organisation code used by another enterprise, an enterprise registered
outside the uploader's region) rolls it all back and is reported by row like the others.
See docs/decisions/0006-import-pipeline.md.
"""
import codecs
import csv
import io
import logging
import os
import re
import struct
import unicodedata
import zipfile
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from xml.etree import ElementTree

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from singlewindow import bulk
from singlewindow.accounts.models import Role
from singlewindow.audit.services import record
from singlewindow.regions.models import Region
from singlewindow.spreadsheets import CsvWriter
from singlewindow.validators import no_markup

from .identifiers import uscc_problem
from .models import Enterprise, ExportRecord, ImportJob

log = logging.getLogger(__name__)

CHUNK = 20_000  # rows held in memory at most, and how often progress is written
PREVIEW = 20  # errors shown on the page; the report file lists up to SW_IMPORT_REPORT_ROWS
SHOWN = 50  # characters of a bad value the report and the page show
MIN_YEAR = 1980
EXCEL_ROWS = 1_048_576  # no sheet Excel saves has more
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


def import_dir():
    path = Path(settings.SW_IMPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


_SEPARATORS = re.compile(r"[\s\-－—]")
# An amount: ASCII digits ([0-9] is ASCII only, unlike \d), at most PLACES decimals after a point, and either
# no separator or a comma before every group of three (1,234,567.89). The short way of RowChecker.check
# takes the forms below MAX_EXPORT by their length alone.
_CENTS = rf"(?:\.[0-9]{{1,{PLACES}}})?"
_AMOUNT = re.compile(rf"(?:[0-9]+|[0-9]{{1,3}}(?:,[0-9]{{3}})+){_CENTS}")
_SHORT_AMOUNT = re.compile(
    rf"(?:[0-9]{{1,{DIGITS - PLACES}}}|[0-9]{{1,3}}(?:,[0-9]{{3}}){{1,{(DIGITS - PLACES - 3) // 3}}}){_CENTS}")


# --- reading ------------------------------------------------------------------------------------------

def _key(header):
    text = re.sub(r"[\s_]", "", str(header or "")).lower().replace("(", "（").replace(")", "）")
    for field, aliases in HEADER_ALIASES.items():
        if text in {a.lower().replace(" ", "") for a in aliases}:
            return field
    return None


def _cell(value):
    """A cell as text: openpyxl gives numbers for numeric cells, the csv module gives text."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


class BadFile(Exception):
    """The file cannot be read as an export list: refused whole, with the reason on its report at `line`."""

    def __init__(self, message, line=1):
        super().__init__(message)
        self.message = message
        self.line = line


# A line of a GB18030 file that reads as Chinese in UTF-8 was pasted from a UTF-8 file: it decodes as GB18030
# too, into nonsense. GB18030 Chinese is seldom valid UTF-8, and (simulated over GB2312's characters) never
# UTF-8 of Chinese alone, so a real GB18030 line is not taken for one. Two Han characters in a row, in UTF-8
# bytes, are what a block is searched for, so only the lines around them are looked at one by one.
_CHINESE_TEXT = re.compile(r"[\x00-\x7f\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]*")
_TWO_HAN = re.compile(r"[\u4e00-\u9fff]{2}")
# Each byte as its part in UTF-8 Han (L: E4-E9 leads one, c: 80-BF continues it): two of them read "LccLcc".
_UTF8_HAN_BYTES = bytes(ord("L") if 0xE4 <= b <= 0xE9 else ord("c") if 0x80 <= b <= 0xBF else ord(".")
                        for b in range(256))


def _utf8_chinese(raw):
    text = raw.decode("utf-8", "replace")
    return "\ufffd" not in text and _CHINESE_TEXT.fullmatch(text) is not None and _TWO_HAN.search(text) is not None


def _sniff_encoding(path):
    """UTF-8 (with or without BOM) when the first 64 KB beyond ASCII decode as such, else GB18030 (Excel's
    'CSV' in China); in a file pasted together from both, its first line beyond ASCII decides. CsvRows
    refuses the lines in the other encoding, each on its row."""
    with open(path, "rb") as head:
        while (block := head.read(1 << 16)) and block.isascii():
            pass
    try:
        codecs.getincrementaldecoder("utf-8")().decode(block, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        first = next(line for line in block.splitlines() if not line.isascii())
        return "utf-8" if _utf8_chinese(first) else "gb18030"


class _LineTooLong(Exception):
    pass


def _undecodable(encoding):
    if encoding == "gb18030":
        return _("这一行含有无法按 GB18030 解码的字节：文件中混有其他编码的内容。请将整个文件另存为同一种编码"
                 "（UTF-8 或 GB18030）后重新上传。")
    return _("这一行含有无法按 UTF-8 解码的字节：文件前面是 UTF-8 编码，这一行是其他编码（如 GB18030）。"
             "请将整个文件另存为同一种编码后重新上传。")


def _pasted_utf8(data):
    """(start, end) of each line of a GB18030 block that may be UTF-8 (see _utf8_chinese), in order."""
    parts, end = data.translate(_UTF8_HAN_BYTES), 0  # found with bytes.find: a regular expression is slow here
    while (at := parts.find(b"LccLcc", end)) >= 0:
        start = max(data.rfind(b"\n", 0, at), data.rfind(b"\r", 0, at)) + 1
        ends = [i for i in (data.find(b"\n", at), data.find(b"\r", at)) if i >= 0]
        end = min(ends) + 1 if ends else len(data)
        if data[end - 1:end + 1] == b"\r\n":
            end += 1
        yield start, end


# U+FFFD for one byte that does not decode, and on with the next: a multibyte decoder's own "replace" may
# swallow the comma, quote or line end after a broken sequence, and with them the rows' boundaries.
BYTE_BY_BYTE = "singlewindow-import-byte"
codecs.register_error(BYTE_BY_BYTE, lambda error: ("\ufffd", error.start + 1))


class CsvRows:
    """The rows of a CSV file, decoded strictly in its encoding; never a byte replaced silently.

    The file goes a block at a time (decoded and split in C). A block that does not decode or holds a NUL
    (which PostgreSQL cannot store), and in a GB18030 file the lines that may be pasted UTF-8 (which decode
    without error, as nonsense), go line by line: a line not in the file's encoding is reported on the row it
    belongs to, and read on with U+FFFD for each bad byte, so that the other rows are still checked.
    """

    BLOCK = 1 << 20
    LONGEST_LINE = 1 << 20

    def __init__(self, path, report):
        self.raw = open(path, "rb")  # noqa: SIM115 (read across iterations; closed by close())
        self.size = os.fstat(self.raw.fileno()).st_size or 1
        self.encoding = _sniff_encoding(path)
        self.report = report
        self.trouble = []  # (message, text) of the lines read since the last row was handed out
        self.width = None

    def __iter__(self):
        trouble, line = self.trouble, 0
        try:
            # csv.reader asks for a row's lines only (never the next row's), so the trouble is this row's
            for line, values in enumerate(csv.reader(self._lines()), start=1):
                if trouble:
                    for message, text in trouble:
                        self.report.add(line, "row", text, message)
                    trouble.clear()
                yield values
        except csv.Error as error:
            limit = csv.field_size_limit()
            if str(error).startswith("field larger than field limit"):
                raise BadFile(_("从这一行起有一个超过 %(n)s 个字符的字段：多半是某个双引号（\"）没有成对，其后的内容都成了"
                                "同一个字段。请检查这一行的引号。") % {"n": f"{limit:,}"}, line + 1) from None
            log.warning("csv error after row %s: %s", line, error)
            raise BadFile(_("这一行不是有效的 CSV 格式，无法读取。"), line + 1) from None
        except _LineTooLong:
            raise BadFile(_("这一行超过 %(n)s MB 而没有换行，不是 CSV 数据。") % {"n": self.LONGEST_LINE >> 20},
                          line + 1) from None

    def _blocks(self):
        """The file in blocks that end where a line ends (the last one may not)."""
        rest = b""
        while block := self.raw.read(self.BLOCK):
            data = rest + block if rest else block
            end = max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1)) + 1  # a CR last may begin a CRLF
            if not end:
                if len(data) > self.LONGEST_LINE:
                    raise _LineTooLong
                rest = data
                continue
            rest = data[end:]
            yield data[:end]
        if rest:
            yield rest

    def _lines(self):
        gb = self.encoding == "gb18030"
        for number, data in enumerate(self._blocks()):
            if number == 0 and not gb and data.startswith(codecs.BOM_UTF8):
                data = data[len(codecs.BOM_UTF8):]
            done = 0
            for start, end in _pasted_utf8(data) if gb else ():
                yield from self._block(data[done:start])
                yield from self._each_line(data[start:end])
                done = end
            yield from self._block(data[done:])

    def _block(self, data):
        """The lines of `data` (which ends where a line ends): decoded at once, and split in C, unless they do
        not decode or hold a NUL."""
        if b"\x00" not in data:
            try:
                return io.StringIO(data.decode(self.encoding), newline="")  # split where csv would: CR, LF, CRLF
            except UnicodeDecodeError:
                pass
        return self._each_line(data)

    def _each_line(self, data):
        gb = self.encoding == "gb18030"
        for raw in data.splitlines(keepends=True):  # the same three line ends
            try:
                text = raw.decode(self.encoding)
            except UnicodeDecodeError:
                text = raw.decode(self.encoding, BYTE_BY_BYTE)
                self._trouble(_undecodable(self.encoding), text)
            else:
                if gb and not raw.isascii() and _utf8_chinese(raw):
                    self._trouble(_("这一行是 UTF-8 编码，而文件前面是 GB18030 编码：文件中混用了两种编码。"
                                    "请将整个文件另存为同一种编码后重新上传。"), raw.decode("utf-8"))
            if "\x00" in text:
                self._trouble(_("这一行含有空字符（NUL），无法保存。请检查文件是否为文本格式的 CSV。"), text)
            yield text

    def _trouble(self, message, text):
        self.trouble.append((message, text.rstrip("\r\n")))

    def fraction(self):
        return min(1.0, self.raw.tell() / self.size)

    def close(self):
        self.raw.close()


class XlsxRows:
    """The first sheet's rows, read by openpyxl (once xlsx_problem found nothing); whatever openpyxl trips
    over is in the file, so it refuses the file, naming the row it had reached."""

    def __init__(self, path):
        import openpyxl

        self.book = None
        try:
            self.book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            self.sheet = self.book.worksheets[0]
            self.total = self.sheet.max_row or 0  # from the sheet's <dimension>, when the writer gave one
            # openpyxl pads every row to the declared width (up to 16,384 columns): read rows as they are
            self.sheet.reset_dimensions()
        except Exception as error:  # noqa: BLE001 (openpyxl may raise anything on a broken file: refuse it as such)
            log.warning("xlsx %s does not open: %r", path, error)
            self.close()
            raise BadFile(_("XLSX 文件已损坏或格式不受支持，无法打开。请在 Excel 中打开后重新另存为 .xlsx，"
                            "或另存为 CSV 后上传。")) from None
        self.seen = 0
        self.width = None  # set once the header is known: the columns after it are never read

    def __iter__(self):
        try:
            for row in self.sheet.iter_rows(values_only=True):
                self.seen += 1
                if self.seen > EXCEL_ROWS:
                    raise BadFile(_("工作表超过 Excel 的最大行数（%(n)s 行）：文件已损坏或不是 Excel 保存的。")
                                  % {"n": f"{EXCEL_ROWS:,}"}, self.seen)
                yield [_cell(v) for v in row[:self.width]]
        except BadFile:
            raise
        except Exception as error:  # noqa: BLE001 (openpyxl may raise anything on a broken row: refuse the file)
            log.warning("xlsx row %s does not read: %r", self.seen + 1, error)
            raise BadFile(_("XLSX 文件读到这一行时出错：文件已损坏或不完整。请在 Excel 中打开后重新另存为 .xlsx，"
                            "或另存为 CSV 后上传。"), self.seen + 1) from None

    def fraction(self):
        return min(1.0, self.seen / self.total) if self.total else 0.0

    def close(self):
        if self.book is not None:
            self.book.close()


def is_xlsx_name(file_name):
    return file_name.lower().endswith((".xlsx", ".xlsm"))


def open_rows(path, file_name, report):
    """The rows of an uploaded file; BadFile when its content is not what its name says or cannot be read."""
    with open(path, "rb") as handle:
        problem = file_problem(handle, file_name, count_strings=True)
    if problem:
        raise BadFile(problem)
    if is_xlsx_name(file_name):
        return XlsxRows(path)
    return CsvRows(path, report)


# --- is it the file its name says? -------------------------------------------------------------------

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old .xls, or a workbook with a password (both OLE files)
_SMALL_PART = 1 << 20  # a part this small cannot hurt, whatever its compression ratio
_SHEETS = "xl/worksheets/"
_CONTENT_TYPES = "[Content_Types].xml"
_SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SI = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}si"


def file_problem(handle, file_name, *, count_strings=False):
    """Why a file cannot be the CSV or XLSX its name says, judged by its content; None when it may be.

    Cheap (the first 64 KB, the zip's directory) for the upload form; the worker also has the shared
    strings of an XLSX counted (count_strings) before openpyxl opens it.
    """
    handle.seek(0)
    head = handle.read(1 << 16)
    handle.seek(0)
    if head.startswith(_OLE):
        return _("这是旧版 Excel（.xls）文件或设了密码的工作簿：请在 Excel 中另存为 .xlsx（不设密码）或 CSV 后上传。")
    if is_xlsx_name(file_name):
        return xlsx_problem(handle, count_strings=count_strings)
    if head.startswith(b"PK\x03\x04"):
        return _("文件扩展名是 CSV，内容却是 XLSX 工作簿或压缩包：XLSX 文件请以 .xlsx 扩展名上传。")
    # UTF-16 (every ASCII character with a NUL) or a binary file; a stray NUL is refused on its row
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or head.count(b"\x00") * 100 > len(head):
        return _("文件含有空字符（NUL），不是 UTF-8 或 GB18030 编码的文本 CSV（可能是 UTF-16 的“Unicode 文本”或其他"
                 "格式）。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后上传。")
    return None


def _not_xlsx():
    return _("文件不是有效的 XLSX 工作簿（不是 ZIP 格式，或文件不完整）。请在 Excel 中打开后另存为 .xlsx，"
             "或另存为 CSV 后上传。")


def _broken_xlsx():
    return _("XLSX 文件已损坏，无法读取。请在 Excel 中打开后重新另存为 .xlsx，或另存为 CSV 后上传。")


def _zip_end(handle):
    """(entries, directory size, ZIP64) from a zip's end record, or None: read before zipfile parses the
    directory, as a directory of millions of tiny entries costs gigabytes by itself."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(max(0, size - 22 - 0xFFFF))  # the record, then a comment of up to 64 KB
    tail = handle.read()
    handle.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    entries, directory = struct.unpack("<HI", tail[at + 10:at + 16])
    zip64 = at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07"  # its locator: the sizes are elsewhere
    return entries, directory, zip64


def xlsx_problem(handle, *, count_strings=False):
    """Why a file is not an XLSX worth opening (not a zip, not a workbook, or a zip bomb); None if it may be.

    The sizes are those the zip declares: zipfile reads no entry past its declared size (and then fails its
    CRC), so they bound what openpyxl can unpack. Only the shared-string table is read, with count_strings.
    """
    end = _zip_end(handle)
    if end is None:
        return _not_xlsx()
    entries, directory, zip64 = end
    most = settings.SW_IMPORT_XLSX_MAX_ENTRIES
    too_many = _("XLSX 文件包含的部件过多（上限 %(n)s 个），不是一份数据表。") % {"n": most}
    if zip64 or entries > most or directory > most * 1024:  # 46 bytes an entry, and its name
        return too_many
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, OSError, ValueError, struct.error):
        return _not_xlsx()
    with archive:
        infos = archive.infolist()
        if len(infos) > most:
            return too_many
        if not {_CONTENT_TYPES, "xl/workbook.xml"} <= {info.filename for info in infos}:
            return _("文件是 ZIP 压缩包，但不是 Excel 工作簿（缺少 [Content_Types].xml 或 xl/workbook.xml）。"
                     "请上传 .xlsx 或 CSV 文件。")
        limit, ratio, total = settings.SW_IMPORT_XLSX_MAX_UNPACKED_MB, settings.SW_IMPORT_XLSX_MAX_RATIO, 0
        for info in infos:
            if info.flag_bits & 0x1:
                return _("XLSX 文件已加密，请取消密码后另存再上传。")
            total += info.file_size
            if total > limit << 20:
                return _("XLSX 文件解压后超过 %(n)s MB，超出导入上限。请按年度或地区拆分，或另存为 CSV 后上传。") % {
                    "n": limit}
            if info.file_size > _SMALL_PART and info.file_size > ratio * max(info.compress_size, 1):
                return _("XLSX 文件中的“%(name)s”压缩比异常（超过 %(n)s 倍），可能是恶意构造的“压缩炸弹”，已拒绝。") % {
                    "name": info.filename[:60], "n": ratio}
        if count_strings:
            return _shared_strings_problem(archive, infos)
    return None


class _StringCounter:
    """An XML parser target that counts the shared strings as they stream past, building nothing."""

    def __init__(self):
        self.count = 0

    def start(self, tag, attrib):
        if tag == _SI:
            self.count += 1

    def close(self):
        return self.count


def _shared_strings_problem(archive, infos):
    """openpyxl loads the whole shared-string table at open: more strings than the bound, or than the
    worksheets could refer to (each reference is a cell of at least 20 bytes: <c t="s"><v>0</v></c>), and it
    is a bomb. Counted by streaming, found where openpyxl finds it: through [Content_Types].xml."""
    types = archive.getinfo(_CONTENT_TYPES)
    if types.file_size > _SMALL_PART:  # a few kilobytes in any workbook
        return _broken_xlsx()
    try:
        overrides = ElementTree.fromstring(archive.read(types))
        part = next((o.get("PartName", "").lstrip("/") for o in overrides if o.get("ContentType") == _SHARED_STRINGS),
                    None)
        if part is None:
            return None
        sheets = sum(info.file_size for info in infos if info.filename.startswith(_SHEETS))
        limit = min(settings.SW_IMPORT_XLSX_MAX_SHARED_STRINGS, sheets // 20 + 10_000)
        counter = _StringCounter()
        parser = ElementTree.XMLParser(target=counter)
        with archive.open(part) as source:
            while counter.count <= limit and (chunk := source.read(1 << 16)):
                parser.feed(chunk)
        if counter.count <= limit:
            parser.close()  # read to its end: a table cut short fails here
    except Exception as error:  # noqa: BLE001 (a broken zip stream or XML: openpyxl would not read it either)
        log.warning("xlsx shared strings do not read: %r", error)
        return _broken_xlsx()
    if counter.count > limit:
        return _("XLSX 文件的共享字符串表过大（超过 %(n)s 项，多于工作表能引用的数量或导入上限），可能是恶意构造的文件，"
                 "已拒绝。") % {"n": f"{limit:,}"}
    return None


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
    def __init__(self, region, this_year, counties=None):
        """counties: {code: name} of the known county-level divisions (default: from the database)."""
        if counties is None:
            counties = dict(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", "name"))
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


# --- staging: PostgreSQL COPY, SQLite executemany -----------------------------------------------------

class Stage:
    def __init__(self, job_id):
        self.table = f"import_stage_{job_id}"
        self.dups = f"import_dups_{job_id}"
        self.postgres = connection.vendor == "postgresql"
        self.rows = 0

    def create(self):
        self.drop()
        types = ("integer", "varchar(18)", "varchar(100)", "varchar(6)", "smallint", "numeric(16,2)") \
            if self.postgres else ("integer", "text", "text", "text", "integer", "numeric")
        columns = ", ".join(f"{n} {t}" for n, t in zip(("line", *FIELDS), types))
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE {self.table} ({columns})")

    @contextmanager
    def writer(self):
        """Yields (add, flush): add(row) stages one good row; flush() pushes what SQLite holds back.

        PostgreSQL: one COPY for the whole file, fed as rows are checked, so the server stores while
        Python reads on (two cores at work); memory stays one COPY buffer. SQLite: executemany per CHUNK.
        """
        if self.postgres:
            with connection.cursor() as cursor, cursor.copy(f"COPY {self.table} FROM STDIN") as copy:
                yield copy.write_row, (lambda: None)
            return
        buffer = []

        def flush():
            if buffer:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany(f"INSERT INTO {self.table} VALUES (%s, %s, %s, %s, %s, %s)", buffer)
                buffer.clear()

        yield buffer.append, flush
        flush()

    def duplicates(self, after_line, limit):
        """Rows repeating an earlier row's (USCC, year): (line, uscc, year, first line), in line order."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT line, uscc, year, first_same_year FROM {self.dups} WHERE line > first_same_year"
                f" AND line > %s ORDER BY line LIMIT %s",
                [after_line, limit],
            )
            return cursor.fetchall()

    def find_duplicates(self):
        """Note every row of a code that appears more than once; returns how many repeat a (USCC, year).

        The table also tells the merge which rows are not a code's first (several years of one
        enterprise): only the first row creates the enterprise.
        """
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE {self.dups} AS SELECT line, uscc, year,"
                f" min(line) OVER (PARTITION BY uscc, year) AS first_same_year,"
                f" min(line) OVER (PARTITION BY uscc) AS first_line FROM {self.table}"
                f" WHERE uscc IN (SELECT uscc FROM {self.table} GROUP BY uscc HAVING count(*) > 1)"
            )
            cursor.execute(f"CREATE INDEX {self.dups}_line ON {self.dups} (line)")
            cursor.execute(f"SELECT count(*) FROM {self.dups} WHERE line > first_same_year")
            return cursor.fetchone()[0]

    def drop(self):
        with connection.cursor() as cursor:
            for table in (self.table, self.dups):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")


class Rejected(Exception):
    """Problems found while writing: the transaction is rolled back and the rows are reported."""

    def __init__(self, problems):
        super().__init__(f"{len(problems)} rows refused while writing")
        self.problems = problems


# A load this big (and at least a quarter of the enterprises already there) sets the indexes aside and
# rebuilds them once (PostgreSQL): quicker than a million index updates, at the price of locking the
# two tables for the write. Smaller loads write through the indexes and lock nothing beyond their rows.
BULK_ROWS = 50_000
ANALYZE_ROWS = 10_000  # after writing this many, refresh the planner's statistics at once


def merge(stage, *, region, source):
    """Create unknown enterprises and replace the figures, in the caller's transaction. Returns counts.

    Written optimistically: a row the checks so far cannot judge (its organisation code held by another
    enterprise, its enterprise registered outside the uploader's region) makes the write fail or fall
    short, and only then are the rows looked for and reported.
    """
    prefix = (region.prefix if region else "") + "%"
    with connection.cursor() as cursor:
        bulk.commit_without_waiting()  # a crash loses the import whole; the bureau uploads again
        if stage.postgres:
            cursor.execute(f"ANALYZE {stage.table}")  # temporary tables are never analysed automatically
            cursor.execute(f"ANALYZE {stage.dups}")
        big = stage.postgres and stage.rows >= BULK_ROWS and stage.rows * 4 >= bulk.estimated_rows(Enterprise)
        try:
            with transaction.atomic():
                created, written = _write(cursor, stage, prefix, source, big)
                if written != stage.rows:
                    raise IntegrityError(f"{stage.rows} rows staged but {written} figures written")
        except IntegrityError:
            problems = _conflicts(cursor, stage, prefix)
            if not problems:
                raise
            raise Rejected(problems) from None
    return created, written


def _write(cursor, stage, prefix, source, big):
    enterprise, figures = Enterprise._meta.db_table, ExportRecord._meta.db_table
    with bulk.indexes_set_aside(Enterprise, ExportRecord) if big else nullcontext():
        cursor.execute(
            f"INSERT INTO {enterprise} (uscc, org_code, name, name_en, region_id, address, legal_representative,"
            f" customs_code, created_at) SELECT uscc, substr(uscc, 9, 9), name, '', county, '', '', '', %s"
            f" FROM {stage.table} s WHERE NOT EXISTS (SELECT 1 FROM {enterprise} e WHERE e.uscc = s.uscc)"
            # an enterprise with several years in the file is named by its first row
            f" AND NOT EXISTS (SELECT 1 FROM {stage.dups} d WHERE d.line = s.line AND d.line > d.first_line)",
            [connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        created = cursor.rowcount
        # A re-import of a year replaces that year's figure of each enterprise in the file, no other.
        cursor.execute(
            f"DELETE FROM {figures} WHERE (enterprise_id, year) IN"
            f" (SELECT e.id, s.year FROM {stage.table} s JOIN {enterprise} e ON e.uscc = s.uscc)"
        )
        cursor.execute(
            f"INSERT INTO {figures} (enterprise_id, year, export_usd, source)"
            f" SELECT e.id, s.year, s.export_usd, %s FROM {stage.table} s JOIN {enterprise} e ON e.uscc = s.uscc"
            f" WHERE e.region_id LIKE %s",
            [source, prefix],
        )
        return created, cursor.rowcount


def _conflicts(cursor, stage, prefix):
    """Rows the row checks cannot judge alone, as (line, field, value, message), looked for once a write
    failed: an organisation code (characters 9–17) held by another enterprise, or by another code earlier
    in the file, and an enterprise registered outside the uploader's region."""
    enterprise = Enterprise._meta.db_table
    cursor.execute(
        f"SELECT s.line, s.uscc, e.uscc, e.name, NULL, CAST(NULL AS integer) FROM {stage.table} s"
        f" JOIN {enterprise} e ON e.org_code = substr(s.uscc, 9, 9) WHERE e.uscc <> s.uscc"
        f" UNION ALL SELECT s.line, s.uscc, NULL, NULL, e.region_id, NULL FROM {stage.table} s"
        f" JOIN {enterprise} e ON e.uscc = s.uscc WHERE e.region_id NOT LIKE %s"
        f" UNION ALL SELECT s.line, s.uscc, NULL, NULL, NULL, f.line FROM {stage.table} s JOIN"
        f" (SELECT substr(uscc, 9, 9) AS org, min(line) AS first_line FROM {stage.table}"
        f" GROUP BY substr(uscc, 9, 9) HAVING min(uscc) <> max(uscc)) g ON g.org = substr(s.uscc, 9, 9)"
        f" JOIN {stage.table} f ON f.line = g.first_line WHERE s.uscc <> f.uscc"
        f" ORDER BY 1 LIMIT 10000",
        [prefix],
    )
    rows = cursor.fetchall()
    names = dict(Region.objects.values_list("code", "name")) if rows else {}
    problems = []
    for line, uscc, other_uscc, other_name, other_region, first_line in rows:
        if other_uscc:
            message = _("组织机构代码（第9至17位）与已有企业“%(name)s”（%(uscc)s）相同。") % {
                "name": other_name, "uscc": other_uscc}
        elif first_line:
            message = _("组织机构代码（第9至17位）与第 %(n)d 行的企业相同。") % {"n": first_line}
        else:
            message = _("该企业已登记在%(region)s，不在本单位管辖区域内。") % {
                "region": names.get(other_region, other_region)}
        problems.append((line, "uscc", uscc, message))
    return problems


# --- the job ------------------------------------------------------------------------------------------

def _shown(value):
    """A bad value as the report and the page show it: cut short, with control, bidirectional and other
    invisible characters written out ([U+202E]), so a reader sees what the file holds."""
    value = str(value)
    if len(value) > SHOWN:
        value = value[:SHOWN] + "…"
    if value.isprintable():
        return value
    return "".join(f"[U+{ord(c):04X}]" if c not in "\t\n\r" and unicodedata.category(c) in ("Cc", "Cf", "Cs")
                   else c for c in value)


def report_file(job):
    return import_dir() / f"job-{job.pk}-errors.csv"


class ErrorReport:
    """The bad rows, streamed to a CSV file on disk: the first SW_IMPORT_REPORT_ROWS listed and the rest
    counted (a small file can hold millions of bad rows); the first few also kept for the page."""

    def __init__(self, job):
        self.path = report_file(job)
        self.file = open(self.path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 (closed by close())
        self.writer = CsvWriter(self.file)
        self.writer.writerow([_("行号"), _("字段"), _("内容"), _("问题")])
        self.count = 0
        self.limit = settings.SW_IMPORT_REPORT_ROWS
        self.preview = []

    def add(self, line, field, value, message):
        self.count += 1
        if self.count > self.limit:
            return
        row = [line, str(LABELS.get(field, field)), _shown(value), message]
        self.writer.writerow(row)
        if len(self.preview) < PREVIEW:
            self.preview.append(row)

    @property
    def full(self):
        return self.count >= self.limit

    def more(self, n):
        """n further problems, counted but not listed."""
        self.count += n

    def close(self):
        if self.count > self.limit:
            self.writer.writerow(["", "", "", _("另有 %(n)s 处问题未列出：错误报告只列出前 %(limit)s 处。")
                                  % {"n": f"{self.count - self.limit:,}", "limit": f"{self.limit:,}"}])
        self.file.close()


def _progress(job, **fields):
    _progress_of(job.pk, **fields)


def _progress_of(job_id, **fields):
    # every write is also a sign of life: a job without one for SW_IMPORT_STALE has lost its worker
    ImportJob.objects.filter(pk=job_id).update(heartbeat=timezone.now(), **fields)


def run(job):
    """Import one uploaded file. Sets the job's final status; raises only for unexpected failures."""
    _progress(job, status=ImportJob.Status.RUNNING, phase=ImportJob.Phase.READ, started_at=timezone.now())
    report = ErrorReport(job)
    stage = Stage(job.pk)
    stage.create()
    try:
        rows_read, years = _read(job, stage, report)
        _progress(job, phase=ImportJob.Phase.DUPS, percent=80, rows_read=rows_read)
        if repeats := stage.find_duplicates():
            last = listed = 0
            while not report.full and (batch := stage.duplicates(last, 5000)):
                for line, uscc, year, first in batch:
                    report.add(line, "uscc", uscc, _("与第 %(n)d 行重复：同一企业同一年度（%(y)s）只能有一条记录。")
                               % {"n": first, "y": year})
                last, listed = batch[-1][0], listed + len(batch)
            report.more(repeats - listed)
        if report.count == 0 and rows_read == 0:
            report.add(1, "file", "", _("文件中没有数据行。"))
        created = written = 0
        if report.count == 0:
            _progress(job, phase=ImportJob.Phase.WRITE, percent=85)
            try:
                with transaction.atomic():
                    created, written = merge(
                        stage, region=job.region, source=f"海关出口数据导入 #{job.pk} {job.file_name}"[:100]
                    )
                    record(actor=job.uploaded_by, action="exports.import", obj=job, data={
                        "file": job.file_name, "rows": rows_read, "enterprises_created": created,
                        "records_written": written, "years": sorted(years),
                    })
            except Rejected as rejected:
                for line, field, value, message in rejected.problems:
                    report.add(line, field, value, message)
    finally:
        report.close()
        stage.drop()
    final = ImportJob.Status.DONE if report.count == 0 else ImportJob.Status.REJECTED
    _progress(
        job, status=final, percent=100, phase="", finished_at=timezone.now(), error_count=report.count,
        errors_preview=report.preview, report_path=str(report.path) if report.count else "",
        enterprises_created=created, records_written=written, years=sorted(years),
    )
    if report.count == 0:
        report.path.unlink(missing_ok=True)
        if written >= ANALYZE_ROWS:
            bulk.analyze(Enterprise, ExportRecord)
    log.info("import %s: %s rows, %s errors, %s enterprises created, %s records written",
             job.pk, rows_read, report.count, created, written)


def _read(job, stage, report):
    """Check every row: good ones to the stage, bad ones to the report. Returns (rows read, years). A file
    that cannot be read on (BadFile) is reported where it broke, and the reading ends there."""
    checker = RowChecker(job.region, timezone.localdate().year)
    years = set()
    count = good = 0
    try:
        rows = open_rows(job.path, job.file_name, report)
    except BadFile as bad:
        report.add(bad.line, "file", "", bad.message)
        return 0, years
    progress = Progress(job)
    try:
        iterator = iter(rows)
        try:
            columns = _columns(next(iterator, None), report)
        except BadFile as bad:
            report.add(bad.line, "file", "", bad.message)
            return 0, years
        if columns is None:
            return 0, years
        width = rows.width = max(columns) + 1
        pick = itemgetter(*columns)
        check = checker.check
        with stage.writer() as (add, flush):
            try:
                for line, values in enumerate(iterator, start=2):
                    if len(values) < width:
                        if not any(v.strip() for v in values):
                            continue  # a blank line, as spreadsheets leave at the end
                        values = values + [""] * (width - len(values))
                    picked = pick(values)
                    if not any(picked):
                        continue
                    count += 1
                    row, errors = check(picked)
                    if errors:
                        for field, value, message in errors:
                            report.add(line, field, value, message)
                    else:
                        add((line, *row))
                        good += 1
                        years.add(row[3])
                    if count % CHUNK == 0:
                        flush()
                        progress(rows_read=count, percent=int(rows.fraction() * 80), error_count=report.count)
            except BadFile as bad:
                report.add(bad.line, "file", "", bad.message)
    finally:
        rows.close()
        progress.close()
    stage.rows = good
    return count, years


class Progress:
    """Writes the job's progress where the page can see it while the import's connection is busy.

    On PostgreSQL the import's own connection is inside a COPY, so a second, autocommit connection
    writes; on SQLite the import's connection writes between chunks.
    """

    def __init__(self, job):
        self.job_id = job.pk
        self.side = None
        if connection.vendor == "postgresql":
            self.side = bulk.side_connection()

    def __call__(self, **fields):
        if self.side is None:
            _progress_of(self.job_id, **fields)
            return
        fields["heartbeat"] = timezone.now()  # as _progress does
        sets = ", ".join(f"{name} = %s" for name in fields)
        self.side.execute(f"UPDATE {ImportJob._meta.db_table} SET {sets} WHERE id = %s",
                          [*fields.values(), self.job_id])

    def close(self):
        if self.side is not None:
            self.side.close()


def _columns(header, report):
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


def submit(user, upload):
    """Keep the uploaded file on disk, make the job and queue it. Bureaus import for their own region."""
    region = user.region if user.role == Role.BUREAU else None
    job = ImportJob.objects.create(uploaded_by=user, region=region, file_name=upload.name[-200:], size=upload.size)
    suffix = ".xlsx" if upload.name.lower().endswith((".xlsx", ".xlsm")) else ".csv"
    path = import_dir() / f"job-{job.pk}{suffix}"
    with open(path, "wb") as out:
        out.writelines(upload.chunks())
    ImportJob.objects.filter(pk=job.pk).update(path=str(path))
    run_import.enqueue(job.pk)
    job.refresh_from_db()
    return job


def mark_stale_imports():
    """Fail the jobs a dead worker left queued or running (ImportJob.is_stale). Returns how many.

    Nothing of theirs was written (the merge is one transaction), so the message asks for a new upload.
    """
    marked = 0
    for job in ImportJob.objects.stale():
        with transaction.atomic():
            # stale() again: the job may have moved on since the list was read
            if not ImportJob.objects.stale().filter(pk=job.pk).update(
                    status=ImportJob.Status.FAILED, finished_at=timezone.now(), message=ImportJob.STALE_MESSAGE):
                continue
            last = job.heartbeat or job.started_at
            record(actor=None, action="exports.import_stale", obj=job, from_status=job.status,
                   to_status=ImportJob.Status.FAILED, data={
                       "file": job.file_name, "phase": job.phase, "rows_read": job.rows_read,
                       "last_heartbeat": last.isoformat() if last else None})
        discard_upload(job)
        marked += 1
        log.warning("import %s: no sign of life since %s, marked failed", job.pk, last or job.created_at)
    return marked


def delete_expired_reports():
    """Delete the error reports of jobs that ended more than SW_IMPORT_REPORT_DAYS ago, and any report file
    that old which no job offers (one a failed job left). Returns how many jobs lost their report."""
    cutoff = timezone.now() - timedelta(days=settings.SW_IMPORT_REPORT_DAYS)
    expired = ImportJob.objects.filter(finished_at__lt=cutoff).exclude(report_path="")
    deleted = 0
    for pk, path in expired.values_list("pk", "report_path"):
        Path(path).unlink(missing_ok=True)
        deleted += ImportJob.objects.filter(pk=pk).update(report_path="")
    for path in import_dir().glob("job-*-errors.csv"):
        try:
            if path.stat().st_mtime < cutoff.timestamp():
                path.unlink()
        except FileNotFoundError:
            pass
    if deleted:
        log.info("%s import error report(s) older than %s days deleted", deleted, settings.SW_IMPORT_REPORT_DAYS)
    return deleted


def discard_upload(job):
    """The uploaded file goes once its job has ended: customs figures are not kept twice, and the
    database (or the error report) holds what the bureau needs."""
    if job.path:
        Path(job.path).unlink(missing_ok=True)


@task()
def run_import(job_id):
    mark_stale_imports()  # a restarted worker first settles what its predecessor left behind
    delete_expired_reports()
    job = ImportJob.objects.select_related("region").get(pk=job_id)
    if job.status != ImportJob.Status.QUEUED:  # queued so long it was just failed as stale: the page said so
        log.warning("import %s is %s, not run", job_id, job.status)
        return
    try:
        run(job)
    except Exception as error:  # the job must not stay "处理中" forever: say it failed, then re-raise
        log.exception("import %s failed", job_id)
        _progress(job, status=ImportJob.Status.FAILED, finished_at=timezone.now(),
                  message=f"{type(error).__name__}: {error}"[:1000])
        report_file(job).unlink(missing_ok=True)  # half a report, which the failed job does not offer
        raise
    finally:
        discard_upload(job)
