"""The production environment as deployed (deploy/singlewindow.env.example with a real SECRET_KEY; issue 15 #7): a
response over HTTPS carries HSTS, the Content-Security-Policy and X-Frame-Options DENY, plain HTTP is redirected,
the cookies are Secure (the session's HttpOnly too), DEBUG is off; and settings.py holds no secret of its own —
each comes from the environment, or from a file under SW_VAR_DIR that the demo alone may make.
(test_production_settings.py has `check --deploy`, the missing key and the CSP of each template.)"""
import ast
import json
import re
import secrets

from singlewindow.portal.tests.test_production_settings import ROOT, example_env, manage

SETTINGS = ROOT / "src" / "singlewindow" / "settings.py"
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|PEPPER|PASSPHRASE|CREDENTIAL|PRIVATE_KEY|(^|_)KEY$")
URL_WITH_PASSWORD = re.compile(r"://[^/@\s]*:[^/@\s]+@")

# Run inside `manage.py shell` under the production environment. The static files' manifest is made by
# collectstatic at deploy time (minutes here) and is no security matter, so the probe serves them unhashed.
PROBE = """
import json
from django.conf import settings
from django.test import Client, override_settings

host = settings.ALLOWED_HOSTS[0]
with override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}):
    client = Client(raise_request_exception=True)
    plain = client.get("/login/", HTTP_HOST=host)
    page = client.get("/login/", HTTP_HOST=host, secure=True)
csrf = page.cookies[settings.CSRF_COOKIE_NAME]
print(json.dumps({
    "redirect": [plain.status_code, plain.get("Location")], "status": page.status_code,
    "headers": dict(page.headers), "csrf_cookie": {"secure": bool(csrf["secure"]), "samesite": csrf["samesite"]},
    "debug": settings.DEBUG, "session_cookie": [settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY,
                                                settings.SESSION_COOKIE_SAMESITE],
    "language_cookie_secure": settings.LANGUAGE_COOKIE_SECURE,
    "secret_key_from_env": settings.SECRET_KEY == __import__("os").environ["SECRET_KEY"],
}))
"""


def production(tmp_path):
    env = example_env(tmp_path, SECRET_KEY=secrets.token_urlsafe(50))
    result = manage(env, "shell", "--no-imports", "-c", PROBE)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_answers_only_over_https_and_says_so_in_every_header(tmp_path):
    seen = production(tmp_path)
    assert seen["redirect"] == [301, "https://sme.singlewindow.example/login/"]
    assert seen["status"] == 200 and seen["debug"] is False and seen["secret_key_from_env"]
    headers = seen["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    directives = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert directives["frame-ancestors"] == "'none'" and directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"


def test_production_cookies_are_secure_and_the_session_is_out_of_scripts_reach(tmp_path):
    seen = production(tmp_path)
    assert seen["session_cookie"] == [True, True, "Lax"]
    assert seen["csrf_cookie"] == {"secure": True, "samesite": "Lax"}
    assert seen["language_cookie_secure"] is True


def environment_reads(tree):
    """(name, default) of every os.environ.get / os.environ[...] / env_*() call in settings.py."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = ast.unparse(node.func)
            if func in ("os.environ.get", "os.getenv") or func.startswith("env_"):
                yield node.args[0].value, node.args[1] if len(node.args) > 1 else None
        elif (isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ"
              and isinstance(node.slice, ast.Constant)):
            yield node.slice.value, None


def test_no_secret_has_a_default_in_settings():
    tree = ast.parse(SETTINGS.read_text())
    reads = list(environment_reads(tree))
    secret_reads = [(name, default) for name, default in reads if SECRET_NAME.search(name)]
    assert {"SECRET_KEY", "OUTBOX_SMS_TOKEN", "EMAIL_HOST_PASSWORD"} <= {name for name, _ in secret_reads}
    defaulted = [(name, ast.unparse(default)) for name, default in secret_reads
                 if default is not None and not (isinstance(default, ast.Constant) and default.value == "")]
    assert defaulted == []
    # and no default address carries a password (DATABASE_URL's is SQLite under var/)
    assert [name for name, default in reads if default is not None
            and URL_WITH_PASSWORD.search(ast.unparse(default))] == []


def test_no_secret_is_written_into_settings():
    """A setting named like a secret takes its value from the environment (or the demo's key file), never a
    literal of its own."""
    written = []
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value:
            written += [target.id for target in node.targets
                        if isinstance(target, ast.Name) and SECRET_NAME.search(target.id)]
    assert written == []
