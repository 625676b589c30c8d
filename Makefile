# The two set-up commands: `make run` (the demo) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PG_URL ?= postgresql://postgres@localhost:5432/singlewindow
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install system-deps run test lint test-sqlite test-postgres bench bench-deps messages clean

$(VENV)/.installed: pyproject.toml cardagent/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ./cardagent -e '.[test]'
	touch $@

# axe-core for the accessibility checks of the browser tests (package-lock.json pins it).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed

# Debian's chromium (driven by Playwright, never a downloaded browser), npm for axe-core, a CJK font for the glyphs
# (the browser's and the 电子保单's, embedded by weasyprint), pango for weasyprint, poppler for the PDF tests,
# nginx in front of the topology test's two app processes (testing/cluster.py runs its own, not the service);
# pg_dump, pg_restore and psql for manage.py backup / restore on PostgreSQL.
system-deps:
	@pkgs=""; \
	command -v chromium >/dev/null || pkgs="$$pkgs chromium"; \
	command -v npm >/dev/null || pkgs="$$pkgs npm"; \
	fc-list 2>/dev/null | grep -qi wenquanyi || pkgs="$$pkgs fonts-wqy-microhei"; \
	/sbin/ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || pkgs="$$pkgs libpango-1.0-0 libpangoft2-1.0-0"; \
	command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null || pkgs="$$pkgs poppler-utils"; \
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || pkgs="$$pkgs nginx"; \
	command -v pg_dump >/dev/null && command -v pg_restore >/dev/null && command -v psql >/dev/null || pkgs="$$pkgs postgresql-client"; \
	command -v redis-server >/dev/null || pkgs="$$pkgs redis-server"; \
	if [ -n "$$pkgs" ]; then \
	  echo "installing$$pkgs from Debian"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$pkgs >/dev/null; \
	fi

# SW_DEMO=1: the demo may make up its own SECRET_KEY (kept in var/); production must set one.
run: export SW_DEMO := 1
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	PORT=$(PORT) $(PY) manage.py load_demo
	PORT=$(PORT) bin/serve

test: install system-deps node_modules/.installed lint test-sqlite test-postgres

# ruff: its default rules plus import sorting (pyproject.toml); the suite does not start while it complains.
lint: install
	$(VENV)/bin/ruff check .

test-sqlite:
	SW_TESTING=1 $(PY) -m pytest -q

test-postgres:
	@if $(PY) -c "import psycopg,sys; psycopg.connect('$(PG_URL)'.rsplit('/',1)[0]+'/postgres', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== again on PostgreSQL ($(PG_URL))"; \
	  SW_TESTING=1 DATABASE_URL=$(PG_URL) $(PY) -m pytest -q; \
	else echo "== no PostgreSQL answers at $(PG_URL): PostgreSQL run skipped"; fi

# wrk drives the load bench (bench/load.py: gunicorn on loopback); it also needs PostgreSQL (BENCH_PG_URL) and
# Redis (BENCH_REDIS_URL, default redis://localhost:6379/11) answering, as the pages have in production.
bench-deps:
	@command -v wrk >/dev/null || { echo "installing wrk from Debian"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

bench: install bench-deps
	$(PY) bench/run.py

messages: export SW_DEMO := 1
messages: install
	cd src/singlewindow && ../../$(PY) ../../manage.py makemessages -l en --no-obsolete --ignore "static/*" --ignore "*/tests/*" && ../../$(PY) ../../manage.py compilemessages -l en

clean:
	rm -rf $(VENV) var/staticfiles node_modules
