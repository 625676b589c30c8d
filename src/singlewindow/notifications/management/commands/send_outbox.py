from django.core.management.base import BaseCommand

from singlewindow.notifications.outbox import drain


class Command(BaseCommand):
    help = "Deliver every queued SMS/email in the outbox (the worker normally does this as messages are queued)."

    def handle(self, *args, **options):
        sent = drain()
        self.stdout.write(f"outbox: {sent} message(s) sent\n")
