"""The committed ISO tables (claims/data, written by scripts/make_iso_tables.py): currencies are read from
the file once; countries are rows (claims.Country), loaded by a data migration, because others refer to them."""
import csv
from functools import cache
from pathlib import Path

from django.utils.translation import get_language

DATA = Path(__file__).resolve().parent / "data"


def _rows(name):
    with open(DATA / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def currencies():
    return {row["code"]: row for row in _rows("currencies.csv")}


def countries():
    return _rows("countries.csv")


def currency_name(code):
    row = currencies().get(code)
    if row is None:
        return code
    return row["name_en"] if (get_language() or "").startswith("en") else row["name_zh"]


def currency_choices():
    """USD first (the maximum indemnity is in it), then by code; each as "USD 美元"."""
    codes = sorted(currencies(), key=lambda code: (code != "USD", code))
    return [(code, f"{code} {currency_name(code)}") for code in codes]


def load_countries(country_model=None):
    """Write the table into claims.Country (the data migration passes its historical model; tests call it
    again after a transactional test's flush emptied the table)."""
    if country_model is None:
        from .models import Country as country_model
    country_model.objects.bulk_create(
        [country_model(code=row["alpha_2"], alpha_3=row["alpha_3"], numeric=row["numeric"], name_en=row["name_en"],
                       name_zh=row["name_zh"]) for row in countries()],
        ignore_conflicts=True,
    )
