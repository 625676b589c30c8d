"""Write the committed ISO 3166-1 country and ISO 4217 currency tables (claims/data/*.csv) from Debian's
iso-codes (its JSON and its zh_CN translations). Run once when iso-codes changes; nothing reads iso-codes at
run time.

    python scripts/make_iso_tables.py
"""
import csv
import gettext
import json
from pathlib import Path

SOURCE = Path("/usr/share/iso-codes/json")
# The X… codes that are money a buyer pays in (CFA francs, East Caribbean dollar, CFP franc).
MONEY_X = {"XAF", "XCD", "XOF", "XPF"}
OUT = Path(__file__).resolve().parent.parent / "src/singlewindow/claims/data"


def chinese(domain):
    return gettext.translation(domain, "/usr/share/locale", ["zh_CN"]).gettext


def main():
    zh = chinese("iso_3166-1")
    countries = json.loads((SOURCE / "iso_3166-1.json").read_text())["3166-1"]
    with open(OUT / "countries.csv", "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["alpha_2", "alpha_3", "numeric", "name_en", "name_zh"])
        for row in sorted(countries, key=lambda r: r["alpha_2"]):
            out.writerow([row["alpha_2"], row["alpha_3"], row["numeric"], row["name"], zh(row["name"])])
    zh = chinese("iso_4217")
    currencies = json.loads((SOURCE / "iso_4217.json").read_text())["4217"]
    with open(OUT / "currencies.csv", "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["code", "numeric", "name_en", "name_zh"])
        for row in sorted(currencies, key=lambda r: r["alpha_3"]):
            if row["alpha_3"].startswith("X") and row["alpha_3"] not in MONEY_X:
                continue  # gold, SDR, test codes: not what an invoice is written in
            out.writerow([row["alpha_3"], row.get("numeric", ""), row["name"], zh(row["name"])])


if __name__ == "__main__":
    main()
