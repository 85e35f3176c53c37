"""Core value types of a conversation turn.

Chinese terms: 法条 (article), 引用 (citation), 答复 (answer).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class Status(StrEnum):
    """How a turn ended. Every status has a user-facing message in knowledge/statuses.yaml."""

    ANSWERED = "answered"
    ANSWERED_EXTRACTIVE = "answered_extractive"  # the model's draft failed the grounding check
    NO_ANSWER = "no_answer"  # nothing relevant was retrieved
    INVALID_INPUT = "invalid_input"
    MODEL_UNAVAILABLE = "model_unavailable"
    REFUSED_INJECTION = "refused_injection"  # prompt-injection / jailbreak attempt (guardrails)
    REFUSED_SENSITIVE = "refused_sensitive"  # a listed sensitive word in the question (guardrails)
    OUT_OF_SCOPE = "out_of_scope"  # not about enterprise registration (router)
    SMALLTALK = "smalltalk"  # greeting, thanks, "who are you" (router)
    HANDED_OFF = "handed_off"  # the applicant asked for a person: a hand-off ticket was opened
    COMPLAINT_RECEIVED = "complaint_received"  # a complaint or feedback was recorded as a ticket
    REGISTRATION = "registration"  # wants to start or continue an application (form filling)
    DOCUMENT_UPLOAD = "document_upload"  # wants to upload a document photo / scan
    FORM_FILLING = "form_filling"  # a form-filling turn: values recorded, the next missing fields asked
    FORM_COMPLETE = "form_complete"  # every required field is filled: full check, form and confirmation sheet
    CONFIRMED = "confirmed"  # the applicant confirmed and the submission was recorded
    REFERRED = "referred"  # another agency's matter (tax, social insurance, visas …): its name and channel


class Chunk(BaseModel):
    """A unit of the knowledge base: one article of a law, one section of a guide, one FAQ entry or complaint record."""

    id: str
    text: str
    source: str  # short name, e.g. 公司法
    title: str  # full title, e.g. 中华人民共和国公司法
    article: str = ""  # e.g. 第四十七条; empty for guides
    chapter: str = ""  # 编 / 章 of a law article, e.g. "第三章 有限责任公司的设立和组织机构"
    section: str = ""  # 节 within the chapter, when the law has sections
    version: str = ""  # promulgation / revision date, YYYY-MM-DD, when known
    status: Literal["current", "superseded"] = "current"
    kind: Literal["law", "guide", "faq", "complaint"] = "law"
    content_hash: str = ""
    doc: str = ""  # the source document's key (e.g. laws/公司法(2023-12-29).md); re-ingestion prunes by it

    def metadata(self) -> dict[str, str]:
        return {
            "source": self.source,
            "title": self.title,
            "article": self.article,
            "chapter": self.chapter,
            "section": self.section,
            "version": self.version,
            "status": self.status,
            "kind": self.kind,
            "content_hash": self.content_hash,
            "doc": self.doc,
        }


class Passage(BaseModel):
    """A retrieved chunk with its scores."""

    chunk: Chunk
    score: float = 0.0  # fused score (higher is better)
    dense: float | None = None  # cosine similarity, when the dense retriever saw it
    lexical: float | None = None
    basis_of: str | None = None  # set on an article brought along by the guide / FAQ passage with this id

    @property
    def label(self) -> str:
        return f"《{self.chunk.source}》{self.chunk.article}".strip()


class Citation(BaseModel):
    """One numbered citation shown under an answer: [n] → source, article, quoted text."""

    n: int
    source: str
    article: str
    quote: str
    title: str = ""
    version: str = ""


class Answer(BaseModel):
    text: str
    citations: list[Citation] = Field(default_factory=list)
    status: Status = Status.ANSWERED


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class TurnResult(BaseModel):
    session_id: str
    status: Status
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    message_id: int | None = None  # the stored assistant message (feedback refers to it)
    route: str = ""  # the router's label for the turn (policy, registration, handoff, ...)
    question: str = ""  # the standalone question the turn answered (after follow-up rewriting)
    draft: dict | None = None  # form filling: the session's Application draft after this turn
    missing_fields: list[dict] = Field(default_factory=list)  # form filling: [{field, label, question}]
    decision: dict | None = None  # form filling: the approval engine's Decision once the form is complete
    degraded: list[str] = Field(default_factory=list)  # parts the turn did without: chat, embedder, index
    notice: str = ""  # what the applicant is told about a degraded answer (also appended to the answer)
