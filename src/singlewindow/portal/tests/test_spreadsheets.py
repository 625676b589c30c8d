"""Every CSV/XLSX the product writes neutralises cells a spreadsheet would run as formulas."""
import csv
import io
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from singlewindow.spreadsheets import CsvWriter, XlsxWriter, safe_cell
from singlewindow.validators import FORMULA_PREFIXES

SRC = Path(__file__).resolve().parents[2]


@given(st.sampled_from(FORMULA_PREFIXES), st.text())
def test_a_cell_opening_with_a_formula_prefix_is_quoted(prefix, rest):
    assert safe_cell(prefix + rest) == "'" + prefix + rest


@given(st.text().filter(lambda text: not text.startswith(FORMULA_PREFIXES)))
def test_other_text_is_unchanged(text):
    assert safe_cell(text) == text


def test_numbers_stay_numbers():
    assert safe_cell(-5) == -5 and safe_cell(1.5) == 1.5


def test_the_csv_writer_neutralises_each_cell():
    out = io.StringIO()
    CsvWriter(out).writerow(['=HYPERLINK("x")', "@SUM(A1)", "\tcmd", "正常", 3])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=HYPERLINK(\"x\")", "'@SUM(A1)", "'\tcmd", "正常", "3"]


def test_no_module_writes_csv_or_xlsx_rows_past_the_neutraliser():
    offenders = []
    for path in SRC.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts or path.name == "spreadsheets.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"csv\.(writer|DictWriter)\(|\bWorkbook\(", text):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


def test_the_xlsx_writer_neutralises_each_cell(tmp_path):
    from openpyxl import load_workbook

    writer = XlsxWriter("报表")
    writer.writerow(["=1+1", "-2", -2, "正常"])
    writer.save(tmp_path / "x.xlsx")
    row = next(load_workbook(tmp_path / "x.xlsx").active.iter_rows(values_only=True))
    assert row == ("'=1+1", "'-2", -2, "正常")
