"""/v1/staff: login and the hand-off queue (工单); and the applicant's POST /v1/sessions/{id}/handoff.
Thin routes over the Assistant; every staff action is audited by the service."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from assistant.api.limits import client_ip
from assistant.api.roles import PUBLIC, bearer, require_account, require_staff
from assistant.api.schemas import ChatResponse, ErrorResponse
from assistant.service import MAX_STAFF_TEXT, Assistant
from assistant.store.staff import MAX_PASSWORD, StaffUser
from assistant.store.tickets import TicketDetail, TicketSummary

ERRORS: dict[int | str, dict] = {
    401: {"model": ErrorResponse},
    403: {"model": ErrorResponse},
    404: {"model": ErrorResponse},
    409: {"model": ErrorResponse},
    422: {"model": ErrorResponse},
}
TICKET_ID = Path(ge=1, le=2**31 - 1, description="The ticket number")


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=32)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD)


class LoginResponse(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`")
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    staff: str


class StaffInfo(BaseModel):
    id: int
    name: str
    roles: list[str] = Field(default=["staff"], description="staff and/or evaluator")


class AuditEntry(BaseModel):
    seq: int
    kind: str = Field(description="decision | submission | confirmation | staff | procedure_warning | ...")
    created_at: str
    payload: Any = Field(description="The record (personal numbers masked for display; the hash covers the original)")
    hash: str
    prev_hash: str


class AuditVerification(BaseModel):
    ok: bool
    records: int
    first_bad_seq: int | None = None
    reason: str = ""


class AuditPage(BaseModel):
    total: int
    offset: int
    limit: int
    entries: list[AuditEntry]
    verification: AuditVerification = Field(description="`daoban audit verify`: the whole chain, checked now")


def _masked(value: Any) -> Any:
    from assistant.guardrails import pii

    if isinstance(value, str):
        return pii.mask(value)[0]
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    return value


class ReplyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_STAFF_TEXT, description="Shown to the applicant in the chat")


class ReplyResponse(BaseModel):
    message_id: int
    ticket: TicketDetail


class CloseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=MAX_STAFF_TEXT, description="Internal closing note")


class HandoffRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=2000, description="What the applicant wants help with (optional)")
    lang: Literal["zh", "en"] | None = None


def build_staff_router(get_service: Callable[[], Assistant]) -> APIRouter:
    router = APIRouter(prefix="/v1/staff", tags=["staff"])

    @router.post(
        "/login",
        response_model=LoginResponse,
        responses={**ERRORS, 429: {"model": ErrorResponse}},
        dependencies=[PUBLIC],
    )
    def login(req: LoginRequest, request: Request) -> LoginResponse:
        """Exchange a staff name and password for a bearer token (expires after DAOBAN_STAFF_TOKEN_HOURS).
        Too many failures for the account or from the client IP lock it out for a while: 429 + Retry-After."""
        settings = getattr(request.app.state, "settings", None)
        proxies = settings.trusted_proxies if settings is not None else []
        headers = {k.lower(): v for k, v in request.headers.items()}
        client = client_ip(request.scope, headers, proxies)
        t = get_service().staff_login(req.name, req.password, client=client)
        return LoginResponse(token=t.token, expires_at=t.expires_at, staff=t.staff.name)

    @router.post("/logout", status_code=204, responses=ERRORS)
    def logout(staff: StaffUser = Depends(require_account), creds=Depends(bearer)) -> Response:
        get_service().staff.logout(creds.credentials)
        return Response(status_code=204)

    @router.get("/me", response_model=StaffInfo, responses=ERRORS)
    def me(staff: StaffUser = Depends(require_account)) -> StaffInfo:
        """Any staff account (staff or evaluator): who the token belongs to and its roles."""
        return StaffInfo(id=staff.id, name=staff.name, roles=list(staff.roles))

    @router.get("/audit", response_model=AuditPage, responses=ERRORS)
    def audit(
        offset: int = Query(0, ge=0, le=2**31 - 1),
        limit: int = Query(50, ge=1, le=500),
        kind: str | None = Query(None, max_length=32, pattern=r"^[a-z_]+$", description="One kind of record"),
        staff: StaffUser = Depends(require_staff),
    ) -> AuditPage:
        """The hash-chained audit log, newest first, with the verification of the whole chain (as
        `daoban audit verify`). Personal numbers in the records are masked for display."""
        log = get_service().audit
        total, rows = log.entries(offset=offset, limit=limit, kind=kind)
        v = log.verify()
        entries = []
        for r in rows:
            try:
                payload: Any = json.loads(r.payload)
            except ValueError:
                payload = r.payload
            entries.append(
                AuditEntry(
                    seq=r.seq,
                    kind=r.kind,
                    created_at=r.created_at,
                    payload=_masked(payload),
                    hash=r.hash,
                    prev_hash=r.prev_hash,
                )
            )
        verification = AuditVerification(ok=v.ok, records=v.records, first_bad_seq=v.first_bad_seq, reason=v.reason)
        return AuditPage(total=total, offset=offset, limit=limit, entries=entries, verification=verification)

    @router.get("/tickets", response_model=list[TicketSummary], responses=ERRORS)
    def tickets(
        status: Literal["open", "claimed", "closed", "active", "all"] = Query(
            "active", description="active: open and claimed"
        ),
        staff: StaffUser = Depends(require_staff),
    ) -> list[TicketSummary]:
        """The hand-off queue, most recently updated first."""
        return get_service().tickets.find(None if status == "all" else status)

    @router.get("/tickets/{ticket_id}", response_model=TicketDetail, responses=ERRORS)
    def ticket(ticket_id: int = TICKET_ID, staff: StaffUser = Depends(require_staff)) -> TicketDetail:
        """One ticket: reasons, the session's transcript (masked), the draft and its failed checks."""
        return get_service().ticket(ticket_id)

    @router.post("/tickets/{ticket_id}/claim", response_model=TicketDetail, responses=ERRORS)
    def claim(ticket_id: int = TICKET_ID, staff: StaffUser = Depends(require_staff)) -> TicketDetail:
        """Take the ticket (409 when another staff member holds it or it is closed)."""
        return get_service().claim_ticket(ticket_id, staff.name)

    @router.post("/tickets/{ticket_id}/reply", response_model=ReplyResponse, responses=ERRORS)
    def reply(
        req: ReplyRequest,
        ticket_id: int = TICKET_ID,
        staff: StaffUser = Depends(require_staff),
    ) -> ReplyResponse:
        """Post a reply into the applicant's session (role "staff"); 409 once the ticket is closed."""
        t, message_id = get_service().reply_ticket(ticket_id, staff.name, req.text)
        return ReplyResponse(message_id=message_id, ticket=t)

    @router.post("/tickets/{ticket_id}/close", response_model=TicketDetail, responses=ERRORS)
    def close(
        req: CloseRequest | None = None,
        ticket_id: int = TICKET_ID,
        staff: StaffUser = Depends(require_staff),
    ) -> TicketDetail:
        return get_service().close_ticket(ticket_id, staff.name, req.note if req else "")

    return router


def build_handoff_router(get_service: Callable[[], Assistant]) -> APIRouter:
    router = APIRouter(tags=["chat"])

    @router.post(
        "/v1/sessions/{session_id}/handoff",
        response_model=ChatResponse,
        responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    )
    def handoff(
        req: HandoffRequest | None = None,
        session_id: str = Path(max_length=64, pattern=r"^[A-Za-z0-9_-]+$"),
    ) -> ChatResponse:
        """转人工: ask for a person. Opens the session's ticket (or adds to its open one); the reply names it."""
        r = get_service().handoff(session_id, req.reason if req else "", req.lang if req else None)
        return ChatResponse(**r.model_dump())

    return router
