"""The production topology on one machine, for tests and the bench: app processes (gunicorn with
deploy/gunicorn.conf.py), job workers (db_worker, as deploy/systemd/singlewindow-worker@.service runs it) and
Debian's nginx in front, on hosts from testing/hosts.py, sharing one PostgreSQL database, one Redis database
and one var directory (the volume the hosts mount). Every process keeps its log in the cluster's directory.

    with Cluster(root=tmp_path, database_url=..., redis_url="redis://localhost:6379/13") as cluster:
        app1, app2 = cluster.app(0), cluster.app(1)
        cluster.worker(0)
        proxy = cluster.nginx([app1, app2])
"""
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .hosts import Relays, make_hosts, remove_hosts

REPO = Path(__file__).resolve().parents[3]
PYTHON = sys.executable
# Variables of the calling test run that would make a child something other than production.
NOT_INHERITED = {"SW_TESTING", "SW_DEMO", "DEBUG", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE",
                 "EPORT_DIR", "SW_DOCUMENT_DIR", "SW_SIGNING_DIR", "SW_VAR_DIR", "TASKS_BACKEND"}


class ProcessFailed(RuntimeError):
    pass


class Process:
    """A child started on a host in a process group of its own (so a stop reaches gunicorn's workers too)."""

    def __init__(self, name, argv, *, host, env, log_dir):
        self.name, self.argv, self.host, self.env = name, list(argv), host, env
        self.log_path = Path(log_dir) / f"{name}.log"
        self.popen = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(self.host.command(self.argv), stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, env=self.env, cwd=REPO, start_new_session=True)
        return self

    @property
    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum):
        if self.alive:
            os.killpg(self.popen.pid, signum)

    def stop(self, timeout=20):
        """SIGTERM (gunicorn and db_worker finish what they are doing), then SIGKILL after `timeout` seconds."""
        if self.popen is None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._kill_leftovers()

    def kill(self):
        """SIGKILL, as a host's crash would: nothing gets to clean up."""
        self.signal(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait(20)
        self._kill_leftovers()

    def _kill_leftovers(self):
        try:  # gunicorn's workers may outlive a killed master for a moment
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def log(self, lines=60):
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def _fail(self, message):
        raise ProcessFailed(f"{self.name}: {message}\n--- {self.log_path} ---\n{self.log()}")


class AppProcess(Process):
    """gunicorn with deploy/gunicorn.conf.py listening on host:port; `url` is where the machine reaches it."""

    def __init__(self, name, *, host, port, workers, env, log_dir):
        env = {**env, "BIND": f"{host.address}:{port}", "WEB_CONCURRENCY": str(workers)}
        super().__init__(name, [PYTHON, "-m", "gunicorn", "-c", str(REPO / "deploy" / "gunicorn.conf.py")],
                         host=host, env=env, log_dir=log_dir)
        self.url = f"http://{host.address}:{port}"

    def wait_ready(self, path="/login/", timeout=90):
        wait_for_url(self, self.url + path, timeout)
        return self


class WorkerProcess(Process):
    def __init__(self, name, *, host, env, log_dir, interval=0.5, extra=()):
        super().__init__(name, [PYTHON, "manage.py", "db_worker", "--queue-name", "*", "--interval", str(interval),
                                "--no-startup-delay", "--worker-id", name, *extra],
                         host=host, env=env, log_dir=log_dir)


class Nginx(Process):
    """Debian's nginx in the foreground with a prefix directory of its own, from deploy/nginx.conf's upstream and
    `location /` (the same proxy headers and limits), on the machine's loopback at `port`, without TLS."""

    def __init__(self, name, *, apps, port, log_dir, host):
        prefix = Path(log_dir) / name
        for sub in TEMP_DIRS.values():
            (prefix / "tmp" / sub).mkdir(parents=True, exist_ok=True)
            (prefix / "tmp" / sub).chmod(0o777)  # nginx's workers run as nobody when the master is root
        conf = prefix / "nginx.conf"
        conf.write_text(nginx_config(apps, port, prefix))
        super().__init__(name, [nginx_binary(), "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                         host=host, env=dict(os.environ), log_dir=log_dir)
        self.url = f"http://127.0.0.1:{port}"

    def wait_ready(self, path="/login/", timeout=30):
        wait_for_url(self, self.url + path, timeout)
        return self


TEMP_DIRS = {"client_body": "body", "proxy": "proxy", "fastcgi": "fastcgi", "uwsgi": "uwsgi", "scgi": "scgi"}


def nginx_binary():
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


def nginx_config(apps, port, prefix):
    deployed = (REPO / "deploy" / "nginx.conf").read_text()
    upstream = re.search(r"upstream singlewindow \{\n(.*?)\n\}", deployed, re.DOTALL).group(1)
    balancing = [line for line in upstream.splitlines() if not line.strip().startswith("server ")]
    servers = [f"    server {app.url.removeprefix('http://')};" for app in apps]
    https = re.search(r"server \{\n(\s+listen 443.*?)\n\}", deployed, re.DOTALL).group(1)
    kept = [line for line in https.splitlines()
            if not re.match(r"\s*(listen|server_name|ssl_\w+)\s", line)]
    temp = "\n".join(f"    {kind}_temp_path {prefix}/tmp/{sub};" for kind, sub in TEMP_DIRS.items())
    return "\n".join([
        "worker_processes 1;", f"pid {prefix}/nginx.pid;", f"error_log {prefix}/error.log warn;",
        "events { worker_connections 1024; }", "http {", f"    access_log {prefix}/access.log;", temp,
        "    upstream singlewindow {", *balancing, *servers, "    }",
        "    server {", f"    listen 127.0.0.1:{port};", *kept, "    }", "}", ""])


def wait_for_url(process, url, timeout):
    """Until `url` answers (any status below 500) or the process dies or `timeout` seconds pass."""
    deadline, last = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        if not process.alive:
            process._fail(f"exited ({process.popen.returncode}) before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
            last = f"HTTP {exc.code}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    process._fail(f"{url} did not answer in {timeout} s ({last})")


def free_port(address="127.0.0.1"):
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


class Cluster:
    """Hosts, relays to PostgreSQL and Redis, and the processes started on them; stopped on exit, logs kept."""

    def __init__(self, *, root, database_url, redis_url, hosts=2, use_namespaces=True, env=None):
        self.root = Path(root)
        self.log_dir = self.root / "logs"
        self.var_dir = self.root / "var"
        self.database_url, self.redis_url = database_url, redis_url
        self.host_count, self.use_namespaces, self.extra_env = hosts, use_namespaces, env or {}
        self.hosts, self.processes, self.relays, self.fallback_reason = [], [], None, ""
        self.secret_key = secrets.token_urlsafe(50)

    def __enter__(self):
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.var_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.hosts, self.fallback_reason = make_hosts(self.host_count, use_namespaces=self.use_namespaces)
            self.relays = Relays()
            for gateway in {host.gateway for host in self.hosts if host.netns}:
                for url in (self.database_url, self.redis_url):
                    self.relays.add(gateway, _port(url))
            self._collectstatic()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        for process in reversed(self.processes):
            process.stop()
        if self.relays:
            self.relays.close()
        remove_hosts(self.hosts)
        return False

    # --- the environment every process gets ------------------------------------------------
    def env(self, host):
        addresses = {"127.0.0.1", "localhost", *(h.address for h in self.hosts)}
        base = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        return {**base, "DJANGO_SETTINGS_MODULE": "singlewindow.testing.cluster_settings",
                "PYTHONPATH": str(REPO / "src"), "SECRET_KEY": self.secret_key,
                "DATABASE_URL": host.url_on_machine(self.database_url), "REDIS_URL": host.url_on_machine(self.redis_url),
                "SW_VAR_DIR": str(self.var_dir), "ALLOWED_HOSTS": ",".join(sorted(addresses)),
                # nginx reaches an app from the host's gateway (or the loopback): the one proxy believed
                "TRUSTED_PROXIES": host.gateway, "FORWARDED_ALLOW_IPS": host.gateway,
                "SECURE_COOKIES": "0", "SW_PUBLIC_URL": "http://127.0.0.1", **self.extra_env}

    def _collectstatic(self):
        host = self.hosts[0]
        done = subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], check=False, cwd=REPO,
                              env=self.env(host) | {"DATABASE_URL": self.database_url}, capture_output=True,
                              text=True, timeout=300)
        if done.returncode:
            raise ProcessFailed(f"collectstatic failed:\n{done.stdout}\n{done.stderr}")

    # --- starting processes ------------------------------------------------------------------
    def _started(self, process):
        self.processes.append(process)
        return process.start()

    def app(self, host_index, *, workers=1, port=None, ready=True, name=None):
        host = self.hosts[host_index]
        port = port or (8000 if host.netns else free_port())
        name = name or f"app{len([p for p in self.processes if isinstance(p, AppProcess)]) + 1}"
        app = self._started(AppProcess(name, host=host, port=port, workers=workers, env=self.env(host),
                                       log_dir=self.log_dir))
        return app.wait_ready() if ready else app

    def worker(self, host_index, *, name=None, **options):
        host = self.hosts[host_index]
        name = name or f"worker{len([p for p in self.processes if isinstance(p, WorkerProcess)]) + 1}"
        return self._started(WorkerProcess(name, host=host, env=self.env(host), log_dir=self.log_dir, **options))

    def nginx(self, apps, *, port=None):
        from .hosts import Host

        machine = Host("machine", "127.0.0.1", "127.0.0.1")
        proxy = self._started(Nginx("nginx", apps=apps, port=port or free_port(), log_dir=self.log_dir,
                                    host=machine))
        return proxy.wait_ready()

    def manage(self, *args, host_index=0, timeout=120):
        """A manage.py command run as one of the hosts would run it (e.g. verify_audit): CompletedProcess."""
        host = self.hosts[host_index]
        return subprocess.run(host.command([PYTHON, "manage.py", *args]), cwd=REPO, env=self.env(host),
                              check=False, capture_output=True, text=True, timeout=timeout)

    def logs(self, lines=40):
        """Every process's last lines, for a failing assertion's message."""
        return "\n".join(f"--- {p.name} ({p.log_path}) ---\n{p.log(lines)}" for p in self.processes)


def _port(url):
    from urllib.parse import urlsplit

    return urlsplit(url).port or {"postgresql": 5432, "postgres": 5432, "redis": 6379}[urlsplit(url).scheme]


def database_url(connection):
    """The URL of the database a Django connection uses (the test run's own database under pytest)."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgresql://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


def unavailable(connection, redis_url):
    """Why a cluster cannot run here (not PostgreSQL, Redis silent), or "" when it can."""
    if connection.vendor != "postgresql":
        return "the production topology needs PostgreSQL (DATABASE_URL): it runs on the PostgreSQL pass"
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis does not answer at {redis_url} ({exc})"
    return ""
