"""Deliver the webhooks that are due (tries with backoff, like send_outbox); --loop keeps draining."""
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from singlewindow.api import webhooks


class Command(BaseCommand):
    help = "Deliver due webhook events (retries with exponential backoff)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep draining, polling when idle")

    def handle(self, *args, loop=False, **options):
        while True:
            delivered = webhooks.drain()
            if delivered:
                self.stdout.write(f"{delivered} webhook(s) delivered")
            if not loop:
                return
            time.sleep(settings.OUTBOX_POLL_SECONDS)
