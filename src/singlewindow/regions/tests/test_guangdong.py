"""The Guangdong GB/T 2260 data loaded by migration 0002_guangdong."""

import importlib
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection
from stdnum import numdb

from singlewindow.regions.models import Region

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "guangdong.json"

# Codes whose current name in our fixture differs from the current name in
# python-stdnum's cn/loc.dat (e.g. a renaming stdnum has not picked up yet),
# as {code: (our name, stdnum's name)}. None as of python-stdnum 2.2: all 144
# Guangdong divisions match by code and name.
KNOWN_STDNUM_DIFFERENCES: dict[str, tuple[str, str]] = {}

# "[1983-1986]郊区,[1987-]白云区": each part optionally carries [from-to] years.
_PART = re.compile(r"^(?:\[(?P<start>\d*)-(?P<end>\d*)\])?(?P<name>.+)$")


def stdnum_current_name(code):
    """The name stdnum's loc.dat gives `code` today (its part without an end year), or None."""
    info = numdb.get("cn/loc").info(code)
    if len(info) < 2 or "county" not in info[1][1]:
        return None
    current = [m["name"] for m in map(_PART.match, info[1][1]["county"].split(",")) if not m["end"]]
    return current[-1] if current else None


def stdnum_current_guangdong_codes():
    """Codes loc.dat marks as in force under 44, less the 市辖区 (xx01) placeholders."""
    db = numdb.get("cn/loc")
    codes = set()
    for prefecture in range(100):
        for county in range(100):
            code = f"44{prefecture:02d}{county:02d}"
            info = db.info(code)
            if len(info) < 2 or "county" not in info[1][1]:
                continue
            name = stdnum_current_name(code)
            if name and name != "市辖区":
                codes.add(code)
    return codes


@pytest.mark.django_db
def test_counts():
    guangdong = Region.objects.filter(code__startswith="44")
    assert guangdong.filter(level=Region.Level.PROVINCE).count() == 1
    assert guangdong.filter(level=Region.Level.PREFECTURE).count() == 21
    assert guangdong.filter(level=Region.Level.COUNTY).count() == 122
    assert guangdong.count() == 144


@pytest.mark.django_db
def test_province():
    province = Region.objects.get(code="440000")
    assert (province.name, province.name_en, province.level, province.parent) == ("广东省", "Guangdong", 1, None)


@pytest.mark.django_db
def test_hierarchy():
    for prefecture in Region.objects.filter(code__startswith="44", level=Region.Level.PREFECTURE):
        assert prefecture.code.endswith("00") and not prefecture.code.endswith("0000")
        assert prefecture.parent_id == "440000"
    for county in Region.objects.filter(code__startswith="44", level=Region.Level.COUNTY).select_related("parent"):
        assert not county.code.endswith("00")
        assert county.parent.code == county.code[:4] + "00", county.code
        assert county.parent.level == Region.Level.PREFECTURE


@pytest.mark.django_db
def test_shanwei():
    shanwei = Region.objects.get(code="441500")
    assert (shanwei.name, shanwei.name_en, shanwei.level) == ("汕尾市", "Shanwei", Region.Level.PREFECTURE)
    children = {r.code: (r.name, r.name_en) for r in shanwei.children.all()}
    assert children == {
        "441502": ("城区", "Chengqu District"),
        "441521": ("海丰县", "Haifeng County"),
        "441523": ("陆河县", "Luhe County"),
        "441581": ("陆丰市", "Lufeng City"),
    }


@pytest.mark.django_db
def test_matches_stdnum_loc_dat():
    ours = {r.code: r.name for r in Region.objects.filter(code__startswith="44")}
    mismatched = {}
    for code, name in ours.items():
        theirs = stdnum_current_name(code)
        if theirs != name:
            mismatched[code] = (name, theirs)
    assert mismatched == KNOWN_STDNUM_DIFFERENCES
    # And nothing in force per stdnum is missing from ours.
    assert stdnum_current_guangdong_codes() - set(ours) == set()


def test_fixture_parents_come_first():
    seen = set()
    for row in json.loads(FIXTURE.read_text(encoding="utf-8")):
        assert row["model"] == "regions.region"
        parent = row["fields"]["parent"]
        assert parent is None or parent in seen, row["pk"]
        seen.add(row["pk"])


@pytest.mark.django_db
def test_migration_is_idempotent():
    migration = importlib.import_module("singlewindow.regions.migrations.0002_guangdong")
    Region.objects.filter(code="441521").update(name="changed", name_en="")
    migration.load_guangdong(django_apps, SimpleNamespace(connection=connection))
    migration.load_guangdong(django_apps, SimpleNamespace(connection=connection))
    assert Region.objects.filter(code__startswith="44").count() == 144
    haifeng = Region.objects.get(code="441521")
    assert (haifeng.name, haifeng.name_en, haifeng.parent_id) == ("海丰县", "Haifeng County", "441500")


@pytest.mark.django_db
def test_prefix_and_contains():
    province = Region.objects.get(code="440000")
    shanwei = Region.objects.get(code="441500")
    haifeng = Region.objects.get(code="441521")
    lufeng = Region.objects.get(code="441581")
    guangzhou = Region.objects.get(code="440100")

    assert (province.prefix, shanwei.prefix, haifeng.prefix) == ("44", "4415", "441521")
    assert shanwei.contains(haifeng)
    assert province.contains(haifeng)
    assert province.contains(shanwei)
    assert haifeng.contains(haifeng)
    assert not haifeng.contains(lufeng)
    assert not guangzhou.contains(haifeng)
    assert not shanwei.contains(province)
    assert not shanwei.contains(None)
