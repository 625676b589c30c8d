"""Deliver the webhooks that are due (tries with backoff, like send_outbox); --loop keeps draining, polling
every OUTBOX_POLL_SECONDS, until SIGTERM or Ctrl+C (singlewindow.loops)."""
from django.conf import settings
from django.core.management.base import BaseCommand

from singlewindow import loops
from singlewindow.api import webhooks


class Command(BaseCommand):
    help = "Deliver due webhook events (retries with exponential backoff)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep draining, polling when idle")

    def handle(self, *args, loop=False, **options):
        if not loop:
            self._report(webhooks.drain())
            return
        poll = settings.OUTBOX_POLL_SECONDS
        loops.run(lambda: self._report(webhooks.drain()), lambda _: poll, stop=loops.stop_on_signals(),
                  name="webhooks: delivery", retry=poll)

    def _report(self, delivered):
        if delivered:
            self.stdout.write(f"{delivered} webhook(s) delivered")
