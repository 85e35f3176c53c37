"""Request and response bodies of the /v1 routes (see shared/contracts/README.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.approval.model import Application, Decision
from assistant.domain import Citation, Status


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    message: str = Field(max_length=20000, description="The applicant's question, as typed")
    lang: Literal["zh", "en", "yue", "auto"] | None = None


class MissingField(BaseModel):
    field: str = Field(description="Draft field key, e.g. phone, supervisor, people.p2.id_number")
    label: str = Field(description="What the field is, in the applicant's language")
    question: str = Field(description="The question the assistant asks for it")


class ChatResponse(BaseModel):
    session_id: str
    status: Status
    answer: str
    citations: list[Citation]
    timings_ms: dict[str, float] = Field(default_factory=dict)
    message_id: int | None = Field(default=None, description="The stored answer; feedback refers to it")
    route: str = Field(default="", description="Router label: policy, registration, upload, handoff, ...")
    question: str = Field(default="", description="The standalone question answered (follow-ups rewritten)")
    draft: Application | None = Field(default=None, description="Form filling: the session's Application draft")
    missing_fields: list[MissingField] = Field(
        default_factory=list, description="Form filling: required fields still missing, in the order asked"
    )
    decision: Decision | None = Field(
        default=None, description="Form filling: the full check once the form is complete"
    )
    degraded: list[Literal["chat", "embedder", "index"]] = Field(
        default_factory=list,
        description="Parts this answer was given without (docs/trust/degradation.md): chat = retrieval-only answer "
        "(status model_unavailable); embedder / index = keyword (BM25) search only",
    )
    notice: str = Field(default="", description="The applicant-facing note on a degraded answer (also in answer)")


class SubmissionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    application: Application
    confirmed: bool = Field(description="The applicant confirmed the confirmation sheet (简明信息核对表)")


class SubmissionResponse(BaseModel):
    receipt: str = Field(description="Hash of the record in the tamper-evident log")
    status: Literal["submitted", "submitted_for_review"]
    decision: Decision


class HealthResponse(BaseModel):
    status: Literal["ok", "starting", "error"]
    models: dict[str, str]
    index_chunks: int
    load_seconds: dict[str, float]


class ErrorResponse(BaseModel):
    code: str
    message: str
    field: str | None = None


class DraftField(BaseModel):
    field: str = Field(
        description="Draft field key (PATCH accepts it, or an Application path such as shareholders.0.name)"
    )
    label: str
    display: str = Field(description="The value as shown (ID and phone numbers partly masked)")
    state: Literal["filled", "missing", "needs_check"]
    source: str = Field(description="message:<id> | document:<name> | derived | default | edit")
    confidence: float
    typed: bool = Field(description="The applicant stated this value (not derived or a default)")
    note: str = Field(default="", description="Why it needs a check, or the question for a missing field")


class DraftResponse(BaseModel):
    session_id: str
    status: Literal["filling", "complete", "confirmed"]
    application: Application
    fields: list[DraftField]
    missing_fields: list[MissingField]
    decision: Decision | None = None
    submission: dict | None = Field(default=None, description="The receipt once confirmed")
    documents: dict[str, str] = Field(default_factory=dict, description="Links to the rendered documents")


class DraftEditRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(max_length=80, description="Draft key or Application path, e.g. phone, shareholders.1.name")
    value: str | float | int = Field(description="The new value as the applicant would type it (10万, 13800138000)")


class ConfirmResponse(SubmissionResponse):
    session_id: str
