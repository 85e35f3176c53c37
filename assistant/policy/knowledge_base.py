"""KnowledgeBase: the one object the staff transports (API, CLI, 法规检索 tab) call for the law catalogue,
search and policy digests (一键获取政策要点). It reads the index the assistant answers from."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Collection
from typing import TYPE_CHECKING
from urllib.parse import quote

from assistant.domain import Chunk
from assistant.errors import UserError
from assistant.lexical import BM25Index
from assistant.policy import search as search_mod
from assistant.policy.catalogue import STATUS_LABEL, Law, LawCatalogue, LawEdition, LawLookupError
from assistant.policy.keypoints import key_points
from assistant.policy.models import (
    ArticleBrief,
    ArticleView,
    BasisRef,
    ChapterGroup,
    Digest,
    EditionRef,
    LawArticles,
    LawInfo,
    SearchHit,
    SearchResults,
    ServiceStep,
)
from assistant.policy.refs import ArticleNo, parse_article
from assistant.policy.summary import Summariser
from assistant.ports import ChatModel, VectorIndex
from assistant.prompts import load_prompt
from assistant.retrieval import KINDS, HybridRetriever
from assistant.settings import Settings
from assistant.store.digests import SummaryCache

if TYPE_CHECKING:
    from assistant.service import Assistant

MAX_QUERY_CHARS = 200
MAX_K = 50
_BY_SERVICE: weakref.WeakKeyDictionary[Assistant, KnowledgeBase] = weakref.WeakKeyDictionary()
_BY_SERVICE_LOCK = threading.Lock()


class KnowledgeBase:
    def __init__(
        self,
        settings: Settings,
        index: VectorIndex,
        *,
        retriever: HybridRetriever | None = None,
        chat: ChatModel | None = None,
        summaries: SummaryCache | None = None,
    ) -> None:
        self.settings = settings
        self.index = index
        self._retriever = retriever
        self._chat = chat
        self._lock = threading.RLock()
        self._catalogue: LawCatalogue | None = None
        self._token: object = None
        self._lexical: dict[tuple[str, bool], BM25Index] = {}
        self.summariser = Summariser(
            self._chat_model,
            load_prompt(settings.prompts_dir, "digest"),
            summaries or SummaryCache(settings.sqlalchemy_url),
        )

    @classmethod
    def for_assistant(cls, svc: Assistant) -> KnowledgeBase:
        """The knowledge base over an Assistant's index, retriever and chat model (one per service)."""
        with _BY_SERVICE_LOCK:
            kb = _BY_SERVICE.get(svc)
            if kb is None:
                kb = cls(svc.settings, svc.index, retriever=svc.retriever, chat=svc.chat)
                _BY_SERVICE[svc] = kb
            return kb

    # --- components, built on first use ---------------------------------------------------------
    def _chat_model(self) -> ChatModel:
        if self._chat is None:
            from assistant import wiring

            self._chat = wiring.build_chat_model(self.settings)
        return self._chat

    @property
    def retriever(self) -> HybridRetriever:
        with self._lock:
            if self._retriever is None:
                from assistant import wiring
                from assistant.service import build_retriever

                s = self.settings
                wiring.configure(s)
                self._retriever = build_retriever(s, wiring.build_embedder(s), self.index, self._chat_model)
            return self._retriever

    def catalogue(self) -> LawCatalogue:
        """Built from the retriever's chunks (or the index); rebuilt whenever the retriever refreshes."""
        # the retriever replaces its every_chunk dict on each refresh: a new dict means a new catalogue
        every: dict[str, Chunk] | None = (self._retriever.every_chunk or None) if self._retriever else None
        with self._lock:
            if self._catalogue is None or (every is not None and every is not self._token):
                chunks = list(every.values()) if every is not None else self.index.all_chunks()
                self._catalogue = LawCatalogue(chunks, knowledge_dir=self.settings.knowledge_dir)
                self._token = every
                self._lexical.clear()
            return self._catalogue

    def refresh(self) -> None:
        with self._lock:
            self._catalogue = None
        self.catalogue()

    # --- catalogue ------------------------------------------------------------------------------
    def laws(self, *, include_superseded: bool = False) -> list[LawInfo]:
        cat = self.catalogue()
        out = [
            _law_info(e)
            for law in cat.laws.values()
            for e in law.editions
            if e.status == "current" or include_superseded
        ]
        return sorted(out, key=lambda x: (x.status != "current", x.law, x.version))

    def _edition(self, law: str, version: str | None, include_superseded: bool) -> tuple[Law, LawEdition]:
        cat = self.catalogue()
        explicit = cat.editions.get(law.strip())
        if explicit is not None:  # an edition id names its edition: asking for it is asking for history
            return cat.laws[explicit.law], explicit
        found = cat.resolve_law(law, include_superseded=include_superseded or bool(version))
        return found, cat.edition(found, version=version)

    def law_articles(self, law: str, *, include_superseded: bool = False, version: str | None = None) -> LawArticles:
        found, edition = self._edition(law, version, include_superseded)
        groups = [ChapterGroup(chapter=ch, articles=[_brief(c) for c in chunks]) for ch, chunks in edition.chapters()]
        others = [_law_info(e) for e in found.editions if e is not edition] if include_superseded else []
        return LawArticles(law=_law_info(edition), chapters=groups, other_editions=others)

    def article(
        self, law: str, article: str, *, include_superseded: bool = False, version: str | None = None
    ) -> ArticleView:
        cat = self.catalogue()
        found, edition = self._edition(law, version, include_superseded)
        chunk = cat.article(edition, article)
        view = self._article_view(chunk, edition)
        if include_superseded:
            for other in found.editions:
                same = other.get(_no(chunk)) if other is not edition else None
                if same is not None:
                    view.other_editions.append(self._article_view(same, other))
        return view

    def _article_view(self, chunk: Chunk, edition: LawEdition) -> ArticleView:
        prev, nxt = edition.neighbours(chunk)
        return ArticleView(
            id=chunk.id,
            law=chunk.source,
            edition=edition.edition,
            title=chunk.title,
            article=chunk.article,
            chapter=chunk.chapter,
            version=chunk.version,
            text=chunk.text,
            previous=prev.article if prev else None,
            next=nxt.article if nxt else None,
            service_steps=len(self.catalogue().steps.get(chunk.id, [])),
            **_status(chunk.status, edition),
        )

    # --- search ---------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        kinds: Collection[str] | None = None,
        status: str = "current",
        law: str | None = None,
        k: int = 10,
    ) -> SearchResults:
        q = _check_query(query)
        wanted = _check_kinds(kinds)
        if status not in ("current", "all"):
            raise UserError("status 只能是 current 或 all。", "status must be current or all.", field="status")
        if not 1 <= k <= MAX_K:
            raise UserError(f"k 应在 1 到 {MAX_K} 之间。", f"k must be between 1 and {MAX_K}.", field="k")
        history = status == "all"
        cat = self.catalogue()
        restrict = cat.resolve_law(law, include_superseded=history) if law else None
        lexical = self._law_lexical(restrict, history) if restrict else None
        ref, found = search_mod.run_search(
            cat, self.retriever, q, kinds=wanted, include_superseded=history, law=restrict, k=k, lexical=lexical
        )
        cat = self.catalogue()  # retrieval may have refreshed the retriever on first use
        named = ref is not None and any(f.match == "reference" for f in found)
        rest = ref.rest(q) if ref is not None and named else q  # a bare reference highlights nothing
        terms = search_mod.highlight_terms(rest, self.retriever.expander.expand(rest)) if rest else []
        hits = [self._hit(i + 1, f, terms, cat) for i, f in enumerate(found)]
        return SearchResults(
            query=q,
            kinds=list(wanted),  # type: ignore[arg-type]
            status="all" if history else "current",
            law=restrict.name if restrict else None,
            reference=f"{ref.law} {ref.article.label}" if ref else None,
            hits=hits,
        )

    def _law_lexical(self, law: Law, history: bool) -> BM25Index:
        with self._lock:
            key = (law.name, history)
            if key not in self._lexical:
                self._lexical[key] = search_mod.law_lexical(law, include_superseded=history)
            return self._lexical[key]

    def _hit(self, rank: int, f: search_mod.Found, terms: list[str], cat: LawCatalogue) -> SearchHit:
        c = f.chunk
        text, found, spans = search_mod.snippet(c.text.replace("\n", " "), terms)
        return SearchHit(
            rank=rank,
            id=c.id,
            kind=c.kind,
            law=c.source,
            title=c.title,
            article=c.article,
            chapter=c.chapter,
            version=c.version,
            score=round(f.score, 4),
            match=f.match,  # type: ignore[arg-type]
            snippet=text,
            highlights=found,
            spans=spans,
            **_status(c.status, cat.edition_of(c) if c.kind == "law" else None),
        )

    # --- digests (一键获取政策要点) -----------------------------------------------------------------
    def digest(
        self,
        *,
        law: str | None = None,
        article: str | None = None,
        chunk_id: str | None = None,
        summary: bool = False,
        include_superseded: bool = False,
        version: str | None = None,
    ) -> Digest:
        cat = self.catalogue()
        if chunk_id:
            chunk = cat.by_id.get(chunk_id)
            if chunk is None:
                raise LawLookupError(
                    f"找不到条目 {chunk_id}。", f"No entry with id {chunk_id}.", field="id", suggestions=[]
                )
        elif law and article:
            _, edition = self._edition(law, version, include_superseded)
            chunk = cat.article(edition, article)
        else:
            raise UserError(
                "请提供 law 和 article，或者 id。", "Give law and article, or id.", field="article" if law else "law"
            )
        return self._digest(chunk, cat, summary)

    def _digest(self, chunk: Chunk, cat: LawCatalogue, summary: bool) -> Digest:
        is_law = chunk.kind == "law"
        body = chunk.text if is_law else _section_body(chunk)
        label = f"《{chunk.source}》{chunk.article}" if is_law else f"{chunk.title}：{chunk.article}"
        out = Digest(
            id=chunk.id,
            kind=chunk.kind,
            law=chunk.source,
            title=chunk.title,
            article=chunk.article,
            version=chunk.version,
            text=chunk.text,
            key_points=key_points(body, self.settings.knowledge_dir, unit="款" if is_law else "段"),
            service_steps=[_step(s, cat) for s in cat.steps.get(chunk.id, [])],
            basis=_basis(chunk.id, cat),
            **_status(chunk.status, cat.edition_of(chunk) if is_law else None),
        )
        if summary:
            got = self.summariser.summarise(chunk, label)
            out.summary, out.summary_status, out.summary_note, out.summary_cached = (
                got.text,
                got.status,
                got.note,
                got.cached,
            )
        return out


def knowledge_for(svc: Assistant) -> KnowledgeBase:
    return KnowledgeBase.for_assistant(svc)


# --- helpers ------------------------------------------------------------------------------------
def _check_query(query: str) -> str:
    q = (query or "").strip()
    if not q:
        raise UserError("请输入检索词。", "Enter a search query.", field="q")
    if len(q) > MAX_QUERY_CHARS:
        raise UserError(
            f"检索词请控制在 {MAX_QUERY_CHARS} 字以内。",
            f"The query is over the {MAX_QUERY_CHARS}-character limit.",
            field="q",
        )
    return q


def _check_kinds(kinds: Collection[str] | None) -> tuple[str, ...]:
    if not kinds:
        return KINDS
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise UserError(
            f"不支持的类型：{'、'.join(bad)}（可选 {' | '.join(KINDS)}）。",
            f"Unknown kind: {', '.join(bad)} (one of {' | '.join(KINDS)}).",
            field="kind",
        )
    return tuple(k for k in KINDS if k in kinds)


def _no(chunk: Chunk) -> ArticleNo:
    no = parse_article(chunk.article)
    assert no is not None, chunk.article  # found by its number
    return no


def _ref(e: LawEdition) -> EditionRef:
    return EditionRef(law=e.law, edition=e.edition, title=e.title, version=e.version)


def _status(status: str, edition: LawEdition | None) -> dict:
    now = edition.superseded_by if edition is not None and status == "superseded" else None
    notice = ""
    if status == "superseded":
        notice = "已失效（superseded）" + (f"，现行为《{now.law}》（{now.version}施行）" if now else "")
    return {
        "status": status,
        "status_label": STATUS_LABEL.get(status, status),
        "superseded_by": _ref(now) if now else None,
        "notice": notice,
    }


def _law_info(e: LawEdition) -> LawInfo:
    return LawInfo(
        law=e.law,
        edition=e.edition,
        title=e.title,
        version=e.version,
        article_count=len(e.articles),
        chapters=[ch for ch, _ in e.chapters() if ch],
        **_status(e.status, e),
    )


def _brief(c: Chunk) -> ArticleBrief:
    body = c.text.removeprefix(c.article).strip().replace("\n", " ")
    return ArticleBrief(id=c.id, article=c.article, preview=body[:60] + ("…" if len(body) > 60 else ""))


def _section_body(c: Chunk) -> str:
    first, _, rest = c.text.partition("\n")
    return rest if first.strip() == c.article.strip() else c.text


def _basis(chunk_id: str, cat: LawCatalogue) -> list[BasisRef]:
    return [
        BasisRef(law=b.law, article=b.article, id=b.chunk.id if b.chunk else None) for b in cat.basis.get(chunk_id, [])
    ]


def _step(c: Chunk, cat: LawCatalogue) -> ServiceStep:
    return ServiceStep(
        id=c.id,
        kind=c.kind,
        title=c.title,
        section=c.article,
        basis=_basis(c.id, cat),
        href=f"/v1/knowledge/digest?id={quote(c.id)}",
    )
