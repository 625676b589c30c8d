"""A file read in many chunks is written exactly as one read at once (on PostgreSQL each chunk is written
while the next is checked, import_load.py), and a big load's plans do not rest on stale statistics."""
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from stdnum.cn.uscc import calc_check_digit

from singlewindow.audit.models import AuditEvent
from singlewindow.audit.services import first_broken_link
from singlewindow.enterprises import import_stage, imports
from singlewindow.enterprises.models import Enterprise, ExportRecord, ImportJob

from .conftest import CITY, HAIFENG, csv_bytes, new_uscc, report_rows


@pytest.fixture(params=["one chunk", "chunks of two rows"])
def chunks(request, monkeypatch):
    if request.param != "one chunk":
        monkeypatch.setattr(imports, "CHUNK", 2)


@pytest.fixture(params=["through the indexes", "indexes set aside"])
def load_size(request, monkeypatch):
    if request.param != "through the indexes":
        monkeypatch.setattr(import_stage, "BULK_ROWS", 1)  # PostgreSQL only; SQLite writes through them always


def snapshot():
    return Enterprise.objects.count(), sorted(ExportRecord.objects.values_list("pk", "export_usd"))


def test_enterprises_with_years_in_several_chunks_and_known_ones_are_written_once_each(
        world, run_import, chunks, load_size):
    demo = world.demo.enterprise
    demo.export_records.update_or_create(year=2024, defaults={"export_usd": 1})
    job = run_import(csv_bytes([
        (new_uscc(1), "甲公司", CITY, 2025, "100"),
        (demo.uscc, "改名的公司", CITY, 2024, "7"),  # known: keeps its name, its 2024 figure is replaced
        (new_uscc(2), "乙公司", HAIFENG, 2025, "200"),
        (new_uscc(1), "甲公司（另一名称）", HAIFENG, 2024, "50"),  # a second year, two chunks later
        (new_uscc(3), "丙公司", CITY, 2025, "300"),
        (new_uscc(1), "甲公司", CITY, 2023, "25"),
    ]))
    assert (job.status, job.error_count, job.enterprises_created, job.records_written, job.years) == (
        ImportJob.Status.DONE, 0, 3, 6, [2023, 2024, 2025])
    first = Enterprise.objects.get(uscc=new_uscc(1))
    assert (first.name, first.region_id) == ("甲公司", CITY)  # named by its first row
    assert sorted(first.export_records.values_list("year", "export_usd")) == [(2023, 25), (2024, 50), (2025, 100)]
    assert list(demo.export_records.filter(year=2024).values_list("export_usd", flat=True)) == [7]
    assert Enterprise.objects.get(pk=demo.pk).name == demo.name
    assert Enterprise.objects.filter(uscc__in=[new_uscc(n) for n in (1, 2, 3)]).count() == 3
    event = AuditEvent.objects.filter(action="exports.import", object_id=str(job.pk)).get()
    assert (event.data["enterprises_created"], event.data["records_written"]) == (3, 6)
    assert first_broken_link() is None


def test_a_code_and_year_given_again_chunks_later_writes_nothing_and_names_both_rows(
        world, run_import, chunks, load_size):
    before = snapshot()
    job = run_import(csv_bytes([
        (new_uscc(1), "甲公司", CITY, 2025, "100"),
        (new_uscc(2), "乙公司", CITY, 2025, "200"),
        (new_uscc(3), "丙公司", CITY, 2025, "300"),
        (new_uscc(4), "丁公司", CITY, 2025, "400"),
        (new_uscc(1), "甲公司", CITY, 2025, "101"),
    ]))
    assert (job.status, job.error_count) == (ImportJob.Status.REJECTED, 1)
    assert report_rows(job) == [["6", "统一社会信用代码", new_uscc(1), "与第 2 行重复：同一企业同一年度（2025）只能有一条记录。"]]
    assert snapshot() == before


def test_a_bad_last_row_after_good_chunks_writes_nothing(world, run_import, chunks, load_size):
    before = snapshot()
    job = run_import(csv_bytes([(new_uscc(n), f"公司{n}", CITY, 2025, "10") for n in range(1, 8)]
                               + [(new_uscc(9), "坏公司", "999999", 2025, "10")]))
    assert (job.status, job.error_count) == (ImportJob.Status.REJECTED, 1)
    assert report_rows(job) == [["9", "县区代码", "999999", "“999999”不是广东省的县级行政区划代码。"]]
    assert snapshot() == before
    assert not Enterprise.objects.filter(uscc=new_uscc(1)).exists()


def test_an_organisation_code_held_by_a_known_enterprise_found_chunks_later_writes_nothing(
        world, run_import, chunks, load_size):
    demo = world.demo.enterprise
    body = "91441521" + demo.org_code
    twin = body + calc_check_digit(body)
    before = snapshot()
    job = run_import(csv_bytes([(new_uscc(n), f"公司{n}", CITY, 2025, "10") for n in range(1, 6)]
                               + [(twin, "冒名公司", HAIFENG, 2025, "10")]))
    assert job.status == ImportJob.Status.REJECTED and snapshot() == before
    [(line, field, value, message)] = report_rows(job)
    assert (line, field, value) == ("7", "统一社会信用代码", twin) and demo.uscc in message


def test_a_known_enterprise_of_another_region_found_chunks_later_writes_nothing(world, run_import, chunks):
    from singlewindow.regions.models import Region

    outside = Region.objects.filter(level=Region.Level.COUNTY).exclude(code__startswith="4415").first()
    elsewhere = Enterprise.objects.create(uscc=new_uscc(50, outside.code), name="外地公司", region=outside)
    before = snapshot()
    job = run_import(csv_bytes([(new_uscc(n), f"公司{n}", CITY, 2025, "10") for n in range(1, 5)]
                               + [(elsewhere.uscc, "外地公司", CITY, 2025, "10")]))
    assert job.status == ImportJob.Status.REJECTED and snapshot() == before
    assert [row[0] for row in report_rows(job)] == ["6"]
    assert outside.name in report_rows(job)[0][3]


# --- stale statistics: an empty, ANALYZEd enterprises table filled by a big import ----------------------

def _nested_loops_over(plan, table):
    """Nested-loop nodes of a JSON plan with `table` anywhere beneath them."""
    found = []

    def tables(node):
        return {node.get("Relation Name")} | {t for child in node.get("Plans", []) for t in tables(child)}

    def walk(node):
        if node.get("Node Type") == "Nested Loop" and table in tables(node):
            found.append(node)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan)
    return found


@pytest.fixture
def plans():
    """Every plan the database runs from here on, as auto_explain sends it (JSON, as notices), on this
    connection and any the job opens after it (the task runner may close and reopen it)."""
    from django.db.backends.signals import connection_created

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner")
    seen = []

    def keep(diagnostic):
        text = diagnostic.message_primary or ""
        if text.startswith("duration:") and "{" in text:
            seen.append(json.loads(text[text.index("{"):]))

    def explain(sender=None, connection=connection, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("LOAD 'auto_explain'")
            for setting, value in (("log_min_duration", "0"), ("log_format", "json"), ("log_level", "notice"),
                                   ("log_nested_statements", "on")):
                cursor.execute(f"SET auto_explain.{setting} = '{value}'")
            cursor.execute("SET statement_timeout = '5min'")  # a plan gone quadratic fails, never hangs
        connection.connection.add_notice_handler(keep)

    connection.ensure_connection()
    explain()
    connection_created.connect(explain)
    yield seen
    connection_created.disconnect(explain)
    connection.close()  # with its settings and handler


@pytest.mark.django_db(transaction=True)  # commits, so the enterprises table can be truly empty
@pytest.mark.parametrize("way", ["written while checked", "staged"])
def test_a_big_import_into_an_empty_analyzed_table_plans_no_nested_loop_over_it(way, monkeypatch, plans):
    from django.core.management import call_command

    from singlewindow.accounts.models import Role, User

    call_command("flush", interactive=False, verbosity=0)  # the committed test world is there otherwise
    call_command("loaddata", "guangdong", verbosity=0)
    user = User.objects.create(username="importer", role=Role.STAFF)
    monkeypatch.setattr(import_stage, "BULK_ROWS", 1)
    if way == "staged":
        monkeypatch.setattr(imports, "_load", lambda job: None)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE enterprises_enterprise")  # the planner now knows it as empty
        cursor.execute("ANALYZE enterprises_exportrecord")
    rows = [(new_uscc(n), f"公司{n}", CITY, 2025, "10") for n in range(20_000)]
    job = imports.submit(user, SimpleUploadedFile("big.csv", csv_bytes(rows)))
    assert (job.status, job.enterprises_created, job.records_written) == (ImportJob.Status.DONE, 20_000, 20_000)
    assert any("INSERT INTO enterprises_enterprise" in p["Query Text"] for p in plans)  # the import's own plans
    over = [p for p in plans if _nested_loops_over(p["Plan"], "enterprises_enterprise")]
    assert not over, json.dumps(over[0]["Query Text"], ensure_ascii=False)
