"""企业名称相同相近比对: the proposed name against names already registered at the same registration authority.

Legal frame: 企业名称登记管理规定 (2020) 第十七条 — at the same 登记机关 the 字号 must not be the same as the 字号 of a
name in the same industry, or of a name that uses no industry wording, when that name is registered or reserved
(第十八条), or was cancelled / changed / revoked less than one year ago. The 2017《企业名称相同相近比对规则》
(summarised in shared/data/name_rules) refines "the same" (order, region and form do not matter) and describes
"near-identical" names (same sound, traditional characters, synonymous industry words, added words), which are
reported for review.

Every name is split into 行政区划 / 字号 / 行业 / 组织形式 by :func:`split_name` (region prefixes from
shared/data/admin_divisions, industry words from GB/T 4754 names plus knowledge/approval/name_conflict_terms.yaml).
Registry names are parsed once per registry and indexed by normalised 字号, its pinyin and its affixes, so one check
is a handful of dict look-ups however large the registry is.
"""

from __future__ import annotations

import csv
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from assistant.approval.context import RuleContext

MODULE = "name_conflict"
_MAX_FINDINGS = 8
_MAX_NAME = 100
_JUNK = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff0-\uffff]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
_PAREN = re.compile(r"[(（]([^()（）]{1,20})[)）]")
_DATE = re.compile(r"(\d{4})\s*[-年./]\s*(\d{1,2})\s*[-月./]\s*(\d{1,2})")
# 56 民族 (without 族), longest first, for 自治州/自治县 names: 延边朝鲜族自治州 → 延边.
_ETHNIC = (
    "柯尔克孜",
    "乌孜别克",
    "维吾尔",
    "哈萨克",
    "达斡尔",
    "塔吉克",
    "俄罗斯",
    "鄂温克",
    "塔塔尔",
    "鄂伦春",
    "蒙古",
    "布依",
    "朝鲜",
    "土家",
    "哈尼",
    "傈僳",
    "高山",
    "拉祜",
    "东乡",
    "纳西",
    "景颇",
    "仫佬",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "德昂",
    "保安",
    "裕固",
    "独龙",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
    "汉",
    "回",
    "藏",
    "苗",
    "彝",
    "壮",
    "满",
    "侗",
    "瑶",
    "白",
    "傣",
    "黎",
    "佤",
    "畲",
    "水",
    "土",
    "羌",
    "怒",
    "京",
    "各",
)
_PROVINCE_SHORT = {"内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏", "宁夏回族自治区": "宁夏"}
_PROVINCE_SHORT["新疆维吾尔自治区"] = "新疆"


# ---------------------------------------------------------------------------------------------------------------
# Reference data (loaded once per path)


@dataclass(frozen=True)
class _Region:
    key: str  # code
    level: int  # 1 province, 2 prefecture, 3 county
    parent: str  # code of the parent ('' for provinces)
    standalone: bool  # may open a name on its own (第七条: a 市辖区 needs its city before it)


@dataclass(frozen=True)
class _Lexicon:
    forms: tuple[str, ...]
    industry: frozenset[str]
    industry_lengths: tuple[int, ...]  # distinct word lengths ≥ 2, longest first
    single_char: frozenset[str]
    generic: frozenset[str]
    synonyms: dict[str, str]
    keep_ye: frozenset[str]
    regions: dict[str, tuple[_Region, ...]]
    region_lengths: tuple[int, ...]
    status: dict[str, tuple[str, ...]]
    famous_exclude: frozenset[str]
    atom_extra: frozenset[str]  # GB/T suffixes (开发, 服务 …) that may be one piece of a compound industry word

    atom_cache: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    key_cache: dict[tuple[str, str], _Key | None] = field(default_factory=dict, compare=False)


def _strip_ethnic(base: str) -> str:
    changed = True
    while changed:
        changed = False
        for e in _ETHNIC:
            for suffix in (e + "族", e):
                if base.endswith(suffix) and len(base) - len(suffix) >= 2:
                    base = base[: -len(suffix)]
                    changed = True
    return base


def _region_aliases(name: str) -> set[str]:
    out = {name}
    if name in _PROVINCE_SHORT:
        out.add(_PROVINCE_SHORT[name])
        return out
    i = name.find("自治")
    if i >= 2:
        out.add(_strip_ethnic(name[:i]))
        return out
    for suffix in ("特别行政区", "地区", "新区", "林区", "特区", "矿区", "省", "市", "区", "县", "盟", "旗"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            out.add(name[: -len(suffix)])
            break
    return out


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _load_regions(data_dir: Path) -> dict[str, tuple[_Region, ...]]:
    base = data_dir / "admin_divisions"
    idx: dict[str, list[_Region]] = {}

    def add(name: str, reg: _Region, alias_standalone: bool) -> None:
        name = name.strip()
        if not name or "直辖" in name or name in ("市辖区", "县"):
            return
        for alias in _region_aliases(name):
            ok = reg.standalone if alias == name else alias_standalone
            idx.setdefault(alias, []).append(_Region(reg.key, reg.level, reg.parent, ok))

    try:
        provinces = _read_csv(base / "modood_provinces.csv")
        cities = _read_csv(base / "modood_cities.csv")
        areas = _read_csv(base / "modood_areas.csv")
    except OSError:
        return {}
    real_city = {}
    for p in provinces:
        add(p["name"], _Region(p["code"], 1, "", True), True)
    for c in cities:
        real = c["name"] not in ("市辖区", "县") and "直辖" not in c["name"]
        real_city[c["code"]] = real
        if real:
            add(c["name"], _Region(c["code"], 2, c["provinceCode"], True), True)
    for a in areas:
        parent = a["cityCode"] if real_city.get(a["cityCode"]) else a["provinceCode"]
        name = a["name"].strip()
        # A county or county-level city may open a name by itself; a 市辖区 only after its city (第七条).
        alone = not name.endswith("区")
        add(name, _Region(a["code"], 3, parent, alone), alone)
    return {k: tuple(v) for k, v in idx.items()}


def _gbt_words(data_dir: Path, strip: Iterable[str], exclude: frozenset[str]) -> set[str]:
    out: set[str] = set()
    try:
        rows = _read_csv(data_dir / "industry_gbt4754" / "gbt4754_2017.csv")
    except OSError:
        return out
    suffixes = sorted(strip, key=len, reverse=True)
    for r in rows:
        for frag in re.split(r"[、，,和及与或（）()的；;\s]+", r.get("name", "")):
            frag = frag.removeprefix("其他")
            cands = {frag}
            for s in suffixes:
                if frag.endswith(s) and len(frag) - len(s) >= 2:
                    cands.add(frag[: -len(s)])
            for c in cands:
                if 2 <= len(c) <= 6 and c not in exclude and all(_HAN.match(ch) for ch in c):
                    out.add(c)
    return out


@lru_cache(maxsize=4)
def _lexicon(data_dir: Path, knowledge_dir: Path) -> _Lexicon:
    try:
        terms = yaml.safe_load((knowledge_dir / "approval" / "name_conflict_terms.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        terms = {}
    terms = terms or {}
    exclude = frozenset(terms.get("gbt_exclude", []))
    industry = _gbt_words(data_dir, terms.get("gbt_strip_suffixes", []), exclude)
    industry |= set(terms.get("industry_words", []))
    generic = frozenset(terms.get("generic_words", []))
    industry |= generic
    synonyms: dict[str, str] = {}
    for group in terms.get("industry_synonyms", []):
        for w in group:
            synonyms[w] = group[0]
            if len(w) >= 2:
                industry.add(w)
    regions = _load_regions(data_dir)
    # A region name is never an industry word (and vice versa a form is not an industry).
    industry -= set(regions)
    industry -= set(terms.get("forms", []))
    status = {k: tuple(v) for k, v in (terms.get("status") or {}).items()}
    return _Lexicon(
        forms=tuple(sorted(terms.get("forms", []), key=len, reverse=True)),
        industry=frozenset(industry),
        industry_lengths=tuple(sorted({len(w) for w in industry if len(w) >= 2}, reverse=True)),
        single_char=frozenset(terms.get("single_char_industry", [])),
        generic=generic,
        synonyms=synonyms,
        keep_ye=frozenset(terms.get("keep_ye", [])),
        regions=regions,
        region_lengths=tuple(sorted({len(k) for k in regions if len(k) >= 2}, reverse=True)),
        status=status,
        famous_exclude=frozenset(terms.get("famous_exclude", [])),
        atom_extra=frozenset(w for w in terms.get("gbt_strip_suffixes", []) if len(w) >= 2),
    )


# ---------------------------------------------------------------------------------------------------------------
# Converters (traditional → simplified, pinyin), both optional


@lru_cache(maxsize=1)
def _t2s_converter() -> object | None:
    try:
        import opencc

        return opencc.OpenCC("t2s")
    except Exception:  # pragma: no cover - the package or its config is missing
        return None


def _t2s(text: str) -> str:
    conv = _t2s_converter()
    if conv is None or not text:
        return text
    try:
        return str(conv.convert(text))  # type: ignore[attr-defined]
    except Exception:  # pragma: no cover
        return text


@lru_cache(maxsize=16384)
def _char_pinyin(ch: str) -> str:
    try:
        from pypinyin import Style, pinyin
    except ImportError:  # pragma: no cover
        return ch
    try:
        return str(pinyin(ch, style=Style.NORMAL, errors="default")[0][0]).replace("ü", "v")
    except Exception:  # pragma: no cover
        return ch


def _pinyin(text: str) -> str:
    """Toneless pinyin, character by character (each character's usual reading), e.g. 红光 / 宏光 → hong guang."""
    return " ".join(_char_pinyin(ch) for ch in text)


# ---------------------------------------------------------------------------------------------------------------
# Splitting a name


@dataclass(frozen=True)
class SplitName:
    """行政区划 / 字号 / 行业或经营特点 (as words) / 组织形式 of one enterprise name."""

    name: str
    region: str
    trade: str
    industry: tuple[str, ...]  # simplified
    form: str
    trade_simplified: str = ""


def normalise(name: str) -> str:
    """NFKC (full-width to half-width), no spaces or control/format characters, at most 100 characters."""
    text = unicodedata.normalize("NFKC", (name or "")[: _MAX_NAME * 4])
    return _JUNK.sub("", text)[:_MAX_NAME]


def _region_prefixes(text: str, lex: _Lexicon) -> list[tuple[int, str]]:
    """End positions (with the region text) of successive region names at the start of ``text``, along the
    province → prefecture → county chain."""
    out: list[tuple[int, str]] = []
    pos, parents = 0, None  # parents: codes the next region must hang from (None = anything standalone)
    while pos < len(text):
        found = None
        for length in lex.region_lengths:
            if length > len(text) - pos:
                continue
            cands = lex.regions.get(text[pos : pos + length])
            if not cands:
                continue
            ok = [r for r in cands if (r.standalone if parents is None else r.parent in parents)]
            if ok:
                found = (length, ok)
                break
        if found is None:
            break
        length, ok = found
        pos += length
        out.append((pos, text[:pos]))
        parents = {r.key for r in ok}
    return out


def _strip_industry(core: str, lex: _Lexicon) -> tuple[str, tuple[str, ...]]:
    words: list[str] = []
    while len(core) > 2:
        hit = ""
        for length in lex.industry_lengths:
            if length > len(core) - 2:
                continue
            if core[-length:] in lex.industry:
                hit = core[-length:]
                break
        if not hit and core[-1] in lex.single_char:
            hit = core[-1]
        if not hit:
            break
        words.insert(0, hit)
        core = core[: -len(hit)]
    return core, tuple(words)


def _valid_trade(trade: str, lex: _Lexicon, *, allow_region: bool = False) -> bool:
    if len(trade) < 2 or trade in lex.industry or not _HAN.search(trade):
        return False
    return allow_region or trade not in lex.regions


def split_name(name: str, lex: _Lexicon) -> SplitName:
    """Split a name into its four parts. Never raises; unknown parts are ''.

    The split runs on the simplified form (so 紅光酒業 splits like 红光酒业) and the parts are cut from the name as
    written when the two have the same length."""
    written = normalise(name)
    simplified = _t2s(written)
    text = simplified
    region_parts: list[str] = []
    form = ""
    # Parenthesised parts: a region (红光（北京）酒业) or a form ((有限合伙)) is recorded; all are removed.
    for m in list(_PAREN.finditer(text)):
        inner = m.group(1)
        if inner in lex.regions:
            region_parts.append(inner)
        elif inner in lex.forms and not form:
            form = inner
    source = written if len(written) == len(simplified) else simplified
    if "(" in text:
        spans = [(m.start(), m.end()) for m in _PAREN.finditer(text)]
        for start, end in reversed(spans):
            text, source = text[:start] + text[end:], source[:start] + source[end:]
    for f in lex.forms:
        if text.endswith(f) and len(text) > len(f):
            form = f + form if form else f
            text, source = text[: -len(f)], source[: -len(f)]
            break
    # Try the longest region prefix first; fall back to shorter ones if no valid 字号 is left. A 字号 that is
    # itself a region name (朝阳科技) is accepted only when nothing better is found (第八条: 另有含义的除外).
    prefixes = [*reversed(_region_prefixes(text, lex)), (0, "")]
    splits = []
    for end, region in prefixes:
        core, industry = _strip_industry(text[end:], lex)
        trade = source[end : end + len(core)]
        splits.append((core, SplitName(name, "".join([region, *region_parts]), trade, industry, form, core)))
    with_region, without = splits[:-1], splits[-1]
    for allow_region in (False, True):
        for core, candidate in with_region:
            if _valid_trade(core, lex, allow_region=allow_region):
                return candidate
    return without[1]


def split(name: str, data_dir: Path, knowledge_dir: Path) -> SplitName:
    """:func:`split_name` with the lexicon loaded (and cached) from the data directories."""
    return split_name(name, _lexicon(data_dir, knowledge_dir))


# ---------------------------------------------------------------------------------------------------------------
# Comparison keys


@dataclass(frozen=True)
class _Key:
    name: str
    status: str
    authority: str
    trade: str  # 字号 as written (NFKC)
    trade_s: str  # simplified
    pinyin: str
    exact: tuple[str, ...]  # industry words, simplified, 业 dropped, generic words kept
    plain: tuple[str, ...]  # same, generic words dropped
    core: tuple[str, ...]  # same, synonyms mapped to one word
    atoms: frozenset[str]  # core words cut into vocabulary words (网络科技 → 网络, 科技) for the subset test


def _canon_word(word: str, lex: _Lexicon) -> str:
    w = word  # already simplified
    if w.endswith("业") and len(w) >= 2 and w not in lex.keep_ye and w not in lex.synonyms:
        w = w[:-1]
    return w


def _key(name: str, status: str, authority: str, lex: _Lexicon) -> _Key | None:
    parts = split_name(name, lex)
    if len(parts.trade) < 2:
        return None
    exact = tuple(_canon_word(w, lex) for w in parts.industry)
    plain = tuple(w for w, raw in zip(exact, parts.industry, strict=True) if raw not in lex.generic)
    core = tuple(lex.synonyms.get(raw, lex.synonyms.get(w, w)) for w, raw in zip(exact, parts.industry, strict=True))
    core = tuple(w for w, raw in zip(core, parts.industry, strict=True) if raw not in lex.generic)
    trade_s = parts.trade_simplified or _t2s(parts.trade)
    atoms = frozenset(a for w in core for a in _atoms(w, lex))
    return _Key(normalise(name), status, authority, parts.trade, trade_s, _pinyin(trade_s), exact, plain, core, atoms)


def _atoms(word: str, lex: _Lexicon) -> tuple[str, ...]:
    """A compound industry word cut into vocabulary words (软件开发 → 软件, 开发); itself when it cannot be cut."""
    cached = lex.atom_cache.get(word)
    if cached is not None:
        return cached
    out: list[str] = []
    rest = word
    while rest:
        for length in lex.industry_lengths:
            if length > len(rest):
                continue
            piece = rest[-length:]
            if piece != word and (piece in lex.industry or piece in lex.atom_extra):
                out.insert(0, _canon_word(piece, lex))
                rest = rest[:-length]
                break
        else:
            out = [word]
            break
    if len(lex.atom_cache) < 65536:
        lex.atom_cache[word] = tuple(out)
    return tuple(out)


def _affixes(trade: str) -> Iterator[str]:
    """Proper prefixes and suffixes of at least two characters."""
    for n in range(2, len(trade)):
        yield trade[:n]
        yield trade[-n:]


_Bucket = dict[str, list[_Key]]  # authority code → keys


class _Index:
    """The registry, parsed once. Look-ups by normalised 字号, by its pinyin, and by (字号 prefix/suffix, industry),
    each split by authority, so a check touches only the few names that can conflict."""

    def __init__(self, keys: Iterable[_Key]) -> None:
        self.by_trade: dict[str, _Bucket] = {}
        self.by_pinyin: dict[str, _Bucket] = {}
        self.by_affix: dict[tuple[str, tuple[str, ...]], _Bucket] = {}
        for k in keys:
            self.by_trade.setdefault(k.trade_s, {}).setdefault(k.authority, []).append(k)
            self.by_pinyin.setdefault(k.pinyin, {}).setdefault(k.authority, []).append(k)
            if len(k.trade_s) <= 8:
                for a in set(_affixes(k.trade_s)):
                    self.by_affix.setdefault((a, k.core), {}).setdefault(k.authority, []).append(k)

    @staticmethod
    def _pick(bucket: _Bucket | None, authority: str) -> Iterator[_Key]:
        if not bucket:
            return
        if authority:
            yield from bucket.get(authority, ())
            yield from bucket.get("", ())  # registry rows without an authority code
        else:
            for keys in bucket.values():
                yield from keys

    def candidates(self, p: _Key, authority: str) -> Iterator[_Key]:
        yield from self._pick(self.by_trade.get(p.trade_s), authority)
        yield from self._pick(self.by_pinyin.get(p.pinyin), authority)
        for n in range(2, len(p.trade_s)):
            for i in range(len(p.trade_s) - n + 1):
                yield from self._pick(self.by_trade.get(p.trade_s[i : i + n]), authority)
        # Longer 字号 containing the proposed one: only in the same industry or with no industry wording.
        yield from self._pick(self.by_affix.get((p.trade_s, p.core)), authority)
        if p.core:
            yield from self._pick(self.by_affix.get((p.trade_s, ())), authority)


_REGISTRY_CACHE: dict[int, tuple[object, _Index]] = {}
_LOCK = threading.Lock()


def _registry_index(registry: tuple[tuple[str, str, str], ...], lex: _Lexicon) -> _Index:
    """Index built once per registry object (kept alive by the cache, so ``id`` is not reused)."""
    cached = _REGISTRY_CACHE.get(id(registry))
    if cached is not None and cached[0] is registry:
        return cached[1]
    keys = []
    for row in registry:
        try:
            name, authority, status = (str(x) for x in row[:3])
        except (TypeError, ValueError):
            continue
        k = _key(name, status, authority.strip(), lex)
        if k is not None:
            keys.append(k)
    index = _Index(keys)
    with _LOCK:
        if len(_REGISTRY_CACHE) >= 4:
            _REGISTRY_CACHE.pop(next(iter(_REGISTRY_CACHE)))
        _REGISTRY_CACHE[id(registry)] = (registry, index)
    return index


# ---------------------------------------------------------------------------------------------------------------
# Status of an existing name (第十七条)


def _one_year_after(d: date) -> date:
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year + 1, day=28)


def status_conflicts(status: str, today: date, lex: _Lexicon) -> bool:
    """Whether a name with this status still blocks the same 字号 (第十七条): registered, reserved, or cancelled /
    changed / revoked less than a year ago. Unknown statuses count as registered."""
    s = normalise(status)
    words = lex.status
    m = _DATE.search(s)
    if m:
        try:
            when = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            when = None
        if when is not None:
            if any(w in s for w in words.get("ended", ())):
                return today < _one_year_after(when)
            if any(w in s for w in words.get("reservation", ())):
                return today <= when
    if any(w in s for w in words.get("within_year", ())):  # before "lapsed": 未满1年 contains 满1年
        return True
    if any(w in s for w in words.get("lapsed", ())):
        return False
    if any(w in s for w in words.get("reservation", ())):
        return True
    return not any(w in s for w in words.get("ended", ()))


# ---------------------------------------------------------------------------------------------------------------
# Comparing two names

_PRECEDENCE = (
    "identical",
    "traditional_variant",
    "homophone",
    "synonym_industry",
    "added_words",
    "trade_contains",
)


def _industry_relation(p: _Key, e: _Key) -> tuple[str, str] | None:
    """How the industries relate: ('same', why) | ('synonym', why) | ('added', why) | None (different)."""
    if not e.core:
        return "same", "该名称未使用行业表述" if not e.exact else f"该名称的“{''.join(e.exact)}”不表述具体行业"
    if p.exact == e.exact:
        return "same", "行业表述相同"
    if not p.core:
        return "added", "拟定名称未使用行业表述"
    both = f"行业表述“{''.join(p.exact)}”与“{''.join(e.exact)}”"
    if p.core == e.core:
        if p.plain == e.plain:
            return "added", f"{both}仅相差“发展、实业”等经营特点用语"
        return "synonym", f"行业表述“{''.join(p.plain)}”与“{''.join(e.plain)}”含义相同"
    sp, se = p.atoms, e.atoms
    if sp < se or se < sp:
        return "added", f"{both}仅增减了行业用语"
    return None


def _compare(p: _Key, e: _Key, lex: _Lexicon) -> tuple[str, str] | None:
    """(rule, reason) for the strongest relation of proposed ``p`` to existing ``e``, or None."""
    rel = _industry_relation(p, e)
    if rel is None:
        return None
    kind, why = rel
    if p.trade_s == e.trade_s:
        if p.trade != e.trade:
            return "traditional_variant", f"字号“{p.trade}”与“{e.trade}”仅繁简字形不同，{why}"
        if kind == "same":
            return "identical", f"字号相同，{why}"
        if kind == "synonym":
            return "synonym_industry", f"字号相同，{why}"
        return "added_words", f"字号相同，{why}"
    if p.pinyin == e.pinyin and kind in ("same", "synonym"):
        return "homophone", f"字号“{p.trade}”与“{e.trade}”读音相同（{p.pinyin}），{why}"
    if kind != "same":
        return None
    longer, shorter = (p.trade_s, e.trade_s) if len(p.trade_s) > len(e.trade_s) else (e.trade_s, p.trade_s)
    if shorter in longer and len(shorter) >= 2:
        extra = longer.replace(shorter, "", 1)
        if extra in lex.regions:
            return "added_words", f"字号“{p.trade}”与“{e.trade}”仅相差行政区划“{extra}”，{why}"
        if extra in lex.industry:
            return "added_words", f"字号“{p.trade}”与“{e.trade}”仅相差行业用语“{extra}”，{why}"
        return "trade_contains", f"字号“{p.trade}”与“{e.trade}”相互包含，{why}"
    return None


# ---------------------------------------------------------------------------------------------------------------
# Well-known names (反不正当竞争 — 混淆)


@dataclass(frozen=True)
class _Famous:
    full_name: str
    industry: frozenset[str]  # core industry words of the listed company's name
    distinctive: bool  # three or more characters and not an everyday word: a hint whatever the industry


@lru_cache(maxsize=4)
def _famous(data_dir: Path, knowledge_dir: Path) -> dict[str, _Famous]:
    """字号 of listed companies (shared/data/company_names). Kept only when the 字号 also appears in the company's
    short name (so it is the brand, e.g. 茅台 in 贵州茅台) and is not in famous_exclude."""
    lex = _lexicon(data_dir, knowledge_dir)
    common = _common_words()
    out: dict[str, _Famous] = {}
    try:
        rows = _read_csv(data_dir / "company_names" / "sse_listed_company_full_names_2023.csv")
    except OSError:
        return out
    for r in rows:
        full, short = normalise(r.get("full_name", "")), normalise(r.get("short_name", ""))
        k = _key(full, "", "", lex)
        if k is None or len(k.trade_s) > 6 or k.trade_s not in short or k.trade_s in lex.famous_exclude:
            continue
        if k.trade_s in lex.regions or k.trade_s in lex.industry:
            continue
        distinctive = len(k.trade_s) >= 3 and k.trade_s not in common
        prev = out.get(k.trade_s)
        industry = frozenset(k.core) | (prev.industry if prev else frozenset())
        out[k.trade_s] = _Famous(prev.full_name if prev else full, industry, distinctive)
    return out


def _famous_hit(p: _Key, famous: dict[str, _Famous]) -> _Famous | None:
    """The listed company whose 字号 the proposed name uses: a distinctive 字号 in any industry, an ordinary one
    (华泰, 长虹) only with a shared industry word (反不正当竞争: 混淆 needs a risk of confusion)."""
    f = famous.get(p.trade_s)
    if f is None:
        return None
    if f.distinctive or (f.industry & set(p.core)):
        return f
    return None


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Everyday words (pypinyin's phrase dictionary): a 字号 like 光明 or 长城 is not distinctive on its own."""
    try:
        from pypinyin.phrases_dict import phrases_dict
    except ImportError:  # pragma: no cover
        return frozenset()
    return frozenset(w for w in phrases_dict if 2 <= len(w) <= 4)


# ---------------------------------------------------------------------------------------------------------------
# The check


def _cached_key(name: str, status: str, lex: _Lexicon) -> _Key | None:
    """_key for names that come with applications (the same few names recur from call to call)."""
    ck = (name, status)
    if ck in lex.key_cache:
        return lex.key_cache[ck]
    k = _key(name, status, "", lex)
    if len(lex.key_cache) >= 16384:
        lex.key_cache.clear()
    lex.key_cache[ck] = k
    return k


def _existing(ctx: RuleContext, lex: _Lexicon) -> Iterator[tuple[_Key, bool]]:
    """(key, same authority known) of existing names that still conflict under 第十七条."""
    for item in ctx.app.existing_names_same_authority or []:
        k = _cached_key(item.name, item.status or "", lex)
        if k is not None and status_conflicts(k.status, ctx.today, lex):
            yield k, True


def check(ctx: RuleContext) -> None:
    app = ctx.app
    raw = app.proposed_name
    if not raw or not normalise(raw):
        return
    lex = _lexicon(ctx.data.data_dir, ctx.data.knowledge_dir)
    proposed = _cached_key(raw, "", lex)
    if proposed is None:
        return
    keys = [proposed]
    parts = app.name_parts
    if parts and parts.trade and parts.trade != proposed.trade and normalise(parts.trade) in normalise(raw):
        alt = normalise(parts.trade)
        if len(alt) >= 2:
            trade_s = _t2s(alt)
            keys.append(
                _Key(
                    proposed.name,
                    "",
                    "",
                    alt,
                    trade_s,
                    _pinyin(trade_s),
                    proposed.exact,
                    proposed.plain,
                    proposed.core,
                    proposed.atoms,
                )
            )
    authority = app.domicile_district_code or ""
    found: dict[str, tuple[int, str, str, str, bool]] = {}  # existing name → (rank, rule, reason, status, same)
    own = normalise(raw)

    def consider(e: _Key, same_authority: bool) -> None:
        if e.name == own and app.application_type == "变更登记":
            return  # the company's own current name
        best = None
        for p in keys:
            res = _compare(p, e, lex)
            if res and (best is None or _PRECEDENCE.index(res[0]) < _PRECEDENCE.index(best[0])):
                best = res
        if best is None:
            return
        rank = _PRECEDENCE.index(best[0])
        prev = found.get(e.name)
        if prev is None or rank < prev[0]:
            found[e.name] = (rank, best[0], best[1], e.status or "存续", same_authority)

    for e, same in _existing(ctx, lex):
        consider(e, same)
    if ctx.data.name_registry:
        index = _registry_index(ctx.data.name_registry, lex)
        seen: set[int] = set()
        for p in keys:
            for e in index.candidates(p, authority):
                if id(e) in seen:
                    continue
                seen.add(id(e))
                if not status_conflicts(e.status, ctx.today, lex):
                    continue
                consider(e, bool(authority) and e.authority == authority)

    for existing, (_rank, rule, reason, status, same) in sorted(found.items(), key=lambda kv: (kv[1][0], kv[0]))[
        :_MAX_FINDINGS
    ]:
        severity = None
        where = "同一登记机关" if same else "名称库（登记机关未能确定）"
        where_en = "the same registration authority" if same else "the name registry (authority not determined)"
        if rule == "identical" and not same:
            severity = "review"
        ctx.hit(
            f"{MODULE}.{rule}",
            field="proposed_name",
            severity=severity,
            existing=existing,
            status=status,
            reason=reason,
            where=where,
            where_en=where_en,
            proposed=proposed.name,
        )

    if not found:
        famous = _famous(ctx.data.data_dir, ctx.data.knowledge_dir)
        for p in keys:
            hit = _famous_hit(p, famous)
            if hit and hit.full_name != own:
                ctx.hit(f"{MODULE}.well_known_trade", field="proposed_name", trade=p.trade, owner=hit.full_name)
                break


# ---------------------------------------------------------------------------------------------------------------
# Seed registry (synthetic demo data, see knowledge/approval/NAME_REGISTRY.md)


def load_seed_registry(path: Path) -> tuple[tuple[str, str, str], ...]:
    """Rows (name, authority_code, status) of a registry CSV; lines starting with '#' are comments."""
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    except OSError:
        return ()
    out = []
    for row in csv.DictReader(lines):
        name = (row.get("name") or "").strip()
        if name:
            out.append((name, (row.get("authority_code") or "").strip(), (row.get("status") or "存续").strip()))
    return tuple(out)


__all__ = ["SplitName", "check", "load_seed_registry", "split", "split_name", "status_conflicts"]
