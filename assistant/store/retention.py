"""Retention (保存期限) and purging: `daoban purge [--dry-run] [--json]`.

Two clocks (settings; 0 = keep forever):
* ``retention_days_transcripts``: a session whose last message is older loses its messages (typed, spoken and
  upload turns) and the feedback on them; the session row goes too once it has no draft left.
* ``retention_days_drafts``: a draft whose last change is older is deleted (a confirmed application's submission
  and receipt stay in the audit log, which is never purged: it is the legal record and a hash chain).

Hand-off and complaint tickets survive a session purge (they are the staff's record of the case: reasons, failed
checks, assignee, note), but the personal copies they hold are emptied on the same clocks: a closed ticket's
transcript copy once its last update is past the transcript horizon, its draft copy once past the draft horizon.
A session with a ticket that is not closed is not purged at all: a person is still working on it.

One purge is one SQLite transaction that takes the write lock first (BEGIN IMMEDIATE), deletes, and appends one
``purge`` record with the counts and horizons (never content) to the audit chain; a crash leaves all or nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from assistant.store.audit import AuditLog, append_row
from assistant.store.db import ChatSessionRow, MessageRow, SessionStore, begin_write, utc_now
from assistant.store.drafts import DraftRow, DraftStore
from assistant.store.feedback import FeedbackRow, FeedbackStore, StaffSessionRow
from assistant.store.tickets import TicketRow, TicketStore


@dataclass
class PurgeReport:
    """What a purge deleted (or, with dry_run, would delete): counts only."""

    dry_run: bool
    transcripts_before: str | None  # ISO horizon; None = transcripts kept forever
    drafts_before: str | None
    sessions: int = 0
    messages: int = 0
    drafts: int = 0
    feedback: int = 0
    ticket_transcripts: int = 0
    ticket_drafts: int = 0
    audit_receipt: str = ""  # the purge record's hash (empty on a dry run)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def horizon(days: int, now: datetime) -> datetime | None:
    return now - timedelta(days=days) if days > 0 else None


def purge(
    url: str,
    *,
    transcripts_days: int,
    drafts_days: int,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeReport:
    """Delete what is past retention in the database at ``url``; see the module doc for the rules."""
    now = now or utc_now()
    t_before, d_before = horizon(transcripts_days, now), horizon(drafts_days, now)
    store = SessionStore(url)
    for make in (DraftStore, TicketStore, FeedbackStore, AuditLog):  # a fresh database gets every table
        make(url)
    report = PurgeReport(
        dry_run=dry_run,
        transcripts_before=t_before.isoformat() if t_before else None,
        drafts_before=d_before.isoformat() if d_before else None,
    )
    with sessionmaker(store.engine)() as db:
        if not dry_run:
            begin_write(db)  # nothing the selection reads can change until the commit
        held = set(db.scalars(select(TicketRow.session_id).where(TicketRow.status != "closed")))
        old_sessions = _ids(db, ChatSessionRow.id, ChatSessionRow.updated_at, t_before, held)
        old_drafts = _ids(db, DraftRow.session_id, DraftRow.updated_at, d_before, held)
        with_draft = set(db.scalars(select(DraftRow.session_id))) - set(old_drafts)
        gone = [s for s in old_sessions if s not in with_draft]  # no messages and no draft left: the session goes
        report.messages = _count(db, MessageRow.session_id, old_sessions)
        report.feedback = _count(db, FeedbackRow.session_id, old_sessions)
        report.drafts, report.sessions = len(old_drafts), len(gone)
        closed = list(db.scalars(select(TicketRow).where(TicketRow.status == "closed")))
        redact_t = [t for t in closed if t_before is not None and _aware(t.updated_at) < t_before and t.transcript]
        redact_d = [t for t in closed if d_before is not None and _aware(t.updated_at) < d_before and t.draft]
        report.ticket_transcripts, report.ticket_drafts = len(redact_t), len(redact_d)
        if dry_run:
            return report
        for chunk in _chunks(old_sessions):
            db.execute(delete(FeedbackRow).where(FeedbackRow.session_id.in_(chunk)))
            db.execute(delete(MessageRow).where(MessageRow.session_id.in_(chunk)))
        for chunk in _chunks(old_drafts):
            db.execute(delete(DraftRow).where(DraftRow.session_id.in_(chunk)))
        for chunk in _chunks(gone):
            db.execute(delete(StaffSessionRow).where(StaffSessionRow.session_id.in_(chunk)))
            db.execute(delete(ChatSessionRow).where(ChatSessionRow.id.in_(chunk)))
        for t in redact_t:
            t.transcript = []
        for t in redact_d:
            t.draft = None
        db.flush()
        counts = {k: v for k, v in report.as_dict().items() if k not in ("dry_run", "audit_receipt")}
        counts |= {"retention_days_transcripts": transcripts_days, "retention_days_drafts": drafts_days}
        report.audit_receipt = append_row(db, "purge", counts)
        db.commit()
    return report


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _ids(db: Session, col: Any, stamp: Any, before: datetime | None, held: set[str]) -> list[str]:
    if before is None:
        return []
    return [i for i in db.scalars(select(col).where(stamp < before)) if i not in held]


def _count(db: Session, col: Any, ids: list[str]) -> int:
    return sum(
        int(db.scalar(select(func.count()).select_from(col.class_).where(col.in_(chunk))) or 0)
        for chunk in _chunks(ids)
    )


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]
