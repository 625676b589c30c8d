"""deploy/gunicorn.conf.py: workers are replaced rarely, and from a master that preloads the project without
opening a connection of its own (a connection opened before the fork would be shared by every worker)."""
import os
import runpy
import subprocess
import sys
from pathlib import Path

from django.conf import settings

CONF = Path(settings.BASE_DIR) / "deploy" / "gunicorn.conf.py"
NOWHERE = "127.0.0.1:9"  # the discard port: nothing answers there


def test_a_worker_is_not_replaced_every_few_thousand_requests():
    """At 2,000 requests a worker was replaced every 1-2 s under load, and its boot set the p99 (issue 15)."""
    config = runpy.run_path(str(CONF))
    assert config["max_requests"] == 0 or config["max_requests"] >= 50_000
    assert config["max_requests"] == 0 or config["max_requests_jitter"] >= config["max_requests"] // 20
    assert config["preload_app"] is True


def test_the_preloading_master_imports_the_project_without_reaching_the_database_or_the_cache(tmp_path):
    env = {**os.environ, "SW_DEMO": "1", "SW_VAR_DIR": str(tmp_path), "DATABASE_URL": f"postgresql://nobody@{NOWHERE}/none",
           "REDIS_URL": f"redis://{NOWHERE}/0", "PYTHONPATH": str(Path(settings.BASE_DIR) / "src")}
    env.pop("SW_TESTING", None)
    checked = subprocess.run([sys.executable, "-m", "gunicorn", "--check-config", "-c", str(CONF)], check=False,
                             env=env,
                             cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
