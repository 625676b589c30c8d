#!/usr/bin/env python
"""The pages under load (issue 15 item 1): gunicorn with deploy/gunicorn.conf.py (2 workers) on loopback,
PostgreSQL and Redis as in production, `wrk -t2 -c50 -d10s --latency` per page, each beside the two bare
views of the same run. bench/run.py --load runs just this; `make bench` runs it after the rest.

The data is the project's own: the customs import of --small enterprises (all eligible), then batch issuance
under ten province-wide schemes of consecutive cover years (2017–2026, none overlapping, each on the one
imported basis year: the cheapest honest way to about ten policies per enterprise), the status mix of the
in-process page bench written by SQL with the tally rebuilt, then a late import of LATE new enterprises who
wait under every scheme (as after a real issuance), and VACUUM ANALYZE (what autovacuum would have done).

    bench/load.py world FILE LATE_FILE SCHEMES   (a child, DATABASE_URL set: build it; prints one JSON line)
    bench/load.py sessions                       (a child: a fresh session of each role, as cookie headers)
"""
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time
import unicodedata
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LATE = 2_000
# --timeout 10s: wrk's default of 2 s would drop the slow requests from the latency it reports
WRK = ["wrk", "-t2", "-c50", "-d10s", "--latency", "--timeout", "10s"]
PORT = int(os.environ.get("BENCH_PORT", "8731"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://localhost:6379/11")
SECRET = "bench-only-secret-key-not-for-production-0123456789abcdef"
ANON, USER, UNCACHED = "bare view, anonymous", "bare view that loads the user", "the same, user by a query"
# page: (role whose session it uses, goal). Goals from issue 15 item 1; p99 < 200 ms for every page.
PAGES = {
    ANON: (None, "base"),
    USER: ("enterprise", ">= 0.5x anonymous"),
    UNCACHED: ("enterprise", "(Django's own, no cache)"),
    "enterprise policy list": ("enterprise", ">= 0.6x user"),
    "通知 popup counter": ("enterprise", ">= 0.6x user"),
    "policy detail": ("enterprise", ">= 0.6x user"),
    "insurer 保单审批, first page": ("insurer", "< 50 ms, >= 0.3x user"),
    "bureau 统计分析": ("bureau", "< 50 ms, >= 0.3x user"),
    "符合条件企业": ("bureau", "< 50 ms, >= 0.3x user"),
    "bureau 企业名单": ("bureau", "< 200 ms (issue 14)"),
}
P99_GOAL_MS = 200


# --- the child: build the data and the sessions -----------------------------------------------------------

def late_file(path, rows, codes):
    """`rows` new enterprises (codes of their own, not the main file's), eligible, spread over the counties."""
    sys.path.insert(0, str(ROOT / "src"))
    from singlewindow.enterprises.identifiers import make_uscc

    if path.exists():
        return path
    rng = random.Random(7)
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["统一社会信用代码", "企业名称", "县区代码", "年度", "出口额（美元）"])
        for i in range(rows):
            county = codes[(i * 7) % len(codes)]
            writer.writerow([make_uscc("91", county, f"{60_000_000 + i:08d}"), f"迟报出口企业有限公司{i:05d}", county,
                             2025, f"{rng.randrange(100, 299_999_999) / 100:.2f}"])
    return path


def world(path, late, schemes):
    import datetime as dt

    import worker  # sets Django up
    from django.db import connection

    from singlewindow.accounts.models import LocalAccount, Role, User
    from singlewindow.policies import issuance
    from singlewindow.policies.models import IssuanceRun, Policy, Scheme

    started = time.perf_counter()
    worker.prepare(path)  # the import, the 2026 scheme, its insurer and run
    newest = Scheme.objects.get()
    for year in range(newest.year - schemes + 1, newest.year):
        Scheme.objects.create(**{
            **{f.attname: getattr(newest, f.attname) for f in Scheme._meta.concrete_fields if not f.primary_key},
            "name": newest.name.replace(str(newest.year), str(year)), "year": year,
            "cover_start": dt.date(year, 1, 1), "cover_end": dt.date(year, 12, 31),
            "confirm_deadline": dt.date(year, 6, 30)})
    insurer = User.objects.get(username="bench_insurer")
    for scheme in Scheme.objects.exclude(pk=newest.pk):
        IssuanceRun.objects.create(scheme=scheme, started_by=insurer)
    issuing = time.perf_counter()
    for run in IssuanceRun.objects.select_related("scheme__region", "started_by").order_by("scheme__year"):
        issuance.issue_all(run)
    issued = time.perf_counter() - issuing
    worker._status_mix()
    worker.import_file(late)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    User.objects.create(username="bench_province", role=Role.BUREAU, region_id="440000")
    policy = Policy.objects.filter(scheme=newest).order_by("pk").first()
    local = LocalAccount.objects.create(username="bench_local", password="!", enterprise_id=policy.enterprise_id)
    User.objects.create(username="bench_enterprise", role=Role.ENTERPRISE, enterprise_id=policy.enterprise_id,
                                local_account=local)  # bound once, as every enterprise user of 地方特色应用 is
    urls = dict(zip(PAGES, ["/bench/bare/", "/bench/user/", "/bench/user-uncached/", "/insure/", "/notices/popup/",
                            f"/insure/{policy.pk}/", "/insurer/", "/bureau/", "/enterprises/eligible/",
                            "/bureau/enterprises/"], strict=True))
    return {"policies": Policy.objects.count(), "schemes": Scheme.objects.count(), "issued_s": issued,
            "built_s": time.perf_counter() - started, "urls": urls}


def sessions():
    """A logged-in session of each role as its browser sends it: the session and the cached user's hint
    (usercache.HINT_COOKIE), which a browser has from its first response after logging in."""
    import worker  # noqa: F401  (sets Django up)
    from django.test import Client

    from singlewindow.accounts.models import User
    from singlewindow.accounts.usercache import HINT_COOKIE

    cookies = {}
    for role, name in (("enterprise", "bench_enterprise"), ("insurer", "bench_insurer"), ("bureau", "bench_province")):
        user = User.objects.get(username=name)
        client = Client()
        client.force_login(user)
        cookies[role] = f"sessionid={client.cookies['sessionid'].value}; {HINT_COOKIE}={user.pk}"
    return cookies


# --- the parent: serve, measure, print --------------------------------------------------------------------

def environment(url):
    """Production's settings (no SW_DEMO, a SECRET_KEY, Redis for the cache and sessions) plus the bare views
    (bench_settings: bench_urls, static files by name instead of a collected manifest)."""
    env = {k: v for k, v in os.environ.items() if k not in ("SW_DEMO", "DEBUG", "SW_TESTING")}
    return {**env, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "bench_settings", "PYTHONPATH": f"{ROOT / 'src'}:{BENCH}",
            "SW_VAR_DIR": str(ROOT / "var" / "bench")}


def flush_redis():
    """Empty the bench's own Redis database (BENCH_REDIS_URL): no session or count left from a run before."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.RedisError as error:
        raise SystemExit(f"the load bench needs Redis at {REDIS_URL} (BENCH_REDIS_URL): {error}") from None


def child(url, *args):
    """Run `bench/load.py ARGS` against `url`; its last line of output, as JSON."""
    done = subprocess.run([sys.executable, str(BENCH / "load.py"), *args], check=False, env=environment(url),
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"load {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def build(url, path, schemes, codes, kept=None):
    """The data (or, with `kept`, the world a run before built and described in that file) and fresh sessions."""
    flush_redis()
    if kept is not None and kept.exists():
        info = json.loads(kept.read_text())
    else:
        late = late_file(ROOT / "var" / "bench" / f"late-{LATE}.csv", LATE, codes)
        info = child(url, "world", str(path), str(late), str(schemes))
        if kept is not None:
            kept.write_text(json.dumps(info))
    return {**info, "cookies": child(url, "sessions")}


def serve(url):
    """gunicorn as deployed (deploy/gunicorn.conf.py), 2 workers, on loopback; its access log to /dev/null."""
    env = {**environment(url), "BIND": f"127.0.0.1:{PORT}", "WEB_CONCURRENCY": "2"}
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py")],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/bench/bare/", timeout=2).read()
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn did not start:\n{server.stderr.read()[-3000:]}") from None
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not answer in 30 s")


def single(url, cookie, times=15):
    """Median ms of sequential warm requests (after 3 unmeasured); refuses anything but a 200."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    took = []
    for n in range(3 + times):
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            if response.status != 200 or response.url != url:
                raise SystemExit(f"{url} answered {response.status} at {response.url}")
        if n >= 3:
            took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took)


def _ms(text):
    for unit, factor in (("us", 0.001), ("ms", 1), ("s", 1000)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    raise ValueError(text)


def wrk(url, cookie):
    """(req/s, p99 ms, requests that failed or were not 2xx/3xx) of wrk's run."""
    out = subprocess.run([*WRK, *(["-H", f"Cookie: {cookie}"] if cookie else []), url],
                         capture_output=True, text=True, check=True).stdout
    rate = p99 = None
    bad = 0
    for line in out.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            rate = float(words[1])
        elif words[:1] == ["99%"]:
            p99 = _ms(words[1])
        elif line.strip().startswith(("Non-2xx", "Socket errors")):
            bad += sum(int(w.strip(",")) for w in words if w.strip(",").isdigit())
    return rate, p99, bad


def drain(base):
    """Wait out the requests wrk left queued when it stopped (a slow page's last 50 are still served after it):
    a bare request queues behind them, so when it answers the next measurement starts on idle workers."""
    single(f"{base}/bench/bare/", None, times=1)


def measure(world_info):
    results = {}
    base = f"http://127.0.0.1:{PORT}"
    for label, (role, _goal) in PAGES.items():
        cookie = world_info["cookies"].get(role) if role else None
        url = base + world_info["urls"][label]
        drain(base)
        ms = single(url, cookie)
        drain(base)
        rate, p99, bad = wrk(url, cookie)
        results[label] = {"ms": ms, "rate": rate, "p99": p99, "bad": bad}
        print(f"  measured {label}: {ms:.1f} ms, {rate:.0f} req/s, p99 {p99:.0f} ms", flush=True)
    for label in (ANON, USER):  # again at the end: how much the machine's pace moved meanwhile
        role = PAGES[label][0]
        drain(base)
        results[label]["rate_after"] = wrk(base + world_info["urls"][label],
                                           world_info["cookies"].get(role) if role else None)[0]
    return results


def verdict(label, row, anon, user):
    goal = PAGES[label][1]
    ok = row["p99"] < P99_GOAL_MS and not row["bad"]
    if goal.startswith(">= 0.5x anonymous"):
        ok = ok and row["rate"] >= 0.5 * anon
    elif goal.startswith(">= 0.6x user"):
        ok = ok and row["rate"] >= 0.6 * user
    elif goal.startswith("< 50 ms"):
        ok = ok and row["ms"] < 50 and row["rate"] >= 0.3 * user
    elif goal.startswith("< 200 ms"):
        ok = ok and row["ms"] < 200
    return "PASS" if ok else "MISS"


def _pad(text, width):
    """`text` left-aligned in `width` terminal columns (a Chinese character takes two)."""
    return text + " " * max(0, width - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text))


def baselines(results):
    """(anonymous, logged-in) bare views' req/s: the mean of their runs before and after the pages."""
    return tuple(statistics.mean([results[label]["rate"], results[label]["rate_after"]]) for label in (ANON, USER))


def report(world_info, results, enterprises):
    anon, user = baselines(results)
    print(f"\npages under load on PostgreSQL + Redis: {enterprises:,} enterprises (+{LATE:,} late, waiting), "
          f"{world_info['policies']:,} policies under {world_info['schemes']} schemes (batch issuance "
          f"{world_info['issued_s']:.0f} s, whole build {world_info['built_s']:.0f} s); gunicorn "
          f"deploy/gunicorn.conf.py, 2 workers; {' '.join(WRK)}; one run on a shared machine")
    print(f"{_pad('page', 30)} {'single ms':>9} {'req/s':>8} {'p99 ms':>8} {'x anon':>7} {'x user':>7}  "
          f"{'goal (and p99 < 200 ms)':<24} {'':>4}")
    print("-" * 106)
    for label, row in results.items():
        bad = f"  ({row['bad']} failed)" if row["bad"] else ""
        print(f"{_pad(label, 30)} {row['ms']:>9.1f} {row['rate']:>8.0f} {row['p99']:>8.0f} {row['rate'] / anon:>6.2f}x "
              f"{row['rate'] / user:>6.2f}x  {_pad(PAGES[label][1], 24)} {verdict(label, row, anon, user)}{bad}")
    print(f"ratios over the bare views' mean of before and after the pages: anonymous {results[ANON]['rate']:.0f} "
          f"then {results[ANON]['rate_after']:.0f} req/s, loading the user {results[USER]['rate']:.0f} then "
          f"{results[USER]['rate_after']:.0f} req/s.")
    print("single ms: median of 15 sequential warm requests; the bare view that loads the user, the list, the popup "
          "and the detail are an enterprise user's, 保单审批 the insurer's, the rest the province bureau's.")


def run(url, path, enterprises, codes, schemes=10, kept=None):
    """Build, serve, measure and print the table; returns the results. `kept`: a file describing a world built
    before in the same database (bench/run.py --keep-load), reused if it exists."""
    print(f"building the load bench's data ({enterprises:,} enterprises, {schemes} schemes' batch issuance)…",
          flush=True)
    info = build(url, path, schemes, codes, kept)
    server = serve(url)
    try:
        results = measure(info)
    finally:
        server.terminate()
        server.wait(timeout=60)
        flush_redis()
    report(info, results, enterprises)
    return results


if __name__ == "__main__" and sys.argv[1:2] == ["world"]:
    print(json.dumps(world(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
elif __name__ == "__main__" and sys.argv[1:2] == ["sessions"]:
    print(json.dumps(sessions()))
