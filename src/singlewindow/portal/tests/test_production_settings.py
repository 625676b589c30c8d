"""Production settings (issue 9 #21-#23): a missing secret stops the start, `check --deploy` is clean with the
example env, every page carries a Content-Security-Policy that no template breaks, and the per-address limits
count real clients behind the documented nginx."""
import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

from singlewindow.http import client_ip

ROOT = Path(settings.BASE_DIR)
TEMPLATES = sorted((ROOT / "src" / "singlewindow").rglob("templates/**/*.html"))


def is_pdf_template(path):
    """weasyprint renders these to PDF (documents/pdf/, *.pdf.html): never served, so their <style> is no CSP matter."""
    return "pdf" in path.parts or path.name.endswith(".pdf.html")


def example_env(tmp_path, **changes):
    dropped = {"SW_TESTING", "DEBUG", "SW_DEMO", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"}
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("DJANGO_")}
    for line in (ROOT / "deploy" / "singlewindow.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, value = line.split("=", 1)
            env[name] = value
    env.update(SW_VAR_DIR=str(tmp_path), PYTHONPATH=str(ROOT / "src"), **changes)
    return {k: v for k, v in env.items() if v is not None}


def manage(env, *args):
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)  # the tests read the return code


def test_check_deploy_is_clean_with_the_example_env_and_a_real_secret(tmp_path):
    result = manage(example_env(tmp_path, SECRET_KEY=secrets.token_urlsafe(50)), "check", "--deploy",
                    "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_examples_placeholder_secret_fails_the_deploy_check(tmp_path):
    result = manage(example_env(tmp_path), "check", "--deploy")
    assert result.returncode != 0 and "SECRET_KEY is still the example's placeholder" in result.stderr


def test_without_a_secret_production_does_not_start_and_writes_no_key(tmp_path):
    result = manage(example_env(tmp_path, SECRET_KEY=None), "check")
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_the_demo_makes_up_its_own_key(tmp_path):
    result = manage(example_env(tmp_path, SECRET_KEY=None, SW_DEMO="1"), "check")
    assert result.returncode == 0, result.stderr
    assert len((tmp_path / "secret_key").read_text().strip()) >= 50


# --- Content-Security-Policy -----------------------------------------------------

def test_every_page_forbids_inline_script_and_foreign_sources(world, client):
    client.force_login(world.demo)
    policy = client.get(f"/insure/{world.pending.pk}/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in directives["script-src"] + directives["style-src"]
    # the card agent, and its http:// twin that card.js asks to tell EP-103 from EP-101; nothing else
    agent = settings.EPORT_AGENT_URL
    assert directives["connect-src"] == f"'self' {agent} {agent.replace('ws', 'http', 1)}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT / "src")))
def test_no_template_carries_an_inline_script_or_handler(template):
    text = template.read_text()
    inline = [tag for tag in re.findall(r"<script\b[^>]*>", text) if "src=" not in tag and "json" not in tag]
    handlers = re.findall(r"\son[a-z]+\s*=", text)
    styles = [] if is_pdf_template(template) else re.findall(r"<style\b", text)
    assert (inline, handlers, styles) == ([], [], [])


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000)
def test_https_is_required_and_remembered_when_cookies_are_secure(db):
    assert Client().get("/").status_code == 301
    response = Client().get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


# --- the real client behind trusted proxies ------------------------------------------

@pytest.mark.parametrize("remote, forwarded, expected", [
    ("10.0.0.2", "203.0.113.7", "203.0.113.7"),                 # the documented nginx
    ("10.0.0.2", "1.2.3.4, 203.0.113.7", "203.0.113.7"),        # the client wrote the first entry itself
    ("10.0.0.2", "203.0.113.7, 10.0.0.9", "203.0.113.7"),       # two proxies of ours (a network)
    ("198.51.100.1", "203.0.113.7", "198.51.100.1"),            # not our proxy: its header proves nothing
    ("10.0.0.2", "", "10.0.0.2"),                               # nginx itself (a health check)
    ("10.0.0.2", "not-an-address", None),
])
@override_settings(TRUSTED_PROXIES=["10.0.0.2", "10.0.0.8/29"])
def test_the_client_address_is_the_nearest_untrusted_hop(rf, remote, forwarded, expected):
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@override_settings(TRUSTED_PROXIES=["10.0.0.2"])
def test_failed_logins_lock_one_client_behind_nginx_not_everyone(world):
    def via_nginx(address):
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=address)

    guesser = via_nginx("203.0.113.7")
    for _ in range(settings.ACCOUNT_ADDRESS_FAILURE_LIMIT):
        guesser.post("/login/", {"username": f"nobody{_}", "password": "wrong"})
    assert guesser.post("/login/", {"username": "demo", "password": "Demo@2020"}).status_code == 429
    other = via_nginx("198.51.100.23")
    response = other.post("/login/", {"username": "demo", "password": "Demo@2020"})
    assert response.status_code == 302 and "_auth_user_id" in other.session


def test_gunicorn_believes_x_forwarded_proto_from_the_same_proxies(tmp_path, monkeypatch):
    env = example_env(tmp_path)
    for name in ("TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRUSTED_PROXIES", env["TRUSTED_PROXIES"])
    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert config["forwarded_allow_ips"] == env["TRUSTED_PROXIES"] != "127.0.0.1"


@pytest.mark.parametrize("value, started", [("1", True), ("off", True), ("ture", False), ("2", False)])
def test_a_yes_no_setting_with_a_typo_stops_the_start(tmp_path, value, started):
    result = manage(example_env(tmp_path, SECRET_KEY=secrets.token_urlsafe(50), SECURE_COOKIES=value), "check")
    assert (result.returncode == 0) == started, result.stderr
    if not started:
        assert f"SECURE_COOKIES='{value}' is neither yes nor no" in result.stderr
