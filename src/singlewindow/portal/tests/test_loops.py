"""singlewindow.loops: the one --loop of the worker commands (send_outbox, send_webhooks, run_calendar,
send_scheduled_reminders): a pass, a wait, a failed pass logged and outlived, SIGTERM and Ctrl+C end it."""
import io
import os
import signal
import threading

import pytest
from django.core.management import CommandError, call_command

from singlewindow import loops


class Stop(threading.Event):
    """The loop's stop, keeping the waits it was asked for instead of sleeping them."""

    def __init__(self):
        super().__init__()
        self.waits = []

    def wait(self, timeout=None):
        self.waits.append(timeout)
        return self.is_set()


def passes(stop, results, *, stop_after):
    """A pass that answers `results` in turn (raising those that are exceptions) and sets `stop` at the last."""
    calls = []

    def one_pass(*args, **kwargs):
        calls.append(args)
        if len(calls) >= stop_after:
            stop.set()
        result = results[len(calls) - 1]
        if isinstance(result, Exception):
            raise result
        return result

    return one_pass, calls


@pytest.mark.django_db(transaction=True)  # a loop runs in autocommit, and replaces a dropped connection
def test_the_loop_waits_what_each_pass_asks_and_ends_when_stopped():
    stop = Stop()
    one_pass, calls = passes(stop, [3, 0, 5], stop_after=3)
    loops.run(one_pass, lambda sent: 0 if sent else 7, stop=stop, name="test", retry=60)
    assert len(calls) == 3
    assert stop.waits == [7]  # after the pass that sent nothing; none once stopped


@pytest.mark.django_db(transaction=True)
def test_a_failed_pass_is_logged_and_the_loop_goes_on_after_the_retry_wait(caplog):
    stop = Stop()
    one_pass, calls = passes(stop, [ConnectionError("数据库连接中断"), 1], stop_after=2)
    loops.run(one_pass, lambda _: 3600, stop=stop, name="test job", retry=300)
    assert len(calls) == 2
    assert stop.waits == [300]
    assert "test job pass failed; next pass in 300 s" in caplog.text and "数据库连接中断" in caplog.text


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_sets_the_stop(signum):
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        stop = loops.stop_on_signals()
        assert not stop.is_set()
        os.kill(os.getpid(), signum)
        assert stop.wait(10)  # the handler runs in this (the main) thread as soon as the kill returns
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def test_a_day_option_is_a_date_or_refused_naming_the_form():
    assert str(loops.day_option("2026-07-01")) == "2026-07-01"
    assert loops.day_option(None) is None
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        loops.day_option("2026-02-30")


# Each worker command's pass, as the loop calls it: (command, what to replace, what one good pass returns)
WORKERS = [
    ("send_outbox", "singlewindow.notifications.management.commands.send_outbox.drain", 1),
    ("send_webhooks", "singlewindow.api.webhooks.drain", 1),
    ("run_calendar", "singlewindow.policies.management.commands.run_calendar.run_calendar", None),
    ("send_scheduled_reminders", "singlewindow.reminders.services.send_scheduled", []),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("command, target, result", WORKERS, ids=[w[0] for w in WORKERS])
def test_every_worker_loop_outlives_a_failed_pass_and_ends_when_stopped(command, target, result, caplog, monkeypatch):
    stop = Stop()
    if result is None:  # run_calendar reports the CalendarRun it made
        from singlewindow.policies.models import CalendarRun
        result = CalendarRun(day="2026-07-01", lapsed=0, expired=0, reminded=0)
    one_pass, calls = passes(stop, [ConnectionError("数据库连接中断"), result], stop_after=2)
    monkeypatch.setattr(target, one_pass)
    monkeypatch.setattr("singlewindow.loops.stop_on_signals", lambda: stop)
    call_command(command, loop=True, stdout=io.StringIO())
    assert len(calls) == 2
    assert "pass failed" in caplog.text and "数据库连接中断" in caplog.text
