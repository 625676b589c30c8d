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


@pytest.fixture
def exporter(world):
    """Make the n-th test enterprise with `usd` of basis-year exports under the open scheme (None: no record)."""
    from singlewindow.enterprises.models import Enterprise, ExportRecord

    def make(n, usd, region=CITY, year=None):
        enterprise = Enterprise.objects.create(uscc=new_uscc(n, region), name=f"测试出口企业{n:03d}有限公司",
                                               region_id=region)
        if usd is not None:
            ExportRecord.objects.create(enterprise=enterprise, year=year or world.scheme.basis_year, export_usd=usd)
        return enterprise

    return make


@pytest.fixture
def another_scheme(world):
    """A copy of the open scheme under another name, with `changes` applied."""
    from singlewindow.policies.models import Scheme

    def make(**changes):
        fields = {f.attname: getattr(world.scheme, f.attname) for f in Scheme._meta.concrete_fields if not f.primary_key}
        return Scheme.objects.create(**{**fields, "name": "另一方案", **changes})

    return make
