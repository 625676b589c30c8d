"""The bureau's pages: upload, progress, error report, eligible list; nobody else gets in."""
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from singlewindow.enterprises.models import ImportJob
from singlewindow.policies.tests.conftest import page_text

from .conftest import CITY, HAIFENG, csv_bytes, new_uscc


def upload(client, content, name="exports.csv"):
    return client.post("/insure/imports/", {"file": SimpleUploadedFile(name, content)}, follow=True)


def test_the_bureau_uploads_a_file_and_sees_it_imported(world, client):
    client.force_login(world.bureau)
    assert "统一社会信用代码、企业名称、县区代码、年度、出口额（美元）" in page_text(client.get("/insure/imports/"))
    response = upload(client, csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "10"), (new_uscc(2), "乙公司", HAIFENG, 2025, "20")]))
    text = page_text(response)
    assert "已导入" in text and "已写入 2 条出口记录，新建企业 2 家" in text and "100%" in text
    job = ImportJob.objects.get()
    fragment = client.get(f"/insure/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="import-progress"' in fragment and "every 1s" not in fragment


def test_a_rejected_file_shows_its_bad_rows_and_offers_the_report(world, client):
    client.force_login(world.bureau)
    text = page_text(upload(client, csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "10"), (new_uscc(2), "乙公司", CITY, 2025, "-1")])))
    assert "发现 1 处错误，整个文件未导入" in text and "出口额不能为负数。" in text
    job = ImportJob.objects.get()
    report = client.get(f"/insure/imports/{job.pk}/report/")
    assert report.status_code == 200 and report["Content-Disposition"].startswith("attachment")
    assert "3,出口额（美元）,'-1,出口额不能为负数。" in b"".join(report.streaming_content).decode("utf-8-sig")


def test_only_csv_or_xlsx_is_accepted(world, client):
    client.force_login(world.bureau)
    response = client.post("/insure/imports/", {"file": SimpleUploadedFile("list.pdf", b"%PDF")})
    assert response.status_code == 400 and "只支持 CSV 或 XLSX 文件。" in page_text(response)
    assert not ImportJob.objects.exists()


def test_a_county_bureau_does_not_see_the_city_bureaus_import(world, client):
    client.force_login(world.bureau)
    upload(client, csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "-1")]))
    job = ImportJob.objects.get()
    client.force_login(world.county)
    assert client.get(f"/insure/imports/{job.pk}/").status_code == 404
    assert client.get(f"/insure/imports/{job.pk}/report/").status_code == 404


def test_enterprises_and_insurers_cannot_import(world, client):
    for user in (world.demo, world.insurer):
        client.force_login(user)
        assert client.get("/insure/imports/").status_code == 403
        assert client.post("/insure/imports/", {"file": SimpleUploadedFile("a.csv", b"x")}).status_code == 403


def test_the_eligible_list_counts_per_county_within_the_bureaus_region(world, client, exporter):
    exporter(1, Decimal("100"), region=HAIFENG)
    exporter(2, Decimal("3000000"), region=HAIFENG)
    client.force_login(world.county)
    text = page_text(client.get("/insure/eligible/"))
    assert "测试出口企业001有限公司" in text and "测试出口企业002有限公司" not in text
    assert "海丰县 441521" in text and "城区 441502" not in text
    client.force_login(world.demo)
    assert client.get("/insure/eligible/").status_code == 403
