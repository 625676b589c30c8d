"""Reading an uploaded export list: is it the file its name says, and its rows one by one.

A CSV is decoded strictly (UTF-8 or GB18030, sniffed), a block at a time, and a line in another encoding
is refused on its own row; an XLSX is inspected as a zip (parts, sizes, compression ratio, shared strings)
before openpyxl reads it row by row. A file that cannot be read on raises BadFile, with the line where it
broke. file_problem() is also the upload form's check. See docs/decisions/0006-import-pipeline.md.
"""
import codecs
import csv
import io
import logging
import os
import re
import struct
import zipfile
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

EXCEL_ROWS = 1_048_576  # no sheet Excel saves has more


# --- reading ------------------------------------------------------------------------------------------

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


# What xlsx_problem says of each problem it finds, in the import's words (which offer CSV instead); another use
# of the same checks (claim documents, claims/uploads.py) passes its own words for the same keys.
IMPORT_WORDS = {
    "not_xlsx": _not_xlsx,
    "too_many": lambda n: _("XLSX 文件包含的部件过多（上限 %(n)s 个），不是一份数据表。") % {"n": n},
    "not_workbook": lambda: _("文件是 ZIP 压缩包，但不是 Excel 工作簿（缺少 [Content_Types].xml 或 xl/workbook.xml）。"
                              "请上传 .xlsx 或 CSV 文件。"),
    "encrypted": lambda: _("XLSX 文件已加密，请取消密码后另存再上传。"),
    "too_big": lambda n: _("XLSX 文件解压后超过 %(n)s MB，超出导入上限。请按年度或地区拆分，或另存为 CSV 后上传。") % {
        "n": n},
    "ratio": lambda part, n: _("XLSX 文件中的“%(name)s”压缩比异常（超过 %(n)s 倍），可能是恶意构造的“压缩炸弹”，已拒绝。") % {
        "name": part, "n": n},
}


def xlsx_problem(handle, *, count_strings=False, words=IMPORT_WORDS):
    """Why a file is not an XLSX worth opening (not a zip, not a workbook, or a zip bomb); None if it may be.

    The sizes are those the zip declares: zipfile reads no entry past its declared size (and then fails its
    CRC), so they bound what openpyxl can unpack. Only the shared-string table is read, with count_strings.
    `words` says each problem (IMPORT_WORDS' keys and arguments).
    """
    end = _zip_end(handle)
    if end is None:
        return words["not_xlsx"]()
    entries, directory, zip64 = end
    most = settings.SW_IMPORT_XLSX_MAX_ENTRIES
    if zip64 or entries > most or directory > most * 1024:  # 46 bytes an entry, and its name
        return words["too_many"](most)
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, OSError, ValueError, struct.error):
        return words["not_xlsx"]()
    with archive:
        infos = archive.infolist()
        if len(infos) > most:
            return words["too_many"](most)
        if not {_CONTENT_TYPES, "xl/workbook.xml"} <= {info.filename for info in infos}:
            return words["not_workbook"]()
        limit, ratio, total = settings.SW_IMPORT_XLSX_MAX_UNPACKED_MB, settings.SW_IMPORT_XLSX_MAX_RATIO, 0
        for info in infos:
            if info.flag_bits & 0x1:
                return words["encrypted"]()
            total += info.file_size
            if total > limit << 20:
                return words["too_big"](limit)
            if info.file_size > _SMALL_PART and info.file_size > ratio * max(info.compress_size, 1):
                return words["ratio"](info.filename[:60], ratio)
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

