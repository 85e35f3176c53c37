"""scope.*: the business scope (经营范围) — standard wordings, the 一般项目 / 许可项目 sections and the licences
the listed items trigger.

市场主体登记管理条例 第八条 makes the scope a registration item and 第十四条 splits it into 一般经营项目 and
许可经营项目: an item needing approval before registration (前置) needs the approval document with the application;
实施细则 第十二条: the applicant chooses the items from the SAMR 经营范围规范目录. That catalogue is not public in
machine-readable form, so the items are matched against the project-authored catalogue
knowledge/business_scope/catalogue.yaml (see its README).

Everything is precomputed once per catalogue path: normalised wording and alias dicts, a character-bigram index for
suggestions and a first-character keyword index for free-text mapping (``map_description``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from assistant.approval.context import RuleContext

CATALOGUE_REL = Path("business_scope") / "catalogue.yaml"
GENERAL, LICENSED = "一般项目", "许可项目"
MAX_ITEMS = 200  # per section; more is not a real application
MAX_ITEM_CHARS = 200
FIELD = "business_scope"

_SPLIT = re.compile(r"[；;\n\r。]+")
_SUFFIX = re.compile(r"\((?:除)?依法须经批准的项目[^)]*\)?")
_PREFIX = re.compile(r"^(?:一般(?:经营)?项目|许可(?:经营)?项目|经营范围)[:：]?")
_STRIP = " \t\u3000,，、;；:：。.·•-—*"
_NEGATED = re.compile(
    r"(?:未|尚未|没有|暂无|无|不)(?:能|曾)?(?:取得|获得|办理|持有|领取|获批|批准|拿到)|正在(?:办理|申请|审批)|办理中|申请中|审批中"
    r"|待(?:审批|批准|取得|办理)"
)
_HELD = re.compile(
    r"已(?:经)?(?:取得|获得|办理|持有|领取|获批|批准|拿到)|持有|批准文号|批准文件|批复|许可证(?:编号|号)|取得.{0,20}(?:许可证|批准)"
)
_NEG_BEFORE = ("不", "没", "无", "非", "别")


def normalise(text: str) -> str:
    """Canonical form of one scope item: NFKC (full-width brackets and letters folded), no whitespace, no section
    prefix, no standard suffix, no edge punctuation."""
    s = unicodedata.normalize("NFKC", text or "")
    s = "".join(ch for ch in s if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf"))
    s = _PREFIX.sub("", s)
    s = _SUFFIX.sub("", s)
    return s.strip(_STRIP)


def split_items(entries: list[str]) -> list[str]:
    """The items of one section: entries may themselves hold several items joined by ；."""
    out: list[str] = []
    for entry in entries[:MAX_ITEMS]:
        if not isinstance(entry, str):
            continue
        for part in _SPLIT.split(entry[: MAX_ITEMS * MAX_ITEM_CHARS]):
            raw = part.strip().strip(_STRIP)
            if raw and normalise(raw):
                out.append(raw[:MAX_ITEM_CHARS])
            if len(out) >= MAX_ITEMS:
                return out
    return out


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)} if len(s) > 1 else {s}


@dataclass(frozen=True)
class ScopeItem:
    wording: str
    kind: str
    licence: str = ""
    authority: str = ""
    timing: str = ""
    industry_codes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    basis: str = ""
    note: str = ""
    either_section: bool = False
    source: str = "project"

    @property
    def licensed(self) -> bool:
        return self.kind == LICENSED


class ScopeCatalogue:
    """The catalogue and its precomputed lookups."""

    def __init__(self, raw_items: list[dict[str, Any]]) -> None:
        items: list[ScopeItem] = []
        for d in raw_items:
            items.append(
                ScopeItem(
                    wording=str(d["wording"]),
                    kind=str(d["kind"]),
                    licence=str(d.get("licence") or ""),
                    authority=str(d.get("authority") or ""),
                    timing=str(d.get("timing") or ""),
                    industry_codes=tuple(str(c) for c in d.get("industry_codes") or ()),
                    keywords=tuple(str(k) for k in d.get("keywords") or ()),
                    aliases=tuple(str(a) for a in d.get("aliases") or ()),
                    basis=str(d.get("basis") or ""),
                    note=str(d.get("note") or ""),
                    either_section=bool(d.get("either_section")),
                    source=str(d.get("source") or "project"),
                )
            )
        self.items: tuple[ScopeItem, ...] = tuple(items)
        self.by_norm: dict[str, ScopeItem] = {}
        self.by_alias: dict[str, ScopeItem] = {}
        for it in self.items:
            self.by_norm.setdefault(normalise(it.wording), it)
        for it in self.items:
            for a in it.aliases:
                key = normalise(a)
                if key and key not in self.by_norm:
                    self.by_alias.setdefault(key, it)
        # character bigrams of the normalised wordings → item indices (suggestions for unknown items)
        self._norms = [normalise(it.wording) for it in self.items]
        self._grams = [_bigrams(n) for n in self._norms]
        gram_index: dict[str, list[int]] = defaultdict(list)
        for i, grams in enumerate(self._grams):
            for g in grams:
                gram_index[g].append(i)
        self._gram_index = dict(gram_index)
        n_items = len(self.items) or 1
        self._gram_idf = {g: math.log(1 + n_items / len(ix)) for g, ix in self._gram_index.items()}
        self._gram_mass = [sum(self._gram_idf[g] for g in grams) for grams in self._grams]
        # keywords (colloquial words, wordings, aliases) by first character → [(keyword, item indices)]
        kw_items: dict[str, set[int]] = defaultdict(set)
        for i, it in enumerate(self.items):
            for k in (*it.keywords, *it.aliases, it.wording):
                k = normalise(k)
                if len(k) >= 2:
                    kw_items[k].add(i)
        n = len(self.items) or 1
        by_first: dict[str, list[tuple[str, tuple[int, ...], float]]] = defaultdict(list)
        for k, idx in kw_items.items():
            idf = math.log(1 + n / len(idx))
            by_first[k[0]].append((k, tuple(sorted(idx)), idf))
        for lst in by_first.values():
            lst.sort(key=lambda t: -len(t[0]))
        self._kw_first = dict(by_first)
        self._wording_set = {normalise(it.wording) for it in self.items}
        self._tokens: dict[str, list[int]] | None = None
        self._tokenizer: Any = None

    # ---- lookup -------------------------------------------------------------------------------
    def match(self, raw: str) -> tuple[ScopeItem | None, bool]:
        """(item, exact): exact wording (after normalisation), or an alias (exact False), or (None, False)."""
        key = normalise(raw)
        it = self.by_norm.get(key)
        if it is not None:
            return it, True
        return self.by_alias.get(key), False

    def suggest(self, raw: str, k: int = 3) -> list[str]:
        """Closest standard wordings to a non-standard item: character-bigram Dice overlap plus keyword hits."""
        key = normalise(raw)[:MAX_ITEM_CHARS]
        if not key:
            return []
        grams = _bigrams(key)
        unseen = math.log(1 + len(self.items))
        mass = sum(self._gram_idf.get(g, unseen) for g in grams)
        shared: dict[int, float] = defaultdict(float)
        for g in grams:
            for i in self._gram_index.get(g, ()):
                shared[i] += self._gram_idf[g]
        # idf-weighted Dice: rare shared bigrams (烟草, 维修) count, common ones (服务, 销售) barely
        scores: dict[int, float] = {i: 2 * w / (mass + self._gram_mass[i]) for i, w in shared.items()}
        for _start, _kw, idx, idf in self.scan(key):
            for i in idx:
                scores[i] = scores.get(i, 0.0) + 0.15 * idf / len(idx) ** 0.5
        best = sorted(scores.items(), key=lambda t: (-t[1], len(self.items[t[0]].wording)))
        return [self.items[i].wording for i, s in best[:k] if s > 0.2]

    def scan(self, text: str) -> list[tuple[int, str, tuple[int, ...], float]]:
        """Keyword occurrences in text, longest first at each position; hits inside a longer hit and negated
        hits (不卖烟) are dropped. Returns (start, keyword, item indices, idf)."""
        hits: list[tuple[int, str, tuple[int, ...], float]] = []
        covered_to = -1
        for pos, ch in enumerate(text):
            cands = self._kw_first.get(ch)
            if not cands:
                continue
            for kw, idx, idf in cands:
                if text.startswith(kw, pos):
                    end = pos + len(kw)
                    if end <= covered_to:
                        break  # inside a longer keyword already taken
                    before = text[max(0, pos - 2) : pos]
                    if not any(b in before[-1:] for b in _NEG_BEFORE) and before not in (
                        "不想",
                        "不会",
                        "不做",
                        "没有",
                    ):
                        hits.append((pos, kw, idx, idf))
                    covered_to = max(covered_to, end)
                    break
        return hits

    # ---- free text → items --------------------------------------------------------------------
    def _jieba(self) -> Any:
        if self._tokenizer is None:
            try:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                for k in {kw for lst in self._kw_first.values() for kw, _, _ in lst}:
                    tok.add_word(k, freq=2000)
                self._tokenizer = tok
            except Exception:  # jieba missing or broken: keyword scan alone
                self._tokenizer = False
        return self._tokenizer or None

    def _token_index(self) -> dict[str, list[int]]:
        if self._tokens is None:
            tok = self._jieba()
            index: dict[str, set[int]] = defaultdict(set)
            for i, it in enumerate(self.items):
                for text in (it.wording, *it.aliases):
                    words = tok.lcut(normalise(text)) if tok else [normalise(text)]
                    for w in words:
                        if len(w) >= 2 and not _STOP.search(w):
                            index[w].add(i)
            self._tokens = {w: sorted(s) for w, s in index.items()}
        return self._tokens

    def map_description(self, text: str, k: int = 5) -> list[tuple[str, float]]:
        s = normalise(text)[:2000]
        if not s or k <= 0:
            return []
        n = len(self.items) or 1
        scores: dict[int, float] = defaultdict(float)
        for _start, kw, idx, idf in self.scan(s):
            weight = (1.0 + 0.2 * (len(kw) - 2)) * idf / len(idx) ** 0.5
            if kw in self._wording_set:
                weight *= 2
            for i in idx:
                scores[i] += weight
        tok = self._jieba()
        tokens = self._token_index()
        words = {w for w in (tok.lcut(s) if tok else []) if len(w) >= 2}
        for w in words:
            ids = tokens.get(w)
            if ids:
                idf = math.log(1 + n / len(ids))
                for i in ids:
                    scores[i] += 0.4 * idf / len(ids) ** 0.5
        best = sorted(scores.items(), key=lambda t: (-t[1], len(self.items[t[0]].wording)))[:k]
        return [(self.items[i].wording, round(sc, 3)) for i, sc in best if sc > 0]


_STOP = re.compile(r"^(?:服务|销售|经营|零售|批发|项目|活动|不含|除外|相关|其他|许可|管理|制造|生产|开发)$")


@lru_cache(maxsize=4)
def load_catalogue(path: str) -> ScopeCatalogue:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return ScopeCatalogue(list(data.get("items") or []))


def _default_path() -> Path:
    from assistant.settings import PROJECT_ROOT

    return PROJECT_ROOT / "knowledge" / CATALOGUE_REL


def map_description(text: str, k: int = 5, *, knowledge_dir: Path | None = None) -> list[tuple[str, float]]:
    """Standard scope items for a free-text description ("我想开个奶茶店，顺便卖点面包"), best first, with scores.

    Colloquial keywords from the catalogue are found with a precomputed first-character index (negated mentions such
    as 不卖烟 are skipped); jieba tokens of the text add weight for items whose wording shares them."""
    path = (knowledge_dir / CATALOGUE_REL) if knowledge_dir else _default_path()
    return load_catalogue(str(path)).map_description(text or "", k)


def approval_held(status: str | None) -> bool:
    """Whether special_approval_status says the approval document is already held (negations win)."""
    s = normalise(status or "")
    if not s:
        return False
    if _NEGATED.search(s):
        return False
    return bool(_HELD.search(s))


def _note(item: ScopeItem) -> str:
    return item.note


def check(ctx: RuleContext) -> None:
    app = ctx.app
    if app.application_type == "注销登记":
        return
    path = ctx.data.knowledge_dir / CATALOGUE_REL
    if not path.is_file():
        return  # no catalogue configured: nothing to match against (the engine's data check reports it)
    cat = load_catalogue(str(path))
    scope = app.business_scope
    sections = {
        GENERAL: split_items(list(scope.一般项目)) if scope else [],
        LICENSED: split_items(list(scope.许可项目)) if scope else [],
    }
    if not sections[GENERAL] and not sections[LICENSED]:
        if app.application_type == "设立登记":
            ctx.hit("scope.missing", field=FIELD)
        return

    held = approval_held(app.special_approval_status)
    seen: set[str] = set()
    licences: list[dict[str, str]] = ctx.outputs.setdefault("licences_required", [])
    listed = {d.get("item") for d in licences}
    for section, raws in sections.items():
        for raw in raws:
            item, exact = cat.match(raw)
            if item is None:
                sugg = cat.suggest(raw)
                ctx.hit(
                    "scope.unknown_item",
                    field=FIELD,
                    item=raw,
                    section=section,
                    suggestions="；".join(f"“{s}”" for s in sugg) if sugg else "（无近似项，请在规范目录中检索）",
                    suggestions_en="; ".join(sugg) if sugg else "(none close; search the catalogue)",
                )
                continue
            if not exact:
                ctx.hit("scope.nonstandard_wording", field=FIELD, item=raw, standard=item.wording, section=section)
            if item.wording in seen:
                ctx.hit("scope.duplicate_item", field=FIELD, item=item.wording)
                continue
            seen.add(item.wording)
            if not item.either_section:
                if item.licensed and section == GENERAL:
                    ctx.hit("scope.licensed_in_general", field=FIELD, item=item.wording, licence=item.licence)
                elif not item.licensed and section == LICENSED:
                    ctx.hit("scope.general_in_licensed", field=FIELD, item=item.wording)
            if not item.licensed:
                continue
            params = dict(
                item=item.wording,
                licence=item.licence,
                authority=item.authority,
                basis=item.basis or "相关法律、行政法规",
                note=_note(item),
            )
            if item.timing == "前置":
                ctx.hit("scope.pre_approval_held" if held else "scope.pre_approval_required", field=FIELD, **params)
            else:
                ctx.hit("scope.licence_required", field=FIELD, **params)
            if item.wording not in listed:
                listed.add(item.wording)
                licences.append(
                    {"item": item.wording, "licence": item.licence, "authority": item.authority, "timing": item.timing}
                )
