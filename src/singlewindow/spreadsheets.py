"""Every CSV and XLSX the product writes goes through here, so no cell can run as a formula.

OWASP's rule for CSV injection: a text cell that opens with = + - @, a tab or a carriage return is
prefixed with a single quote; spreadsheets then show it as text. Numbers and dates pass unchanged.
"""
import csv
import io

from django.utils.functional import Promise

from singlewindow.validators import FORMULA_PREFIXES


def safe_cell(value):
    if isinstance(value, Promise):  # a lazy translation (a status label): its text in the active language
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(row):
    return [safe_cell(value) for value in row]


class CsvWriter:
    """csv.writer whose rows are neutralised; the only csv writer the product uses."""

    def __init__(self, file, **options):
        self._writer = csv.writer(file, **options)

    def writerow(self, row):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


class XlsxWriter:
    """A write-only workbook of one sheet whose rows are neutralised; the only xlsx writer the product uses."""

    def __init__(self, title="Sheet1"):
        from openpyxl import Workbook

        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(title)

    def writerow(self, row):
        self.sheet.append(safe_row(row))

    def save(self, file):
        self.book.save(file)

    def getvalue(self):
        """The workbook as bytes, for a download."""
        out = io.BytesIO()
        self.save(out)
        return out.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
