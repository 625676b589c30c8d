#!/usr/bin/env python
"""One measurement of bench/run.py, in its own process against DATABASE_URL. Prints one JSON line.

    worker.py copy FILE      PostgreSQL COPY of the CSV into a table with no index or constraint
    worker.py import FILE    the real import (enterprises/imports.run) as an operator, end to end
    worker.py import FILE --twice   import once untimed, then time the same file again (replaces figures)
    worker.py prepare FILE   import FILE and make a province-wide scheme (set-up for issue)
    worker.py issue          time batch issuance over that scheme
    worker.py lapse          then time the calendar lapsing every one of them the day after the deadline
    worker.py probe N        INSERT N rows into a table without, then with two indexes (the disk's pace)
    worker.py floor FILE     the least any import must do: COPY, then write both tables, no checks at all
    worker.py pages          after issue: the bureau's pages (统计分析, 企业名单) against a bare view, in process
"""
import datetime as dt
import json
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
django.setup()

from django.db import connection


def rows_in(path):
    with open(path, "rb") as handle:
        return sum(1 for _ in handle) - 1


def copy(path):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_bare (uscc text, name text, county text, year integer, export_usd numeric)")
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        open(path, "rb") as source,
        cursor.copy("COPY bench_bare FROM STDIN (FORMAT csv, HEADER true)") as stream,
    ):
        while block := source.read(1 << 20):
            stream.write(block)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_bare")
        return seconds, cursor.fetchone()[0]


def floor(path):
    """COPY the file into a bare temporary table, then write the enterprises and their figures with the
    indexes set aside and rebuilt, as the import does, but without a single check: a lower bound."""
    from django.db import transaction

    from singlewindow import bulk
    from singlewindow.enterprises.identifiers import organisation_code_sql
    from singlewindow.enterprises.models import Enterprise, ExportRecord

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE raw (uscc text, name text, county text, year smallint, usd numeric)")
        with cursor.copy("COPY raw FROM STDIN (FORMAT csv, HEADER true)") as stream, open(path, "rb") as source:
            while block := source.read(1 << 20):
                stream.write(block)
        bulk.commit_without_waiting()  # as the import does
        cursor.execute("ANALYZE raw")
        with bulk.indexes_set_aside(Enterprise, ExportRecord):
            cursor.execute("INSERT INTO enterprises_enterprise (uscc, org_code, name, name_en, region_id, address,"
                           " legal_representative, customs_code, created_at) SELECT uscc,"
                           f" {organisation_code_sql('uscc')}, name,"
                           " '', county, '', '', '', now() FROM raw")
            cursor.execute("INSERT INTO enterprises_exportrecord (enterprise_id, year, export_usd, source)"
                           " SELECT e.id, r.year, r.usd, '' FROM raw r JOIN enterprises_enterprise e USING (uscc)")
            rows = cursor.rowcount
    return time.perf_counter() - started, rows


def probe(rows):
    """How fast this PostgreSQL writes indexed rows: the same rows into a table without and with two indexes."""
    times = {}
    with connection.cursor() as cursor:
        for name, ddl in (("no index", "a bigint, b text"), ("two indexes", "a bigint primary key, b text unique")):
            cursor.execute(f"CREATE TABLE bench_probe ({ddl})")
            started = time.perf_counter()
            cursor.execute("INSERT INTO bench_probe SELECT g, md5(g::text) FROM generate_series(1, %s) g", [rows])
            times[name] = time.perf_counter() - started
            cursor.execute("DROP TABLE bench_probe")
    return times


def operator():
    from singlewindow.accounts.models import Role, User

    return User.objects.get_or_create(username="bench_operator", defaults={"role": Role.STAFF})[0]


PHASES = {}


def _timed(name, function):
    """Wrap an import step so the bench can say where the time went (bench-only instrumentation)."""
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            PHASES[name] = PHASES.get(name, 0) + time.perf_counter() - started
    return wrapper


def import_file(path):
    from singlewindow.enterprises import imports
    from singlewindow.enterprises.models import ImportJob

    if not PHASES:
        from singlewindow.enterprises import import_load

        imports._read = _timed("read, check (and stage)", imports._read)
        # PostgreSQL: the check runs in a thread while the chunks are written; the end is what follows it
        import_load.load = _timed("checked and written at once", import_load.load)
        import_load._write_rest = _timed("  of which the rows left for the end", import_load._write_rest)
        imports.Stage.find_duplicates = _timed("duplicates", imports.Stage.find_duplicates)
        imports.merge = _timed("staged write (enterprises, figures)", imports.merge)
    PHASES.clear()

    job = ImportJob.objects.create(uploaded_by=operator(), file_name=Path(path).name, path=str(path),
                                   size=Path(path).stat().st_size)
    started = time.perf_counter()
    imports.run(job)
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    if job.status != ImportJob.Status.DONE:
        raise SystemExit(f"import refused the file: {job.errors_preview[:3]}")
    return seconds, job.records_written


def prepare(path):
    """Import FILE and make a province-wide scheme with its insurer (untimed set-up for `issue`)."""
    from singlewindow.accounts.models import Role, User
    from singlewindow.policies.models import Agreement, InsurerBranch, IssuanceRun, Scheme

    seconds, rows = import_file(path)
    branch = InsurerBranch.objects.create(code="GD", name="中国信保广东分公司")
    branch.regions.set(["440000"])
    insurer = User.objects.create(username="bench_insurer", role=Role.INSURER, insurer_branch=branch)
    agreement = Agreement.objects.create(version="bench", title="中国出口信用保险公司客户网上服务协议", body="…")
    scheme = Scheme.objects.create(
        name="2026年广东省小微企业出口信用保险统保方案（基准测试）", year=2026, region_id="440000", basis_year=2025,
        threshold_usd=Decimal(3000000), insurer_branch=branch, cover_start=dt.date(2026, 1, 1),
        cover_end=dt.date(2026, 12, 31), confirm_deadline=dt.date(2026, 6, 30), indemnity_ratio=Decimal(80),
        max_indemnity_usd=Decimal(150000), risks_covered="商业风险和政治风险", premium_rule="rate",
        premium_rate=Decimal("0.3"), premium_min=Decimal(300), premium_max=Decimal(6000),
        usd_cny_rate=Decimal("7.1"), province_share=Decimal(80), city_share=Decimal(20), agreement=agreement,
    )
    IssuanceRun.objects.create(scheme=scheme, started_by=insurer)
    return seconds, rows


def issue():
    from singlewindow.policies import issuance
    from singlewindow.policies.models import IssuanceRun, Policy

    run = IssuanceRun.objects.select_related("scheme__region", "started_by").get()
    started = time.perf_counter()
    issued = issuance.issue_all(run)
    seconds = time.perf_counter() - started
    assert Policy.objects.count() == issued
    return seconds, issued


def lapse():
    from singlewindow.policies import services
    from singlewindow.policies.models import Scheme

    scheme = Scheme.objects.get()
    started = time.perf_counter()
    lapsed = services.lapse_overdue(today=scheme.confirm_deadline + dt.timedelta(days=1))
    return time.perf_counter() - started, lapsed


def _status_mix():
    """Give the issued policies the statuses a scheme has halfway through (bench set-up, by SQL)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE policies_policy SET status = 'effective' WHERE id % 10 < 4")
        cursor.execute("UPDATE policies_policy SET status = 'confirmed' WHERE id % 10 = 4")
        cursor.execute("UPDATE policies_policy SET status = 'returned' WHERE id % 10 = 5")
        cursor.execute("UPDATE policies_policy SET status = 'declined' WHERE id % 10 = 6")
    from django.db import transaction

    from singlewindow.policies import tally

    with transaction.atomic():
        tally.rebuild()  # the statuses were written by hand, past the services that keep it


def pages():
    """Median milliseconds of warm requests through the whole stack (middleware, session, templates) to the
    bureau's pages at this data size, each over a bare view in the same process: {label: (ms, ratio)}."""
    import statistics

    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    from singlewindow.accounts.models import Role, User
    from singlewindow.enterprises.models import Enterprise
    from singlewindow.regions.models import Region

    _status_mix()
    province = User.objects.create(username="bench_province", role=Role.BUREAU, region=Region.objects.get(pk="440000"))
    county_code = Enterprise.objects.values_list("region", flat=True).order_by("region").first()
    county = User.objects.create(username="bench_county", role=Role.BUREAU, region_id=county_code)
    middle = Enterprise.objects.order_by("uscc").values_list("uscc", flat=True)[Enterprise.objects.count() // 2]
    name = Enterprise.objects.values_list("name", flat=True).first()[2:6]
    cases = [
        ("bare view, anonymous", None, "/bench/bare/"),
        ("bare view that loads the user", province, "/bench/user/"),
        ("统计分析, province", province, "/bureau/"),
        ("统计分析, one county", county, "/bureau/"),
        ("企业名单, first page, province", province, "/bureau/enterprises/"),
        ("企业名单, page at the middle key", province, f"/bureau/enterprises/?after={middle}"),
        ("企业名单, 已退回 in one county", province, f"/bureau/enterprises/?status=returned&county={county_code}"),
        ("企业名单, search by name", province, f"/bureau/enterprises/?q={name}"),
    ]
    results = {}
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(ROOT_URLCONF="bench_urls", ALLOWED_HOSTS=["testserver"], DEBUG=False, STORAGES=storages):
        for label, user, url in cases:
            client = Client()
            if user is not None:
                client.force_login(user)
            for _ in range(2):
                assert client.get(url).status_code == 200, (label, url)
            times = []
            for _ in range(15):
                started = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            results[label] = statistics.median(times)
    base = results["bare view that loads the user"]
    return {label: (ms, base / ms) for label, ms in results.items()}


def main():
    what, path = sys.argv[1], (sys.argv[2:] or [""])[0]
    if what == "copy":
        seconds, rows = copy(path)
    elif what == "import":
        if "--twice" in sys.argv:
            import_file(path)
        seconds, rows = import_file(path)
    elif what == "probe":
        times = probe(int(path))
        print(json.dumps(times))
        return
    elif what == "prepare":
        seconds, rows = prepare(path)
    elif what == "issue":
        seconds, rows = issue()
    elif what == "floor":
        seconds, rows = floor(path)
    elif what == "lapse":
        seconds, rows = lapse()
    elif what == "pages":
        print(json.dumps(pages()))
        return
    else:
        raise SystemExit(f"unknown measurement {what}")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "rows": rows, "rows_per_s": rows / seconds, "peak_rss_mb": peak_kb / 1024,
                      "phases": PHASES}))


if __name__ == "__main__":
    main()
