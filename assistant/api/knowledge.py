"""/v1/knowledge: the staff law browser, search and policy digests (一键获取政策要点). Thin routes over the
KnowledgeBase; errors follow the app's pattern (422 naming the field, 404 with suggestions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from assistant.api.schemas import ErrorResponse
from assistant.policy import KnowledgeBase, knowledge_for
from assistant.policy.models import ArticleView, Digest, LawArticles, LawInfo, SearchResults
from assistant.service import Assistant


class LookupErrorResponse(BaseModel):
    code: str  # not_found | ambiguous | superseded
    message: str
    field: str | None = None
    suggestions: list[str] = []


ERRORS: dict[int | str, dict] = {404: {"model": LookupErrorResponse}, 422: {"model": ErrorResponse}}
HISTORY = Query(False, description="Also show superseded editions (always labelled 已失效 with the current one named)")
VERSION = Query(None, description="An edition: its date (2018-10-26) or id (公司法(2018-10-26)); default current")


def build_knowledge_router(get_service: Callable[[], Assistant]) -> APIRouter:
    router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"])

    def kb() -> KnowledgeBase:
        return knowledge_for(get_service())

    @router.get("/laws", response_model=list[LawInfo])
    def laws(include_superseded: bool = HISTORY) -> list[LawInfo]:
        """Every law in the index: short name, title, version date, status, article count, chapters."""
        return kb().laws(include_superseded=include_superseded)

    @router.get("/laws/{law}/articles", response_model=LawArticles, responses=ERRORS)
    def law_articles(law: str, include_superseded: bool = HISTORY, version: str | None = VERSION) -> LawArticles:
        """The articles of one law in order, grouped by chapter. ``law`` may be a short name, a full title,
        an alias (市场主体登记条例) or an edition id."""
        return kb().law_articles(law, include_superseded=include_superseded, version=version)

    @router.get("/laws/{law}/articles/{article}", response_model=ArticleView, responses=ERRORS)
    def law_article(
        law: str, article: str, include_superseded: bool = HISTORY, version: str | None = VERSION
    ) -> ArticleView:
        """One article: ``article`` as 第四十七条, 第47条, 47 or 47之1."""
        return kb().article(law, article, include_superseded=include_superseded, version=version)

    @router.get("/search", response_model=SearchResults, responses=ERRORS)
    def search(
        q: str = Query(min_length=1, max_length=200, description="Words, or a reference such as 公司法第47条"),
        kind: list[str] | None = Query(None, description="law | guide | faq | complaint; repeat or comma-separate"),
        status: Literal["current", "all"] = Query("current", description="all: superseded editions too"),
        law: str | None = Query(None, description="Only this law (and guide / FAQ sections resting on it)"),
        k: int = Query(10, ge=1, le=50),
    ) -> SearchResults:
        """Ranked hits with a snippet and the matched terms; an article reference is looked up first."""
        kinds = [part.strip() for value in kind or [] for part in value.split(",") if part.strip()]
        return kb().search(q, kinds=kinds or None, status=status, law=law, k=k)

    @router.get("/digest", response_model=Digest, responses=ERRORS)
    def digest(
        law: str | None = Query(None, description="With article: the law"),
        article: str | None = Query(None, description="With law: the article, e.g. 第四十七条 or 47"),
        id: str | None = Query(None, description="Or a chunk id: an article, guide section or FAQ entry"),
        summary: bool = Query(False, description="Also the model's plain-language summary (slow on CPU; cached)"),
        include_superseded: bool = HISTORY,
        version: str | None = VERSION,
    ) -> Digest:
        """一键获取政策要点: key points at once, the service steps resting on the article, and with
        ``summary=true`` a grounded plain-language summary (dropped if it names a number the article lacks)."""
        return kb().digest(
            law=law,
            article=article,
            chunk_id=id,
            summary=summary,
            include_superseded=include_superseded,
            version=version,
        )

    return router
