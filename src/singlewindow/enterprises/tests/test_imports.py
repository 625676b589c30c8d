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
from singlewindow.enterprises.identifiers import uscc_problem, validate_uscc
from singlewindow.enterprises.models import Enterprise, ExportRecord, ImportJob
from singlewindow.spreadsheets import safe_cell

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
    ((None, "甲公司", CITY, "2025", "12.345"), "出口额（美元）", "出口额最多两位小数"),
    ((None, "甲公司", CITY, "2025", "一百"), "出口额（美元）", "出口额应为数字（美元，最多两位小数），如 1234567.89"),
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
    assert report_rows(job) == [["3", "出口额（美元）", "'-5", "出口额不能为负数。"]]  # '-5: not a formula
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


def _code(region, body, org_check, fix):
    partial = f"91{region}{body}{org_check}"
    return partial + (calc_check_digit(partial) if fix else "Y")


codes = st.builds(  # well-formed codes, some with a wrong organisation or final check character
    _code,
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
                                   "1e3", "２０２５", " 2025 ", "甲公司", "x" * 101, "1,234,567.89", "1234,56",
                                   "9999999999999.99", "10000000000000", "999,999,999,999.99", "9,999,999,999,999",
                                   "1,000,000,000,000.5", "<b>甲</b>", "=1", "\u202e甲", "١٢٣", "1_0"]),
                  st.text(max_size=6), st.integers(0, 10**14).map(lambda n: f"{n:,}"))


@given(st.tuples(st.one_of(codes, cells), cells, cells, cells, cells))
def test_the_short_way_for_good_rows_agrees_with_the_full_rules(values):
    from singlewindow.enterprises.import_rows import RowChecker
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
    from singlewindow.enterprises import import_stage

    monkeypatch.setattr(import_stage, "BULK_ROWS", 1)
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


# --- amounts: plain ASCII decimals, at most two places, commas only as thousands separators ------------

ASCII_DIGITS = "0123456789"
OTHER_DIGITS = [chr(c) for c in range(0x80, 0x110000) if chr(c).isdigit()]  # Arabic-Indic, full-width, ...
LIMIT = Decimal("1e13")  # 15 significant digits with the cents: what SQLite keeps and reads back exactly


def amount_rule(text):
    """The rule, written out apart from the import's regular expressions: the amount, or None."""
    text = text.strip()
    whole, point, cents = text.partition(".")
    if point and not (1 <= len(cents) <= 2 and all(c in ASCII_DIGITS for c in cents)):
        return None
    groups = whole.split(",")
    if not all(groups) or not all(c in ASCII_DIGITS for group in groups for c in group):
        return None
    if len(groups) > 1 and not (len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
        return None
    return Decimal(whole.replace(",", "") + point + cents)


def checker():
    from singlewindow.enterprises.import_rows import RowChecker
    from singlewindow.regions.models import Region

    return RowChecker(Region(code="441500", level=2, name="汕尾市"), 2026, {"441502": "城区"})


def amount_read(text):
    """What the import makes of `text` as the amount of an otherwise good row: the Decimal, or the message."""
    values = (new_uscc(1), "甲公司", "441502", "2025", text)
    row, errors = checker().check(values)
    assert checker().diagnose(values)[0] == row  # the short way agrees with the full rules
    if row:
        return row[4]
    [(field, _value, message)] = errors
    assert field == "export_usd"
    return message


@st.composite
def well_formed_amounts(draw):
    whole = draw(st.one_of(st.integers(0, 10**6), st.integers(0, 10**16)))
    cents = draw(st.sampled_from(["", ".0", ".5", ".00", ".05", ".99"]) | st.text(ASCII_DIGITS, min_size=1, max_size=2)
                 .map(lambda d: "." + d))
    if draw(st.booleans()):
        return f"{whole:,}{cents}"
    return draw(st.sampled_from(["", "0", "00"])) + str(whole) + cents


@given(well_formed_amounts())
def test_every_well_formed_amount_is_read_exactly_or_refused_as_too_large(text):
    value = amount_rule(text)
    assert value is not None
    read = amount_read(text)
    if value < LIMIT:
        assert read == value
    else:
        assert read == "出口额超出可记录的范围（最大 9,999,999,999,999.99 美元）。"


def _break(text, draw):
    """`text` made into something else that looks like an amount."""
    kind = draw(st.sampled_from(["sign", "exponent", "underscore", "comma", "cents", "digit", "space"]))
    at = draw(st.integers(0, len(text)))
    if kind == "sign":
        return draw(st.sampled_from(["+", "-", "−", "＋", "－", "±"])) + text
    if kind == "exponent":
        return text + draw(st.sampled_from(["e5", "E5", "e-2", "E+3", "e0"]))
    if kind == "underscore":
        return text[:max(at, 1)] + "_" + text[max(at, 1):] if len(text) > 1 else text + "_0"
    if kind == "comma":
        return draw(st.sampled_from([text.replace(".", ","), text + ",5", text + ",12", "1,2," + text,
                                     text[:1] + "," + text[1:] + "0000"]))
    if kind == "cents":
        return text.split(".")[0] + "." + draw(st.text(ASCII_DIGITS, min_size=3, max_size=6))
    if kind == "digit":
        digits = [i for i, c in enumerate(text) if c in ASCII_DIGITS]
        i = draw(st.sampled_from(digits))
        return text[:i] + draw(st.sampled_from(OTHER_DIGITS)) + text[i + 1:]
    return text[:max(at, 1)] + draw(st.sampled_from([" ", "\u3000", "\u00a0"])) + text[max(at, 1):] \
        if len(text) > 1 else text + " 0"


@given(st.data())
def test_anything_else_that_looks_like_an_amount_is_refused_on_its_field(data):
    text = _break(data.draw(well_formed_amounts()), data.draw)
    if amount_rule(text) is not None:  # a break that happens to give a well-formed amount (",5" after "1,2,")
        return
    assert isinstance(amount_read(text), str)


@given(st.text(alphabet=ASCII_DIGITS + ",.+-eE_ \u00a0٣۴５߁²", max_size=20))
def test_an_amount_is_accepted_exactly_when_the_rule_says(text):
    value = amount_rule(text)
    read = amount_read(text)
    if value is not None and value < LIMIT:
        assert read == value
    else:
        assert isinstance(read, str)


@pytest.mark.parametrize("text, message", [
    ("1234,56", "出口额中的逗号只能作千位分隔符"), ("1,2,3", "出口额中的逗号只能作千位分隔符"),
    ("1e5", "出口额应为数字"), ("1_000", "出口额应为数字"), ("+5", "出口额应为数字"),
    ("١٢٣٤", "出口额只能使用半角阿拉伯数字"), ("１２３４", "出口额只能使用半角阿拉伯数字"),
    ("12.345", "出口额最多两位小数"), ("1,234.567", "出口额最多两位小数"),
    ("12345678901234.56", "出口额超出可记录的范围"), ("99999999999999.99", "出口额超出可记录的范围"),
    ("10000000000000", "出口额超出可记录的范围"),
])
def test_the_probes_amounts_are_refused_naming_row_and_field(world, run_import, text, message):
    job = run_import(csv_bytes([(new_uscc(1), "好公司", CITY, 2025, "5"), (new_uscc(2), "甲公司", CITY, 2025, text)]))
    assert job.status == ImportJob.Status.REJECTED
    [(line, field, value, said)] = report_rows(job)
    assert (line, field, value) == ("3", "出口额（美元）", safe_cell(text)) and said.startswith(message)
    assert not ExportRecord.objects.filter(enterprise__uscc__in=[new_uscc(1), new_uscc(2)]).exists()


def test_the_largest_amount_is_stored_and_read_back_exactly(world, run_import):
    job = run_import(csv_bytes([(new_uscc(1), "甲公司", CITY, 2025, "9,999,999,999,999.99"),
                                (new_uscc(2), "乙公司", CITY, 2025, "1234567890123.45"),
                                (new_uscc(3), "丙公司", CITY, 2025, "0012.5")]))
    assert job.status == ImportJob.Status.DONE
    assert figure(new_uscc(1), 2025) == Decimal("9999999999999.99")
    assert figure(new_uscc(2), 2025) == Decimal("1234567890123.45")
    assert figure(new_uscc(3), 2025) == Decimal("12.50")


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**20, 10**20).map(float)
       | st.decimals(0, 10**14, places=2).map(float))
def test_a_numeric_xlsx_cell_follows_the_same_rule_and_is_never_rounded(number):
    """openpyxl gives numbers as floats: one is taken when a decimal of at most two places stands for
    exactly it (what Excel keeps for 1234.5 or 2999999.99), and read as that decimal."""
    import math

    from singlewindow.enterprises.import_files import _cell

    read = amount_read(_cell(number))
    exact = math.isfinite(number) and 0 <= number < LIMIT and float(Decimal(number).quantize(Decimal("0.01"))) == number
    if exact:
        assert isinstance(read, Decimal) and float(read) == number and read == read.quantize(Decimal("0.01"))
    else:
        assert isinstance(read, str)


def test_numeric_xlsx_cells_with_more_than_two_decimals_or_out_of_range_are_refused(world, run_import):
    from .test_import_files import Num, workbook

    rows = [(new_uscc(i), f"企业{i}", CITY, 2025, Num(v)) for i, v in enumerate(
        ["12.345", "0.30000000000000004", "1E-5", "1e400", "123456789012345678", "2999999.99", "2500000"], start=1)]
    job = run_import(workbook(rows), name="exports.xlsx")
    assert job.status == ImportJob.Status.REJECTED
    assert [(line, value) for line, _field, value, _said in report_rows(job)] == [
        ("2", "12.345"), ("3", "0.30000000000000004"), ("4", "1e-05"), ("5", "inf"), ("6", "123456789012345678")]


# --- names: the one text rule (validators.no_markup) -----------------------------------------------------

@pytest.mark.parametrize("name, shown", [
    ("<script>alert(1)</script>公司", "<script>alert(1)</script>公司"), ("甲&#60;公司", "甲&#60;公司"),
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+86公司", "'+86公司"), ("-甲公司", "'-甲公司"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\u202e司公甲", "[U+202E]司公甲"), ("甲\u2066公司\u2069", "甲[U+2066]公司[U+2069]"),
    ("甲\x07公司", "甲[U+0007]公司"), ("甲\x00公司", "甲[U+0000]公司"), ("甲\u200f公司", "甲[U+200F]公司"),
])
def test_a_name_with_markup_controls_bidi_overrides_or_a_formula_is_refused(world, run_import, name, shown):
    job = run_import(csv_bytes([(new_uscc(1), "好公司", CITY, 2025, "5"), (new_uscc(2), name, CITY, 2025, "5")]))
    assert job.status == ImportJob.Status.REJECTED and not Enterprise.objects.filter(uscc=new_uscc(1)).exists()
    problems = [row for row in report_rows(job) if row[1] == "企业名称"]
    assert problems == [["3", "企业名称", shown, problems[0][3]]]
    assert problems[0][3] in ("不能包含 < > 等标记、控制字符或文字方向控制符。", "不能以 = + - @ 等公式符号开头。")


@given(st.text(max_size=12) | st.sampled_from(["甲公司", " 甲公司 ", "<b>甲</b>", "=1", "\u202e甲", "A&B 公司"]))
def test_a_name_is_taken_exactly_when_the_one_text_rule_takes_it(name):
    from singlewindow.validators import no_markup

    try:
        no_markup(name.strip())
        allowed = bool(name.strip())
    except ValidationError:
        allowed = False
    row, _errors = checker().check((new_uscc(1), name, "441502", "2025", "1"))
    assert (row is not None) == allowed and checker().diagnose((new_uscc(1), name, "441502", "2025", "1"))[0] == row
    if allowed:
        assert row[1] == name.strip()


def test_the_write_names_every_column_of_the_model_so_a_new_one_is_not_forgotten():
    from singlewindow.enterprises.import_stage import _insert_select

    columns, values, params = _insert_select(Enterprise, {
        "uscc": "s.uscc", "org_code": "s.org", "name": "s.name", "region_id": "s.county", "created_at": ("%s", ["now"])})
    assert columns.split(", ") == [f.column for f in Enterprise._meta.concrete_fields if not f.primary_key]
    assert values.split(", ")[0] == "s.uscc" and values.count("%s") == len(params)
    assert params[-1] == "now" and set(params[:-1]) == {""}  # the blank CharFields get their default


def test_the_write_refuses_a_column_it_has_nothing_for_or_does_not_know():
    from django.core.exceptions import ImproperlyConfigured

    from singlewindow.enterprises.import_stage import _insert_select

    every = {"uscc": "s.uscc", "org_code": "s.org", "name": "s.name", "region_id": "s.county", "created_at": "now"}
    for required in ("org_code", "name", "region_id", "created_at"):  # no default: never a NULL or '' made up
        with pytest.raises(ImproperlyConfigured, match="nothing to write"):
            _insert_select(Enterprise, {column: sql for column, sql in every.items() if column != required})
    with pytest.raises(ImproperlyConfigured, match="amount"):
        _insert_select(ExportRecord, {"amount": "s.export_usd"})
