"""Form drafts (申请表草稿), one per chat session, saved after every turn in the same database as the
conversation (SQLite by default). The draft is stored whole as JSON: fields with value / source / confidence /
state, the people named, and the history of changes; so a browser closed or a server restarted loses nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from assistant.filling.draft import FormDraft
from assistant.store.db import make_engine, utc_now


class _Base(DeclarativeBase):
    pass


class DraftRow(_Base):
    __tablename__ = "form_drafts"
    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(16), default="filling")
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped on every save
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, onupdate=utc_now)


class DraftStore:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        _Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def get(self, session_id: str) -> FormDraft | None:
        with self._sessions() as db:
            row = db.get(DraftRow, session_id)
            return FormDraft.model_validate(row.data) if row is not None else None

    def save(self, draft: FormDraft) -> int:
        """Insert or replace the session's draft; returns its new version."""
        with self._sessions.begin() as db:
            return self.write(db, draft)

    @staticmethod
    def write(db: Session, draft: FormDraft) -> int:
        """Insert or replace the draft inside the caller's transaction (a chat turn stores its messages and the
        draft together: SessionStore.add_messages); returns its new version."""
        data = draft.model_dump(mode="json")
        row = db.get(DraftRow, draft.session_id)
        if row is None:
            row = DraftRow(session_id=draft.session_id, data=data, version=0)
            db.add(row)
        row.data = data
        row.entity_type = str(draft.get("entity_type") or "")
        row.status = draft.status
        row.version = (row.version or 0) + 1
        row.updated_at = utc_now()
        db.flush()
        return row.version

    def delete(self, session_id: str) -> bool:
        with self._sessions.begin() as db:
            row = db.get(DraftRow, session_id)
            if row is None:
                return False
            db.delete(row)
            return True

    def sessions(self, status: str | None = None) -> list[str]:
        with self._sessions() as db:
            q = select(DraftRow.session_id).order_by(DraftRow.updated_at.desc())
            if status:
                q = q.where(DraftRow.status == status)
            return list(db.scalars(q).all())
