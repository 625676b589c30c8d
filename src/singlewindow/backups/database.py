"""Each database vendor's dump and restore, and the facts the manifest records, read from the same snapshot.

PostgreSQL: pg_dump in its custom format inside a REPEATABLE READ transaction whose snapshot the dump shares
(--snapshot), so the audit head and migration state recorded beside it are those of the dump; restored by
pg_restore's script fed to one psql transaction, which either lands whole or changes nothing. SQLite: the online
backup API (sqlite3.Connection.backup) copies a consistent file while the system runs; restored the same way.
"""
import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path

import psycopg
from django.db import connections

from singlewindow.audit.models import GENESIS, AuditEvent, AuditHead

MEMBER = {"postgresql": "database/postgresql.dump", "sqlite": "database/sqlite3.db"}
# libpq settings that may sit in a DATABASES entry's OPTIONS and that pg_dump, pg_restore and psql take from the
# environment too.
_LIBPQ_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name")
# With --force: every relation of the schema, dropped inside the restore's own transaction.
_DROP_ALL = """DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
           ORDER BY c.relkind = 'S' LOOP  -- sequences last: an identity column's goes with its table
    EXECUTE format('DROP %s IF EXISTS %I.%I CASCADE', CASE r.relkind WHEN 'v' THEN 'VIEW'
      WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
      current_schema(), r.relname);
  END LOOP; END $$;"""


class DatabaseError(Exception):
    """A dump or restore tool failed; the message is its own (the last lines it wrote)."""


def vendor(alias="default"):
    return connections[alias].vendor


def facts(cursor):
    """The migration state and the audit chain's head, through any DB-API cursor (no parameters: the two
    vendors' drivers mark them differently)."""
    cursor.execute(f"SELECT last_hash FROM {AuditHead._meta.db_table} WHERE id = 1")
    row = cursor.fetchone()
    cursor.execute(f"SELECT COUNT(*), MAX(id) FROM {AuditEvent._meta.db_table}")
    count, last_id = cursor.fetchone()
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    return {
        "migrations": [f"{app}.{name}" for app, name in cursor.fetchall()],
        "audit": {"head": row[0] if row else GENESIS, "events": count, "last_event_id": last_id},
    }


def _tool(name):
    path = shutil.which(name)
    if path is None:
        raise DatabaseError(f"{name} not found on PATH (Debian: postgresql-client, `make system-deps`)")
    return path


def _libpq(settings_dict):
    """(connection string, environment) for the PostgreSQL tools; the password goes in the environment, never
    on a command line that `ps` shows."""
    def quoted(value):
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    parts = {"dbname": settings_dict["NAME"], "host": settings_dict.get("HOST"), "port": settings_dict.get("PORT"),
             "user": settings_dict.get("USER")}
    environment = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    for key in _LIBPQ_OPTIONS:
        if settings_dict.get("OPTIONS", {}).get(key):
            environment[f"PG{key.upper()}"] = str(settings_dict["OPTIONS"][key])
    return " ".join(f"{key}={quoted(value)}" for key, value in parts.items() if value), environment


def _run(arguments, environment, **options):
    done = subprocess.run(arguments, env=environment, capture_output=True, check=False, **options)
    if done.returncode:
        tail = "\n".join(done.stderr.decode(errors="replace").strip().splitlines()[-5:])
        raise DatabaseError(f"{Path(arguments[0]).name} failed ({done.returncode}): {tail}")


def dump(path, alias="default"):
    """Write the database to `path`; returns facts() as of the dump."""
    settings_dict = connections[alias].settings_dict
    if vendor(alias) == "postgresql":
        return _dump_postgresql(settings_dict, path)
    if vendor(alias) == "sqlite":
        return _dump_sqlite(settings_dict, path)
    raise DatabaseError(f"no backup for the {vendor(alias)} database")


def _dump_postgresql(settings_dict, path):
    try:
        return _dump_in_snapshot(settings_dict, path)
    except psycopg.Error as error:
        raise DatabaseError(f"PostgreSQL: {error}") from None


def _dump_in_snapshot(settings_dict, path):
    conninfo, environment = _libpq(settings_dict)
    pg_dump = _tool("pg_dump")
    with closing(psycopg.connect(conninfo, password=settings_dict.get("PASSWORD") or None)) as snapshot:
        snapshot.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snapshot.read_only = True
        with snapshot.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            (name,) = cursor.fetchone()
            found = facts(cursor)
        _run([pg_dump, "--format=custom", f"--snapshot={name}", f"--file={path}", f"--dbname={conninfo}"],
             environment)
        snapshot.rollback()
    return found


def _sqlite_file(settings_dict):
    name = str(settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise DatabaseError(f"the SQLite database {name!r} is not a file")
    return Path(name)


def _dump_sqlite(settings_dict, path):
    try:
        return _copy_sqlite(settings_dict, path)
    except sqlite3.Error as error:
        raise DatabaseError(f"SQLite: {error}") from None


def _copy_sqlite(settings_dict, path):
    with closing(sqlite3.connect(_sqlite_file(settings_dict), timeout=20)) as source, \
            closing(sqlite3.connect(path)) as copy:
        source.backup(copy)  # all pages in one step: one consistent state
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        with closing(copy.cursor()) as cursor:
            return facts(cursor)


def is_empty(alias="default"):
    """No table or view at all (a new database). One that was only migrated is not empty: it holds the regions."""
    if vendor(alias) == "sqlite":
        path = _sqlite_file(connections[alias].settings_dict)
        if not path.exists() or path.stat().st_size == 0:
            return True
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as database:
            return not database.execute("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') "
                                        "AND name NOT LIKE 'sqlite_%' LIMIT 1").fetchone()
    with connections[alias].cursor() as cursor:
        return not connections[alias].introspection.table_names(cursor, include_views=True)


def restore(path, alias="default", *, replace=False):
    """The dump at `path` into the database, replacing what is there when `replace`; all or nothing."""
    connection = connections[alias]
    settings_dict = connection.settings_dict
    connection.close()
    if connection.vendor == "postgresql":
        _restore_postgresql(settings_dict, path, replace)
    elif connection.vendor == "sqlite":
        try:
            with closing(sqlite3.connect(path)) as source, \
                    closing(sqlite3.connect(_sqlite_file(settings_dict), timeout=20)) as target:
                source.backup(target)  # the target's pages replaced in one transaction
        except sqlite3.Error as error:
            raise DatabaseError(f"SQLite: {error}") from None
    else:
        raise DatabaseError(f"no restore for the {connection.vendor} database")


def _restore_postgresql(settings_dict, path, replace):
    """pg_restore's script into psql inside our own BEGIN; COMMIT is sent only once pg_restore has ended well, so a
    script cut short (the tool failing half-way) is rolled back when psql's input ends, not committed."""
    conninfo, environment = _libpq(settings_dict)
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_output:
        script = subprocess.Popen([pg_restore, "--no-owner", "--no-privileges", "--file=-", str(path)],
                                  env=environment, stdout=subprocess.PIPE, stderr=restore_errors)
        client = subprocess.Popen([psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--file=-",
                                   f"--dbname={conninfo}"], env=environment, stdin=subprocess.PIPE,
                                  stdout=psql_output, stderr=subprocess.STDOUT)
        try:
            client.stdin.write(b"BEGIN;\n" + (_DROP_ALL.encode() + b"\n" if replace else b""))
            shutil.copyfileobj(script.stdout, client.stdin, 1 << 20)
            if script.wait() == 0:
                client.stdin.write(b"COMMIT;\n")
        except BrokenPipeError:  # psql stopped at an error: its output says which
            pass
        finally:
            script.stdout.close()
            script.wait()
            try:
                client.stdin.close()
            except BrokenPipeError:
                pass
            client.wait()
        for tool, process, output in (("pg_restore", script, restore_errors), ("psql", client, psql_output)):
            if process.returncode:
                output.seek(0)
                tail = "\n".join(output.read().decode(errors="replace").strip().splitlines()[-5:])
                raise DatabaseError(f"{tool} failed ({process.returncode}): {tail}")
