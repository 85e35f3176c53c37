"""Hybrid retrieval: BM25 over jieba tokens + dense embeddings (Chroma), fused by reciprocal rank.

Only current texts are retrieved unless a caller asks for history (staff search); superseded laws stay in the
index for that. Callers may restrict the document kinds (law / guide / faq / complaint); applicants' answers
use the default kinds (no complaint tickets). An explicit reference in the question (《公司法》第四十七条) is
looked up directly and ranked first.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.domain import Chunk, Passage
from assistant.health import index_unavailable
from assistant.lexical import BM25Index, QueryExpander, tokenize
from assistant.ports import Embedder, Reranker, VectorIndex
from assistant.textnorm import normalise_for_search

_REF_RE = re.compile(
    r"《?([\u4e00-\u9fff]{2,30}?(?:法|条例|规定|细则|办法))》?\s*(第[一二三四五六七八九十百千零〇两]+条)"
)
# a law name may itself contain one 《…》: 《国务院关于实施《公司法》注册资本登记管理制度的规定》第三条
_BASIS_RE = re.compile(r"《((?:[^《》]|《[^《》]*》)+)》((?:第[一二三四五六七八九十百千零〇两]+条[、，和及]?)+)")
_ARTICLE_RE = re.compile(r"第[一二三四五六七八九十百千零〇两]+条")
KINDS = ("law", "guide", "faq", "complaint")
ANSWER_KINDS = ("law", "guide", "faq")  # what an applicant's answer may rest on
MAX_BASIS = 2  # articles brought along per guide / FAQ passage
log = logging.getLogger(__name__)


def basis_refs(text: str) -> list[tuple[str, str]]:
    """(law, article) pairs named in a guide's 依据 line: 《公司法》第四十七条、第四十八条 → two pairs."""
    out: list[tuple[str, str]] = []
    for law, articles in _BASIS_RE.findall(text):
        out.extend((law, a) for a in _ARTICLE_RE.findall(articles))
    return out


@dataclass
class RetrievalResult:
    passages: list[Passage]
    best_dense: float
    best_lexical: float
    degraded: dict[str, str] = field(default_factory=dict)  # embedder / index → error class: BM25 only


class HybridRetriever:
    def __init__(
        self,
        embedder: Embedder,
        index: VectorIndex,
        expander: QueryExpander,
        *,
        knowledge_dir: Path | None = None,
        candidates: int = 30,
        rrf_k: int = 60,
        default_kinds: Collection[str] = ANSWER_KINDS,
        lexical_weight: float = 0.5,
        reranker: Reranker | None = None,
        rerank_depth: int = 20,
    ) -> None:
        self.embedder = embedder
        self.index = index
        self.expander = expander
        self.knowledge_dir = knowledge_dir
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.default_kinds = tuple(default_kinds)
        self.lexical_weight = lexical_weight
        self.reranker = reranker
        self.rerank_depth = rerank_depth
        self._bm25: BM25Index | None = None  # current texts
        self._bm25_all: BM25Index | None = None  # current + superseded, built on first use (staff history search)
        self._chunks: dict[str, Chunk] = {}  # current texts
        self._all: dict[str, Chunk] = {}  # every text, superseded included
        self._by_ref: dict[tuple[str, str], Chunk] = {}
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """(Re)build the lexical index from the vector store's documents."""
        every = self.index.all_chunks()
        chunks = [c for c in every if c.status == "current"]
        bm25 = BM25Index().build((c.id, _lexical_text(c)) for c in chunks)
        with self._lock:
            self._all = {c.id: c for c in every}
            self._chunks = {c.id: c for c in chunks}
            self._by_ref = {(c.source, c.article): c for c in chunks if c.article and c.kind == "law"}
            self._bm25 = bm25
            self._bm25_all = None

    def _lexical(self, include_superseded: bool) -> BM25Index:
        if not include_superseded:
            assert self._bm25 is not None
            return self._bm25
        with self._lock:
            if self._bm25_all is None:
                self._bm25_all = BM25Index().build((c.id, _lexical_text(c)) for c in self._all.values())
            return self._bm25_all

    def warm_up(self) -> None:
        if self._bm25 is None:
            self.refresh()

    @property
    def every_chunk(self) -> dict[str, Chunk]:
        """Every indexed chunk by id, superseded ones included: a new dict after each refresh (empty before)."""
        return self._all

    @property
    def size(self) -> int:
        return len(self._chunks)

    def _explicit_refs(self, question: str) -> list[Chunk]:
        hits = []
        for law, article in _REF_RE.findall(question):
            for (source, art), chunk in self._by_ref.items():
                if art == article and (source == law or source in law or law in chunk.title):
                    hits.append(chunk)
                    break
        return hits

    def retrieve(
        self,
        question: str,
        k: int,
        *,
        kinds: Collection[str] | None = None,
        include_superseded: bool = False,
    ) -> RetrievalResult:
        """Top-k passages for a question. ``kinds`` defaults to the answer kinds; ``include_superseded`` also
        searches superseded editions (for staff looking at history; such passages keep status "superseded").

        When the embedder or the vector index fails, the answer rests on BM25 alone (``degraded`` names the part);
        when the chunks were never loaded from the index, IndexUnavailable (503 service_degraded)."""
        try:
            self.warm_up()
        except Exception as exc:
            log.warning("index unavailable, nothing to search: %s", type(exc).__name__)
            raise index_unavailable() from exc
        wanted = tuple(k_ for k_ in (kinds if kinds is not None else self.default_kinds) if k_ in KINDS)
        if not wanted:
            return RetrievalResult(passages=[], best_dense=0.0, best_lexical=0.0)
        pool = self._all if include_superseded else self._chunks
        if self.knowledge_dir is not None:  # traditional script and written Cantonese → standard Chinese
            question = normalise_for_search(question, self.knowledge_dir)
        extra = self.expander.expand(question)
        restricted = set(wanted) != set(KINDS)
        lexical = self._lexical(include_superseded).search(
            tokenize(question) + extra, self.candidates * (4 if restricted else 1)
        )
        if restricted:
            lexical = [(i, s) for i, s in lexical if i in pool and pool[i].kind in wanted][: self.candidates]
        has_cjk = any("\u4e00" <= ch <= "\u9fff" for ch in question)
        dense_text = question if has_cjk or not extra else f"{question} ({' '.join(extra)})"
        degraded: dict[str, str] = {}
        dense: list[tuple[Chunk, float]] = []
        try:
            qvec = self.embedder.embed_queries([dense_text])[0]
        except Exception as exc:  # the port's failure, whatever the backend raises: BM25 alone
            log.warning("embedder failed, BM25 only: %s", type(exc).__name__)
            degraded["embedder"] = type(exc).__name__
        else:
            try:
                dense = self.index.query(qvec, self.candidates, where=_where(wanted, include_superseded))
            except Exception as exc:
                log.warning("vector index failed, BM25 only: %s", type(exc).__name__)
                degraded["index"] = type(exc).__name__
        for chunk, _ in dense:
            pool.setdefault(chunk.id, chunk)

        fused: dict[str, float] = {}
        dense_score = {c.id: s for c, s in dense}
        lex_score = dict(lexical)
        for weight, ids in (
            (1.0, [c.id for c, _ in dense]),
            (self.lexical_weight, [i for i, _ in lexical]),
        ):
            for rank, doc_id in enumerate(ids):
                fused[doc_id] = fused.get(doc_id, 0.0) + weight / (self.rrf_k + rank + 1)
        for chunk in self._explicit_refs(question) if "law" in wanted else []:
            fused[chunk.id] = fused.get(chunk.id, 0.0) + 1.0  # named by the applicant: always first

        shortlist = [
            Passage(chunk=pool[i], score=s, dense=dense_score.get(i), lexical=lex_score.get(i))
            for i, s in sorted(fused.items(), key=lambda kv: kv[1], reverse=True)[: self.rerank_depth]
            if i in pool
        ]
        if self.reranker is not None and len(shortlist) > 1:
            shortlist = self.reranker.rerank(question, shortlist)
        passages: list[Passage] = []
        seen: set[str] = set()
        primaries = 0  # k ranked results; the articles a guide / FAQ brings along do not count against k
        for p in shortlist:
            if primaries >= k:
                break
            if p.chunk.id in seen:
                continue
            primaries += 1
            seen.add(p.chunk.id)
            passages.append(p)
            if p.chunk.kind != "law" and "law" in wanted:  # a guide / FAQ paraphrases the law: bring its articles
                for ref in basis_refs(p.chunk.text)[:MAX_BASIS]:
                    basis = self._by_ref.get(ref)
                    if basis is not None and basis.id not in seen:
                        seen.add(basis.id)
                        passages.append(
                            Passage(chunk=basis, score=p.score, dense=dense_score.get(basis.id), basis_of=p.chunk.id)
                        )
        return RetrievalResult(
            passages=passages,
            best_dense=max(dense_score.values(), default=0.0),
            best_lexical=max(lex_score.values(), default=0.0),
            degraded=degraded,
        )


def _lexical_text(c: Chunk) -> str:
    return f"{c.source} {c.article} {c.chapter} {c.text}"


def _where(kinds: tuple[str, ...], include_superseded: bool) -> dict[str, Any] | None:
    """A Chroma metadata filter for the kinds and status wanted (None: no filter)."""
    clauses: list[dict[str, Any]] = []
    if not include_superseded:
        clauses.append({"status": "current"})
    if set(kinds) != set(KINDS):
        clauses.append({"kind": {"$in": list(kinds)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
