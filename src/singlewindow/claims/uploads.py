"""Claim documents (索赔材料): is an upload a PDF, JPEG, PNG or XLSX and nothing else, and keeping it.

The kind is read from the content, never from the name or the browser's content type; a file is refused
when it is also something else (a polyglot: a ZIP archive, HTML or script inside, data after its end) or
carries active content (PDF JavaScript, launch actions, embedded files; workbook macros). An accepted file
is written under SW_DOCUMENT_DIR, outside the web root, under a random name of ours: the enterprise's name
is kept for display only. The checked bytes are the ones written (held in memory, at most
SW_DOCUMENT_MAX_MB), so nothing can change between the check and the copy.

The caller saves the ClaimDocument row after store(); when its transaction fails it calls discard().
"""
import errno
import hashlib
import io
import logging
import os
import re
import secrets
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from singlewindow.atomicfiles import sync_directory
from singlewindow.enterprises.import_files import xlsx_problem

log = logging.getLogger(__name__)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACCEPTED = MappingProxyType({
    "pdf": ("application/pdf", ".pdf"),
    "jpeg": ("image/jpeg", ".jpg"),
    "png": ("image/png", ".png"),
    "xlsx": (XLSX_TYPE, ".xlsx"),
})
_LABELS = {"pdf": "PDF", "jpeg": "JPEG", "png": "PNG", "xlsx": "XLSX"}
_NAMED = {".pdf": "pdf", ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".xlsx": "xlsx"}

DISPLAY_NAME_MAX = 200  # ClaimDocument.original_name
_STORED_NAME = re.compile(r"\A[0-9a-f]{32}\.(?:pdf|jpg|png|xlsx)\Z")  # secrets.token_hex(16) + our extension
_WRITE_BLOCK = 1 << 20


@dataclass(frozen=True)
class Checked:
    display_name: str
    content_type: str
    extension: str
    size: int


@dataclass(frozen=True)
class Stored:
    stored_name: str
    display_name: str
    content_type: str
    size: int
    sha256: str


def _refuse(message):
    raise ValidationError({"file": message})


# --- the name: for display only ---------------------------------------------------------------------

def _shown(text, limit=DISPLAY_NAME_MAX):
    """`text` without control, format (bidi overrides, zero-width) or surrogate characters, at most `limit`
    characters, the extension kept: what a page or the database can hold and a reader is not misled by."""
    text = "".join(ch for ch in text if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Zl", "Zp"}).strip()
    if len(text) <= limit:
        return text
    stem, ext = os.path.splitext(text)
    ext = ext if len(ext) <= 16 else ""
    return stem[:limit - len(ext)] + ext


def display_name(raw):
    """The enterprise's file name, cleaned for display; a NUL, a '..' part or no name at all is refused. A
    directory part (an old browser's C:\\fakepath\\) is dropped."""
    raw = raw if isinstance(raw, str) else ""
    if "\x00" in raw:
        _refuse(_("文件名“%(name)s”含有空字符（NUL），已拒绝。请重命名后再上传。") % {"name": _shown(raw, 100)})
    parts = re.split(r"[/\\]", raw)
    if ".." in (part.strip() for part in parts):
        _refuse(_("文件名“%(name)s”含有上级目录（..），已拒绝。请重命名后再上传。") % {"name": _shown(raw, 100)})
    name = _shown(parts[-1])
    if name in {"", "."}:
        _refuse(_("文件名为空或无效，请重命名后再上传。"))
    return name


# --- reading, counted ---------------------------------------------------------------------------------

def _limit():
    return settings.SW_DOCUMENT_MAX_MB << 20


def _too_big(name):
    return _("“%(name)s”超过 %(n)s MB，无法上传。请压缩或拆分后再上传。") % {"name": name, "n": settings.SW_DOCUMENT_MAX_MB}


def _read(upload, name):
    """The upload's bytes, counted as they come: its declared size may be wrong."""
    limit = _limit()
    if (upload.size or 0) > limit:
        _refuse(_too_big(name))  # before reading any of it
    data, total = bytearray(), 0
    try:
        for chunk in upload.chunks():
            total += len(chunk)
            if total > limit:
                _refuse(_too_big(name))
            data += chunk
    finally:
        try:
            upload.seek(0)
        except (AttributeError, OSError, ValueError):
            pass
    if not total:
        _refuse(_("“%(name)s”是空文件（0 字节），请重新选择文件。") % {"name": name})
    return bytes(data)


# --- what the content is ------------------------------------------------------------------------------

_EXECUTABLES = (
    b"MZ",  # Windows PE
    b"\x7fELF",
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Mach-O universal (and Java class)
    b"#!",  # a script
)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _kind(data):
    if data.startswith((b"%PDF-1.", b"%PDF-2.")):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(_PNG_SIGNATURE):
        return "png"
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    return None


def _unknown(data, name):
    if data.startswith(_EXECUTABLES):
        return _("“%(name)s”是可执行程序或脚本，不是文档，已拒绝。") % {"name": name}
    claimed = _NAMED.get(os.path.splitext(name)[1].lower())
    if claimed:
        return _("“%(name)s”的扩展名是 %(ext)s，内容却不是 %(kind)s 文件（文件头不符），已拒绝。"
                 "请上传 PDF、JPEG、PNG 或 XLSX 文件。") % {
            "name": name, "ext": os.path.splitext(name)[1], "kind": _LABELS[claimed]}
    return _("“%(name)s”不是 PDF、JPEG、PNG 或 XLSX 文件（按文件内容判断），已拒绝。") % {"name": name}


def _broken(name, kind):
    return _("“%(name)s”不是完整有效的 %(kind)s 文件（已损坏或上传不完整），请检查后重新上传。") % {
        "name": name, "kind": _LABELS[kind]}


def _appended(name):
    return _("“%(name)s”在文件结束标记之后还附加了其他数据，可能是伪装的文件，已拒绝。请用原软件重新另存后上传。") % {
        "name": name}


def _png_problem(data, name):
    """Signature, IHDR first, every chunk whole (its length within the file, its CRC right) up to IEND, and
    nothing after IEND."""
    view, size, at, images = memoryview(data), len(data), 8, False
    if size < 8 + 25 or data[8:16] != b"\x00\x00\x00\x0dIHDR":
        return _broken(name, "png")
    while True:
        if at + 12 > size:
            return _broken(name, "png")
        length, kind = struct.unpack_from(">I4s", data, at)
        end = at + 12 + length
        if length > 0x7FFFFFFF or end > size or not kind.isalpha():
            return _broken(name, "png")
        if zlib.crc32(view[at + 4:end - 4]) != struct.unpack_from(">I", data, end - 4)[0]:
            return _broken(name, "png")
        images = images or kind == b"IDAT"
        if kind == b"IEND":
            if length or not images:
                return _broken(name, "png")
            return _appended(name) if end != size else None
        at = end


def _jpeg_problem(data, name):
    """The segments from SOI to the first SOS whole, and the last two bytes the end marker (EOI). An EOI
    earlier in the file may be an embedded thumbnail's: only what follows the last one is appended data."""
    size, at = len(data), 2
    while True:
        if at + 4 > size or data[at] != 0xFF:
            return _broken(name, "jpeg")
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # standalone markers
            at += 2
            continue
        if marker in (0x00, 0xD8, 0xD9):
            return _broken(name, "jpeg")
        length = int.from_bytes(data[at + 2:at + 4], "big")
        if length < 2 or at + 2 + length > size:
            return _broken(name, "jpeg")
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        at += 2 + length
    if data.endswith(b"\xff\xd9"):
        return None
    return _appended(name) if data.rfind(b"\xff\xd9", at) >= 0 else _broken(name, "jpeg")


# PDF whitespace, and names that act: JavaScript, starting a program, files carried inside.
_PDF_SPACE = b"\x00\t\n\x0c\r "
_PDF_ACTIVE = {
    b"JavaScript": gettext_noop("JavaScript 脚本"),
    b"Launch": gettext_noop("启动外部程序的动作（/Launch）"),
    b"EmbeddedFile": gettext_noop("嵌入的文件（/EmbeddedFile）"),
}
# A name written with #xx escapes (/J#61vaScript is /JavaScript): decoded before it is compared.
_PDF_ESCAPED_NAME = re.compile(rb"/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*#[^\x00\t\n\x0c\r ()<>\[\]{}/%]*")
_PDF_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb">>\s*stream(?:\r\n|\r|\n)")
_PDF_UNPACKED = 128 << 20  # object streams are small; more than this unpacked is a bomb
_OVERLAP = 64  # longer than any escaped active name
_OBJECTS_HEAD = re.compile(rb"\s*\d+\s+\d+\s")  # an object stream begins with object numbers and offsets


def _unescape_names(data):
    return _PDF_ESCAPED_NAME.sub(lambda m: _PDF_HEX.sub(lambda h: bytes([int(h[1], 16)]), m[0]), data)


def _pdf_active(data):
    """The label of the first active name in PDF syntax `data`, or None."""
    escaped = b"".join(m[0] for m in _PDF_ESCAPED_NAME.finditer(data))
    for text in (data, _unescape_names(escaped)):
        for word, label in _PDF_ACTIVE.items():
            if b"/" + word in text:
                return label
    return None


class _Uninspectable(Exception):
    pass


def _object_streams(data):
    """The unpacked content, in pieces, of each object stream (PDF 1.5), where dictionaries, actions among
    them, may be kept compressed. Without a parser the dictionary before a stream is only guessed at, so any
    stream that inflates and begins like an object stream is taken for one too. One declared an object
    stream that cannot be unpacked here (another filter, a predictor, encrypted), or too much unpacked in
    all (a bomb), cannot be checked: _Uninspectable."""
    view, budget, previous = memoryview(data), _PDF_UNPACKED, 0
    for match in _PDF_STREAM.finditer(data):
        dictionary = _unescape_names(data[max(previous, match.start() - 4096):match.start()])
        previous = match.end()
        declared = b"/ObjStm" in dictionary
        if declared and b"/Predictor" in dictionary:
            raise _Uninspectable
        end = data.find(b"endstream", match.end())
        body = view[match.end():end if end >= 0 else len(data)]
        unpack = zlib.decompressobj()
        try:
            piece = unpack.decompress(body, 1024)
        except zlib.error:
            if declared and b"/Filter" in dictionary:
                raise _Uninspectable from None
            continue  # not Flate: an image, a font, or an object stream stored as is (scanned with the file)
        if not (declared or _OBJECTS_HEAD.match(piece)):
            continue
        tail = b""
        try:
            while True:
                budget -= len(piece)
                if budget < 0:
                    raise _Uninspectable
                yield tail + piece
                tail = piece[-_OVERLAP:]
                if unpack.eof:
                    break
                piece = unpack.decompress(unpack.unconsumed_tail, 1 << 20)
                if not piece:  # the input ran out (a stream cut short): all it gave was scanned
                    break
        except zlib.error:
            raise _Uninspectable from None


def _pdf_problem(data, name):
    last = data.rfind(b"%%EOF")
    if last < 0:
        return _broken(name, "pdf")
    if data[last + 5:].strip(_PDF_SPACE) or len(data) - last > 1024:
        return _appended(name)
    found = _pdf_active(data)
    try:
        for unpacked in () if found else _object_streams(data):
            if found := _pdf_active(unpacked):
                break
    except _Uninspectable:
        return _("“%(name)s”含有无法检查的压缩内容（可能已加密），出于安全考虑不予接受。请另存为未加密的 PDF 后上传。") % {
            "name": name}
    if found:
        return _("“%(name)s”含有%(what)s，出于安全考虑不予接受。请用“打印为 PDF”另存一份后上传。") % {
            "name": name, "what": _(found)}
    return None


_MACROS = (b"macroenabled", b"vbaproject", b"macrosheet")


def accepted():
    """What a claim document may be: said with every refusal of a workbook (the import's words offer CSV)."""
    return _("可上传 PDF、JPEG、PNG 或 XLSX 文件，每个不超过 %(n)s MB。") % {"n": settings.SW_DOCUMENT_MAX_MB}


def _workbook_words(name):
    """The import's workbook checks (enterprises.import_files.xlsx_problem) in a claim document's words."""
    def say(text, **values):
        return " ".join((text % {"name": name, **values}, accepted()))

    return {
        "not_xlsx": lambda: say(_("“%(name)s”不是完整有效的 XLSX 文件（已损坏或上传不完整），已拒绝。")),
        "too_many": lambda n: say(_("“%(name)s”包含的部件过多（上限 %(n)s 个），不是正常的 Excel 工作簿，已拒绝。"), n=n),
        "not_workbook": lambda: say(_("“%(name)s”是 ZIP 压缩包，不是 Excel 工作簿（XLSX），已拒绝。")),
        "encrypted": lambda: say(_("“%(name)s”设有密码（已加密），无法检查其内容，已拒绝。请取消密码后另存再上传。")),
        "too_big": lambda n: say(_("“%(name)s”解压后超过 %(n)s MB，可能是恶意构造的文件，已拒绝。"), n=n),
        "ratio": lambda part, n: say(_("“%(name)s”中的“%(part)s”压缩比异常（超过 %(n)s 倍），可能是恶意构造的“压缩炸弹”，已拒绝。"),
                                     part=part, n=n),
    }


def _xlsx_problem(data, name):
    """The import's checks (a zip that is a workbook, not encrypted, bounded in parts, size and ratio) in a
    document's words, then no macros: no VBA project, no Excel 4.0 macro sheet, no macro-enabled content type."""
    problem = xlsx_problem(io.BytesIO(data), words=_workbook_words(name))
    if problem:
        return problem
    macros = _("“%(name)s”含有宏（VBA 或 Excel 4.0 宏），出于安全考虑不予接受。请另存为不含宏的 .xlsx 工作簿后上传。") % {
        "name": name}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [info.filename.lower() for info in archive.infolist()]
            if any(n.endswith("vbaproject.bin") or n.startswith("xl/macrosheets/") for n in names):
                return macros
            types = archive.getinfo("[Content_Types].xml")
            if types.file_size > 1 << 20:  # a few kilobytes in any workbook
                return _broken(name, "xlsx")
            with archive.open(types) as part:
                declared = part.read().lower()
    except (zipfile.BadZipFile, EOFError, KeyError, NotImplementedError, OSError, ValueError, struct.error,
            zlib.error):
        return _broken(name, "xlsx")
    return macros if any(word in declared for word in _MACROS) else None


# A ZIP inside a PDF or an image: its local file header, central directory header or end record, each with
# fields a real archive has (so that compressed image data that happens to hold "PK\3\4" is not taken for one).
_ZIP_METHODS = {0, 8, 9, 12, 14, 93, 95, 98, 99}


def _carries_zip(data):
    size = len(data)
    for signature, check in (
        (b"PK\x03\x04", lambda at: data[at + 5] == 0 and data[at + 4] <= 63
         and struct.unpack_from("<H", data, at + 8)[0] in _ZIP_METHODS
         and 0 < struct.unpack_from("<H", data, at + 26)[0] <= 4096),
        (b"PK\x01\x02", lambda at: data[at + 7] == 0 and data[at + 6] <= 63
         and struct.unpack_from("<H", data, at + 10)[0] in _ZIP_METHODS
         and 0 < struct.unpack_from("<H", data, at + 28)[0] <= 4096),
        (b"PK\x05\x06", lambda at: data[at + 4:at + 8] == b"\0\0\0\0" and data[at + 8:at + 10] == data[at + 10:at + 12]),
    ):
        at = data.find(signature)
        while at >= 0:
            if at + 30 <= size and check(at):
                return True
            at = data.find(signature, at + 1)
    return False


_MARKUP = (b"<script", b"<html", b"<iframe", b"<body", b"<?php", b"<!doctype html", b"javascript:")


def _carries_markup(data):
    lowered = data.lower()
    return any(word in lowered for word in _MARKUP)


def _problem(data, kind, name):
    if kind == "xlsx":
        return _xlsx_problem(data, name)
    problem = {"pdf": _pdf_problem, "jpeg": _jpeg_problem, "png": _png_problem}[kind](data, name)
    if problem:
        return problem
    if _carries_zip(data):
        return _("“%(name)s”中夹带了压缩包（ZIP）数据，可能是伪装的文件，已拒绝。") % {"name": name}
    if _carries_markup(data):
        return _("“%(name)s”中夹带了网页或脚本代码（HTML/JavaScript），可能是伪装的文件，已拒绝。") % {"name": name}
    return None


def _checked(upload):
    name = display_name(getattr(upload, "name", None))
    data = _read(upload, name)
    kind = _kind(data)
    problem = _unknown(data, name) if kind is None else _problem(data, kind, name)
    if problem:
        log.info("claim document %r refused: %s", name, problem)
        _refuse(problem)
    content_type, extension = ACCEPTED[kind]
    return Checked(name, content_type, extension, len(data)), data


def check(upload) -> Checked:
    """What the upload is, judged by its content; ValidationError({"file": ...}) naming it when refused."""
    return _checked(upload)[0]


# --- keeping it -----------------------------------------------------------------------------------------

def _directory():
    directory = Path(settings.SW_DOCUMENT_DIR)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _write_all(fd, data, digest):
    view = memoryview(data)
    for start in range(0, len(view), _WRITE_BLOCK):
        block = view[start:start + _WRITE_BLOCK]
        digest.update(block)
        while block:
            written = os.write(fd, block)
            if not written:
                raise OSError(errno.EIO, "write returned 0")
            block = block[written:]


def store(upload) -> Stored:
    """check(), then the file written atomically under a random name (a temporary file in the same directory,
    fsync, os.replace): a failure leaves nothing behind. The row is the caller's."""
    checked, data = _checked(upload)
    stored_name = secrets.token_hex(16) + checked.extension
    temporary = final = None
    try:
        directory = _directory()
        temporary = directory / f".{secrets.token_hex(16)}.part"  # never a name path_of() accepts
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            digest = hashlib.sha256()
            _write_all(fd, data, digest)
            os.fsync(fd)
        finally:
            os.close(fd)
        final = directory / stored_name
        os.replace(temporary, final)
        temporary = None
        sync_directory(directory)
    except OSError:
        log.exception("claim document %r could not be saved", checked.display_name)
        for path in (temporary, final):
            if path is not None:
                try:
                    path.unlink(missing_ok=True)
                except OSError:
                    log.exception("could not remove %s", path)
        _refuse(_("文件保存失败，请稍后重试。"))
    return Stored(stored_name, checked.display_name, checked.content_type, checked.size, digest.hexdigest())


def path_of(stored_name) -> Path:
    """The stored file's path; FileNotFoundError for any name that is not one store() makes."""
    if not isinstance(stored_name, str) or not _STORED_NAME.fullmatch(stored_name):
        raise FileNotFoundError(errno.ENOENT, "not a stored claim document name", str(stored_name)[:100])
    return Path(settings.SW_DOCUMENT_DIR) / stored_name


def discard(stored_name):
    """Remove a stored file (its row was not saved, or is gone); quietly, whatever the name."""
    try:
        path_of(stored_name).unlink(missing_ok=True)
    except OSError as error:
        log.warning("claim document %r not discarded: %s", str(stored_name)[:100], error)


def open_stored(stored_name):
    """The stored file, opened for reading in binary (for FileResponse, which closes it)."""
    return open(path_of(stored_name), "rb")
