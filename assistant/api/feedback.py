"""Feedback on answers (applicant), and for staff: the knowledge-gap view, the internal chat with procedure
warnings, and the recorded warnings. Thin routes over the Assistant; every /v1/staff route requires a staff token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from assistant.api.roles import APPLICANT, PUBLIC, require_staff
from assistant.api.schemas import ErrorResponse
from assistant.policy.staff_chat import StaffTurnResult
from assistant.service import Assistant
from assistant.store.feedback import FeedbackRecord, KnowledgeGap, RecordedWarning
from assistant.store.staff import StaffUser

SESSION_ID = Field(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
ERRORS: dict[int | str, dict] = {404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}
STAFF_ERRORS: dict[int | str, dict] = {401: {"model": ErrorResponse}, **ERRORS}


def _lang(request: Request) -> str:
    return "en" if request.headers.get("accept-language", "zh").lower().startswith("en") else "zh"


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: str = SESSION_ID
    message_id: int = Field(ge=1, le=2**63 - 1, description="The answer's message_id from /v1/chat")
    vote: Literal["up", "down"]
    reason: str | None = Field(
        default=None,
        max_length=500,
        description="答非所问 | 信息有误 | 看不懂 | 没有依据 | 其他 (or its code), or free text",
    )
    comment: str | None = Field(
        default=None, max_length=2000, description="Free text (limit in knowledge/feedback.yaml)"
    )


class FeedbackReason(BaseModel):
    code: str
    zh: str
    en: str


class StaffChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(max_length=20000, description="A policy question, or an action to check (驳回 / 补交 …)")
    session_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    lang: Literal["zh", "en", "auto"] | None = None


def build_feedback_router(get_service: Callable[[], Assistant]) -> APIRouter:
    router = APIRouter()
    staff_only = [Depends(require_staff)]

    @router.post(
        "/v1/feedback", response_model=FeedbackRecord, responses=ERRORS, tags=["chat"], dependencies=[APPLICANT]
    )
    def feedback(req: FeedbackRequest, request: Request) -> FeedbackRecord:
        """👍 / 👎 on one answer of the session; a second vote on the same answer replaces the first."""
        return get_service().feedback(
            req.session_id, req.message_id, req.vote, req.reason, comment=req.comment, lang=_lang(request)
        )

    @router.get("/v1/feedback/reasons", response_model=list[FeedbackReason], tags=["chat"], dependencies=[PUBLIC])
    def reasons() -> list[FeedbackReason]:
        """The fixed reasons a 👎 may carry."""
        table = get_service().feedback_reasons.labels
        return [FeedbackReason(code=k, zh=v["zh"], en=v["en"]) for k, v in table.items()]

    @router.get(
        "/v1/staff/gaps",
        response_model=list[KnowledgeGap],
        responses=STAFF_ERRORS,
        tags=["staff"],
        dependencies=staff_only,
    )
    def gaps(
        only: Literal["all", "unanswered", "downvoted"] = Query("all"),
        limit: int = Query(50, ge=1, le=200),
    ) -> list[KnowledgeGap]:
        """知识缺口: unanswered and down-voted questions grouped by similar wording, newest first."""
        return get_service().knowledge_gaps(limit=limit, only=only)

    @router.post("/v1/staff/chat", response_model=StaffTurnResult, responses=STAFF_ERRORS, tags=["staff"])
    def staff_chat(req: StaffChatRequest, staff: StaffUser = Depends(require_staff)) -> StaffTurnResult:
        """内部问答: answers with every retrieved passage as a source (12345 tickets included) and procedure
        warnings when the message states an action the procedure does not support (recorded)."""
        return get_service().staff_ask(req.message, req.session_id, staff=staff.name, lang=req.lang)

    @router.get(
        "/v1/staff/warnings",
        response_model=list[RecordedWarning],
        responses=STAFF_ERRORS,
        tags=["staff"],
        dependencies=staff_only,
    )
    def warnings(
        limit: int = Query(50, ge=1, le=500),
        session_id: str | None = Query(None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$"),
    ) -> list[RecordedWarning]:
        """Procedure warnings raised in the staff chat, newest first."""
        return get_service().procedure_warnings(limit=limit, session_id=session_id)

    return router
