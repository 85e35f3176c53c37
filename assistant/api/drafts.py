"""Session-bound form filling routes: the draft, inline edits, the explicit confirmation and the rendered documents.

GET /v1/sessions/{id}/draft · PATCH /v1/sessions/{id}/draft {field, value} · POST /v1/sessions/{id}/confirm ·
GET /v1/sessions/{id}/documents/{form|confirmation|articles}?format=html|pdf
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Request, Response

from assistant.api.schemas import ConfirmResponse, DraftEditRequest, DraftResponse, ErrorResponse

if TYPE_CHECKING:
    from assistant.filling.step import DraftView
    from assistant.service import Assistant

KINDS = ("form", "confirmation", "articles")


def _lang(request: Request, lang: str | None) -> str:
    if lang:
        return "en" if lang.lower().startswith("en") else "zh"
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "zh"


def _response(view: DraftView) -> DraftResponse:
    base = f"/v1/sessions/{view.session_id}/documents"
    kinds = [k for k in KINDS if k != "articles" or view.application.entity_type == "有限责任公司"]
    return DraftResponse(
        session_id=view.session_id,
        status=view.status,  # type: ignore[arg-type]
        application=view.application,
        fields=view.fields,  # type: ignore[arg-type]
        missing_fields=view.missing,  # type: ignore[arg-type]
        decision=view.decision,
        submission=view.submission,
        documents={k: f"{base}/{k}?format=html" for k in kinds} if view.application.entity_type else {},
    )


def build_draft_router(svc: Callable[[], Assistant]) -> APIRouter:
    router = APIRouter(prefix="/v1/sessions", tags=["form filling"])
    errors: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}

    @router.get("/{session_id}/draft", response_model=DraftResponse, responses=errors)
    def get_draft(session_id: str, request: Request, lang: str | None = None) -> DraftResponse:
        """The session's application draft: the Application, every field with its state (filled / missing /
        needs_check), source and confidence, what is still missing, and the approval engine's decision."""
        return _response(svc().draft(session_id, _lang(request, lang)))

    @router.patch("/{session_id}/draft", response_model=DraftResponse, responses=errors)
    def edit_draft(session_id: str, body: DraftEditRequest, request: Request, lang: str | None = None) -> DraftResponse:
        """An inline edit from the form panel, recorded as the applicant's correction. ``field`` is a draft key
        (phone, proposed_name, people.p2.id_number) or an Application path (shareholders.1.contribution_wan,
        supervisor.name); ``value`` is parsed as typed (10万, 13800138000). A value that does not fit is a 422."""
        return _response(svc().edit_draft(session_id, body.field, body.value, _lang(request, lang)))

    @router.post("/{session_id}/confirm", response_model=ConfirmResponse, responses=errors)
    def confirm(session_id: str, request: Request, lang: str | None = None) -> ConfirmResponse:
        """The applicant's explicit confirmation of the confirmation sheet: the complete draft is submitted and
        recorded (receipt = hash in the audit log). Incomplete or blocked applications are a 422 naming why."""
        return ConfirmResponse(**svc().confirm(session_id, _lang(request, lang)))

    @router.get(
        "/{session_id}/documents/{kind}",
        responses={200: {"content": {"text/html": {}, "application/pdf": {}}}, **errors},
    )
    def document(
        session_id: str, kind: Literal["form", "confirmation", "articles"], format: Literal["html", "pdf"] = "html"
    ) -> Response:
        """The session draft's standard form, confirmation sheet (简明信息核对表) or articles of association."""
        body = svc().draft_document(session_id, kind, format)
        media = "application/pdf" if format == "pdf" else "text/html; charset=utf-8"
        return Response(content=body, media_type=media)

    return router
