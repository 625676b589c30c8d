"""The customs export import: every row checked, all or nothing, a report naming each bad row and field."""
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn.uscc import calc_check_digit

from singlewindow.audit.models import AuditEvent
from singlewindow.audit.services import first_broken_link
from singlewindow.enterprises.identifiers import validate_uscc
from singlewindow.enterprises.identifiers import uscc_problem
from singlewindow.enterprises.models import Enterprise, ExportRecord, ImportJob

from .conftest import CITY, HAIFENG, csv_bytes, new_uscc, report_rows, xlsx_bytes


def figure(uscc, year):
    return ExportRecord.objects.get(enterprise__uscc=uscc, year=year).export_usd


def snapshot():
    return Enterprise.objects.count(), list(ExportRecord.objects.order_by("pk").values_list("pk", "export_usd"))


def test_a_good_file_creates_unknown_enterprises_and_writes_every_figure(world, run_import):
    demo = world.demo.enterprise
    job = run_import(csv_bytes([
        (demo.uscc, demo.name, CITY, 2019, "1234.50"),
        (new_uscc(1), "汕尾市新港贸易有限公司", CITY, 2025, "2,999,999.99"),
        (new_uscc(2), "海丰县新丰五金有限公司", HAIFENG, 2025, "0"),
    ]))
    assert (job.status, job.error_count, job.enterprises_created, job.records_written) == (
        ImportJob.Status.DONE, 0, 2, 3)
    assert job.years == [2019, 2025] and job.percent == 100
    assert figure(demo.uscc, 2019) == Decimal("1234.50")
    created = Enterprise.objects.get(uscc=new_uscc(1))
    assert (created.name, created.region_id, created.org_code) == ("汕尾市新港贸易有限公司", CITY, new_uscc(1)[8:17])
    assert figure(new_uscc(2), 2025) == 0
    assert first_broken_link() is None


def test_one_bad_row_among_good_ones_writes_nothing_and_names_the_row(world, run_import):
    before = snapshot()
    bad = new_uscc(3)[:-1] + ("0" if new_uscc(3)[-1] != "0" else "1")  # wrong check character
    job = run_import(csv_bytes([
        (new_uscc(1), "甲公司", CITY, 2025, "100"),
        (new_uscc(2), "乙公司", CITY, 2025, "200"),
        (bad, "丙公司", CITY, 2025, "300"),
        (new_uscc(4), "丁公司", CITY, 2025, "400"),
    ]))
    assert job.status == ImportJob.Status.REJECTED and job.error_count == 1
    assert snapshot() == before
    assert report_rows(job) == [["4", "统一社会信用代码", bad, "统一社会信用代码格式或校验位不正确。"]]
    assert job.errors_preview == [[4, "统一社会信用代码", bad, "统一社会信用代码格式或校验位不正确。"]]


@pytest.mark.parametrize("row, field, message", [
    (("", "甲公司", CITY, "2025", "1"), "统一社会信用代码", "统一社会信用代码不能为空。"),
    (("91441502MA4", "甲公司", CITY, "2025", "1"), "统一社会信用代码", "统一社会信用代码应为18位，当前为11位。"),
    ((None, "", CITY, "2025", "1"), "企业名称", "企业名称不能为空。"),
    ((None, "甲公司", "440106", "2025", "1"), "县区代码", "天河区 不在本单位管辖区域（汕尾市）内。"),
    ((None, "甲公司", "449999", "2025", "1"), "县区代码", "“449999”不是广东省的县级行政区划代码。"),
    ((None, "甲公司", "441500", "2025", "1"), "县区代码", "“441500”不是广东省的县级行政区划代码。"),
    ((None, "甲公司", CITY, "二〇二五", "1"), "年度", "年度应为四位数字，如"),
    ((None, "甲公司", CITY, "1979", "1"), "年度", "年度应在 1980 至"),
    ((None, "甲公司", CITY, "2999", "1"), "年度", "年度应在 1980 至"),
    ((None, "甲公司", CITY, "2025", "-0.01"), "出口额（美元）", "出口额不能为负数。"),
    ((None, "甲公司", CITY, "2025", "12.345"), "出口额（美元）", "出口额应为数字（美元，最多两位小数）。"),
    ((None, "甲公司", CITY, "2025", "一百"), "出口额（美元）", "出口额应为数字（美元，最多两位小数）。"),
    ((None, "甲公司", CITY, "2025", ""), "出口额（美元）", "出口额不能为空。"),
])
def test_each_bad_field_is_named_in_the_report(world, run_import, row, field, message):
    row = (new_uscc(9) if row[0] is None else row[0], *row[1:])
    job = run_import(csv_bytes([(new_uscc(1), "好公司", CITY, 2025, "5"), row]))
    assert job.status == ImportJob.Status.REJECTED
    [(line, named, _value, said)] = report_rows(job)
    assert (line, named) == ("3", field) and said.startswith(message)
    assert not Enterprise.objects.filter(uscc=new_uscc(1)).exists()


def test_duplicate_rows_inside_the_file_name_the_earlier_row(world, run_import):
    job = run_import(csv_bytes([
        (new_uscc(1), "甲公司", CITY, 2025, "100"),
        (new_uscc(1), "甲公司", CITY, 2024, "90"),
        (new_uscc(2), "乙公司", CITY, 2025, "100"),
        (new_uscc(1), "甲公司", CITY, 2025, "110"),
    ]))
    assert job.status == ImportJob.Status.REJECTED
    assert report_rows(job) == [
        ["5", "统一社会信用代码", new_uscc(1), "与第 2 行重复：同一企业同一年度（2025）只能有一条记录。"],
    ]
    assert not ExportRecord.objects.filter(enterprise__uscc=new_uscc(2)).exists()


def test_a_reimport_of_the_same_year_replaces_that_years_figures_for_those_enterprises_only(world, run_import):
    run_import(csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "100"), (new_uscc(2), "乙公司", CITY, 2025, "200"),
                          (new_uscc(1), "甲公司", CITY, 2024, "50")]))
    job = run_import(csv_bytes([(new_uscc(1), "甲公司（新名称）", CITY, 2025, "150")]))
    assert (job.status, job.enterprises_created, job.records_written) == (ImportJob.Status.DONE, 0, 1)
    assert figure(new_uscc(1), 2025) == 150
    assert figure(new_uscc(1), 2024) == 50
    assert figure(new_uscc(2), 2025) == 200
    assert Enterprise.objects.get(uscc=new_uscc(1)).name == "甲公司"
    assert ExportRecord.objects.filter(enterprise__uscc=new_uscc(1)).count() == 2


def test_an_xlsx_file_is_read_like_a_csv(world, run_import):
    job = run_import(xlsx_bytes([(new_uscc(1), "甲公司", int(CITY), 2025, 2999999.99),
                                 (new_uscc(2), "乙公司", CITY, "2025", "-5")]), name="海关出口.xlsx")
    assert job.status == ImportJob.Status.REJECTED
    assert report_rows(job) == [["3", "出口额（美元）", "-5", "出口额不能为负数。"]]
    job = run_import(xlsx_bytes([(new_uscc(1), "甲公司", int(CITY), 2025, 2999999.99)]), name="海关出口.xlsx")
    assert job.status == ImportJob.Status.DONE
    assert figure(new_uscc(1), 2025) == Decimal("2999999.99")


def test_a_gbk_csv_from_excel_is_read(world, run_import):
    job = run_import(csv_bytes([(new_uscc(1), "汕尾市甲贸易有限公司", CITY, 2025, "10")], encoding="gb18030"))
    assert job.status == ImportJob.Status.DONE
    assert Enterprise.objects.get(uscc=new_uscc(1)).name == "汕尾市甲贸易有限公司"


def test_a_file_without_the_needed_columns_is_refused_on_line_one(world, run_import):
    job = run_import(csv_bytes([(new_uscc(1), "甲公司", CITY, 2025)], header=["统一社会信用代码", "企业名称", "县区代码", "年度"]))
    assert job.status == ImportJob.Status.REJECTED
    [(line, field, _value, message)] = report_rows(job)
    assert (line, field) == ("1", "文件") and "缺少列：出口额（美元）" in message


def test_an_organisation_code_taken_by_another_enterprise_rolls_everything_back(world, run_import):
    demo = world.demo.enterprise
    body = "91441521" + demo.org_code  # the same organisation code under another region code
    twin = body + calc_check_digit(body)
    assert twin != demo.uscc
    before = snapshot()
    job = run_import(csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "10"), (twin, "冒名公司", HAIFENG, 2025, "10")]))
    assert job.status == ImportJob.Status.REJECTED
    assert snapshot() == before
    [(line, field, value, message)] = report_rows(job)
    assert (line, field, value) == ("3", "统一社会信用代码", twin)
    assert demo.name in message and demo.uscc in message


def test_a_county_bureau_cannot_write_figures_of_an_enterprise_registered_elsewhere(world, run_import):
    demo = world.demo.enterprise  # registered in 城区, outside 海丰县
    job = run_import(csv_bytes([(demo.uscc, demo.name, HAIFENG, 2025, "10")]), user=world.county)
    assert job.status == ImportJob.Status.REJECTED
    [(line, _field, _value, message)] = report_rows(job)
    assert line == "2" and message == "该企业已登记在城区，不在本单位管辖区域内。"


def test_an_import_is_recorded_in_the_audit_chain(world, run_import):
    job = run_import(csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "10")]))
    event = AuditEvent.objects.get(action="exports.import", object_id=str(job.pk))
    assert event.actor == world.bureau and event.data["records_written"] == 1


ORG = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
codes = st.builds(  # well-formed codes, some with a wrong organisation or final check character
    lambda region, body, org_check, fix: (lambda partial: partial + (calc_check_digit(partial) if fix else "Y"))(
        f"91{region}{body}{org_check}"),
    st.text("0123456789", min_size=6, max_size=6), st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8),
    st.sampled_from("0123456789X"), st.booleans(),
)


@given(st.one_of(codes, st.text(alphabet=ORG + "-— ", min_size=16, max_size=20)))
def test_the_code_check_agrees_with_python_stdnum_and_gb_11714(text):
    from stdnum.cn import uscc as stdnum_uscc

    from singlewindow.enterprises.identifiers import is_valid_organisation_code

    text = text.replace("-", "").replace("—", "").replace(" ", "")
    if len(text) != 18:
        expected = f"统一社会信用代码应为18位，当前为{len(text)}位。"
    elif not stdnum_uscc.is_valid(text):
        expected = "统一社会信用代码格式或校验位不正确。"
    elif not is_valid_organisation_code(text[8:17]):
        expected = "统一社会信用代码中的组织机构代码（第9至17位）校验不正确。"
    else:
        expected = None
    assert uscc_problem(text) == expected
    if expected:
        with pytest.raises(ValidationError, match=re.escape(expected)):
            validate_uscc(text)
    else:
        assert validate_uscc(text) == text


def test_the_fast_code_check_accepts_valid_codes():
    for n in range(200):
        assert uscc_problem(new_uscc(n)) is None


cells = st.one_of(st.sampled_from(["", " ", "2025", "441502", "440106", "-1", "1,000.5", "12.345", "0", "3000000",
                                   "1e3", "２０２５", " 2025 ", "甲公司", "x" * 101]), st.text(max_size=6))


@given(st.tuples(st.one_of(codes, cells), cells, cells, cells, cells))
def test_the_short_way_for_good_rows_agrees_with_the_full_rules(values):
    from singlewindow.enterprises.imports import RowChecker
    from singlewindow.regions.models import Region

    checker = RowChecker(Region(code="441500", level=2, name="汕尾市"), 2026, {"441502": "城区", "440106": "天河区"})
    assert checker.check(values) == checker.diagnose(values)


def test_two_codes_sharing_an_organisation_code_inside_the_file_name_the_earlier_row(world, run_import):
    body = "91441521" + new_uscc(1)[8:17]  # new_uscc(1)'s organisation code under 海丰县's region code
    twin = body + calc_check_digit(body)
    before = snapshot()
    job = run_import(csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "10"), (twin, "乙公司", HAIFENG, 2025, "10")]))
    assert job.status == ImportJob.Status.REJECTED and snapshot() == before
    assert report_rows(job) == [["3", "统一社会信用代码", twin, "组织机构代码（第9至17位）与第 2 行的企业相同。"]]


def _schema(table):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname", [table])
        indexes = cursor.fetchall()
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass"
                       " ORDER BY conname", [table])
        return indexes, cursor.fetchall()


@pytest.fixture
def bulk_load(monkeypatch, db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("indexes are set aside for big loads on PostgreSQL only")
    from singlewindow.enterprises import imports

    monkeypatch.setattr(imports, "BULK_ROWS", 1)
    before = {t: _schema(t) for t in ("enterprises_enterprise", "enterprises_exportrecord")}
    yield
    assert {t: _schema(t) for t in before} == before  # every index and constraint is back as it was


def test_a_big_load_rebuilds_the_indexes_it_set_aside_and_writes_the_same(world, run_import, bulk_load):
    demo = world.demo.enterprise
    run_import(csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "100"), (new_uscc(1), "甲公司", CITY, 2024, "50")]))
    job = run_import(csv_bytes([
        (demo.uscc, demo.name, CITY, 2025, "7"), (new_uscc(1), "甲公司（新名称）", CITY, 2025, "150"),
        (new_uscc(2), "乙公司", HAIFENG, 2025, "0"), (new_uscc(2), "乙公司", HAIFENG, 2023, "1"),
    ]))
    assert (job.status, job.enterprises_created, job.records_written) == (ImportJob.Status.DONE, 1, 4)
    assert (figure(new_uscc(1), 2025), figure(new_uscc(1), 2024), figure(demo.uscc, 2025)) == (150, 50, 7)
    assert Enterprise.objects.get(uscc=new_uscc(1)).name == "甲公司"
    assert Enterprise.objects.get(uscc=new_uscc(2)).region_id == HAIFENG
    assert first_broken_link() is None


def test_a_big_load_that_meets_a_conflict_changes_nothing(world, run_import, bulk_load):
    demo = world.demo.enterprise
    body = "91441521" + demo.org_code
    twin = body + calc_check_digit(body)
    before = snapshot()
    job = run_import(csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "10"), (twin, "冒名公司", HAIFENG, 2025, "10")]))
    assert job.status == ImportJob.Status.REJECTED and snapshot() == before
    [(line, _field, _value, message)] = report_rows(job)
    assert line == "3" and demo.uscc in message


def test_the_fast_code_check_rests_on_the_weights_being_powers():
    from singlewindow.enterprises.identifiers import _ORG_WEIGHTS, _USCC_WEIGHTS

    assert [pow(3, i, 31) for i in range(17)] == list(_USCC_WEIGHTS) and 34 % 31 == 3
    assert [pow(2, 8 - i, 11) for i in range(8)] == list(_ORG_WEIGHTS) and 35 % 11 == 2


def test_the_uploaded_file_is_not_kept_once_its_job_ends(world, run_import, import_files):
    from pathlib import Path

    good = run_import(csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "10")]))
    bad = run_import(csv_bytes([(new_uscc(2), "乙公司", CITY, 2025, "-1")]))
    assert (good.status, bad.status) == (ImportJob.Status.DONE, ImportJob.Status.REJECTED)
    assert not Path(good.path).exists() and not Path(bad.path).exists()
    assert Path(bad.report_path).exists()  # the report naming the bad row stays for download
    assert sorted(p.name for p in Path(import_files).iterdir()) == [Path(bad.report_path).name]


def test_a_big_load_waits_for_readers_without_deadlocking_with_them(world, run_import, bulk_load):
    """A reader holds the export records and then asks for the enterprises: the load, which wants both,
    takes neither while it waits, so the reader finishes and the load goes through after it."""
    import threading
    import time

    from singlewindow.bulk import side_connection

    reader = side_connection()
    reader.autocommit = False  # the reader's transaction holds its lock until it commits
    reader.execute("LOCK TABLE enterprises_exportrecord IN ACCESS SHARE MODE")
    done = threading.Event()

    def finish_reading():
        time.sleep(0.5)  # the load is waiting by now
        reader.execute("SELECT count(*) FROM enterprises_enterprise")  # the second table, which a load holding it would block
        reader.commit()
        done.set()

    thread = threading.Thread(target=finish_reading)
    thread.start()
    try:
        job = run_import(csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "10")]))
    finally:
        thread.join(timeout=30)
        reader.close()
    assert done.is_set() and job.status == ImportJob.Status.DONE
