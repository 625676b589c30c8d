"""The bureau's pages: upload, progress, error report, eligible list; nobody else gets in."""
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from singlewindow.enterprises.models import ImportJob
from singlewindow.policies.tests.conftest import page_text

from .conftest import CITY, HAIFENG, csv_bytes, new_uscc, xlsx_bytes


def upload(client, content, name="exports.csv"):
    return client.post("/enterprises/imports/", {"file": SimpleUploadedFile(name, content)}, follow=True)


def test_the_bureau_uploads_a_file_and_sees_it_imported(world, client):
    client.force_login(world.bureau)
    assert "统一社会信用代码、企业名称、县区代码、年度、出口额（美元）" in page_text(client.get("/enterprises/imports/"))
    response = upload(client, csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "10"), (new_uscc(2), "乙公司", HAIFENG, 2025, "20")]))
    text = page_text(response)
    assert "已导入" in text and "已写入 2 条出口记录，新建企业 2 家" in text and "100%" in text
    job = ImportJob.objects.get()
    fragment = client.get(f"/enterprises/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="import-progress"' in fragment and "every 1s" not in fragment


def test_a_rejected_file_shows_its_bad_rows_and_offers_the_report(world, client):
    client.force_login(world.bureau)
    text = page_text(upload(client, csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "10"), (new_uscc(2), "乙公司", CITY, 2025, "-1")])))
    assert "发现 1 处错误，整个文件未导入" in text and "出口额不能为负数。" in text
    job = ImportJob.objects.get()
    report = client.get(f"/enterprises/imports/{job.pk}/report/")
    assert report.status_code == 200 and report["Content-Disposition"].startswith("attachment")
    assert "3,出口额（美元）,'-1,出口额不能为负数。" in b"".join(report.streaming_content).decode("utf-8-sig")


def test_only_csv_or_xlsx_is_accepted(world, client):
    client.force_login(world.bureau)
    response = client.post("/enterprises/imports/", {"file": SimpleUploadedFile("list.pdf", b"%PDF")})
    assert response.status_code == 400 and "只支持 CSV 或 XLSX 文件。" in page_text(response)
    assert not ImportJob.objects.exists()


def test_a_county_bureau_does_not_see_the_city_bureaus_import(world, client):
    client.force_login(world.bureau)
    upload(client, csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "-1")]))
    job = ImportJob.objects.get()
    client.force_login(world.county)
    assert client.get(f"/enterprises/imports/{job.pk}/").status_code == 404
    assert client.get(f"/enterprises/imports/{job.pk}/report/").status_code == 404


def test_enterprises_and_insurers_cannot_import(world, client):
    for user in (world.demo, world.insurer):
        client.force_login(user)
        assert client.get("/enterprises/imports/").status_code == 403
        assert client.post("/enterprises/imports/", {"file": SimpleUploadedFile("a.csv", b"x")}).status_code == 403


def test_the_eligible_list_counts_per_county_within_the_bureaus_region(world, client, exporter):
    exporter(1, Decimal(100), region=HAIFENG)
    exporter(2, Decimal(3000000), region=HAIFENG)
    client.force_login(world.county)
    text = page_text(client.get("/enterprises/eligible/"))
    assert "测试出口企业001有限公司" in text and "测试出口企业002有限公司" not in text
    assert "海丰县 441521" in text and "城区 441502" not in text
    client.force_login(world.demo)
    assert client.get("/enterprises/eligible/").status_code == 403


def test_the_report_neutralises_every_cell_a_spreadsheet_would_run_as_a_formula(world, client):
    """Values from the uploaded file come back in the report; none may start a formula when it is opened."""
    import csv
    import io

    client.force_login(world.bureau)
    formulas = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]
    upload(client, csv_bytes([(f, "甲公司", CITY, 2025, "10") for f in formulas]))
    job = ImportJob.objects.get()
    report = client.get(f"/enterprises/imports/{job.pk}/report/")
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"), newline="")))[1:]
    assert [row[2] for row in rows] == ["'" + f for f in formulas]


def test_the_import_page_states_the_accepted_amounts_and_the_report_rules(world, client):
    client.force_login(world.bureau)
    text = page_text(client.get("/enterprises/imports/"))
    assert "如 2500000、1234567.89 或 1,234,567.89，最大 9,999,999,999,999.99" in text
    assert "超过两位的小数不会被四舍五入，而是报错" in text
    assert "错误报告最多列出前 1000 处问题（并注明其余问题的数量），保留 30 天后自动删除" in text


def _zip_of(**entries):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize("name, content, said", [
    ("exports.xlsx", "统一社会信用代码,企业名称\n".encode(), "文件不是有效的 XLSX 工作簿"),
    ("exports.xlsx", lambda: xlsx_bytes([(new_uscc(1), "甲公司", CITY, 2025, 10)])[:-100], "文件不是有效的 XLSX 工作簿"),
    ("exports.xlsx", lambda: _zip_of(**{"a.txt": "x"}), "文件是 ZIP 压缩包，但不是 Excel 工作簿"),
    ("exports.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "这是旧版 Excel（.xls）文件"),
    ("exports.xls.xlsx", lambda: _zip_of(**{"[Content_Types].xml": "x", "xl/workbook.xml": "x",
                                            "xl/sharedStrings.xml": "<si><t>x</t></si>" * 200_000}), "压缩比异常"),
    ("exports.csv", lambda: xlsx_bytes([(new_uscc(1), "甲公司", CITY, 2025, 10)]), "文件扩展名是 CSV，内容却是 XLSX"),
    ("exports.csv", lambda: csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "10")], encoding="utf-16"), "文件含有空字符"),
])
def test_an_upload_is_checked_by_its_content_not_its_name(world, client, name, content, said):
    client.force_login(world.bureau)
    response = upload(client, content() if callable(content) else content, name=name)
    assert response.status_code == 400 and said in page_text(response)
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_the_import_page_offers_a_template_that_the_import_reads_back(world, client, kind):
    client.force_login(world.bureau)
    assert f'href="/enterprises/imports/template.{kind}"' in client.get("/enterprises/imports/").content.decode()
    template = client.get(f"/enterprises/imports/template.{kind}")
    assert template.status_code == 200 and template["Content-Disposition"].startswith("attachment")
    if kind == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(template.content))  # the clerk's way: open the template, add a row, save
        header = [cell.value for cell in next(book.active.iter_rows())]
        book.active.append([new_uscc(7), "模板公司", CITY, 2025, 10])
        out = io.BytesIO()
        book.save(out)
        filled = out.getvalue()
    else:
        header = template.content.decode("utf-8-sig").strip().split(",")
        filled = template.content + ",".join([new_uscc(7), "模板公司", CITY, "2025", "10"]).encode() + b"\r\n"
    assert header == ["统一社会信用代码", "企业名称", "县区代码", "年度", "出口额（美元）"]
    assert "已写入 1 条出口记录" in page_text(upload(client, filled, f"filled.{kind}"))


def test_the_template_is_for_importers_only(world, client):
    for user in (world.demo, world.insurer):
        client.force_login(user)
        assert client.get("/enterprises/imports/template.xlsx").status_code == 403


def test_the_eligible_list_shows_which_county_is_selected(world, client, exporter):
    exporter(1, Decimal(100), region=HAIFENG)
    client.force_login(world.bureau)
    response = client.get("/enterprises/eligible/", {"scheme": world.scheme.pk, "county": HAIFENG})
    html = response.content.decode()
    assert 'aria-current="true">海丰县</a>' in html
    assert "符合条件、尚未出单的企业 · 海丰县 看全部县区" in page_text(response)
    assert "符合条件、尚未出单的企业 · 全部县区" in page_text(client.get("/enterprises/eligible/"))
