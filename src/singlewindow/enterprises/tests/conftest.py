"""Helpers for the export-list import and eligibility tests: valid codes, files, running an import."""
import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from singlewindow.enterprises import imports
from singlewindow.enterprises.identifiers import make_uscc

HEADER = ["统一社会信用代码", "企业名称", "县区代码", "年度", "出口额（美元）"]
CITY = "441502"  # 汕尾市城区, inside the bureau's 汕尾市
HAIFENG = "441521"


def new_uscc(n, region=CITY):
    """A valid code for the n-th test enterprise (organisation bodies far from the demo's)."""
    return make_uscc("91", region, f"{70_000_000 + n:08d}")


def csv_bytes(rows, header=HEADER, encoding="utf-8"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def import_files(settings, tmp_path):
    settings.SW_IMPORT_DIR = tmp_path / "imports"
    return settings.SW_IMPORT_DIR


@pytest.fixture
def run_import(world):
    """Upload `content` as `name` for `user` (default: the 汕尾市 bureau); the job runs inline under tests."""

    def upload(content, name="exports.csv", user=None):
        return imports.submit(user or world.bureau, SimpleUploadedFile(name, content))

    return upload


def report_rows(job):
    with open(job.report_path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))[1:]
