"""Every CSV and XLSX the product writes goes through here, so no cell can run as a formula.

OWASP's rule for CSV injection: a text cell that opens with = + - @, a tab or a carriage return is
prefixed with a single quote; spreadsheets then show it as text. Numbers and dates pass unchanged.
"""
import csv

from singlewindow.validators import FORMULA_PREFIXES


def safe_cell(value):
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


def append_row(sheet, row):
    """openpyxl worksheet.append with neutralised cells; the only way the product fills a sheet."""
    sheet.append(safe_row(row))
