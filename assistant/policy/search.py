"""Staff search (法规检索): hybrid retrieval with kind / status / law filters, an article reference in the
query answered by lookup first, and snippets with the matched terms highlighted."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.domain import Chunk
from assistant.lexical import BM25Index, tokenize
from assistant.policy.catalogue import Law, LawCatalogue
from assistant.policy.refs import Reference, parse_reference
from assistant.retrieval import HybridRetriever

SNIPPET_CHARS = 120
_LEAD = 20  # characters shown before the first highlighted term


@dataclass
class Found:
    chunk: Chunk
    score: float
    match: str  # reference | search


def reference_hits(
    catalogue: LawCatalogue, query: str, *, include_superseded: bool
) -> tuple[Reference | None, list[Chunk]]:
    """The articles an explicit reference in the query names (current edition first), if it resolves."""
    ref = parse_reference(query)
    if ref is None:
        return None, []
    law = catalogue.find_law(ref.law)
    if law is None:
        return ref, []
    editions = [e for e in law.editions if e.status == "current" or include_superseded]
    return ref, [c for c in (e.get(ref.article) for e in editions) if c is not None]


def law_lexical(law: Law, *, include_superseded: bool) -> BM25Index:
    """BM25 over one law's articles (its current edition, or every edition)."""
    chunks = [c for e in law.editions if e.status == "current" or include_superseded for c in e.articles]
    return BM25Index().build((c.id, f"{c.article} {c.chapter} {c.text}") for c in chunks)


def rests_on(catalogue: LawCatalogue, chunk: Chunk, law: Law) -> bool:
    """A law article of ``law``, or a guide / FAQ section whose 依据 names it."""
    if chunk.kind == "law":
        return chunk.source == law.name
    return any(b.chunk is not None and b.chunk.source == law.name for b in catalogue.basis.get(chunk.id, []))


def run_search(
    catalogue: LawCatalogue,
    retriever: HybridRetriever,
    query: str,
    *,
    kinds: tuple[str, ...],
    include_superseded: bool,
    law: Law | None,
    k: int,
    lexical: BM25Index | None = None,
) -> tuple[Reference | None, list[Found]]:
    """Ranked hits: the referenced article first, then hybrid retrieval (fused with BM25 inside ``law``)."""
    found: list[Found] = []
    ref, named = reference_hits(catalogue, query, include_superseded=include_superseded)
    for c in named:
        if "law" in kinds and (law is None or c.source == law.name):
            found.append(Found(c, 1.0, "reference"))
    if named:  # the rest of the query, if any, is searched as usual
        query = ref.rest(query) if ref else query
        if not query.strip(" ，,。？?"):
            return ref, found[:k]
    want = k * 4 if law is not None else k
    res = retriever.retrieve(query, want, kinds=kinds, include_superseded=include_superseded)
    ranked = [(p.chunk, p.score) for p in res.passages]
    if law is not None:
        ranked = [(c, s) for c, s in ranked if rests_on(catalogue, c, law)]
        if lexical is not None and "law" in kinds:
            ranked = _fuse(ranked, lexical.search(tokenize(query) + retriever.expander.expand(query), want), catalogue)
    seen = {f.chunk.id for f in found}
    for chunk, score in ranked:
        if chunk.id in seen or chunk.kind not in kinds:
            continue
        if chunk.status != "current" and not include_superseded:
            continue
        seen.add(chunk.id)
        found.append(Found(chunk, score, "search"))
    return ref, found[:k]


def _fuse(
    ranked: list[tuple[Chunk, float]], lexical: list[tuple[str, float]], catalogue: LawCatalogue, rrf_k: int = 60
) -> list[tuple[Chunk, float]]:
    scores: dict[str, float] = {}
    chunks: dict[str, Chunk] = {}
    for rank, (c, _) in enumerate(ranked):
        scores[c.id] = scores.get(c.id, 0.0) + 1.0 / (rrf_k + rank + 1)
        chunks[c.id] = c
    for rank, (cid, _) in enumerate(lexical):
        article = catalogue.by_id.get(cid)
        if article is not None:
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (rrf_k + rank + 1)
            chunks[cid] = article
    return [(chunks[i], s) for i, s in sorted(scores.items(), key=lambda kv: kv[1], reverse=True)]


def highlight_terms(query: str, expansions: list[str]) -> list[str]:
    """Query words worth highlighting: jieba tokens and their legal-term expansions, two characters or more."""
    terms = {t for t in [*tokenize(query), *expansions] if len(t) >= 2}
    return sorted(terms, key=len, reverse=True)


def snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> tuple[str, list[str], list[tuple[int, int]]]:
    """A window of ``text`` around the most matched terms, the terms found, and their spans in the window."""
    spans: list[tuple[int, int]] = []
    for term in terms:  # longest first; a shorter term inside a longer match is not marked again
        start = text.find(term)
        while start >= 0:
            end = start + len(term)
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
            start = text.find(term, end)
    spans.sort()
    if not spans:
        cut = text[:width]
        return cut + ("…" if len(text) > width else ""), [], []
    best = max(spans, key=lambda sp: sum(1 for s, e in spans if sp[0] - _LEAD <= s and e <= sp[0] - _LEAD + width))
    lo = max(0, min(best[0] - _LEAD, len(text) - width))
    hi = min(len(text), lo + width)
    prefix = "…" if lo > 0 else ""
    window = prefix + text[lo:hi] + ("…" if hi < len(text) else "")
    shift = len(prefix) - lo
    inside = [(s + shift, e + shift) for s, e in spans if lo <= s and e <= hi]
    found = sorted({text[s:e] for s, e in spans if lo <= s and e <= hi}, key=len, reverse=True)
    return window, found, inside
