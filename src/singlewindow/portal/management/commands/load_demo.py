import logging

from django.core.management.base import BaseCommand

from singlewindow.portal import demo


class Command(BaseCommand):
    help = "Load the demo data of DESIGN.md §8 once (a second run changes nothing) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=300, help="how many extra enterprises")
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the logins")

    def handle(self, *args, enterprises, quiet_logins, **options):
        logging.getLogger("singlewindow.policies.services").setLevel(logging.WARNING)
        if not demo.build(enterprises=enterprises, stdout=self.stdout):
            self.stdout.write("demo data already loaded; nothing changed\n")
        if not quiet_logins:
            demo.print_logins(self.stdout)
