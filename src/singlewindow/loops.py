"""The `--loop` of the workers that are management commands (send_outbox, send_webhooks, run_calendar,
send_scheduled_reminders), written once: a pass, then a wait, until SIGTERM (systemctl stop) or Ctrl+C, which
let the pass in hand finish and cut the wait short. A pass that fails is logged and the loop goes on: a
database hiccup must not end a worker that systemd or bin/serve would not restart.
"""
import datetime as dt
import logging
import signal
import threading

from django.core.management.base import CommandError
from django.db import close_old_connections

log = logging.getLogger(__name__)


def stop_on_signals():
    """An event that SIGTERM or SIGINT sets (the loop's `stop`)."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def run(one_pass, wait, *, stop, name, retry):
    """Call `one_pass()` until `stop` is set, waiting `wait(its result)` seconds after each pass, or `retry`
    seconds after one that raised (logged as "<name> pass failed")."""
    while not stop.is_set():
        try:
            close_old_connections()  # a connection the database dropped while we waited is replaced, not reused
            seconds = wait(one_pass())
        except Exception:
            log.exception("%s pass failed; next pass in %s s", name, retry)
            seconds = retry
        if seconds and not stop.is_set():
            stop.wait(seconds)


def day_option(value):
    """A command's --today (YYYY-MM-DD) as a date; None when not given."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError("--today must be YYYY-MM-DD") from None
