#!/usr/bin/env python
"""`make bench`: the export-list import and batch issuance at scale, printed as one table.

Each measurement runs in a fresh child process (bench/worker.py) against a fresh database, so its peak
RSS is its own. PostgreSQL databases are made from a migrated template and dropped at the end; SQLite
files live under var/bench/. Figures on a 2-core machine shared with other work are noisy: run twice.

    .venv/bin/python bench/run.py [--rows 1000000] [--small 100000] [--policies 200000] [--skip-sqlite]
                                  [--skip-big-issuance] [--skip-rush]
                                  [--reimport] [--only-import]
    .venv/bin/python bench/run.py --load [--keep-load]    (only the pages under load: bench/load.py)
    .venv/bin/python bench/run.py --rush [--rush-argon2]  (only the deadline rush: bench/rush.py)

After the import and issuance table it runs the pages under load and the deadline rush, each printing its own
table beside the bare views (or the floor) measured in the same run.
"""
import argparse
import csv
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
VAR = ROOT / "var" / "bench"
PY = sys.executable
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@localhost:5432")
PG_DB = os.environ.get("BENCH_PG_DB", "singlewindow_bench")  # its own name for each bench run at once
YEAR = 2025
HEADER = ["统一社会信用代码", "企业名称", "县区代码", "年度", "出口额（美元）"]
WORDS = [
    "海丰", "陆丰", "陆河", "红海", "品清", "金厢", "碣石", "甲子", "南塘",
    "东海", "梅陇", "可塘", "河田", "螺溪", "新田", "马宫", "捷胜", "鲘门",
]
TRADES = ["进出口", "贸易", "电子", "服饰", "工艺品", "五金", "水产", "食品", "塑胶", "珠宝"]


# --- data ---------------------------------------------------------------------------------------------

def counties():
    fixture = json.loads((ROOT / "src/singlewindow/regions/fixtures/guangdong.json").read_text())
    return [row["pk"] for row in fixture if row["fields"]["level"] == 3]


def export_file(rows, *, eligible_only=False, seed=2025):
    """rows distinct enterprises with one YEAR figure each; cached under var/bench/."""
    from singlewindow.enterprises.identifiers import make_uscc

    path = VAR / f"exports-{rows}{'-eligible' if eligible_only else ''}.csv"
    if path.exists():
        return path
    rng = random.Random(seed)
    codes = counties()
    top = 2_999_999 if eligible_only else 6_000_000
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            county = codes[i % len(codes)]
            uscc = make_uscc("91", county, f"{10_000_000 + i:08d}")
            name = f"{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.choice(TRADES)}有限公司{i:07d}"
            writer.writerow([uscc, name, county, YEAR, f"{rng.randrange(100, top * 100) / 100:.2f}"])
    tmp.rename(path)
    return path


# --- databases ----------------------------------------------------------------------------------------

def pg(sql):
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def env_for(url):
    return {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "SW_VAR_DIR": str(VAR), "SW_DEMO": "1",
            "DJANGO_SETTINGS_MODULE": "singlewindow.settings", "PYTHONPATH": str(ROOT / "src")}


def migrate(url):
    subprocess.run([PY, str(ROOT / "manage.py"), "migrate", "-v0", "--noinput"], env=env_for(url), check=True)


class Postgres:
    template = f"{PG_DB}_template"

    def __init__(self):
        pg(f"DROP DATABASE IF EXISTS {self.template}")
        pg(f"CREATE DATABASE {self.template}")
        migrate(f"{PG_URL}/{self.template}")
        self.made = []
        import psycopg

        with psycopg.connect(f"{PG_URL}/{self.template}") as conn:
            self.indexes = dict(conn.execute(
                "SELECT tablename, count(*) FROM pg_indexes WHERE tablename IN ('enterprises_enterprise',"
                " 'enterprises_exportrecord', 'policies_policy', 'audit_auditevent', 'notifications_notice')"
                " GROUP BY tablename ORDER BY tablename").fetchall())

    def fresh(self, name):
        pg(f"DROP DATABASE IF EXISTS {name}")
        pg(f"CREATE DATABASE {name} TEMPLATE {self.template}")
        self.made.append(name)
        return f"{PG_URL}/{name}"

    def drop_all(self):
        for name in [*self.made, self.template]:
            pg(f"DROP DATABASE IF EXISTS {name}")


class Sqlite:
    def __init__(self):
        self.template = VAR / "template.sqlite3"
        self.template.unlink(missing_ok=True)
        migrate(f"sqlite:///{self.template}")

    def fresh(self, name):
        path = VAR / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copy(self.template, path)
        return f"sqlite:///{path}"


def measure(url, *args):
    """Run one measurement in a child; returns its JSON result."""
    done = subprocess.run([PY, str(ROOT / "bench/worker.py"), *args], env=env_for(url), check=False,
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"worker {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- report -------------------------------------------------------------------------------------------

def machine():
    with open("/proc/cpuinfo") as cpuinfo:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    with open("/proc/meminfo") as meminfo:
        mem = next((int(line.split()[1]) // 1024 // 1024 for line in meminfo if line.startswith("MemTotal")), 0)
    import sqlite3

    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres") as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
    return (f"{cpu}, {os.cpu_count()} cores, {mem} GiB RAM; Python {platform.python_version()}, "
            f"PostgreSQL {server}, SQLite {sqlite3.sqlite_version}; load average {os.getloadavg()[0]:.2f} at start")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--policies", type=int, default=200_000)
    parser.add_argument("--skip-big-issuance", action="store_true",
                        help="skip issuing --rows policies (the memory check at the import's size; about 90 s)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--reimport", action="store_true", help="also time a re-import of the big file")
    parser.add_argument("--only-import", action="store_true",
                        help="only the import at --small and --rows, COPY and the floor (PostgreSQL; about a minute)")
    parser.add_argument("--only-pages", action="store_true",
                        help="only the bureau's pages at --small enterprises (PostgreSQL; about a minute)")
    parser.add_argument("--load", action="store_true",
                        help="only the pages under load: gunicorn and wrk at --small enterprises with ten schemes'"
                             " policies, PostgreSQL and Redis (bench/load.py; about 10 minutes)")
    parser.add_argument("--keep-load", action="store_true",
                        help="keep the load bench's database and reuse it in the next run with this flag (for trying"
                             " a change to the pages; the figures to report come from a fresh build)")
    parser.add_argument("--rush", action="store_true",
                        help="only the deadline rush: --rush-enterprises log in, open and confirm their 待确认 policy on"
                             " two app processes with PostgreSQL and Redis (bench/rush.py; 5,000 took 17 min here)")
    parser.add_argument("--skip-rush", action="store_true", help="make bench without the deadline rush (about 6 min)")
    parser.add_argument("--rush-enterprises", type=int, default=5_000)
    parser.add_argument("--rush-clients", type=int, default=16, help="client processes of the rush")
    parser.add_argument("--rush-argon2", action="store_true", help="the rush with production's argon2 passwords")
    opts = parser.parse_args()
    VAR.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}", flush=True)
    started = time.monotonic()
    print("preparing files and databases…", flush=True)
    if opts.only_pages:
        return pages_only(opts)
    if opts.rush:
        return rush_only(opts)
    if opts.load:
        return load_only(opts)
    big, small = export_file(opts.rows), export_file(opts.small)
    issuance_sizes = [] if opts.only_import else [opts.small, opts.policies] + ([] if opts.skip_big_issuance
                                                                              else [opts.rows])
    eligible = {n: export_file(n, eligible_only=True) for n in issuance_sizes}
    page_results, floors = {}, {}
    lines, notes = [], []

    def add(label, rows, result, ratio=None):
        lines.append((label, rows, result, ratio))
        print(_line(label, rows, result, ratio), flush=True)
        if result.get("phases"):
            notes.append(f"{label}, {rows:,} rows: " + ", ".join(
                f"{name} {seconds:.1f} s" for name, seconds in result["phases"].items()))

    print(HEAD, flush=True)
    postgres = Postgres()
    try:
        probe = measure(postgres.fresh(f"{PG_DB}_probe"), "probe", "200000")
        for path, rows in ((small, opts.small), (big, opts.rows)):
            copy = measure(postgres.fresh(f"{PG_DB}_copy"), "copy", str(path))
            imp = measure(postgres.fresh(f"{PG_DB}_import"), "import", str(path))
            add("PostgreSQL COPY into a bare table", rows, copy)
            add("import, PostgreSQL (new enterprises)", rows, imp, imp["rows_per_s"] / copy["rows_per_s"])
            if rows == opts.rows:
                least = measure(postgres.fresh(f"{PG_DB}_floor"), "floor", str(path))
                add("  floor: COPY + write both tables, no check", rows, least, least["rows_per_s"] / copy["rows_per_s"])
                floors[rows] = (imp, least)
            if rows == opts.rows and opts.reimport:
                again = measure(postgres.fresh(f"{PG_DB}_import"), "import", str(path), "--twice")
                add("re-import of the same year, PostgreSQL", rows, again, again["rows_per_s"] / copy["rows_per_s"])
        for policies in issuance_sizes:
            url = postgres.fresh(f"{PG_DB}_issue")
            measure(url, "prepare", str(eligible[policies]))
            add("batch issuance, PostgreSQL (policies)", policies, measure(url, "issue"))
            if policies == opts.small:
                page_results = measure(url, "pages")
            if policies == opts.policies:
                add("calendar lapses them, PostgreSQL", policies, measure(url, "lapse"))
    finally:
        postgres.drop_all()
    if not (opts.skip_sqlite or opts.only_import):
        sqlite = Sqlite()
        for path, rows in ((small, opts.small), (big, opts.rows)):
            add("import, SQLite (new enterprises)", rows, measure(sqlite.fresh("import"), "import", str(path)))
        url = sqlite.fresh("issue")
        measure(url, "prepare", str(eligible[opts.policies]))
        add("batch issuance, SQLite (policies)", opts.policies, measure(url, "issue"))
        add("calendar lapses them, SQLite", opts.policies, measure(url, "lapse"))
    print()
    print(HEAD)
    for line in lines:
        print(_line(*line))
    print("-" * 94)
    print("vs COPY: the import's rate (end to end: read, validate every row, stage, check duplicates, create")
    print("enterprises, upsert figures, audit) over COPY's rate for the same file into a table with no index.")
    print(f"goals: import >= 0.50x COPY; {opts.policies:,} policies < 20 s; peak RSS flat from {opts.small:,} "
          f"to {opts.rows:,} rows.")
    print("floor: what any all-or-nothing import into these two tables must do at least (COPY the file, insert")
    print("the enterprises and their figures, rebuild the indexes) in one transaction, without checking anything.")
    for rows, (imp, least) in floors.items():
        print(f"import over its floor, {rows:,} rows, same run: {imp['rows_per_s'] / least['rows_per_s']:.2f}x"
              f" (import {imp['seconds']:.2f} s, floor {least['seconds']:.2f} s; goal >= 0.80x, issue 15 #6)")
    print("where the import's time went:")
    for note in notes:
        print(f"  {note}")
    print(f"this PostgreSQL's pace for context: INSERT of 200,000 rows took {probe['no index']:.2f} s into a table "
          f"without an index, {probe['two indexes']:.2f} s with two;")
    print(f"indexes kept on the tables written: {', '.join(f'{t} {n}' for t, n in postgres.indexes.items())};")
    print("an import of 50,000 rows or more rebuilds those of enterprises and export records once instead.")
    print_pages(page_results, opts.small)
    pages = None if opts.only_import else load_only(opts)
    rush = None if (opts.only_import or opts.skip_rush) else rush_only(opts)
    print_goals(floors, pages, rush)
    print(f"load average now {os.getloadavg()[0]:.2f}; total bench time {time.monotonic() - started:.0f} s")


def rush_only(opts):
    """The deadline rush (bench/rush.py), on a database of its own."""
    import rush

    postgres = Postgres()
    try:
        return rush.run(postgres.fresh(f"{PG_DB}_rush"), export_file(opts.rush_enterprises, eligible_only=True),
                        opts.rush_enterprises, clients=opts.rush_clients, argon2=opts.rush_argon2)
    finally:
        postgres.drop_all()


def pages_only(opts):
    postgres = Postgres()
    try:
        url = postgres.fresh(f"{PG_DB}_pages")
        measure(url, "prepare", str(export_file(opts.small, eligible_only=True)))
        measure(url, "issue")
        print_pages(measure(url, "pages"), opts.small)
    finally:
        postgres.drop_all()


def load_only(opts):
    """The pages under load (bench/load.py), on a database of their own."""
    import load

    if opts.keep_load:  # a database of its own, not dropped; migrated again for the change being tried
        kept = VAR / f"load-world-{opts.small}.json"
        name = f"{PG_DB}_load_kept"
        if not kept.exists():
            pg(f"DROP DATABASE IF EXISTS {name}")
            pg(f"CREATE DATABASE {name}")
        migrate(f"{PG_URL}/{name}")
        return load.run(f"{PG_URL}/{name}", export_file(opts.small, eligible_only=True), opts.small, counties(),
                        kept=kept)
    postgres = Postgres()
    try:
        return load.run(postgres.fresh(f"{PG_DB}_load"), export_file(opts.small, eligible_only=True), opts.small,
                        counties())
    finally:
        postgres.drop_all()


def print_goals(floors, pages, rush):
    """Issue 15's figures of this run in one table, each beside what it is measured against and its goal."""
    import load
    from rush import passed, percentile

    rows = []
    for count, (imp, least) in floors.items():
        ratio = imp["rows_per_s"] / least["rows_per_s"]
        rows.append((f"import of {count:,} rows", f"{imp['seconds']:.1f} s", f"floor {least['seconds']:.1f} s",
                     f"{ratio:.2f}x", ">= 0.80x floor", ratio >= 0.8))
    if pages:
        anon, user = load.baselines(pages)
        for label, row in pages.items():
            base, of = (anon, "anon") if label in (load.ANON, load.USER, load.UNCACHED) else (user, "user")
            rows.append((label, f"{row['rate']:.0f} req/s", f"{of} {base:.0f} req/s", f"{row['rate'] / base:.2f}x",
                         f"{load.PAGES[label][1]}, p99 {row['p99']:.0f} ms, {row['ms']:.1f} ms single",
                         load.verdict(label, row, anon, user) == "PASS"))
    if rush:
        n, confirms = rush["users"], rush["steps"]["confirm"]
        rows.append((f"deadline rush, {n:,} enterprises", f"p99 {percentile(confirms, 0.99):.0f} ms",
                     f"p50 {percentile(confirms, 0.5):.0f} ms", f"{len(rush['errors'])} errors",
                     f"{rush['confirm_events']:,} confirmed, chain {'verifies' if rush['verify_ok'] else 'BROKEN'}",
                     passed(rush)))
    if not rows:
        return
    print("\nissue 15's goals, this run (each figure beside its baseline of the same run):")
    print(f"{'figure':<34} {'measured':>12} {'against':>20} {'ratio':>12}  goal / detail")
    print("-" * 120)
    for label, got, against, ratio, goal, ok in rows:
        print(f"{load._pad(label, 34)} {got:>12} {against:>20} {ratio:>12}  {'PASS' if ok else 'MISS'}  {goal}")


def print_pages(results, enterprises):
    """The page benchmarks: median of 15 warm requests in process, as ratios to the logged-in bare view."""
    if not results:
        return
    print(f"\npages on PostgreSQL, {enterprises:,} enterprises each with a policy (40 % 已生效, 10 % each 审批中, "
          "已退回, 已放弃, the rest 待确认):")
    print(f"{'page':<42} {'median ms':>10} {'vs bare+user':>13}")
    for label, (ms, ratio) in results.items():
        print(f"{label:<42} {ms:>10.1f} {ratio:>12.2f}x")
    print("goal (issue 14): 统计分析 and 企业名单 under 200 ms at 100,000 enterprises.")


HEAD = (f"{'benchmark':<42} {'rows':>10} {'seconds':>9} {'rows/s':>10} {'peak RSS':>10} {'vs COPY':>8}\n"
        + "-" * 94)


def _line(label, rows, result, ratio=None):
    return (f"{label:<42} {rows:>10,} {result['seconds']:>9.2f} {result['rows_per_s']:>10,.0f} "
            f"{result['peak_rss_mb']:>7.0f} MB {'' if ratio is None else f'{ratio:>7.2f}x':>8}")

if __name__ == "__main__":
    main()
