"""Helpers for the fault tests (issue 15 #4): the project's own commands as child processes against the test
database, killed with SIGKILL at a point the test can see, and private PostgreSQL and Redis servers.

A child runs as production does (no SW_TESTING: the database task queue, the real backends), with the demo's
leave to make up a secret key and the test's own directories for imports and documents.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)
WAIT = 45  # seconds a child may take to reach a point it is waited for (a busy shared machine), never asserted on


def postgres_only():
    return pytest.mark.skipif(connection.vendor != "postgresql",
                              reason="PostgreSQL only: the child is held at a row lock (SQLite has none to hold)")


def database_url(application_name=None):
    """The URL of the database the test runs on (the test database), for a child process."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "postgres") + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    url = f"postgresql://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    return url + (f"?application_name={application_name}" if application_name else "")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def child_env(tmp_path, **changes):
    """A production-like environment for a child: the variables the test run set (SW_TESTING, DJANGO_*) gone."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"SW_TESTING", "DEBUG", "REDIS_URL", "DATABASE_URL"} and not k.startswith("DJANGO_")}
    env.update(
        SW_DEMO="1", SECRET_KEY="fault-tests-" + "k" * 50, SW_VAR_DIR=str(tmp_path / "var"),
        PYTHONPATH=str(ROOT / "src"), DATABASE_URL=database_url(), PYTHONUNBUFFERED="1",
        SW_IMPORT_DIR=str(settings.SW_IMPORT_DIR), SW_DOCUMENT_DIR=str(settings.SW_DOCUMENT_DIR),
        EPORT_DIR=str(settings.EPORT_DIR), SW_DOCUMENTS_ON_COMMIT="0",
    )
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


def wait_for(what, predicate, timeout=WAIT, every=0.05, process=None):
    """Poll `predicate` until it answers something true, and return that; fail naming `what` (and the child's
    log) if it never does. Only a guard against a hang: no test asserts on how long anything took."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            pytest.fail(f"{process.name} ended ({process.returncode}) before {what}:\n{process.output()}")
        if time.monotonic() > deadline:
            pytest.fail(f"never saw {what}" + (f":\n{process.output()}" if process else ""))
        time.sleep(every)


class Child:
    """One command as a child process, its output in a file; killed (its whole group) when the test ends."""

    def __init__(self, name, args, env, log_dir):
        self.name = name
        self.log = Path(log_dir) / f"{name}-{time.monotonic_ns()}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self.pid = self.process.pid

    @classmethod
    def manage(cls, name, env, log_dir, *args):
        return cls(name, [sys.executable, str(ROOT / "manage.py"), *args], env, log_dir)

    @property
    def returncode(self):
        return self.process.returncode

    def poll(self):
        return self.process.poll()

    def output(self):
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self):
        """SIGKILL: no handler runs, nothing is cleaned up, as when the host loses power or the OOM killer strikes."""
        if self.process.poll() is None:
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=WAIT)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def children(tmp_path):
    """start(name, *manage_args, **env changes) starts `manage.py …` as a child; all are stopped at the end."""
    started = []

    def start(name, *args, env=None):
        child = Child.manage(name, env or child_env(tmp_path), tmp_path, *args)
        started.append(child)
        return child

    yield start
    for child in started:
        child.stop()


def backends_of(application_name):
    """The PostgreSQL server processes of a child's connections, and what each waits for."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid, wait_event_type FROM pg_stat_activity WHERE application_name = %s",
                       [application_name])
        return cursor.fetchall()


class RowLock:
    """Rows held FOR UPDATE by a connection of the test's own, so a child that needs them waits there: a
    point in the middle of its work that the test can see (pg_stat_activity says it waits for a lock)."""

    def __init__(self):
        import psycopg

        self.conn = psycopg.connect(database_url().split("?")[0])

    def hold(self, table, pk):
        self.conn.execute(f'SELECT 1 FROM "{table}" WHERE id = %s FOR UPDATE', [pk])

    def release(self):
        self.conn.rollback()

    def close(self):
        self.conn.close()


@pytest.fixture
def row_lock():
    lock = RowLock()
    yield lock
    lock.release()
    lock.close()


@pytest.fixture
def worker_backend():
    """The task queue as the database backend (django-tasks-db), as production runs it: what the test queues
    waits for a child `db_worker` instead of running in the test."""
    from django.test import override_settings

    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        yield


def have(program):
    return shutil.which(program) is not None


class PrivateRedis:
    """redis-server of the test's own on a free loopback port, no persistence; stop() is Redis going down."""

    def __init__(self, directory):
        self.port, self.directory = free_port(), directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True)
        wait_for("redis-server answering", self.answers)

    def answers(self):
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=1).ping()
        except redis.RedisError:
            return False

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT)


@pytest.fixture
def private_redis(tmp_path):
    if not have("redis-server"):
        pytest.skip("redis-server is not installed (Debian's redis-server)")
    server = PrivateRedis(tmp_path)
    yield server
    server.stop()


def postgres_bin():
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


class PrivatePostgres:
    """A PostgreSQL instance of the test's own (initdb + pg_ctl, as the postgres user, on a free loopback port):
    stop() and start() are the database server restarting, never the machine's own server."""

    def __init__(self):
        import tempfile

        self.bin = postgres_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="sw-faults-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/singlewindow"
        self._as_postgres("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                          "--no-sync", "--locale=C.UTF-8")
        self.start()
        self._as_postgres("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "singlewindow")

    def _as_postgres(self, program, *args):
        done = subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / program), *args],
                              capture_output=True, text=True, check=False, timeout=120)
        if done.returncode:
            pytest.fail(f"{program} failed: {done.stdout}{done.stderr}")
        return done

    def start(self):
        self._as_postgres("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"), "-w", "-o",
                          f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off", "start")

    def stop(self):
        """-m fast: the server ends every session (their open transactions roll back), as a restart does."""
        self._as_postgres("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def load(self, source_url):
        """The source database (the test database with its world) copied in with pg_dump and pg_restore."""
        dump = self.dir / "source.dump"
        for args in ([str(self.bin / "pg_dump"), "-Fc", "-f", str(dump), "-d", source_url],
                     [str(self.bin / "pg_restore"), "--no-owner", "-d", self.url, str(dump)]):
            done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)
            if done.returncode:
                pytest.fail(f"{args[0]} failed: {done.stderr}")

    def remove(self):
        subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"),
                        "-m", "immediate", "-w", "stop"], capture_output=True, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_postgres():
    if postgres_bin() is None or not have("runuser") or os.geteuid() != 0:
        pytest.skip("a private PostgreSQL needs Debian's postgresql (initdb, pg_ctl) and root to run it as postgres")
    server = PrivatePostgres()
    yield server
    server.remove()
