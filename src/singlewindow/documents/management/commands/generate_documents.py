"""Make the 电子保单 and 确认回执 that are missing or out of date (a policy that took effect before the documents
app existed, a job that failed, a file lost, a correction): idempotent, a second run makes nothing."""
from django.core.management.base import BaseCommand
from django.db.models import Q

from singlewindow.policies.models import Policy

from ...services import DOCUMENTED, generate_for


class Command(BaseCommand):
    help = "Generate missing or changed 电子保单 and 确认回执 PDFs for existing policies."

    def add_arguments(self, parser):
        parser.add_argument("--policy", action="append", default=[], metavar="NUMBER",
                            help="only this policy number (repeatable)")

    def handle(self, *args, policy, **options):
        policies = Policy.objects.filter(
            Q(status__in=DOCUMENTED) | Q(confirmations__isnull=False) | Q(documents__isnull=False)
        ).distinct().order_by("pk")
        if policy:
            policies = policies.filter(number__in=policy)
        made = seen = failed = 0
        for pk, number in list(policies.values_list("pk", "number")):  # read first: each policy is a transaction
            seen += 1
            try:
                made += generate_for(pk)
            except Exception as error:  # noqa: BLE001 (one policy's failure is reported, the others still run)
                failed += 1
                self.stderr.write(f"{number}: {type(error).__name__}: {error}")
        self.stdout.write(f"{seen} policies checked, {made} documents generated, {failed} failed")
        if failed:
            raise SystemExit(1)
