"""`manage.py mark_stale_imports`: fail the imports a dead worker left 排队中/处理中, and delete the error
reports older than SW_IMPORT_REPORT_DAYS (cron, or by hand).

The task worker does the same before each import it runs; this covers the time no import is uploaded.
"""
from django.core.management.base import BaseCommand

from singlewindow.enterprises.imports import delete_expired_reports, mark_stale_imports


class Command(BaseCommand):
    help = ("Mark imports with no progress for SW_IMPORT_STALE (their worker stopped) as failed; delete error"
            " reports older than SW_IMPORT_REPORT_DAYS.")

    def handle(self, *args, **options):
        self.stdout.write(f"{mark_stale_imports()} stale import(s) marked failed")
        self.stdout.write(f"{delete_expired_reports()} expired error report(s) deleted")
