from django.core.management.base import BaseCommand, CommandError

from singlewindow.audit.models import AuditEvent
from singlewindow.audit.services import first_broken_link


class Command(BaseCommand):
    help = "Check the audit hash chain and report the first broken link."

    def handle(self, *args, **options):
        broken = first_broken_link()
        if broken:
            event_id, why = broken
            raise CommandError(f"audit chain broken at event {event_id}: {why}")
        self.stdout.write(f"audit chain intact: {AuditEvent.objects.count()} events")
