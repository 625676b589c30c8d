"""One settings module, driven by the environment (SQLite by default)."""
import datetime
import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

SRC_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("SW_BASE_DIR", SRC_DIR.parent.parent))
VAR_DIR = Path(os.environ.get("SW_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name, default=False):
    """A yes/no setting. Anything else is a start-up error: `SECURE_COOKIES=ture` must not mean "off"."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={os.environ[name]!r} is neither yes nor no (1/0, true/false, yes/no, on/off).")


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("SW_TESTING", False) or "pytest" in sys.modules
# The demo (make run, bin/serve) and the tests may make up a key; production must bring its own.
DEMO = env_bool("SW_DEMO", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING or DEMO):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production reads it from the environment (deploy/singlewindow.env.example "
            "says how to make one); only the demo (SW_DEMO=1, as `make run` sets) generates its own.")
    # A development key kept under var/ so sessions survive restarts.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.write_text(get_random_secret_key())
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",  # its widget templates, for FORM_RENDERER (the project's templates render forms)
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "ninja",  # django-ninja: its Swagger UI from its own static files, no CDN (the API docs page)
    "singlewindow.regions",
    "singlewindow.enterprises",
    "singlewindow.accounts",
    "singlewindow.audit",
    "singlewindow.policies",
    "singlewindow.notifications",
    "singlewindow.portal",
    "singlewindow.eport",
    "singlewindow.claims",
    "singlewindow.alerts",
    "singlewindow.bureaus",
    "singlewindow.documents",
    "singlewindow.api",
    "singlewindow.reminders",
    "singlewindow.subsidies",
]

MIDDLEWARE = [
    "singlewindow.http.InputEdgeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "singlewindow.http.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "singlewindow.accounts.usercache.AuthenticationMiddleware",  # Django's, the user from the cache when current
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "singlewindow.accounts.sessions.SessionLimitsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "singlewindow.urls"
WSGI_APPLICATION = "singlewindow.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "singlewindow.portal.context.acting_for",
                "singlewindow.portal.context.menu",
            ],
        },
    },
]
FORM_RENDERER = "singlewindow.forms.Renderer"  # one field template: templates/forms/field.html

# --- data -------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'singlewindow.sqlite3'}")
# Connections are kept a minute; one the server dropped (a restart, a failover) is replaced before a request uses it.
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two transitions queue instead of deadlocking.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not shared memory) so thread-based concurrency tests see real locking.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    # One test database per run, so two suites on one machine never meet.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "singlewindow.accounts.passwords.UserAttributeSimilarityValidator"},  # Django's, messages of our own
    {"NAME": "singlewindow.accounts.passwords.MinimumLengthValidator"},  # at passwords.MIN_LENGTH
    {"NAME": "singlewindow.accounts.passwords.CommonPasswordValidator"},
    {"NAME": "singlewindow.accounts.passwords.NumericPasswordValidator"},
    {"NAME": "singlewindow.accounts.passwords.LettersAndDigitsValidator"},
]
# Lockout (django-axes, docs/decisions/0010-accounts-lockout.md): a username locks *from one address*
# after 5 failed logins within 15 minutes (a stranger elsewhere cannot lock the owner out); one address
# after 20 (on any accounts). 老用户账号绑定 has the same limits per portal user and per address.
# A password reset or an operator unlocks.
AUTHENTICATION_BACKENDS = [
    "singlewindow.accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "singlewindow.accounts.lockout.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = 5
ACCOUNT_ADDRESS_FAILURE_LIMIT = 20
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "singlewindow.accounts.lockout.ip_for_axes"
AXES_LOCKOUT_CALLABLE = "singlewindow.accounts.lockout.lockout_response"
AXES_VERBOSE = False  # axes then writes usernames and addresses to the log as ****
# One-time codes (立即注册, 忘记密码, 忘记用户名, new mobile): valid 10 minutes, 5 tries; per hour at most
# 5 to one recipient asked from one address, 20 to one recipient in all, and 20 asked from one address.
# (A stranger asking for a victim's codes uses up its own 5, not the victim's.)
ACCOUNT_CODE_TTL = datetime.timedelta(minutes=10)
ACCOUNT_CODE_MAX_ATTEMPTS = 5
ACCOUNT_CODES_PER_RECIPIENT_ADDRESS_HOUR = 5
ACCOUNT_CODES_PER_RECIPIENT_HOUR = 20
ACCOUNT_CODES_PER_ADDRESS_HOUR = 20
# Sessions (docs/decisions/0009-eport-card.md, "Sessions"): one ends SW_SESSION_IDLE_MINUTES after its last
# request and SW_SESSION_MAX_HOURS after its login at the latest (accounts.sessions.SessionLimitsMiddleware),
# and when the credential behind it changes (password, account status, a revoked card). The cookie and the
# stored session outlive the idle limit so the next request can say the login timed out.
SW_SESSION_IDLE_MINUTES = int(os.environ.get("SW_SESSION_IDLE_MINUTES", "30"))
SW_SESSION_MAX_HOURS = int(os.environ.get("SW_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = SW_SESSION_MAX_HOURS * 3600
# A request writes its session only when something in it changed: the last-seen time is rewritten when older than
# SW_SESSION_TOUCH_SECONDS, so an active session costs one write per that many seconds (not one per request) and
# the idle logout comes between SW_SESSION_IDLE_MINUTES and that plus SW_SESSION_TOUCH_SECONDS, never before.
SW_SESSION_TOUCH_SECONDS = int(os.environ.get("SW_SESSION_TOUCH_SECONDS", "60"))
# The logged-in user is read from the cache, not the database, while its copy is current (accounts.usercache,
# docs/decisions/0039-cached-user.md): any change of the user's row replaces its version at once. A copy lives at
# most this many seconds (what bounds a change made behind the ORM's back, by SQL); 0 reads the database every time.
SW_USER_CACHE_SECONDS = int(os.environ.get("SW_USER_CACHE_SECONDS", "300"))
# The calendar job reminds an enterprise (notice + SMS) once when a policy's 确认截止日 is this many days away.
SW_DEADLINE_REMINDER_DAYS = int(os.environ.get("SW_DEADLINE_REMINDER_DAYS", "7"))
SESSION_ENGINE = "singlewindow.accounts.sessions.db"  # only well-formed keys reach the database
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- the browser's side of security -------------------------------------------
# Served over HTTPS (SECURE_COOKIES=1, behind nginx, which gunicorn trusts for X-Forwarded-Proto): plain HTTP is
# redirected, and browsers are told to use HTTPS only for a year, subdomains too, and may preload it.
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("SW_HSTS_SECONDS", "31536000")) if SESSION_COOKIE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SW_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SW_HSTS_PRELOAD", True)
SECURE_REFERRER_POLICY = "same-origin"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE  # 简体中文/English, set by /i18n/setlang/: HTTPS only too
# Content-Security-Policy (django-csp): scripts only from our own static files (htmx, Bootstrap, the card
# client, static/js/forms.js), no inline script or handler; the page may talk to itself and to the card agent
# on the user's PC (EPORT_AGENT_URL, added per response by http.ContentSecurityPolicyMiddleware). style attributes
# stay allowed (progress bars are sized by the server), <style> elements not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- i18n -------------------------------------------------------------------
# Source strings are the notice's Chinese wording; English is the translation.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static -----------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [SRC_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- cache ------------------------------------------------------------------
# Shared by every app process: Redis in production, a file cache on one host by default. The cached user needs
# that: a version replaced by one process must be seen by all (a per-process cache would serve revoked users).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # singlewindow.cache: Django's RedisCache that pages can live without while Redis is down (a read is a miss)
    CACHES = {"default": {"BACKEND": "singlewindow.cache.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "singlewindow.accounts.sessions.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}

# --- jobs -------------------------------------------------------------------
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
# An import queued or running with no progress for this long has lost its worker (已中断). Generous: the
# final write is one transaction that reports no progress while it runs. The rule: enterprises/transitions.STALENESS.
SW_IMPORT_STALE = datetime.timedelta(minutes=int(os.environ.get("SW_IMPORT_STALE_MINUTES", "30")))
# A 批量出单 run with no progress for this long has lost its worker (its runs beat once per chunk, so the
# limit is short) and may be resumed. The rule: policies/transitions.ISSUANCE_STALENESS.
SW_ISSUANCE_STALE = datetime.timedelta(minutes=int(os.environ.get("SW_ISSUANCE_STALE_MINUTES", "2")))
# The export-list upload (enterprises/imports.py): uploads and error reports are kept under SW_IMPORT_DIR
# (shared by the app hosts and the workers in production). A million CSV rows are about 70 MB.
SW_IMPORT_DIR = Path(os.environ.get("SW_IMPORT_DIR", VAR_DIR / "imports"))
SW_IMPORT_MAX_UPLOAD_MB = int(os.environ.get("SW_IMPORT_MAX_UPLOAD_MB", "300"))
# An XLSX is a zip: refused before openpyxl opens it when it unpacks to more than any customs list could. A full
# Excel sheet (1,048,576 rows) of 20 columns is about 600 MB of XML; real sheets compress 5-20 times (Apache
# POI refuses above 100). openpyxl holds the whole shared-string table in memory (about 200 bytes a string),
# so it is counted first: at most this many, and no more than the worksheets could refer to.
SW_IMPORT_XLSX_MAX_ENTRIES = int(os.environ.get("SW_IMPORT_XLSX_MAX_ENTRIES", "1000"))
SW_IMPORT_XLSX_MAX_UNPACKED_MB = int(os.environ.get("SW_IMPORT_XLSX_MAX_UNPACKED_MB", "1024"))
SW_IMPORT_XLSX_MAX_RATIO = int(os.environ.get("SW_IMPORT_XLSX_MAX_RATIO", "100"))
SW_IMPORT_XLSX_MAX_SHARED_STRINGS = int(os.environ.get("SW_IMPORT_XLSX_MAX_SHARED_STRINGS", "2500000"))
# The error report of a refused import lists this many problems (then counts the rest) and is deleted this
# many days after its job ended (by the worker before each import, and by manage.py mark_stale_imports).
SW_IMPORT_REPORT_ROWS = int(os.environ.get("SW_IMPORT_REPORT_ROWS", "1000"))
SW_IMPORT_REPORT_DAYS = int(os.environ.get("SW_IMPORT_REPORT_DAYS", "30"))
# The SMS/email outbox (notifications.backends): the console (worker log) by default; set
# OUTBOX_BACKEND=singlewindow.notifications.backends.GatewayBackend with OUTBOX_SMS_URL/TOKEN and EMAIL_HOST
# for real delivery.
OUTBOX_BACKEND = os.environ.get("OUTBOX_BACKEND", "singlewindow.notifications.backends.ConsoleBackend")
OUTBOX_FILE = Path(os.environ.get("OUTBOX_FILE", VAR_DIR / "outbox" / "messages.jsonl"))
OUTBOX_SMS_URL = os.environ.get("OUTBOX_SMS_URL", "")
OUTBOX_SMS_TOKEN = os.environ.get("OUTBOX_SMS_TOKEN", "")
# Delivery (notifications.outbox): a failed try waits OUTBOX_RETRY_BASE, doubled after each further failure
# up to OUTBOX_RETRY_MAX; the message is `failed` after OUTBOX_MAX_ATTEMPTS tries (defaults: 30 s, 60 s,
# 120 s, 240 s, then failed, inside a code's 10 minutes). A `sending` claim older than OUTBOX_STALE lost
# its drain and is queued again; keep it well above the backends' timeouts. The loop polls every
# OUTBOX_POLL_SECONDS when idle.
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "5"))
OUTBOX_RETRY_BASE = datetime.timedelta(seconds=int(os.environ.get("OUTBOX_RETRY_SECONDS", "30")))
OUTBOX_RETRY_MAX = datetime.timedelta(minutes=int(os.environ.get("OUTBOX_RETRY_MAX_MINUTES", "30")))
OUTBOX_STALE = datetime.timedelta(minutes=int(os.environ.get("OUTBOX_STALE_MINUTES", "5")))
OUTBOX_POLL_SECONDS = float(os.environ.get("OUTBOX_POLL_SECONDS", "2"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
# The mail relay's login, if it asks for one: from the environment like every secret (none: no login).
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))  # seconds; below OUTBOX_STALE, so no hung send is re-sent
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@singlewindow.localhost")

# --- logging ----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"mask_account_data": {"()": "singlewindow.accounts.logmask.MaskAccountData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_account_data"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

# --- e-port card (卡介质, DESIGN.md §5; docs/decisions/*-eport-card.md) -----------------
# The card authority's CA key and certificate (created on first use) and the demo card files.
EPORT_DIR = Path(os.environ.get("EPORT_DIR", VAR_DIR / "eport"))
# Where the login page finds the 客户端控件 (the card agent on the user's own PC).
EPORT_AGENT_URL = os.environ.get("EPORT_AGENT_URL", "ws://127.0.0.1:61232")
# Login and signing challenges are single-use and expire after this many seconds (eport.services.challenge_lifetime
# holds them to at most 120).
EPORT_CHALLENGE_SECONDS = int(os.environ.get("EPORT_CHALLENGE_SECONDS", "120"))
# Anyone may ask for a login challenge (it precedes the login), so one address gets this many per
# 10 minutes; a person needs one or two per login.
EPORT_CHALLENGES_PER_ADDRESS = int(os.environ.get("EPORT_CHALLENGES_PER_ADDRESS", "30"))
# scrypt cost (N) sealing a new card's private key under its PIN.
EPORT_PIN_KDF_N = 2**15
# The agent's source, served as a wheel on the 客户端控件下载 page.
EPORT_AGENT_SOURCE = Path(os.environ.get("EPORT_AGENT_SOURCE", BASE_DIR / "cardagent"))

# Claim documents (claims/uploads.py): kept under SW_DOCUMENT_DIR, outside the web root (shared by the app hosts
# in production, backed up with the database), each file at most SW_DOCUMENT_MAX_MB.
SW_DOCUMENT_DIR = Path(os.environ.get("SW_DOCUMENT_DIR", VAR_DIR / "documents"))
SW_DOCUMENT_MAX_MB = int(os.environ.get("SW_DOCUMENT_MAX_MB", "20"))
# 电子保单 and 确认回执 (documents/, docs/decisions/0027-signed-policy-documents.md): signed PDFs kept under
# SW_DOCUMENT_DIR/issued. The document-signing CA and each insurer branch's signing key live in SW_SIGNING_DIR
# (empty: EPORT_DIR/signing, beside the card CA). The QR code printed on a document leads to SW_PUBLIC_URL/verify/.
SW_SIGNING_DIR = os.environ.get("SW_SIGNING_DIR", "")
SW_PUBLIC_URL = os.environ.get("SW_PUBLIC_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}").rstrip("/")
# A policy's documents are made by a job queued when it takes effect, is cancelled or confirmed. Under the tests
# (where jobs run at once) only the tests that ask for them make PDFs: the test world approves dozens of policies.
SW_DOCUMENTS_ON_COMMIT = env_bool("SW_DOCUMENTS_ON_COMMIT", not TESTING)
# 保单查验 (public): per address at most this many look-ups an hour; an uploaded PDF at most SW_VERIFY_MAX_MB.
SW_VERIFY_PER_ADDRESS_HOUR = int(os.environ.get("SW_VERIFY_PER_ADDRESS_HOUR", "30"))
SW_VERIFY_MAX_MB = int(os.environ.get("SW_VERIFY_MAX_MB", "5"))
# Webhook receivers: only https on public addresses, unless this is the demo or the tests (whose receivers are on
# loopback); api/webhooks.destination_problem.
SW_WEBHOOK_ALLOW_PRIVATE = env_bool("SW_WEBHOOK_ALLOW_PRIVATE", DEMO or TESTING)
# What the enterprise is told happens next, and by when: the calendar days the insurer (or, for
# info_requested, the enterprise) has for each step of a notice or claim (claims/services.target_date).
SW_CLAIM_TARGET_DAYS = {
    "notice.submitted": 5,  # the insurer acknowledges the notice
    "claim.submitted": 5,  # the insurer takes the claim into review
    "claim.under_review": 30,  # the insurer decides
    "claim.info_requested": 30,  # the enterprise sends what was asked for
    "claim.resubmitted": 10,  # the insurer decides on what was sent
    "claim.approved": 10,  # the insurer pays
}

# --- tests (SW_TESTING=1, or under pytest): every difference from the above in one place --------------
if TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # per process, no files
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}  # jobs run in the request
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # argon2 would be most of the suite
    EPORT_PIN_KDF_N = 2**4  # the same sealing, cheap
    if "EPORT_DIR" not in os.environ:  # a CA and card files of the run's own, removed at exit
        import atexit
        import shutil
        import tempfile

        EPORT_DIR = Path(tempfile.mkdtemp(prefix="sw-eport-test-"))
        atexit.register(shutil.rmtree, EPORT_DIR, True)
    if "SW_DOCUMENT_DIR" not in os.environ:  # claim documents of the run's own, removed at exit
        import atexit
        import shutil
        import tempfile

        SW_DOCUMENT_DIR = Path(tempfile.mkdtemp(prefix="sw-documents-test-"))
        atexit.register(shutil.rmtree, SW_DOCUMENT_DIR, True)
