"""Response models of the staff law browser, search and policy digests (shared by API, CLI and UI)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from assistant.policy.keypoints import KeyPoint
from assistant.policy.summary import SummaryStatus

Kind = Literal["law", "guide", "faq", "complaint"]


class EditionRef(BaseModel):
    law: str = Field(description="Short name, e.g. 公司法")
    edition: str = Field(description="Edition id (source file stem), e.g. 公司法(2023-12-29)")
    title: str
    version: str = Field(description="Effective / promulgation date")


class StatusLabel(BaseModel):
    status: Literal["current", "superseded"]
    status_label: str = Field(description="现行有效 | 已失效")
    superseded_by: EditionRef | None = Field(default=None, description="The current edition, for superseded text")
    notice: str = Field(default="", description="已失效，现行为《…》 — shown with every superseded text")


class LawInfo(StatusLabel):
    law: str
    edition: str
    title: str
    version: str
    article_count: int
    chapters: list[str]


class ArticleBrief(BaseModel):
    id: str
    article: str
    preview: str


class ChapterGroup(BaseModel):
    chapter: str
    articles: list[ArticleBrief]


class LawArticles(BaseModel):
    law: LawInfo
    chapters: list[ChapterGroup]
    other_editions: list[LawInfo] = Field(default_factory=list, description="Only with include_superseded")


class BasisRef(BaseModel):
    """One article named in a guide / FAQ 依据 line."""

    law: str
    article: str
    id: str | None = Field(default=None, description="The article's chunk id when it is indexed")


class ServiceStep(BaseModel):
    """A guide section or FAQ entry (办事指南 / 常见问题) whose 依据 names the article."""

    id: str
    kind: Kind
    title: str
    section: str
    basis: list[BasisRef]
    href: str = Field(description="Its digest: /v1/knowledge/digest?id=…")


class ArticleView(StatusLabel):
    id: str
    law: str
    edition: str
    title: str
    article: str
    chapter: str
    version: str
    text: str
    previous: str | None = None
    next: str | None = None
    service_steps: int = Field(0, description="How many guide sections / FAQ entries rest on it (see the digest)")
    other_editions: list[ArticleView] = Field(default_factory=list, description="Only with include_superseded")


class SearchHit(StatusLabel):
    rank: int
    id: str
    kind: Kind
    law: str = Field(description="Law short name, or the guide / FAQ title")
    title: str
    article: str = Field(description="第X条, or the section heading / question")
    chapter: str
    version: str
    score: float
    match: Literal["reference", "search"] = Field(description="reference: the query named this article")
    snippet: str
    highlights: list[str] = Field(description="Query terms found in the text")
    spans: list[tuple[int, int]] = Field(description="Highlighted [start, end) offsets in the snippet")


class SearchResults(BaseModel):
    query: str
    kinds: list[Kind]
    status: Literal["current", "all"]
    law: str | None = None
    reference: str | None = Field(default=None, description="The article reference recognised in the query")
    hits: list[SearchHit]


class Digest(StatusLabel):
    """一键获取政策要点: key points (deterministic), the service steps, and an optional model summary."""

    id: str
    kind: Kind
    law: str
    title: str
    article: str
    version: str
    text: str
    key_points: list[KeyPoint]
    service_steps: list[ServiceStep] = Field(description="Guide sections / FAQ entries resting on this article")
    basis: list[BasisRef] = Field(description="For a guide / FAQ section: the articles it rests on")
    summary: str | None = Field(default=None, description="Plain-language summary; only with summary=true")
    summary_status: SummaryStatus = "not_requested"
    summary_note: str = ""
    summary_cached: bool = False
