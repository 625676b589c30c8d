"""定时提醒: `manage.py send_scheduled_reminders` sends today's scheduled reminders (services.send_scheduled).

Idempotent and safe to run every hour, or from two machines at once: a schedule sends once a day per county
(the run's unique constraint), and no enterprise gets the same reminder twice in a day (the recipients'
constraint). `--loop` runs now and then at the top of every hour (bin/serve runs it so); `--today` sends for
another day (catching up, tests). "Today" is the Asia/Shanghai date.
"""
import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from singlewindow import loops
from singlewindow.reminders import services

RETRY = 300  # seconds to wait after a failed pass


def seconds_until_next_hour(now=None):
    now = timezone.localtime(now or timezone.now())
    following = (now + dt.timedelta(hours=1)).replace(minute=0, second=5, microsecond=0)
    return (following - now).total_seconds()


class Command(BaseCommand):
    help = "Send the scheduled reminders due today (Asia/Shanghai); idempotent, safe to run every hour."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="run now, then every hour")
        parser.add_argument("--today", help="the day to send for, YYYY-MM-DD (default: today in Asia/Shanghai)")

    def handle(self, *args, loop=False, today=None, **options):
        if not loop:
            self._send(loops.day_option(today))
            return
        loops.run(self._send, lambda _: seconds_until_next_hour(), stop=loops.stop_on_signals(),
                  name="scheduled reminders", retry=RETRY)

    def _send(self, day=None):
        day = day or services.reminder_day()
        self._report(day, services.send_scheduled(day))

    def _report(self, day, runs):
        reached = sum(run.reached for run in (r for r in _refreshed(runs)))
        self.stdout.write(f"scheduled reminders {day}: {len(runs)} run(s), {reached} enterprise(s) reminded")


def _refreshed(runs):
    for run in runs:
        run.refresh_from_db()
        yield run
