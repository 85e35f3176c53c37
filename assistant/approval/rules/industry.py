"""industry.*: the GB/T 4754-2017 industry code, and its agreement with the name's industry words and the scope.

企业名称登记管理规定 第九条: the industry words of a name follow the main business and the national industry
classification (GB/T 4754); 实施细则 第十二条: the business scope is chosen by the main industry. So the code,
the name's industry words and the scope items should describe the same industry.

Data: ``<data_dir>/industry_gbt4754/gbt4754_2017.csv`` (1,381 小类 with the standard's 说明) and the project table
``knowledge/approval/industry_name_words.yaml`` (industry word → code prefixes). ``suggest_codes(text)`` ranks 小类
by TF-IDF over jieba tokens and character bigrams of their names and 说明; the index is built once.
"""

from __future__ import annotations

import csv
import functools
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from assistant.approval.context import RuleContext

_STOP = frozenset(
    {"其他", "未列明", "指", "包括", "等", "的", "和", "及", "或", "其", "以", "为", "与", "对", "在", "中", "不"}
    | {"含", "各种", "各类", "从事", "一般", "项目", "相关", "以外", "以及", "活动"}
)
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "个人独资企业",
    "工作室",
    "经营部",
    "服务部",
    "中心",
    "商行",
    "商店",
    "店",
    "厂",
    "馆",
    "坊",
    "行",
    "社",
)
_PAREN = re.compile(r"[（(][^）)]*[）)]")
_W_NAME, _W_GROUP, _W_DESC = 3.0, 1.0, 1.0


@dataclass(eq=False)  # hashed by identity: the suggestion cache is keyed on the index
class IndustryIndex:
    classes: dict[str, tuple[str, str]] = field(default_factory=dict)  # 小类 code → (name, description)
    names: dict[str, str] = field(default_factory=dict)  # any level's code → name
    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)
    norms: list[float] = field(default_factory=list)
    words: dict[str, tuple[str, ...]] = field(default_factory=dict)  # word → code prefixes (() = generic)
    max_word: int = 2


def _bigrams(text: str) -> list[str]:
    out: list[str] = []
    for run in _CJK.findall(text):
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def _tokens(text: str) -> list[str]:
    from assistant.lexical import tokenize

    toks = [t for t in tokenize(text) if len(t) > 1 and t not in _STOP]
    return toks + ["#" + b for b in _bigrams(text) if b not in _STOP]


@functools.lru_cache(maxsize=4)
def load_index(data_dir: Path, knowledge_dir: Path) -> IndustryIndex:
    idx = IndustryIndex()
    group_names: dict[str, str] = {}
    with (Path(data_dir) / "industry_gbt4754" / "gbt4754_2017.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            idx.names[r["code"]] = r["name"]
            if r["level"] == "3":
                group_names[r["code"]] = r["name"]
            elif r["level"] == "4":
                idx.classes[r["code"]] = (r["name"], r["description"] or "")
    weights: list[dict[str, float]] = []
    for code, (name, desc) in idx.classes.items():
        w: dict[str, float] = defaultdict(float)
        for t in _tokens(name):
            w[t] += _W_NAME
        group = group_names.get(code[:3], "")
        if group and group != name:
            for t in _tokens(group):
                w[t] += _W_GROUP
        for t in _tokens(desc):
            w[t] += _W_DESC
        idx.codes.append(code)
        weights.append(dict(w))
    n = len(weights)
    df: dict[str, int] = defaultdict(int)
    for w in weights:
        for t in w:
            df[t] += 1
    idx.idf = {t: math.log(1 + n / c) for t, c in df.items()}
    common = {t for t, c in df.items() if c > n // 4}  # e.g. 服务, 制造: long postings, little evidence
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for i, w in enumerate(weights):
        norm = math.sqrt(sum((v * idx.idf[t]) ** 2 for t, v in w.items())) or 1.0
        idx.norms.append(norm)
        for t, v in w.items():
            if t in common:
                continue
            postings[t].append((i, v * idx.idf[t] / norm))
    idx.postings = dict(postings)

    table = yaml.safe_load((Path(knowledge_dir) / "approval" / "industry_name_words.yaml").read_text(encoding="utf-8"))
    for word in table.get("generic") or []:
        idx.words[str(word)] = ()
    for word, prefixes in (table.get("words") or {}).items():
        idx.words[str(word)] = tuple(str(p) for p in prefixes)
    idx.max_word = max((len(w) for w in idx.words), default=2)
    return idx


def _default_index() -> IndustryIndex:
    from assistant.settings import PROJECT_ROOT

    return load_index(PROJECT_ROOT.parent / "shared" / "data", PROJECT_ROOT / "knowledge")


def suggest_codes(text: str, k: int = 5, index: IndustryIndex | None = None) -> list[tuple[str, str, float]]:
    """The ``k`` GB/T 4754-2017 小类 that best match a free-text activity description: (code, name, score 0–1)."""
    idx = index or _default_index()
    return list(_suggest(idx, (text or "")[:500], k))


@functools.lru_cache(maxsize=8192)
def _suggest(idx: IndustryIndex, text: str, k: int) -> tuple[tuple[str, str, float], ...]:
    q: dict[str, float] = defaultdict(float)
    for t in _tokens(text):
        q[t] += 1.0
    scores: dict[int, float] = defaultdict(float)
    for t, qv in q.items():
        for i, v in idx.postings.get(t, ()):
            scores[i] += qv * idx.idf.get(t, 0.0) * v
    for i, s in list(scores.items()):  # the class name written out in full is the strongest evidence
        name = idx.classes[idx.codes[i]][0].removeprefix("其他")
        if len(name) >= 2 and name in text:
            scores[i] = s * 1.5
    if not scores:
        return ()
    top = sorted(scores.items(), key=lambda kv: (-kv[1], idx.codes[kv[0]]))[: max(k, 0)]
    best = top[0][1] if top else 1.0
    return tuple((idx.codes[i], idx.classes[idx.codes[i]][0], round(s / best, 3)) for i, s in top)


def industry_words(idx: IndustryIndex, text: str) -> list[str]:
    """Table words in ``text``, longest match first, left to right (generic words included)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        for L in range(min(idx.max_word, n - i), 1, -1):
            if text[i : i + L] in idx.words:
                out.append(text[i : i + L])
                i += L
                break
        else:
            i += 1
    return out


def name_industry_text(app_name: str | None, parts_industry: str | None) -> str:
    if parts_industry:
        return parts_industry
    s = _PAREN.sub("", app_name or "")
    for form in _FORMS:
        if s.endswith(form) and len(s) > len(form):
            return s[: -len(form)]
    return s


def _prefixes(idx: IndustryIndex, words: list[str]) -> set[str]:
    return {p for w in words for p in idx.words.get(w, ())}


def _matches(code: str, prefixes: set[str]) -> bool:
    return any(code.startswith(p) or p.startswith(code) for p in prefixes)


def _overlap(a: set[str], b: set[str]) -> bool:
    return any(x.startswith(y) or y.startswith(x) for x in a for y in b)


def _describe(idx: IndustryIndex, prefixes: set[str], limit: int = 4) -> str:
    """``65 软件和信息技术服务业、5176 计算机、软件及辅助设备批发`` (broadest codes first)."""
    ordered = sorted(p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes))
    ordered.sort(key=lambda p: (len(p), p))
    text = "、".join(f"{p} {idx.names.get(p, '')}" for p in ordered[:limit])
    return text + ("等" if len(ordered) > limit else "")


def _fmt(sugg: list[tuple[str, str, float]] | tuple[tuple[str, str, float], ...]) -> str:
    return "、".join(f"{c} {n}" for c, n, _ in sugg) or "（无法自动推荐，请按主营业务查阅GB/T 4754-2017）"


def _close_codes(idx: IndustryIndex, code: str) -> list[tuple[str, str, float]]:
    for n in (3, 2):
        near = [(c, idx.classes[c][0], 0.0) for c in idx.classes if c.startswith(code[:n])]
        if near:
            return near[:5]
    return []


def _scope_prefixes(idx: IndustryIndex, items: list[str]) -> set[str]:
    out: set[str] = set()
    for item in items:
        found = _prefixes(idx, industry_words(idx, item))
        out |= found or {c for c, _, s in _suggest(idx, item[:200], 3) if s >= 0.6}
    return out


def check(ctx: RuleContext) -> None:
    app = ctx.app
    idx = load_index(Path(ctx.data.data_dir), Path(ctx.data.knowledge_dir))
    parts_industry = app.name_parts.industry if app.name_parts else None
    name_text = name_industry_text(app.proposed_name, parts_industry)[:100]
    words = industry_words(idx, name_text)
    specific = [w for w in words if idx.words.get(w)]
    name_pref = _prefixes(idx, specific)
    scope = app.business_scope
    items = [s for s in ((scope.一般项目 + scope.许可项目) if scope else []) if s and s.strip()][:100]
    code = app.industry_code

    if not code:
        query = " ".join([" ".join(specific) or (parts_industry or ""), *items[:5]]).strip()
        sugg = _suggest(idx, query[:500], 3) if query else ()
        ctx.hit("industry.code_missing", field="industry_code", suggestions=_fmt(sugg))
    elif code not in idx.classes:
        near = _close_codes(idx, code)
        query = " ".join([" ".join(specific), *items[:5]]).strip()
        text_sugg = [s for s in (_suggest(idx, query[:500], 3) if query else ()) if s[0] not in {c for c, _, _ in near}]
        ctx.hit("industry.code_invalid", field="industry_code", code=code, suggestions=_fmt((text_sugg + near)[:5]))
        code = None
    code_name = idx.classes[code][0] if code else ""

    if code and name_pref and not _matches(code, name_pref):
        ctx.hit(
            "industry.name_code_mismatch",
            field="industry_code",
            words="、".join(specific),
            code=code,
            code_name=code_name,
            expected=_describe(idx, name_pref),
        )
    scope_pref = _scope_prefixes(idx, items) if items else set()
    if not scope_pref:
        return
    if code and not _matches(code, scope_pref):
        ctx.hit(
            "industry.scope_code_mismatch",
            field="industry_code",
            code=code,
            code_name=code_name,
            items="、".join(items[:3]),
            expected=_describe(idx, scope_pref),
        )
    if name_pref and not _overlap(name_pref, scope_pref):
        ctx.hit(
            "industry.name_scope_mismatch",
            field="business_scope",
            words="、".join(specific),
            items="、".join(items[:3]),
            expected=_describe(idx, name_pref),
        )
