"""Conversation store: one row per chat session, one per message. SQLite by default (WAL mode)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import JSON, DateTime, Engine, ForeignKey, Integer, String, Text, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from assistant.domain import ChatMessage, Citation
from assistant.errors import NotFoundError
from assistant.guardrails import pii


def utc_now() -> datetime:
    """Timestamps for every store's rows (timezone-aware UTC)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class ChatSessionRow(Base):
    __tablename__ = "chat_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, onupdate=utc_now)


class MessageRow(Base):
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), default="")
    citations: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite, the folder is created and WAL + busy timeout are set."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, pool_pre_ping=True)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()

    return engine


class SessionStore:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def open_session(self, session_id: str | None, lang: str = "zh") -> str:
        with self._sessions.begin() as db:
            if session_id:
                if db.get(ChatSessionRow, session_id) is None:
                    raise NotFoundError(
                        f"会话 {session_id} 不存在或已过期，请开始新的会话。",
                        f"Session {session_id} does not exist; start a new one.",
                        field="session_id",
                    )
                return session_id
            new_id = uuid.uuid4().hex
            db.add(ChatSessionRow(id=new_id, lang=lang))
            return new_id

    def exists(self, session_id: str) -> bool:
        with self._sessions() as db:
            return db.get(ChatSessionRow, session_id) is not None

    def add_message(
        self,
        session_id: str,
        role: str,
        content: str,
        status: str = "",
        citations: list[Citation] | None = None,
    ) -> int:
        """Store one message; returns its id. Roles: user, assistant, staff (a person replying in the session)."""
        with self._sessions.begin() as db:
            msg = MessageRow(
                session_id=session_id,
                role=role,
                content=content,
                status=status,
                citations=[json.loads(c.model_dump_json()) for c in citations or []],
            )
            db.add(msg)
            row = db.get(ChatSessionRow, session_id)
            if row is not None:
                row.updated_at = utc_now()
            db.flush()
            return msg.id

    def history(self, session_id: str, limit: int = 20) -> list[ChatMessage]:
        with self._sessions() as db:
            rows = db.scalars(
                select(MessageRow)
                .where(MessageRow.session_id == session_id)
                .order_by(MessageRow.id.desc())
                .limit(limit)
            ).all()
        # a staff reply is the service's side of the conversation, as an assistant turn is; it is stored as
        # written (the applicant sees it), so personal numbers in it are masked before the model sees them
        return [
            ChatMessage(role="assistant", content=pii.mask(r.content)[0])
            if r.role == "staff"
            else ChatMessage(role=r.role, content=r.content)  # type: ignore[arg-type]
            for r in reversed(rows)
        ]

    def messages(self, session_id: str, after_id: int = 0) -> list[dict]:
        """The session's messages in order (only those after ``after_id``, for polling)."""
        with self._sessions() as db:
            rows = db.scalars(
                select(MessageRow)
                .where(MessageRow.session_id == session_id, MessageRow.id > after_id)
                .order_by(MessageRow.id)
            ).all()
            return [
                {
                    "id": r.id,
                    "role": r.role,
                    "content": r.content,
                    "status": r.status,
                    "citations": r.citations,
                    "created_at": (r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=UTC)).isoformat(
                        timespec="seconds"
                    ),
                }
                for r in rows
            ]

    def ping(self) -> bool:
        with Session(self.engine) as db:
            db.execute(select(1))
        return True
