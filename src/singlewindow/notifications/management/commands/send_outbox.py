"""发送短信/邮件: drain the outbox (notifications.outbox.drain).

`manage.py send_outbox` makes one pass: stale claims back in the queue, every due message sent.
`manage.py send_outbox --loop` keeps draining, polling every OUTBOX_POLL_SECONDS when there was nothing
to send; that is how bin/serve and deploy/systemd/singlewindow-outbox.service run it. Several loops may
run at once: each message is claimed by exactly one of them. SIGTERM (systemctl stop) and Ctrl+C let
the message in hand finish before the loop ends.
"""
from django.conf import settings
from django.core.management.base import BaseCommand

from singlewindow import loops
from singlewindow.notifications.outbox import drain


class Command(BaseCommand):
    help = "Deliver the queued SMS/email in the outbox; --loop keeps doing so (retries, stale claims, backoff)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep draining until stopped")

    def handle(self, *args, loop=False, **options):
        if not loop:
            self.stdout.write(f"outbox: {drain()} message(s) sent\n")
            return
        stop = loops.stop_on_signals()
        self.stdout.write("outbox: draining (Ctrl+C to stop)\n")
        run(stop)


def run(stop, poll=None):
    """Drain until `stop` is set; sleep `poll` seconds only after a pass that sent nothing."""
    poll = settings.OUTBOX_POLL_SECONDS if poll is None else poll
    loops.run(lambda: drain(stop=stop), lambda sent: 0 if sent else poll, stop=stop, name="outbox: drain",
              retry=poll)
