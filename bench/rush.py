#!/usr/bin/env python
"""The deadline rush (issue 15 item 2): ENTERPRISES enterprises, each with a 待确认 policy, log in (账号密码), open
the policy and confirm it, from CLIENTS client processes at once, on two app processes (gunicorn with
deploy/gunicorn.conf.py, 2 workers each, started by singlewindow.testing.cluster on the loopback) with
PostgreSQL and Redis. Each enterprise logs in on one app process and confirms on the other, as behind nginx.
Then: errors, confirmations, audit events, verify_audit, the confirm request's p50/p99, and how long the
confirmations waited on the audit chain's head row (pg_stat_activity sampled every 50 ms: backends waiting on
a lock while running the head row's SELECT … FOR UPDATE; by Little's law their mean count over the rush's
confirmation rate is the mean wait per confirmation).

Passwords: production's argon2 (m=100 MiB, t=2, p=8) takes most of a second of CPU per login on this machine,
so 5,000 logins alone would take longer than the whole rush may. The rush therefore stores the users' passwords
with the test suite's MD5 hasher (bench/rush_settings.py) and reports argon2's cost per login beside it;
--rush-argon2 runs the rush with production's hashers instead.

    bench/run.py --rush [--rush-enterprises 5000] [--rush-clients 16] [--rush-argon2]
    bench/rush.py world FILE   (a child, DATABASE_URL set: build the data; prints one JSON line)
"""
import datetime as dt
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT / "src"))
REDIS_URL = os.environ.get("BENCH_RUSH_REDIS_URL", "redis://localhost:6379/12")  # load.py has 11, the tests 13
PASSWORD = "Rush@2026pass"
PROBLEM = re.compile(r'class="(?:invalid-feedback|alert alert-danger)[^"]*"[^>]*>\s*([^<]+)')  # what the page said
CONTACT = {"contact_name": "陈芳", "contact_phone": "13800138000", "contact_email": ""}


# --- the child: the enterprises, their policies and their users ----------------------------------------------

def world(path):
    import worker  # sets Django up (DATABASE_URL, DJANGO_SETTINGS_MODULE from the parent)
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from singlewindow.accounts.models import LocalAccount, Role, User
    from singlewindow.policies.models import Policy, PolicyStatus, Scheme

    started = time.perf_counter()
    worker.prepare(path)  # the project's own import, scheme and insurer
    worker.issue()  # batch issuance: every enterprise gets its 待确认 policy
    today = timezone.localdate()  # the bench's scheme is 2026's: its deadline is to come, as in a rush
    Scheme.objects.update(confirm_deadline=today + dt.timedelta(days=7), cover_end=today + dt.timedelta(days=365))
    policies = list(Policy.objects.filter(status=PolicyStatus.PENDING).order_by("pk").values_list("pk", "enterprise_id"))
    locals_ = LocalAccount.objects.bulk_create(
        LocalAccount(username=f"rushlocal{n:05d}", password="!", enterprise_id=enterprise)
        for n, (_, enterprise) in enumerate(policies))
    hashed = make_password(PASSWORD)  # one hash for all: the same password, hashed once (argon2 takes ~1 s)
    User.objects.bulk_create(
        User(username=f"rush{n:05d}", password=hashed, role=Role.ENTERPRISE, enterprise_id=enterprise,
             local_account=local)  # bound already, as after 老用户账号绑定
        for n, ((_, enterprise), local) in enumerate(zip(policies, locals_, strict=True)))
    return {"users": [[f"rush{n:05d}", pk] for n, (pk, _) in enumerate(policies)], "hasher": hashed.split("$")[0],
            "built_s": time.perf_counter() - started}


def argon2_login_cost(repeat=3):
    """Seconds of CPU one argon2 check_password takes here (production's hasher, its parameters)."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hasher = Argon2PasswordHasher()
    encoded = hasher.encode(PASSWORD, hasher.salt())
    started = time.process_time()
    for _ in range(repeat):
        hasher.verify(PASSWORD, encoded)
    return (time.process_time() - started) / repeat


# --- the clients ----------------------------------------------------------------------------------------------

def journey(task):
    """One enterprise: log in on `first`, open its policy there, confirm on `second`. Returns ms per step and
    the errors (a step that did not answer as it should)."""
    from singlewindow.testing.portal_client import PortalClient, form_value

    (username, pk), first, second = task
    client, took, errors = PortalClient(timeout=120), {}, []

    def step(name, call, expect):
        started = time.perf_counter()
        try:
            response = call()
        except Exception as exc:  # noqa: BLE001 - a failed request is a result here, not a crash
            errors.append(f"{name}: {type(exc).__name__}")
            return None
        took[name] = (time.perf_counter() - started) * 1000
        if response.status_code != expect:
            said = PROBLEM.search(response.text or "")
            errors.append(f"{name}: HTTP {response.status_code}" + (f" {said.group(1).strip()}" if said else ""))
            return None
        return response

    try:
        if step("login", lambda: client.log_in(first, username, PASSWORD), 302) is None:
            return took, errors
        detail = step("detail", lambda: client.get(f"{first}/insure/{pk}/"), 200)
        if detail is None:
            return took, errors
        data = {**CONTACT, "agreement_sha256": form_value(detail.text, "agreement_sha256") or ""}
        confirmed = step("confirm", lambda: client.post(f"{second}/insure/{pk}/confirm/", data), 302)
        if confirmed is not None and not confirmed.headers.get("Location", "").endswith(f"/insure/{pk}/submitted/"):
            errors.append(f"confirm: redirected to {confirmed.headers.get('Location')}")
        return took, errors
    finally:
        client.close()


class LockSampler(threading.Thread):
    """pg_stat_activity every 50 ms: how many backends are active, and how many wait on the audit head row."""

    QUERY = """SELECT count(*) FILTER (WHERE state = 'active'),
                      count(*) FILTER (WHERE wait_event_type = 'Lock'),
                      count(*) FILTER (WHERE wait_event_type = 'Lock' AND query ILIKE '%%audit_audithead%%')
               FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.stop, self.samples = url, threading.Event(), []

    def run(self):
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                self.samples.append(conn.execute(self.QUERY).fetchone())
                self.stop.wait(0.05)

    def means(self):
        if not self.samples:
            return 0.0, 0.0, 0.0
        return tuple(statistics.mean(column) for column in zip(*self.samples, strict=True))


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def counts(url, since_event):
    import psycopg

    with psycopg.connect(url) as conn:
        one = lambda sql, *args: conn.execute(sql, args).fetchone()[0]
        return {
            "confirmed": one("SELECT count(*) FROM policies_policy WHERE status = 'confirmed'"),
            "confirmations": one("SELECT count(*) FROM policies_confirmation"),
            "confirm_events": one("SELECT count(*) FROM audit_auditevent WHERE action = 'policy.confirm' AND id > %s",
                                  since_event),
            "all_events": one("SELECT count(*) FROM audit_auditevent WHERE id > %s", since_event),
            "jobs_queued": one("SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'READY'"),
        }


# --- the parent -------------------------------------------------------------------------------------------------

def environment(url, argon2):
    settings = "singlewindow.testing.cluster_settings" if argon2 else "rush_settings"
    return {"DJANGO_SETTINGS_MODULE": settings, "PYTHONPATH": f"{ROOT / 'src'}:{BENCH}", "LOG_LEVEL": "WARNING"}


def build(url, path, argon2):
    env = {k: v for k, v in os.environ.items() if k not in ("SW_DEMO", "SW_TESTING", "DEBUG")}
    env.update(environment(url, argon2), DATABASE_URL=url, SECRET_KEY="bench-rush-build", REDIS_URL=REDIS_URL,
               SW_VAR_DIR=str(ROOT / "var" / "bench"))
    done = subprocess.run([sys.executable, str(BENCH / "rush.py"), "world", str(path)], check=False, env=env,
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"rush world failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(url, path, enterprises, *, clients=16, argon2=False):
    """Build, start the cluster, rush, check and print; returns the figures."""
    import psycopg
    import redis

    from singlewindow.testing.cluster import Cluster

    print(f"building the rush's data ({enterprises:,} enterprises with a 待确认 policy, users bound)…", flush=True)
    info = build(url, path, argon2)
    users = info["users"]
    with psycopg.connect(url) as conn:
        since = conn.execute("SELECT coalesce(max(id), 0) FROM audit_auditevent").fetchone()[0]
    redis.Redis.from_url(REDIS_URL).flushdb()
    root = Path(tempfile.mkdtemp(prefix="sw-rush-"))
    with Cluster(root=root, database_url=url, redis_url=REDIS_URL, use_namespaces=False,
                 env=environment(url, argon2)) as cluster:
        apps = [cluster.app(0, workers=2), cluster.app(1, workers=2)]
        tasks = [(user, apps[n % 2].url, apps[(n + 1) % 2].url) for n, user in enumerate(users)]
        sampler = LockSampler(url)
        sampler.start()
        started = time.perf_counter()
        with multiprocessing.get_context("spawn").Pool(clients) as pool:
            results = list(pool.imap_unordered(journey, tasks, chunksize=4))
        seconds = time.perf_counter() - started
        sampler.stop.set()
        sampler.join()
        verified = cluster.manage("verify_audit", timeout=600)
        logs = cluster.logs(20)
    active, waiting, waiting_on_head = sampler.means()
    figures = {**counts(url, since), "seconds": seconds, "users": len(users), "clients": clients,
               "errors": [e for _, errors in results for e in errors], "verify": verified.stdout.strip() or
               verified.stderr.strip()[-500:], "verify_ok": verified.returncode == 0,
               "steps": {name: [took[name] for took, _ in results if name in took]
                         for name in ("login", "detail", "confirm")},
               "active": active, "waiting": waiting, "waiting_on_head": waiting_on_head, "samples": len(sampler.samples),
               "argon2_s": argon2_login_cost(), "hasher": info["hasher"], "built_s": info["built_s"]}
    report(figures)
    if figures["errors"]:
        print(f"app logs (last lines):\n{logs}")
    return figures


def passed(f):
    """The rush's goal: no error, exactly one 审批中 policy and one policy.confirm event per enterprise, the chain verifies."""
    n = f["users"]
    return not f["errors"] and f["confirmed"] == n and f["confirm_events"] == n and f["verify_ok"]


def report(f):
    steps, n = f["steps"], f["users"]
    print(f"\nthe deadline rush on PostgreSQL + Redis: {n:,} enterprises log in, open their 待确认 policy and confirm "
          f"it, {f['clients']} client processes, two app processes x 2 gunicorn workers (deploy/gunicorn.conf.py) on "
          f"the loopback, passwords hashed with {f['hasher']}; one run on a shared machine")
    print(f"{'step':<10} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    print("-" * 47)
    for name, took in steps.items():
        print(f"{name:<10} {len(took):>9,} {percentile(took, 0.5):>8.0f} {percentile(took, 0.99):>8.0f} "
              f"{max(took, default=float('nan')):>8.0f}")
    rate = f["confirm_events"] / f["seconds"] if f["seconds"] else 0
    ok = passed(f)
    print(f"whole rush {f['seconds']:.0f} s ({rate:.1f} confirmations/s); errors {len(f['errors'])}"
          + (f" (first: {', '.join(sorted(set(f['errors']))[:5])})" if f["errors"] else ""))
    print(f"policies 审批中 {f['confirmed']:,}, confirmations {f['confirmations']:,}, policy.confirm audit events "
          f"{f['confirm_events']:,} (all new events {f['all_events']:,}); {f['verify']}; "
          f"{f['jobs_queued']:,} jobs left queued for the workers (确认回执 PDFs, notices): "
          f"{'PASS' if ok else 'MISS'} (goal: 0 errors, exactly {n:,} of each, the chain verifies)")
    active, waiting, head = f["active"], f["waiting"], f["waiting_on_head"]
    per_confirm_ms = head / rate * 1000 if rate else float("nan")
    print(f"audit head row: {f['samples']:,} samples of pg_stat_activity; on average {active:.2f} backends active, "
          f"{waiting:.2f} waiting on any lock, {head:.2f} on the head row's SELECT … FOR UPDATE: a confirmation "
          f"waited about {per_confirm_ms:.0f} ms for the head row on average (Little's law), against a confirm "
          f"request's p50 of {percentile(steps['confirm'], 0.5):.0f} ms")
    print(f"argon2 (production's hasher) costs {f['argon2_s'] * 1000:.0f} ms of CPU per login here: {n:,} logins "
          f"would need {n * f['argon2_s'] / 60:.0f} CPU-minutes for the passwords alone.")


if __name__ == "__main__" and sys.argv[1:2] == ["world"]:
    sys.path.insert(0, str(BENCH))
    print(json.dumps(world(sys.argv[2])))
