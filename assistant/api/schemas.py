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


class ChatResponse(BaseModel):
    session_id: str
    status: Status
    answer: str
    citations: list[Citation]
    timings_ms: dict[str, float] = Field(default_factory=dict)
    message_id: int | None = Field(default=None, description="The stored answer; feedback refers to it")
    route: str = Field(default="", description="Router label: policy, registration, upload, handoff, ...")
    question: str = Field(default="", description="The standalone question answered (follow-ups rewritten)")


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
