"""What an uploaded file must be: one encoding throughout, no NUL, an XLSX that is a workbook of sane size.
A file that cannot be read is refused with its reason (never 出错中断); the error report is capped and deleted
after SW_IMPORT_REPORT_DAYS."""
import csv
import io
import os
import tempfile
import time
import tracemalloc
import zipfile
from datetime import timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from singlewindow.enterprises import import_files, imports
from singlewindow.enterprises.models import Enterprise, ExportRecord, ImportJob
from singlewindow.policies.tests.conftest import page_text

from .conftest import CITY, HEADER, csv_bytes, new_uscc, report_rows, xlsx_bytes

Status = ImportJob.Status
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def snapshot():
    return Enterprise.objects.count(), list(ExportRecord.objects.order_by("pk").values_list("pk", "export_usd"))


def only_problem(job):
    [(line, field, _value, message)] = report_rows(job)
    return line, field, message


# --- XLSX written by hand: the parts Excel writes, as few as openpyxl reads ---------------------------

class Num(str):
    """A numeric cell as the sheet's XML holds it: <v>12.345</v>."""


def _cell(ref, value, strings):
    if isinstance(value, Num):
        return f'<c r="{ref}"><v>{value}</v></c>'
    text = escape(str(value))
    if strings is None:
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'
    strings.append(text)
    return f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>'


def sheet_xml(rows, strings=None, extra=""):
    body = "".join(f'<row r="{r}">' + "".join(_cell(f"{'ABCDEFGHIJ'[c]}{r}", v, strings) for c, v in enumerate(row))
                   + "</row>" for r, row in enumerate(rows, start=1))
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>{body}{extra}</sheetData>'
            "</worksheet>")


def shared_strings_xml(strings):
    return f'<sst xmlns="{MAIN}">' + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>"


def workbook(rows, header=HEADER, shared=False, parts=None):
    """An XLSX of `rows` (strings inline, or shared); `parts` adds or replaces entries: bytes or str, or a
    function writing to the open entry (for big ones), or None to leave one out."""
    strings = [] if shared else None
    files = {"xl/worksheets/sheet1.xml": sheet_xml([header, *rows], strings)}
    if shared:
        files["xl/sharedStrings.xml"] = shared_strings_xml(strings)
    files.update(parts or {})
    overrides = [("/xl/workbook.xml", "sheet.main"), ("/xl/worksheets/sheet1.xml", "worksheet")]
    if "xl/sharedStrings.xml" in files:
        overrides.append(("/xl/sharedStrings.xml", "sharedStrings"))
    standard = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{p}" ContentType="{SPREADSHEET}.{t}+xml"/>' for p, t in overrides) + "</Types>",
        "_rels/.rels": f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{OFFICE}/officeDocument"'
        ' Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}"><sheets><sheet name="出口" sheetId="1"'
        ' r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{RELS}"><Relationship Id="rId1"'
        f' Type="{OFFICE}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    }
    files = {**standard, **files}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            if callable(content):
                with archive.open(name, "w") as entry:
                    content(entry)
            elif content is not None:
                archive.writestr(name, content)
    return out.getvalue()


def rows_of(n, start=1, name="汕尾市测试贸易有限公司{}"):
    return [(new_uscc(i), name.format(i), CITY, "2025", "10") for i in range(start, start + n)]


@pytest.fixture
def no_openpyxl(monkeypatch):
    import openpyxl

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl opened the file")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def test_a_hand_written_workbook_with_shared_strings_imports(world, run_import):
    job = run_import(workbook(rows_of(3), shared=True), name="exports.xlsx")
    assert (job.status, job.records_written) == (Status.DONE, 3)
    assert Enterprise.objects.get(uscc=new_uscc(2)).name == "汕尾市测试贸易有限公司2"


# --- 13: XLSX bombs are refused before openpyxl opens them ------------------------------------------------

def _million_strings(entry, count=2_000_000):
    entry.write(f'<sst xmlns="{MAIN}">'.encode())
    chunk = b"<si><t>x</t></si>" * 10_000
    for _ in range(count // 10_000):
        entry.write(chunk)
    entry.write(b"</sst>")


def test_a_shared_string_bomb_is_refused_quickly_without_opening_it(world, run_import, no_openpyxl):
    bomb = workbook(rows_of(1), parts={"xl/sharedStrings.xml": _million_strings})
    assert len(bomb) < 200_000  # 2,000,000 shared strings in a small file
    tracemalloc.start()
    started = time.perf_counter()
    try:
        job = run_import(bomb, name="exports.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 10 and peak < 16 << 20
    assert job.status == Status.REJECTED and not Enterprise.objects.filter(uscc=new_uscc(1)).exists()
    line, field, message = only_problem(job)
    assert (line, field) == ("1", "文件") and "xl/sharedStrings.xml" in message and "压缩比异常" in message


def test_a_shared_string_table_beyond_what_the_sheet_can_refer_to_is_refused_by_counting(world, run_import,
                                                                                          no_openpyxl):
    """A table that compresses like real text (no absurd ratio) but has far more strings than cells."""
    strings = [os.urandom(12).hex() for _ in range(60_000)]
    job = run_import(workbook(rows_of(1), parts={"xl/sharedStrings.xml": shared_strings_xml(strings)}),
                     name="exports.xlsx")
    assert job.status == Status.REJECTED
    assert only_problem(job)[2].startswith("XLSX 文件的共享字符串表过大")


def test_the_shared_string_bound_comes_from_settings(world, run_import, settings):
    strings = len(HEADER) + 3 * len(HEADER)  # every cell of the header and the three rows
    settings.SW_IMPORT_XLSX_MAX_SHARED_STRINGS = strings - 1
    job = run_import(workbook(rows_of(3), shared=True), name="exports.xlsx")
    assert job.status == Status.REJECTED and f"超过 {strings - 1} 项" in only_problem(job)[2]
    settings.SW_IMPORT_XLSX_MAX_SHARED_STRINGS = strings
    assert run_import(workbook(rows_of(3), shared=True), name="exports.xlsx").status == Status.DONE


def test_a_workbook_of_too_many_parts_is_refused_before_its_directory_is_read(world, run_import, settings,
                                                                               monkeypatch):
    many = workbook(rows_of(1), parts={f"xl/media/image{i}.png": b"" for i in range(1000)})
    assert run_import(many, name="exports.xlsx").status == Status.REJECTED
    five = workbook(rows_of(1))
    settings.SW_IMPORT_XLSX_MAX_ENTRIES = 4
    monkeypatch.setattr(import_files.zipfile, "ZipFile", None)  # the end record alone says how many
    job = run_import(five, name="exports.xlsx")
    assert only_problem(job) == ("1", "文件", "XLSX 文件包含的部件过多（上限 4 个），不是一份数据表。")


def test_a_workbook_that_unpacks_beyond_the_bound_is_refused(world, run_import, settings, no_openpyxl):
    settings.SW_IMPORT_XLSX_MAX_UNPACKED_MB = 1
    job = run_import(workbook(rows_of(1), parts={"xl/media/photo.jpg": os.urandom(1_100_000)}), name="exports.xlsx")
    assert job.status == Status.REJECTED and only_problem(job)[2].startswith("XLSX 文件解压后超过 1 MB")


# --- 16: a file that is not what it says, or cannot be read, is refused with its reason -----------------

def _zip(**entries):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def _corrupt_sheet(data):
    """The workbook with a few bytes of its compressed sheet changed (the CRC or the deflate stream fails)."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size // 2
    return data[:start] + bytes(b ^ 0x5A for b in data[start:start + 8]) + data[start + 8:]


GOOD = rows_of(30)


@pytest.mark.parametrize("content, said", [
    (b"uscc,name\n91441502MA4UXXXX1X,x\n", "文件不是有效的 XLSX 工作簿"),  # a CSV named .xlsx
    (lambda: xlsx_bytes(GOOD)[:-200], "文件不是有效的 XLSX 工作簿"),  # cut short: no end record
    (lambda: xlsx_bytes(GOOD)[:len(xlsx_bytes(GOOD)) // 2], "文件不是有效的 XLSX 工作簿"),
    (lambda: _zip(**{"readme.txt": "hello"}), "文件是 ZIP 压缩包，但不是 Excel 工作簿"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "这是旧版 Excel（.xls）文件或设了密码的工作簿"),
    (lambda: workbook(GOOD, parts={"xl/worksheets/sheet1.xml": sheet_xml([HEADER, *GOOD])[:-300]}), "XLSX 文件"),
    (lambda: workbook(GOOD, parts={"xl/worksheets/sheet1.xml": "<worksheet>\x01</worksheet>"}), "XLSX 文件"),
    (lambda: workbook(GOOD, shared=True, parts={"xl/sharedStrings.xml": f'<sst xmlns="{MAIN}"><si><t>'}),
     "XLSX 文件已损坏"),
    (lambda: workbook(GOOD, parts={"xl/workbook.xml": "<workbook"}), "XLSX 文件已损坏或格式不受支持"),
    (lambda: workbook(GOOD, parts={"[Content_Types].xml": "<Types"}), "XLSX 文件已损坏"),
    (lambda: _corrupt_sheet(workbook(rows_of(3000))), "XLSX 文件"),
    (lambda: workbook(GOOD, parts={"xl/worksheets/sheet1.xml": sheet_xml([HEADER, [Num("NaN")] * 5])}), "XLSX 文件"),
])
def test_a_broken_or_fake_xlsx_is_refused_with_its_reason_not_a_system_error(world, run_import, content, said):
    before = snapshot()
    job = run_import(content() if callable(content) else content, name="exports.xlsx")
    assert job.status == Status.REJECTED and snapshot() == before
    [(line, field, _value, message)] = report_rows(job)
    assert field == "文件" and message.startswith(said), message
    assert job.errors_preview == [[int(line), "文件", "", message]]


def test_a_sheet_past_excels_last_row_is_refused_not_read_for_ever(world, run_import):
    far = f'<row r="{import_files.EXCEL_ROWS + 1}"><c r="A{import_files.EXCEL_ROWS + 1}"><v>1</v></c></row>'
    job = run_import(workbook([], parts={"xl/worksheets/sheet1.xml": sheet_xml([HEADER], extra=far)}),
                     name="exports.xlsx")
    assert job.status == Status.REJECTED
    assert only_problem(job) == (str(import_files.EXCEL_ROWS + 1), "文件",
                                 "工作表超过 Excel 的最大行数（1,048,576 行）：文件已损坏或不是 Excel 保存的。")


def test_a_sheet_declaring_sixteen_thousand_columns_is_read_at_its_real_width(world, run_import, monkeypatch):
    """openpyxl pads each row to the declared width: 16,384 cells a row to convert, for rows of 40 bytes."""
    converted = []
    cell = import_files._cell
    monkeypatch.setattr(import_files, "_cell", lambda value: converted.append(value) or cell(value))
    far = '<row r="4"><c r="XFD4"><v>1</v></c></row>'
    declared = sheet_xml([HEADER, *rows_of(2)], extra=far).replace(
        "<sheetData>", '<dimension ref="A1:XFD1048576"/><sheetData>')
    job = run_import(workbook([], parts={"xl/worksheets/sheet1.xml": declared}), name="exports.xlsx")
    assert job.status == Status.DONE and job.records_written == 2
    assert len(converted) == 4 * len(HEADER)  # the needed columns of the header and three rows


def test_a_csv_field_over_the_csv_modules_limit_is_refused_on_its_row(world, run_import):
    unclosed = csv_bytes(rows_of(2)) + f'{new_uscc(9)},"甲公司,{CITY},2025,10\r\n'.encode() + b"x" * 140_000
    job = run_import(unclosed)
    assert job.status == Status.REJECTED
    line, field, message = only_problem(job)
    assert (line, field) == ("4", "文件") and "131,072" in message and "双引号" in message
    long_name = csv_bytes([(new_uscc(1), "甲" * 140_000, CITY, 2025, "10")])
    assert only_problem(run_import(long_name))[:2] == ("2", "文件")


def test_a_csv_line_of_megabytes_is_refused(world, run_import):
    job = run_import(csv_bytes(rows_of(2)) + b"9" * 2_500_000)
    assert job.status == Status.REJECTED and only_problem(job) == (
        "4", "文件", "这一行超过 1 MB 而没有换行，不是 CSV 数据。")


def test_an_xlsx_named_csv_is_refused(world, run_import):
    job = run_import(xlsx_bytes(GOOD), name="exports.csv")
    assert job.status == Status.REJECTED and only_problem(job)[2].startswith("文件扩展名是 CSV，内容却是 XLSX")


def test_the_page_of_a_refused_file_says_what_was_wrong(world, run_import, client):
    job = run_import(workbook(GOOD, parts={"xl/worksheets/sheet1.xml": "<worksheet>\x01</worksheet>"}),
                     name="exports.xlsx")
    client.force_login(world.bureau)
    text = page_text(client.get(f"/enterprises/imports/{job.pk}/"))
    assert "未导入：文件有错误" in text and "XLSX 文件" in text and "系统错误" not in text


# --- 3: one encoding per file; a line that does not decode is refused on its row ------------------------

def lines(rows, encoding="utf-8"):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def test_a_gb18030_row_after_64_kb_of_utf8_is_refused_on_its_row(world, run_import):
    head = csv_bytes(rows_of(1200))
    assert len(head) > 1 << 16
    data = head + lines([(new_uscc(2000), "汕尾市乙贸易有限公司", CITY, "2025", "10")], "gb18030") + lines(rows_of(5, 3000))
    before = snapshot()
    job = run_import(data)
    assert job.status == Status.REJECTED and snapshot() == before
    [(line, field, value, message)] = report_rows(job)
    assert (line, field) == ("1202", "整行") and "\ufffd" in value and new_uscc(2000) in value
    assert message.startswith("这一行含有无法按 UTF-8 解码的字节")


def test_a_utf8_row_after_64_kb_of_gb18030_is_refused_on_its_row(world, run_import):
    """The UTF-8 bytes of 汕尾市丙贸易有限公司 decode as GB18030 without an error, into nonsense."""
    head = csv_bytes(rows_of(1200), encoding="gb18030")
    assert len(head) > 1 << 16
    pasted = lines([(new_uscc(2000), "汕尾市丙贸易有限公司", CITY, "2025", "10")])
    assert "汕尾" not in pasted.decode("gb18030")  # no error, but not the name
    undecodable = lines([(new_uscc(2001), "陆丰市新港贸易有限公司", CITY, "2025", "10")])
    data = head + pasted + lines(rows_of(5, 3000), "gb18030") + undecodable
    job = run_import(data)
    assert job.status == Status.REJECTED and not Enterprise.objects.filter(uscc=new_uscc(1)).exists()
    assert [(line, field, message.split("：")[0]) for line, field, _v, message in report_rows(job)] == [
        ("1202", "整行", "这一行是 UTF-8 编码，而文件前面是 GB18030 编码"),
        ("1208", "整行", "这一行含有无法按 GB18030 解码的字节")]
    assert report_rows(job)[0][2].startswith(f"{new_uscc(2000)},汕尾市丙贸易有限公司")


def test_bytes_that_decode_to_nothing_are_refused_even_in_a_column_not_imported(world, run_import):
    header = [*HEADER, "备注"]
    data = csv_bytes([(*r, "") for r in rows_of(2)], header=header)
    data += f"{new_uscc(3)},汕尾市".encode() + b"\xff\xfe\x80" + f"公司,{CITY},2025,10,\r\n".encode()
    data += f"{new_uscc(4)},好公司,{CITY},2025,10,".encode() + b"\xc3\x28\xa0" + b"\r\n"
    before = snapshot()
    job = run_import(data)
    assert job.status == Status.REJECTED and snapshot() == before
    assert [(line, field) for line, field, _v, _m in report_rows(job)] == [("4", "整行"), ("5", "整行")]


def test_a_gb18030_file_that_starts_with_ascii_only_is_read_as_gb18030(world, run_import):
    ascii_head = [(new_uscc(i), f"Shanwei Trading Co {i}", CITY, "2025", "10") for i in range(1, 1200)]
    data = csv_bytes(ascii_head, header=["uscc", "name", "county", "year", "export_usd"])
    data += lines([(new_uscc(5000), "汕尾市丁五金有限公司", CITY, "2025", "10")], "gb18030")
    assert data[:1 << 16].isascii()
    job = run_import(data)
    assert job.status == Status.DONE, report_rows(job)[:3]
    assert Enterprise.objects.get(uscc=new_uscc(5000)).name == "汕尾市丁五金有限公司"


def test_old_mac_line_ends_and_a_bom_are_read(world, run_import):
    data = "\ufeff".encode() + csv_bytes(rows_of(3)).replace(b"\r\n", b"\r")
    job = run_import(data)
    assert (job.status, job.records_written) == (Status.DONE, 3)


class Collected:
    def __init__(self):
        self.problems = []

    def add(self, line, field, value, message):
        self.problems.append((line, field))


texts = st.text(alphabet="甲乙丙汕尾市公司ab,\"\r\n 1", max_size=12)


@hypothesis_settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(texts, min_size=1, max_size=4), min_size=1, max_size=12),
       end=st.sampled_from(["\r\n", "\n", "\r"]), block=st.sampled_from([1, 2, 5, 16, 1 << 20]),
       foreign=st.sets(st.integers(0, 11)), encoding=st.sampled_from(["utf-8", "gb18030"]))
def test_the_csv_reader_gives_the_rows_csv_gives_and_names_each_line_in_another_encoding(
        rows, end, block, foreign, encoding):
    """Whatever the block size, the rows are those of csv over the decoded text, and the rows reported are
    exactly those written in the other encoding (when that encoding shows: Chinese that does not decode)."""
    other = "gb18030" if encoding == "utf-8" else "utf-8"
    rows = [["汕尾市甲乙公司", *row] for row in rows]  # every row has Chinese: the first is what decides
    data, expected, text = b"", [], ""
    for number, row in enumerate(rows):
        out = io.StringIO()
        csv.writer(out, lineterminator=end, quoting=csv.QUOTE_ALL).writerow(row)  # one record a row
        chunk = out.getvalue()
        raw = chunk.encode(encoding)
        if number in foreign and number > 0:
            raw = chunk.encode(other)
            decodes = True
            try:
                raw.decode(encoding)
            except UnicodeDecodeError:
                decodes = False
            if encoding == "utf-8" and decodes:
                raw = chunk.encode(encoding)
            else:
                expected.append(number + 1)
                chunk = raw.decode(encoding, import_files.BYTE_BY_BYTE)
        data += raw
        text += chunk
    with tempfile.NamedTemporaryFile(suffix=".csv") as handle:
        handle.write(data)
        handle.flush()
        report = Collected()
        reader = import_files.CsvRows(handle.name, report)
        reader.BLOCK = block
        try:
            got = list(reader)
        finally:
            reader.close()
    assert got == list(csv.reader(io.StringIO(text, newline="")))
    assert sorted({line for line, _f in report.problems}) == expected


# --- 4: NUL anywhere ---------------------------------------------------------------------------------

def test_a_nul_in_any_column_refuses_its_row(world, run_import):
    data = csv_bytes([(*rows_of(1)[0], ""), (*rows_of(1, 2)[0], "备\x00注"), (*rows_of(1, 3)[0], "")],
                     header=[*HEADER, "备注"])
    before = snapshot()
    job = run_import(data)
    assert job.status == Status.REJECTED and snapshot() == before
    [(line, field, value, message)] = report_rows(job)
    assert (line, field, message) == ("3", "整行", "这一行含有空字符（NUL），无法保存。请检查文件是否为文本格式的 CSV。")
    assert "[U+0000]" in value


def test_a_utf16_file_is_refused_as_a_whole(world, run_import):
    job = run_import(csv_bytes(rows_of(2), encoding="utf-16"))
    assert job.status == Status.REJECTED
    assert only_problem(job)[:2] == ("1", "文件") and only_problem(job)[2].startswith("文件含有空字符（NUL）")


# --- 14: the report lists the first problems, counts the rest, and is deleted in time --------------------

def test_the_report_lists_the_first_thousand_problems_and_counts_the_rest(world, run_import, client):
    job = run_import(csv_bytes([(f"X{i}", "甲公司", CITY, 2025, "10") for i in range(1500)]))
    assert job.status == Status.REJECTED and job.error_count == 1500
    rows = report_rows(job)
    assert len(rows) == 1001 and rows[999][0] == "1001"
    assert rows[-1] == ["", "", "", "另有 500 处问题未列出：错误报告只列出前 1,000 处。"]
    client.force_login(world.bureau)
    text = page_text(client.get(f"/enterprises/imports/{job.pk}/"))
    assert "发现 1500 处错误" in text and "错误报告列出前 1000 处（共 1500 处）" in text


def test_a_small_file_of_long_bad_values_makes_a_small_report(world, run_import):
    job = run_import(csv_bytes([("X" * 3000, "甲公司", CITY, 2025, "1" * 3000) for _ in range(1200)]))
    assert job.error_count == 2400
    assert Path(job.report_path).stat().st_size < 250_000  # 7 MB of values listed whole
    assert max(len(value) for _l, _f, value, _m in report_rows(job)) == imports.SHOWN + 1


def test_duplicates_beyond_the_limit_are_counted_not_listed(world, run_import, settings):
    settings.SW_IMPORT_REPORT_ROWS = 10
    job = run_import(csv_bytes(rows_of(1) * 30))
    assert job.error_count == 29
    rows = report_rows(job)
    assert len(rows) == 11 and rows[-1][3] == "另有 19 处问题未列出：错误报告只列出前 10 处。"


def _ended(job, days_ago):
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=days_ago))
    job.refresh_from_db()
    return job


def test_reports_older_than_the_retention_are_deleted_by_the_next_import(world, run_import, client, import_files):
    old, recent = (run_import(csv_bytes([(code, "甲公司", CITY, 2025, "10")])) for code in ("X1", "X2"))
    old, recent = _ended(old, 31), _ended(recent, 29)
    orphan = Path(import_files) / "job-999-errors.csv"  # left by a job that failed
    orphan.write_text("行号\n")
    os.utime(orphan, (time.time() - 31 * 86400,) * 2)
    report = Path(old.report_path)
    assert report.exists()
    run_import(csv_bytes(rows_of(1)))  # the worker tidies up before each import
    old.refresh_from_db()
    assert not report.exists() and old.report_path == "" and not orphan.exists()
    assert Path(recent.report_path).exists()
    client.force_login(world.bureau)
    assert "错误报告已超过 30 天的保留期，已删除。" in page_text(client.get(f"/enterprises/imports/{old.pk}/"))
    assert client.get(f"/enterprises/imports/{old.pk}/report/").status_code == 404
    text = page_text(client.get(f"/enterprises/imports/{recent.pk}/"))
    kept = (recent.finished_at + timedelta(days=30)).astimezone(timezone.get_current_timezone())
    assert f"（报告保留 30 天，{kept:%Y-%m-%d} 后自动删除）" in text


def test_the_retention_comes_from_settings_and_the_command_deletes_too(world, run_import, settings):
    job = _ended(run_import(csv_bytes([("X1", "甲公司", CITY, 2025, "10")])), 3)
    out = io.StringIO()
    call_command("mark_stale_imports", stdout=out)
    assert Path(job.report_path).exists() and "0 expired error report(s) deleted" in out.getvalue()
    settings.SW_IMPORT_REPORT_DAYS = 2
    call_command("mark_stale_imports", stdout=out)
    assert not Path(job.report_path).exists() and "1 expired error report(s) deleted" in out.getvalue()
