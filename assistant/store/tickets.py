"""Hand-off tickets (转人工工单): an applicant asked for a person, or made a complaint.

A ticket carries the session id, the reasons given, the (masked) transcript, the current draft and its failed
checks. At most one ticket per session is open or claimed at a time (a partial unique index holds it even
across processes); a further request adds its reason to that ticket. Lifecycle: open → claimed → closed.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from assistant.errors import DaobanError, NotFoundError, UserError
from assistant.store.db import make_engine, utc_now

TicketKind = Literal["handoff", "complaint"]
TicketState = Literal["open", "claimed", "closed"]
MAX_REASON = 2000


class ConflictError(DaobanError):
    """The request is valid but the ticket's state does not allow it (HTTP 409)."""

    code = "conflict"
    http_status = 409


def _aware(t: datetime | None) -> datetime | None:
    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t


class _Base(DeclarativeBase):
    pass


class TicketRow(_Base):
    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    transcript: Mapped[list] = mapped_column(JSON, default=list)
    draft: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    decision: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    failed_checks: Mapped[list] = mapped_column(JSON, default=list)
    assignee: Mapped[str | None] = mapped_column(String(32), nullable=True)
    replies: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (
        Index(
            "uq_tickets_one_active_per_session",
            "session_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
    )


class TicketReason(BaseModel):
    at: datetime
    kind: TicketKind
    text: str


class FailedCheck(BaseModel):
    rule: str
    severity: str
    field: str | None = None
    message: str


class TicketSummary(BaseModel):
    id: int
    session_id: str
    kind: TicketKind
    status: TicketState
    reason: str = Field(description="The latest reason given (empty: the 转人工 button without a reason)")
    requests: int = Field(description="How many times the applicant asked (one open ticket per session)")
    assignee: str | None = None
    replies: int = 0
    created_at: datetime
    updated_at: datetime


class TicketDetail(TicketSummary):
    lang: str = "zh"
    reasons: list[TicketReason]
    transcript: list[dict[str, Any]] = Field(description="The session's stored (masked) messages")
    draft: dict[str, Any] | None = Field(default=None, description="The current application draft, if any")
    decision: dict[str, Any] | None = Field(default=None, description="The last approval decision, if any")
    failed_checks: list[FailedCheck] = Field(default_factory=list)
    note: str = ""
    claimed_at: datetime | None = None
    closed_at: datetime | None = None


def _summary_fields(r: TicketRow) -> dict[str, Any]:
    reasons = r.reasons or []
    return {
        "id": r.id,
        "session_id": r.session_id,
        "kind": r.kind,
        "status": r.status,
        "reason": reasons[-1]["text"] if reasons else "",
        "requests": len(reasons),
        "assignee": r.assignee,
        "replies": r.replies,
        "created_at": _aware(r.created_at),
        "updated_at": _aware(r.updated_at),
    }


def _summary(r: TicketRow) -> TicketSummary:
    return TicketSummary(**_summary_fields(r))


def _detail(r: TicketRow) -> TicketDetail:
    return TicketDetail(
        **_summary_fields(r),
        lang=r.lang,
        reasons=r.reasons or [],
        transcript=r.transcript or [],
        draft=r.draft,
        decision=r.decision,
        failed_checks=r.failed_checks or [],
        note=r.note,
        claimed_at=_aware(r.claimed_at),
        closed_at=_aware(r.closed_at),
    )


def not_found(ticket_id: int) -> NotFoundError:
    return NotFoundError(f"工单 {ticket_id} 不存在。", f"Ticket {ticket_id} does not exist.", field="ticket_id")


class TicketStore:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        _Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._lock = threading.Lock()

    def open_or_add(
        self,
        session_id: str,
        kind: TicketKind,
        reason: str,
        *,
        lang: str = "zh",
        transcript: list[dict[str, Any]],
        draft: dict[str, Any] | None = None,
        decision: dict[str, Any] | None = None,
        failed_checks: list[dict[str, Any]] | None = None,
    ) -> tuple[TicketDetail, bool]:
        """Open a ticket for the session, or add the request to its active one. Returns (ticket, created)."""
        entry = {"at": utc_now().isoformat(), "kind": kind, "text": reason[:MAX_REASON]}
        for _ in range(3):  # a concurrent opener in another process wins the unique index: add to its ticket
            try:
                with self._lock, self._sessions.begin() as db:
                    row = self._active(db, session_id)
                    created = row is None
                    if row is None:
                        row = TicketRow(session_id=session_id, kind=kind, status="open", lang=lang, reasons=[])
                        db.add(row)
                    row.reasons = [*(row.reasons or []), entry]
                    row.transcript = transcript
                    if draft is not None or created:
                        row.draft = draft
                    if decision is not None or created:
                        row.decision = decision
                        row.failed_checks = failed_checks or []
                    row.updated_at = utc_now()
                    db.flush()
                    return _detail(row), created
            except IntegrityError:
                continue
        raise ConflictError("工单正在更新，请稍后再试。", "The ticket is being updated; please try again.")

    @staticmethod
    def _active(db: Any, session_id: str) -> TicketRow | None:
        return db.scalars(
            select(TicketRow).where(TicketRow.session_id == session_id, TicketRow.status != "closed")
        ).first()

    def active_for(self, session_id: str) -> TicketSummary | None:
        with self._sessions() as db:
            row = self._active(db, session_id)
            return _summary(row) if row is not None else None

    def find(self, status: str | None = None, limit: int = 200) -> list[TicketSummary]:
        """Newest first. ``status``: open | claimed | closed | active (open and claimed) | None (all)."""
        q = select(TicketRow).order_by(TicketRow.updated_at.desc(), TicketRow.id.desc()).limit(limit)
        if status == "active":
            q = q.where(TicketRow.status != "closed")
        elif status:
            q = q.where(TicketRow.status == status)
        with self._sessions() as db:
            return [_summary(r) for r in db.scalars(q)]

    def get(self, ticket_id: int) -> TicketDetail:
        with self._sessions() as db:
            row = db.get(TicketRow, ticket_id)
            if row is None:
                raise not_found(ticket_id)
            return _detail(row)

    def claim(self, ticket_id: int, staff: str) -> TicketDetail:
        with self._lock, self._sessions.begin() as db:
            row = self._row(db, ticket_id)
            self._not_closed(row)
            if row.assignee and row.assignee != staff:
                raise ConflictError(
                    f"工单 {ticket_id} 已由 {row.assignee} 认领。",
                    f"Ticket {ticket_id} is already claimed by {row.assignee}.",
                    field="ticket_id",
                )
            if row.assignee != staff:
                row.assignee, row.status, row.claimed_at = staff, "claimed", utc_now()
                row.updated_at = utc_now()
            return _detail(row)

    def check_replyable(self, ticket_id: int) -> TicketDetail:
        """The ticket, if a reply may be added to it (409 once closed)."""
        with self._sessions() as db:
            row = self._row(db, ticket_id)
            self._not_closed(row)
            return _detail(row)

    def record_reply(self, ticket_id: int, staff: str) -> TicketDetail:
        """Count a reply already stored in the session; an unclaimed ticket becomes the replier's."""
        with self._lock, self._sessions.begin() as db:
            row = self._row(db, ticket_id)
            row.replies += 1
            if not row.assignee and row.status == "open":
                row.assignee, row.status, row.claimed_at = staff, "claimed", utc_now()
            row.updated_at = utc_now()
            return _detail(row)

    def close(self, ticket_id: int, staff: str, note: str = "") -> TicketDetail:
        with self._lock, self._sessions.begin() as db:
            row = self._row(db, ticket_id)
            self._not_closed(row)
            row.status, row.closed_at, row.note = "closed", utc_now(), note
            row.assignee = row.assignee or staff
            row.updated_at = utc_now()
            return _detail(row)

    @staticmethod
    def _row(db: Any, ticket_id: int) -> TicketRow:
        row = db.get(TicketRow, ticket_id)
        if row is None:
            raise not_found(ticket_id)
        return row

    @staticmethod
    def _not_closed(row: TicketRow) -> None:
        if row.status == "closed":
            raise ConflictError(
                f"工单 {row.id} 已关闭，不能再操作；如申请人再次求助，会开启新工单。",
                f"Ticket {row.id} is closed; a new request from the applicant opens a new ticket.",
                field="ticket_id",
            )


def check_text(value: str, field: str, *, limit: int) -> str:
    """A staff-written text, stripped; empty or over ``limit`` characters is a 422."""
    value = (value or "").strip()
    if not value:
        raise UserError("内容不能为空。", "The text must not be empty.", field=field)
    if len(value) > limit:
        raise UserError(f"内容请控制在 {limit} 字以内。", f"The text is over the {limit}-character limit.", field=field)
    return value
