"""Claim documents: only a PDF, JPEG, PNG or XLSX that is nothing else is kept, under a random name, whole or
not at all; every refusal names the file and leaves SW_DOCUMENT_DIR as it was."""
import errno
import hashlib
import io
import os
import stat
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from singlewindow.claims import uploads

# --- sample files, built by hand ----------------------------------------------------------------------


def pdf_bytes(extra_object=b"", tail=b""):
    """A minimal valid PDF: catalog, pages, one page; its xref offsets right."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    if extra_object:
        objects.append(extra_object)
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue() + tail


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(tail=b""):
    """A 1x1 grey PNG."""
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(b"\x00\x80")) + png_chunk(b"IEND", b"") + tail)


def jpeg_bytes(tail=b""):
    """SOI, a JFIF APP0, an EXIF-like APP1 holding a thumbnail's own SOI..EOI, a SOS, scan data, EOI."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    thumbnail = b"Exif\x00\x00" + b"\xff\xd8\xff\xd9"  # an earlier EOI: not the end of the file
    sos = b"\x01\x01\x00\x00\x3f\x00"
    return (b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
            + b"\xff\xe1" + struct.pack(">H", len(thumbnail) + 2) + thumbnail
            + b"\xff\xda" + struct.pack(">H", len(sos) + 2) + sos + b"\x12\x34\x56\xff\x00\x78" + b"\xff\xd9" + tail)


def xlsx_bytes():
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["发票号", "金额"])
    book.active.append(["INV-1", 1200])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezipped(data, add=(), content_types=None):
    """The workbook `data` with parts added (name, bytes) and [Content_Types].xml rewritten."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "[Content_Types].xml" and content_types:
                part = content_types(part)
            target.writestr(info.filename, part)
        for name, part in add:
            target.writestr(name, part)
    return out.getvalue()


def zip_bytes(files=(("a.txt", b"hello"),)):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in files:
            archive.writestr(name, part)
    return out.getvalue()


class RawUpload(SimpleUploadedFile):
    """An upload whose name reaches uploads as the client sent it (UploadedFile's own setter takes the
    basename and refuses some): what a caller other than Django's form parser might hand over."""

    def _set_name(self, name):
        self._name = name

    name = property(UploadedFile._get_name, _set_name)


def upload(data, name="材料.pdf"):
    return RawUpload(name, data, content_type="application/pdf")  # the browser's type, which is never read


@pytest.fixture
def docs(settings, tmp_path):
    settings.SW_DOCUMENT_DIR = tmp_path / "documents"
    return settings.SW_DOCUMENT_DIR


def files_in(directory):
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def refused(data, name="材料.pdf"):
    with pytest.raises(ValidationError) as caught:
        uploads.store(upload(data, name))
    [message] = caught.value.message_dict["file"]
    return message


# --- accepted -----------------------------------------------------------------------------------------

SAMPLES = {
    "pdf": (pdf_bytes, "合同.pdf"),
    "jpeg": (jpeg_bytes, "提单.jpeg"),
    "png": (png_bytes, "scan.png"),
    "xlsx": (xlsx_bytes, "发票清单.xlsx"),
}


@pytest.mark.parametrize("kind", SAMPLES)
def test_each_accepted_kind_is_stored_whole_under_a_random_name(docs, kind):
    make, name = SAMPLES[kind]
    data = make()
    checked = uploads.check(upload(data, name))
    content_type, extension = uploads.ACCEPTED[kind]
    assert checked == uploads.Checked(name, content_type, extension, len(data))

    first, second = uploads.store(upload(data, name)), uploads.store(upload(data, name))
    assert first.stored_name != second.stored_name
    assert first.stored_name.endswith(extension) and name not in first.stored_name
    assert (first.display_name, first.content_type, first.size) == (name, content_type, len(data))
    assert first.sha256 == hashlib.sha256(data).hexdigest()
    path = uploads.path_of(first.stored_name)
    assert path.parent == docs and path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(docs.stat().st_mode) == 0o700
    with uploads.open_stored(first.stored_name) as handle:
        assert handle.read() == data
    assert files_in(docs) == sorted([first.stored_name, second.stored_name])  # no temporary file left
    uploads.discard(first.stored_name)
    uploads.discard(first.stored_name)  # quietly, a second time
    assert files_in(docs) == [second.stored_name]


def test_the_kind_is_the_contents_not_the_name_nor_the_browsers_type(docs):
    stored = uploads.store(upload(png_bytes(), "看起来像.pdf"))
    assert (stored.content_type, stored.stored_name[-4:]) == ("image/png", ".png")


def flate_stream(content, dictionary=b""):
    packed = zlib.compress(content)
    return b"<< %s/Filter /FlateDecode /Length %d >>\nstream\n" % (dictionary, len(packed)) + packed + b"\nendstream"


def test_a_pdf_with_compressed_content_and_an_image_is_accepted(docs):
    content = flate_stream(b"1 0 0 1 72 720 cm BT /F1 12 Tf (Invoice 2026) Tj ET")  # inflated and scanned
    image = b"<< /Subtype /Image /Filter /DCTDecode /Length 8 >>\nstream\n\x01\x02\x03\x04\x05\x06\x07\x08\nendstream"
    assert uploads.check(upload(pdf_bytes(extra_object=content + b"\nendobj\n9 0 obj\n" + image))).size


def test_check_leaves_the_upload_at_its_start(docs):
    handle = upload(pdf_bytes())
    uploads.check(handle)
    assert handle.tell() == 0 and files_in(docs) == []


@pytest.mark.parametrize(("raw", "shown"), [
    ("C:\\fakepath\\发票.pdf", "发票.pdf"),
    ("dir/sub/发票.pdf", "发票.pdf"),
    ("发\u202efdp.exe\x07票.pdf", "发fdp.exe票.pdf"),  # a bidi override and a control character, dropped
    ("长" * 300 + ".pdf", "长" * 196 + ".pdf"),
])
def test_the_display_name_is_cleaned(docs, raw, shown):
    assert uploads.store(upload(pdf_bytes(), raw)).display_name == shown


# --- refused ------------------------------------------------------------------------------------------

ELF = b"\x7fELF\x02\x01\x01" + bytes(64)


@pytest.mark.parametrize(("data", "name", "expected"), [
    (b"MZ\x90\x00" + bytes(200), "发票.pdf", "“发票.pdf”是可执行程序或脚本，不是文档，已拒绝。"),
    (ELF, "发票.pdf", "“发票.pdf”是可执行程序或脚本，不是文档，已拒绝。"),
    (b"\xcf\xfa\xed\xfe" + bytes(60), "发票.pdf", "“发票.pdf”是可执行程序或脚本，不是文档，已拒绝。"),
    (b"#!/bin/sh\nrm -rf /\n", "发票.pdf", "“发票.pdf”是可执行程序或脚本，不是文档，已拒绝。"),
    (b"%PDX-1.4\n" + pdf_bytes()[9:], "发票.pdf",
     "“发票.pdf”的扩展名是 .pdf，内容却不是 PDF 文件（文件头不符），已拒绝。请上传 PDF、JPEG、PNG 或 XLSX 文件。"),
    (b"just some text", "说明.txt", "“说明.txt”不是 PDF、JPEG、PNG 或 XLSX 文件（按文件内容判断），已拒绝。"),
    (b"", "发票.pdf", "“发票.pdf”是空文件（0 字节），请重新选择文件。"),
])
def test_what_is_not_a_document_is_refused(docs, data, name, expected):
    assert refused(data, name) == expected
    assert files_in(docs) == []


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd.pdf", "文件名“../../etc/passwd.pdf”含有上级目录（..），已拒绝。请重命名后再上传。"),
    ("..\\..\\windows\\win.ini.pdf", "文件名“..\\..\\windows\\win.ini.pdf”含有上级目录（..），已拒绝。请重命名后再上传。"),
    ("发票.pdf\x00.exe", "文件名“发票.pdf.exe”含有空字符（NUL），已拒绝。请重命名后再上传。"),
    ("", "文件名为空或无效，请重命名后再上传。"),
    ("dir/", "文件名为空或无效，请重命名后再上传。"),
    ("\x01\x02", "文件名为空或无效，请重命名后再上传。"),
])
def test_dangerous_names_are_refused(docs, name, expected):
    assert refused(pdf_bytes(), name) == expected
    assert files_in(docs) == []


def test_a_file_over_the_limit_is_refused_before_it_is_read(docs):
    class Declared(SimpleUploadedFile):
        def chunks(self, chunk_size=None):
            raise AssertionError("read")

    big = Declared("扫描件.pdf", b"%PDF-1.4\n")
    big.size = (20 << 20) + 1
    with pytest.raises(ValidationError) as caught:
        uploads.store(big)
    assert caught.value.message_dict["file"] == ["“扫描件.pdf”超过 20 MB，无法上传。请压缩或拆分后再上传。"]
    assert files_in(docs) == []


def test_a_file_over_the_limit_is_counted_while_read_whatever_its_declared_size(docs, tmp_path):
    sparse = tmp_path / "big.pdf"
    with open(sparse, "wb") as handle:  # 20 MB + 1 byte, cheaply: a sparse file
        handle.write(b"%PDF-1.4\n")
        handle.truncate((20 << 20) + 1)
    with open(sparse, "rb") as handle:
        lying = UploadedFile(handle, name="扫描件.pdf", content_type="application/pdf", size=1000)
        with pytest.raises(ValidationError) as caught:
            uploads.store(lying)
    assert caught.value.message_dict["file"] == ["“扫描件.pdf”超过 20 MB，无法上传。请压缩或拆分后再上传。"]
    assert files_in(docs) == []


def test_the_limit_is_the_setting(docs, settings):
    settings.SW_DOCUMENT_MAX_MB = 1
    assert refused(pdf_bytes(extra_object=b"(" + b"x" * (1 << 20) + b")")) == (
        "“材料.pdf”超过 1 MB，无法上传。请压缩或拆分后再上传。")


APPENDED = "“%s”在文件结束标记之后还附加了其他数据，可能是伪装的文件，已拒绝。请用原软件重新另存后上传。"
ZIPPED = "“%s”中夹带了压缩包（ZIP）数据，可能是伪装的文件，已拒绝。"
MARKUP = "“%s”中夹带了网页或脚本代码（HTML/JavaScript），可能是伪装的文件，已拒绝。"
ACTIVE = "“%s”含有%s，出于安全考虑不予接受。请用“打印为 PDF”另存一份后上传。"
BROKEN = "“%s”不是完整有效的 %s 文件（已损坏或上传不完整），请检查后重新上传。"


def pdf_carrying_zip():
    """A PDF+ZIP polyglot: the archive in a stream, its end record's comment covering the PDF's end."""
    archive = zip_bytes([("evil.exe", b"MZ" + bytes(100))])
    return pdf_bytes(extra_object=b"<< /Length %d >>\nstream\n" % len(archive) + archive + b"\nendstream")


def pdf_with_object_stream(objects):
    """A PDF whose fourth object is an object stream (Flate) holding `objects`."""
    packed = zlib.compress(b"5 0 " + objects)
    return pdf_bytes(extra_object=b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n"
                     % len(packed) + packed + b"\nendstream")


@pytest.mark.parametrize(("data", "name", "expected"), [
    (pdf_carrying_zip(), "合同.pdf", ZIPPED % "合同.pdf"),
    (pdf_bytes(tail=zip_bytes()), "合同.pdf", APPENDED % "合同.pdf"),
    (pdf_bytes(tail=b"<script>alert(1)</script>"), "合同.pdf", APPENDED % "合同.pdf"),
    (pdf_bytes()[:-7], "合同.pdf", BROKEN % ("合同.pdf", "PDF")),
    (pdf_bytes(extra_object=b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>"), "合同.pdf",
     ACTIVE % ("合同.pdf", "JavaScript 脚本")),
    (pdf_bytes(extra_object=b"<< /S /J#61va#53cript /JS (x) >>"), "合同.pdf", ACTIVE % ("合同.pdf", "JavaScript 脚本")),
    (pdf_bytes(extra_object=b"<< /S /Launch /F (cmd.exe) >>"), "合同.pdf",
     ACTIVE % ("合同.pdf", "启动外部程序的动作（/Launch）")),
    (pdf_bytes(extra_object=b"<< /Type /EmbeddedFile /Length 0 >>\nstream\n\nendstream"), "合同.pdf",
     ACTIVE % ("合同.pdf", "嵌入的文件（/EmbeddedFile）")),
    (pdf_with_object_stream(b"<< /S /JavaScript /JS (app.alert(1)) >>"), "合同.pdf",
     ACTIVE % ("合同.pdf", "JavaScript 脚本")),
    # an object stream whose /Type the scan cannot see (hidden in a string before a fake "stream"): it
    # inflates and begins like one, so it is read as one
    (pdf_bytes(extra_object=b"<< /X (>> stream\n) " + flate_stream(b"5 0 << /S /JavaScript /JS (x) >>")[3:]),
     "合同.pdf", ACTIVE % ("合同.pdf", "JavaScript 脚本")),
    (pdf_bytes(extra_object=b"<< /Type /ObjStm /N 1 /First 4 /Filter /LZWDecode /Length 4 >>\nstream\nabcd\nendstream"),
     "合同.pdf", "“合同.pdf”含有无法检查的压缩内容（可能已加密），出于安全考虑不予接受。请另存为未加密的 PDF 后上传。"),
    (pdf_bytes(extra_object=b"<< /Title (<html><body>hi</body></html>) >>"), "合同.pdf", MARKUP % "合同.pdf"),
    (jpeg_bytes(tail=zip_bytes()), "提单.jpg", APPENDED % "提单.jpg"),
    (jpeg_bytes(tail=zip_bytes() + b"\xff\xd9"), "提单.jpg", ZIPPED % "提单.jpg"),
    # cut short: the thumbnail's EOI, before the scan, is not the image's end, and nothing was appended
    (jpeg_bytes()[:-2], "提单.jpg", BROKEN % ("提单.jpg", "JPEG")),
    (b"\xff\xd8\xff\xe0\x00\x02", "提单.jpg", BROKEN % ("提单.jpg", "JPEG")),
    (jpeg_bytes().replace(b"Exif\x00\x00", b"<html>"), "提单.jpg", MARKUP % "提单.jpg"),
    (png_bytes(tail=b"trailing"), "scan.png", APPENDED % "scan.png"),
    (png_bytes(tail=zip_bytes()), "scan.png", APPENDED % "scan.png"),
    (png_bytes()[:-4] + b"\x00\x00\x00\x00", "scan.png", BROKEN % ("scan.png", "PNG")),  # IEND's CRC wrong
    (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IDAT", b"x") + png_chunk(b"IEND", b""), "scan.png",
     BROKEN % ("scan.png", "PNG")),  # IHDR not first
    (b"\x89PNG\r\n\x1a\n" + png_bytes()[8:33] + struct.pack(">I", 1 << 30) + b"IDAT", "scan.png",
     BROKEN % ("scan.png", "PNG")),  # a length beyond the file
    (png_bytes()[:33] + png_chunk(b"tEXt", b"Comment\x00<script>alert(1)</script>") + png_bytes()[33:], "scan.png",
     MARKUP % "scan.png"),
])
def test_polyglots_and_broken_files_are_refused(docs, data, name, expected):
    assert refused(data, name) == expected
    assert files_in(docs) == []


MACROS = "“发票清单.xlsx”含有宏（VBA 或 Excel 4.0 宏），出于安全考虑不予接受。请另存为不含宏的 .xlsx 工作簿后上传。"
ACCEPTED = " 可上传 PDF、JPEG、PNG 或 XLSX 文件，每个不超过 20 MB。"


def encrypted(data):
    """The workbook `data` with every part marked encrypted (the flag a password-protected zip sets)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
    raw = bytearray(out.getvalue())
    for signature, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # the general-purpose flags
        start = raw.find(signature)
        while start >= 0:
            raw[start + at] |= 0x1
            start = raw.find(signature, start + 4)
    return bytes(raw)


@pytest.mark.parametrize(("data", "expected"), [
    (rezipped(xlsx_bytes(), add=[("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + bytes(100))]), MACROS),
    (rezipped(xlsx_bytes(), content_types=lambda part: part.replace(
        b"spreadsheetml.sheet.main+xml", b"..application/vnd.ms-excel.sheet.macroEnabled.main+xml")), MACROS),
    (rezipped(xlsx_bytes(), add=[("xl/media/zeros.bin", bytes(8 << 20))]),
     "“发票清单.xlsx”中的“xl/media/zeros.bin”压缩比异常（超过 100 倍），可能是恶意构造的“压缩炸弹”，已拒绝。" + ACCEPTED),
    (zip_bytes(), "“发票清单.xlsx”是 ZIP 压缩包，不是 Excel 工作簿（XLSX），已拒绝。" + ACCEPTED),
    (xlsx_bytes()[:-30], "“发票清单.xlsx”不是完整有效的 XLSX 文件（已损坏或上传不完整），已拒绝。" + ACCEPTED),
    (encrypted(xlsx_bytes()), "“发票清单.xlsx”设有密码（已加密），无法检查其内容，已拒绝。请取消密码后另存再上传。" + ACCEPTED),
    (rezipped(xlsx_bytes(), add=[(f"xl/media/{n}.bin", b"x") for n in range(1000)]),
     "“发票清单.xlsx”包含的部件过多（上限 1000 个），不是正常的 Excel 工作簿，已拒绝。" + ACCEPTED),
])
def test_workbooks_with_macros_bombs_and_plain_zips_are_refused(docs, data, expected):
    assert refused(data, "发票清单.xlsx") == expected
    assert files_in(docs) == []


def test_a_workbook_too_big_unpacked_is_refused_in_a_documents_words(docs, settings):
    settings.SW_IMPORT_XLSX_MAX_UNPACKED_MB = 1
    data = rezipped(xlsx_bytes(), add=[("xl/media/photo.bin", os.urandom(1 << 20))])
    assert refused(data, "发票清单.xlsx") == "“发票清单.xlsx”解压后超过 1 MB，可能是恶意构造的文件，已拒绝。" + ACCEPTED


@pytest.mark.parametrize("data", [zip_bytes(), b"PK\x03\x04" + bytes(40), "encrypted", "too big"])
def test_a_refused_workbook_says_what_a_document_may_be_and_never_offers_csv(docs, settings, data):
    settings.SW_IMPORT_XLSX_MAX_UNPACKED_MB = 1
    if data == "encrypted":
        data = encrypted(xlsx_bytes())
    elif data == "too big":
        data = rezipped(xlsx_bytes(), add=[("xl/media/photo.bin", os.urandom(1 << 20))])
    message = refused(data, "发票清单.xlsx")
    assert "CSV" not in message and "导入" not in message and "数据表" not in message
    assert message.endswith("可上传 PDF、JPEG、PNG 或 XLSX 文件，每个不超过 20 MB。")


def test_the_customs_imports_own_words_are_unchanged():
    from singlewindow.enterprises.import_files import xlsx_problem

    assert xlsx_problem(io.BytesIO(zip_bytes())) == (
        "文件是 ZIP 压缩包，但不是 Excel 工作簿（缺少 [Content_Types].xml 或 xl/workbook.xml）。请上传 .xlsx 或 CSV 文件。")
    assert xlsx_problem(io.BytesIO(b"not a zip")) == (
        "文件不是有效的 XLSX 工作簿（不是 ZIP 格式，或文件不完整）。请在 Excel 中打开后另存为 .xlsx，或另存为 CSV 后上传。")


def test_a_full_disk_leaves_nothing(docs, monkeypatch, caplog):
    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(uploads.os, "write", full)
    assert refused(pdf_bytes()) == "文件保存失败，请稍后重试。"
    assert files_in(docs) == []
    assert "could not be saved" in caplog.text


def test_a_failed_rename_leaves_nothing(docs, monkeypatch):
    def broken(source, target):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(uploads.os, "replace", broken)
    assert refused(pdf_bytes()) == "文件保存失败，请稍后重试。"
    assert files_in(docs) == []


# --- names of ours only --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "../x", "../" + "a" * 32 + ".pdf", "a" * 32 + ".pdf/../../x", "A" * 32 + ".pdf", "a" * 31 + ".pdf",
    "a" * 32 + ".exe", "a" * 32 + ".pdf\n", "", None, 42, "/etc/passwd", ".%s.part" % ("a" * 32),
])
def test_path_of_refuses_names_not_of_ours(docs, name):
    with pytest.raises(FileNotFoundError):
        uploads.path_of(name)
    with pytest.raises(FileNotFoundError):
        uploads.open_stored(name)
    uploads.discard(name)  # quietly


def test_path_of_a_name_of_ours(docs):
    assert uploads.path_of("0123456789abcdef" * 2 + ".xlsx") == docs / ("0123456789abcdef" * 2 + ".xlsx")


# --- anything at all ------------------------------------------------------------------------------------

PREFIXES = [b"", b"%PDF-1.4\n", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"PK\x03\x04", b"MZ"]
contents = st.one_of(
    st.binary(max_size=2048),
    st.tuples(st.sampled_from(PREFIXES), st.binary(max_size=2048)).map(b"".join),
    # a valid file cut or spliced: the deeper checks get to run
    st.tuples(st.sampled_from([pdf_bytes(), png_bytes(), jpeg_bytes()]), st.integers(0, 600),
              st.binary(max_size=64)).map(lambda t: t[0][:t[1]] + t[2] + t[0][t[1]:]),
)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=contents, name=st.text(max_size=300))
def test_anything_is_stored_or_refused_and_nothing_else(docs, data, name):
    before = set(files_in(docs))
    try:
        stored = uploads.store(upload(data, name))
    except ValidationError as error:
        assert list(error.message_dict) == ["file"]
        assert set(files_in(docs)) == before
    else:
        assert set(files_in(docs)) == before | {stored.stored_name}
        assert uploads.path_of(stored.stored_name).read_bytes() == data
        assert len(stored.display_name) <= 200 and "\x00" not in stored.display_name
        uploads.discard(stored.stored_name)
