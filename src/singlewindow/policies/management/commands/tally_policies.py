"""Check the policy tally against the policies (exit 1 on a difference), or rebuild it with --rebuild."""
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from singlewindow.policies import tally


class Command(BaseCommand):
    help = "Check the per-(scheme, county, status) policy tally against the policies; --rebuild replaces it."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="replace the tally by what the policies say")

    def handle(self, *args, rebuild=False, **options):
        with transaction.atomic():
            found = tally.differences()
            for (scheme, region, status), kept, actual in found:
                self.stdout.write(f"scheme {scheme} {region} {status}: kept {kept}, policies say {actual}")
            if rebuild:
                tally.rebuild()
                self.stdout.write(f"rebuilt ({len(found)} cells differed)")
                return
        if found:
            raise CommandError(f"{len(found)} cells of the tally differ from the policies (--rebuild replaces it)")
        self.stdout.write("the tally agrees with the policies")
