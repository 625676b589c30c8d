"""日历任务: the scheduled job of DESIGN.md §4's two calendar transitions.

`manage.py run_calendar` runs once for today (cron, a systemd timer, or by hand with --today to catch
up); `manage.py run_calendar --loop` runs now and then at 00:00:30 Asia/Shanghai every day, which is how
bin/serve schedules it beside the web server and the task worker.

"Today" is the Asia/Shanghai date (settings.TIME_ZONE). Both end dates are inclusive: a policy whose
confirmation deadline is today can still be confirmed today and lapses (已过期) on the first run after
midnight; cover that ends today is in force today and ends (已到期) on the first run after midnight.
Then every enterprise whose policy still waits and whose deadline is SW_DEADLINE_REMINDER_DAYS or fewer
days away is reminded once (notice + SMS). Each transition writes its own audit event through the services; a second run the same day finds
nothing left to do.
"""
import datetime as dt
import logging

from django.core.management.base import BaseCommand
from django.utils import timezone

from singlewindow import loops
from singlewindow.notifications import services as notifications
from singlewindow.policies import services
from singlewindow.policies.models import CalendarRun

log = logging.getLogger(__name__)
RUN_AT = dt.time(0, 0, 30)  # just after midnight, Asia/Shanghai
RETRY = 300  # seconds to wait after a failed pass


def run_calendar(today=None):
    """One pass for `today` (default: the Asia/Shanghai date now). Returns the CalendarRun."""
    today = today or timezone.localdate()
    run = CalendarRun.objects.create(day=today, started_at=timezone.now())
    run.lapsed = services.lapse_overdue(today)
    run.expired = services.expire_ended(today)
    run.reminded = notifications.remind_deadlines(today)
    run.finished_at = timezone.now()
    run.save(update_fields=["lapsed", "expired", "reminded", "finished_at"])
    log.info("calendar %s: %s lapsed, %s expired, %s reminded", today, run.lapsed, run.expired, run.reminded)
    return run


def seconds_until_next_run(now=None):
    """Seconds from `now` to the next RUN_AT in the current time zone (Asia/Shanghai)."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    target = timezone.make_aware(dt.datetime.combine(local.date(), RUN_AT))
    if target <= now:
        target = timezone.make_aware(dt.datetime.combine(local.date() + dt.timedelta(days=1), RUN_AT))
    return (target - now).total_seconds()


class Command(BaseCommand):
    help = "Lapse policies past their confirmation deadline and end cover past its end date (Asia/Shanghai)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="run now, then every day at 00:00:30")
        parser.add_argument("--today", help="the day to run for, YYYY-MM-DD (default: today in Asia/Shanghai)")

    def handle(self, *args, loop=False, today=None, **options):
        if not loop:
            self._report(run_calendar(loops.day_option(today)))
            return
        loops.run(lambda: self._report(run_calendar()), lambda _: seconds_until_next_run(),
                  stop=loops.stop_on_signals(), name="calendar", retry=RETRY)

    def _report(self, run):
        self.stdout.write(f"calendar {run.day}: {run.lapsed} lapsed (已过期), {run.expired} expired (已到期), "
                          f"{run.reminded} reminded of their deadline")
