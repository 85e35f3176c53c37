"""The law catalogue (法规目录) built from the index: laws and their editions, the articles of an edition in
order and grouped by chapter, lookup of one article, and the reverse index from an article to the guide
sections and FAQ entries whose 依据 line names it (the service steps that rest on it).

Superseded editions (已失效) stay in the catalogue for history; callers show them only when asked.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.domain import Chunk
from assistant.errors import NotFoundError
from assistant.policy.refs import ArticleNo, normalise_law_name, parse_article
from assistant.retrieval import basis_refs
from ingestion.laws import LawStatus

STATUS_LABEL = {"current": "现行有效", "superseded": "已失效"}
_TYPE_SUFFIXES = ("实施细则", "细则", "条例", "规定", "办法", "决定", "解释", "法", "总则")


class LawLookupError(NotFoundError):
    """Unknown, ambiguous or superseded law or article: a 404 that names what the user could mean."""

    def __init__(
        self, message_zh: str, message_en: str, *, field: str, suggestions: list[str], code: str = "not_found"
    ) -> None:
        super().__init__(message_zh, message_en, field=field)
        self.code = code
        self.suggestions = suggestions

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {**super().to_dict(lang), "suggestions": self.suggestions}


@dataclass(eq=False)
class LawEdition:
    """One edition (版本) of a law: the articles of one source file."""

    edition: str  # the source file stem, e.g. 公司法(2023-12-29)
    law: str  # short name, e.g. 公司法
    title: str
    version: str
    status: str  # current | superseded
    articles: list[Chunk] = field(default_factory=list)
    superseded_by: LawEdition | None = None
    _by_no: dict[ArticleNo, Chunk] = field(default_factory=dict)

    def finish(self) -> None:
        self.articles.sort(key=_article_key)
        for c in self.articles:
            no = parse_article(c.article)
            if no is not None:
                self._by_no.setdefault(no, c)

    def get(self, no: ArticleNo) -> Chunk | None:
        return self._by_no.get(no)

    def chapters(self) -> list[tuple[str, list[Chunk]]]:
        """Articles grouped by chapter, in text order (a chapter heading that recurs starts a new group)."""
        groups: list[tuple[str, list[Chunk]]] = []
        for c in self.articles:
            if not groups or groups[-1][0] != c.chapter:
                groups.append((c.chapter, []))
            groups[-1][1].append(c)
        return groups

    def neighbours(self, chunk: Chunk) -> tuple[Chunk | None, Chunk | None]:
        i = next((n for n, c in enumerate(self.articles) if c.id == chunk.id), -1)
        if i < 0:
            return None, None
        prev = self.articles[i - 1] if i > 0 else None
        nxt = self.articles[i + 1] if i + 1 < len(self.articles) else None
        return prev, nxt


@dataclass(eq=False)
class Law:
    name: str
    editions: list[LawEdition] = field(default_factory=list)  # current first, then newest first

    @property
    def current(self) -> LawEdition | None:
        return next((e for e in self.editions if e.status == "current"), None)


@dataclass(frozen=True)
class Basis:
    """One (law, article) pair of a guide's 依据 line and the article it resolves to, if indexed."""

    law: str
    article: str
    chunk: Chunk | None


def _article_key(c: Chunk) -> tuple[int, int, str]:
    no = parse_article(c.article)
    return (no.n, no.sub, c.id) if no else (10**6, 0, c.id)


def _edition_id(c: Chunk) -> str:
    """The source file stem, from ``law:{stem}:{article}`` (or the doc key where ingestion set it)."""
    if c.doc:
        return Path(c.doc).stem
    parts = c.id.split(":")
    return ":".join(parts[1:-1]) if len(parts) >= 3 else c.source


def _law_type(name: str) -> str:
    return next((s for s in _TYPE_SUFFIXES if name.endswith(s)), "")


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def load_aliases(knowledge_dir: Path) -> dict[str, str]:
    path = knowledge_dir / "policy.yaml"
    cfg = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    return {normalise_law_name(str(k)): str(v) for k, v in (cfg.get("aliases") or {}).items()}


class LawCatalogue:
    def __init__(self, chunks: list[Chunk], *, knowledge_dir: Path, aliases: dict[str, str] | None = None) -> None:
        self.by_id: dict[str, Chunk] = {c.id: c for c in chunks}
        self.aliases = aliases if aliases is not None else load_aliases(knowledge_dir)
        self.editions: dict[str, LawEdition] = {}
        laws = [c for c in chunks if c.kind == "law"]
        has_current = {_edition_id(c) for c in laws if c.status == "current"}
        for c in laws:
            self._add_article(c, has_current)
        for e in self.editions.values():
            e.finish()
        self.laws: dict[str, Law] = {}
        for e in self.editions.values():
            self.laws.setdefault(e.law, Law(e.law)).editions.append(e)
        for law in self.laws.values():
            law.editions.sort(key=lambda e: (e.status == "current", e.version), reverse=True)
        self._link_superseded(knowledge_dir)
        self._names = {normalise_law_name(name): law for name, law in self.laws.items()}
        for law in self.laws.values():
            for e in law.editions:
                self._names.setdefault(normalise_law_name(e.title), law)
        self._resolved: dict[str, Law | None] = {}
        self.steps: dict[str, list[Chunk]] = defaultdict(list)  # article chunk id → guide / FAQ chunks
        self.basis: dict[str, list[Basis]] = {}  # guide / FAQ chunk id → the articles it rests on
        self._build_reverse_index(chunks)

    # --- building -------------------------------------------------------------------------------
    def _add_article(self, c: Chunk, has_current: set[str]) -> None:
        stem = _edition_id(c)
        # a file normally holds one edition; should one mix statuses, its superseded articles stand apart
        key = f"{stem}（已失效）" if c.status == "superseded" and stem in has_current else stem
        e = self.editions.get(key)
        if e is None:
            e = self.editions[key] = LawEdition(key, c.source, c.title, c.version, c.status)
        e.articles.append(c)

    def _link_superseded(self, knowledge_dir: Path) -> None:
        superseded_by: dict[str, str] = {}
        if (knowledge_dir / "laws.yaml").exists():
            superseded_by = LawStatus(knowledge_dir, list(self.editions)).superseded_by
        for e in self.editions.values():
            if e.status != "superseded":
                continue
            target = self.editions.get(superseded_by.get(e.edition, ""))
            if target is None or target.status != "current":
                law = self.laws.get(e.law)
                target = law.current if law else None
            e.superseded_by = target

    def _build_reverse_index(self, chunks: list[Chunk]) -> None:
        for c in chunks:
            if c.kind == "law" or c.status != "current":
                continue
            refs = basis_refs(c.text)
            if not refs:
                continue
            resolved: list[Basis] = []
            for law_name, label in refs:
                law = self.find_law(law_name)
                no = parse_article(label)
                edition = law.current if law else None
                target = edition.get(no) if edition and no else None
                resolved.append(Basis(law_name, label, target))
                if target is not None and c not in self.steps[target.id]:
                    self.steps[target.id].append(c)
            self.basis[c.id] = resolved

    # --- name resolution ------------------------------------------------------------------------
    def find_law(self, name: str) -> Law | None:
        """The one law ``name`` denotes (exact, alias, or unambiguous partial name), or None."""
        if name not in self._resolved:
            found = self._candidates(name)
            self._resolved[name] = found[0] if len(found) == 1 else None
        return self._resolved[name]

    def _candidates(self, name: str) -> list[Law]:
        edition = self.editions.get(name.strip())
        if edition is not None:
            return [self.laws[edition.law]]
        n = normalise_law_name(name)
        if not n:
            return []
        if n in self._names:
            return [self._names[n]]
        alias = self._names.get(normalise_law_name(self.aliases.get(n, "")))
        if alias is not None:
            return [alias]
        contained = [law for key, law in self._names.items() if len(key) >= 3 and key in n]
        if contained:  # "请问公司法" → 公司法; the longest name wins (国务院关于实施《公司法》…规定 over 公司法)
            longest = max(len(normalise_law_name(law.name)) for law in contained)
            contained = [law for law in contained if len(normalise_law_name(law.name)) == longest]
            return _prefer_current(_unique(contained))
        if len(n) >= 2:
            containing = [law for key, law in self._names.items() if n in key]
            if containing:
                return _prefer_current(_unique(containing))
            kind = _law_type(n)
            loose = [
                law
                for key, law in self._names.items()
                if _is_subsequence(n, key) and (not kind or _law_type(key) == kind)
            ]
            return _prefer_current(_unique(loose))
        return []

    def suggest(self, name: str, limit: int = 5) -> list[str]:
        n = normalise_law_name(name)
        names = {normalise_law_name(law): law for law in self.laws}
        close = difflib.get_close_matches(n, list(names), n=limit, cutoff=0.3)
        if not close:  # no similar spelling: laws sharing the most characters
            scored = sorted(names, key=lambda k: -len(set(k) & set(n)))
            close = [k for k in scored[:limit] if set(k) & set(n)]
        return [names[k] for k in close]

    def resolve_law(self, name: str, *, include_superseded: bool = False, field: str = "law") -> Law:
        """The law ``name`` denotes; LawLookupError (404) naming candidates when unknown or ambiguous, and
        naming the current law when only superseded editions match and history was not asked for."""
        found = self._candidates(name)
        if not found:
            hint = self.suggest(name)
            zh = f"找不到法规“{name}”" + (f"，您是不是要找：{'、'.join(hint)}" if hint else "")
            en = f"No law named '{name}'" + (f"; did you mean: {', '.join(hint)}" if hint else "")
            raise LawLookupError(zh + "。", en + ".", field=field, suggestions=hint)
        if len(found) > 1:
            names = [law.name for law in found]
            raise LawLookupError(
                f"“{name}”对应多部法规，请指明：{'、'.join(names)}。",
                f"'{name}' matches several laws; please choose one: {', '.join(names)}.",
                field=field,
                suggestions=names,
                code="ambiguous",
            )
        law = found[0]
        if law.current is None and not include_superseded:
            old = law.editions[0]
            now = old.superseded_by
            raise LawLookupError(
                f"《{law.name}》已失效"
                + (f"，现行规定见《{now.law}》（{now.version}施行）" if now else "")
                + "；查看历史文本请加 include_superseded=true。",
                f"{law.name} is superseded"
                + (f"; the current law is {now.law} ({now.version})" if now else "")
                + "; add include_superseded=true to see the historical text.",
                field=field,
                suggestions=[now.law] if now else [],
                code="superseded",
            )
        return law

    def edition(
        self, law: Law, *, version: str | None = None, include_superseded: bool = False, field: str = "version"
    ) -> LawEdition:
        """The current edition, or the one with ``version`` (a date or an edition id)."""
        if version:
            for e in law.editions:
                if version in (e.version, e.edition) or e.edition.endswith(f"({version})"):
                    return e
            known = [e.version or e.edition for e in law.editions]
            raise LawLookupError(
                f"《{law.name}》没有 {version} 版本，可选：{'、'.join(known)}。",
                f"{law.name} has no edition {version}; editions: {', '.join(known)}.",
                field=field,
                suggestions=known,
            )
        current = law.current
        if current is not None:
            return current
        return law.editions[0]  # only superseded editions; resolve_law already required include_superseded

    def article(self, edition: LawEdition, article: str, *, field: str = "article") -> Chunk:
        no = parse_article(article)
        if no is None:
            raise LawLookupError(
                f"无法识别条号“{article}”，请写成 第四十七条、第47条 或 47。",
                f"Cannot read the article number '{article}'; write 第四十七条, 第47条 or 47.",
                field=field,
                suggestions=[],
            )
        found = edition.get(no)
        if found is not None:
            return found
        numbered = [n for n in (parse_article(c.article) for c in edition.articles) if n is not None]
        near = sorted(numbered, key=lambda x: (abs(x.n - no.n), x.sub))[:3]
        first, last = (numbered[0].label, numbered[-1].label) if numbered else ("", "")
        raise LawLookupError(
            f"《{edition.law}》（{edition.version or edition.edition}）没有{no.label}；"
            f"共 {len(edition.articles)} 条（{first}至{last}）。",
            f"{edition.law} ({edition.version or edition.edition}) has no article {no.n}"
            f"{'-' + str(no.sub) if no.sub else ''}; it has {len(edition.articles)} articles.",
            field=field,
            suggestions=[n.label for n in near],
        )

    def edition_of(self, chunk: Chunk) -> LawEdition | None:
        stem = _edition_id(chunk)
        return self.editions.get(stem) or self.editions.get(f"{stem}（已失效）")


def _unique(laws: list[Law]) -> list[Law]:
    return list({id(law): law for law in laws}.values())


def _prefer_current(laws: list[Law]) -> list[Law]:
    current = [law for law in laws if law.current is not None]
    return current or laws
