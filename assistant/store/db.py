"""Conversation store: one row per chat session, one per message. SQLite by default (WAL mode)."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


def begin_write(db: Session) -> None:
    """Take SQLite's write lock at the start of ``db``'s transaction (BEGIN IMMEDIATE), so what it reads cannot
    change before it writes, even from another process; waits up to the busy timeout. Other databases: no-op."""
    if db.get_bind().dialect.name == "sqlite":
        db.connection().exec_driver_sql("BEGIN IMMEDIATE")


@dataclass(frozen=True)
class NewMessage:
    """A message to store (SessionStore.add_messages)."""

    role: str
    content: str
    status: str = ""
    citations: list[Citation] | None = None


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
            # FULL: every commit fsyncs the WAL, so a turn acknowledged to the client survives a power loss too
            # (NORMAL survives a killed process but may lose the last commits on power loss); see
            # docs/trust/crash-pii-retention.md
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()

        _serialise_writers(engine, url)
    return engine


# --- in-process writers take turns -------------------------------------------------------------------------------
# SQLite's busy handler polls (sleeps up to 100 ms between tries), so with 50 applicants' threads writing at once
# some writers kept losing the race and failed after the busy timeout (503 store_unavailable, eval/load_test.py,
# docs/trust/fuzz-and-load.md). The threads of this process therefore queue on a Python lock per database file
# before they take SQLite's write lock; the busy timeout is left for other processes (the CLI, a second server).
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")
WRITE_QUEUE_WAIT_S = 30.0  # then the writer gives up with "database is locked" (503 store_unavailable)
_write_locks: dict[str, threading.Lock] = {}  # a plain Lock: whichever thread returns the connection may release
_write_locks_guard = threading.Lock()
_HELD = "daoban_write_lock"


def _serialise_writers(engine: Engine, url: str) -> None:
    with _write_locks_guard:
        lock = _write_locks.setdefault(url, threading.Lock())

    @event.listens_for(engine, "before_cursor_execute")
    def _acquire(conn, _cursor, statement, _params, _context, _many):
        if conn.info.get(_HELD) or not statement.lstrip()[:16].upper().startswith(_WRITE_VERBS):
            return
        if not lock.acquire(timeout=WRITE_QUEUE_WAIT_S):
            raise sqlite3.OperationalError("database is locked (the process's other writers did not finish)")
        conn.info[_HELD] = True

    def _release(info: dict) -> None:
        if info.pop(_HELD, False):
            lock.release()

    event.listen(engine, "commit", lambda conn: _release(conn.info))
    event.listen(engine, "rollback", lambda conn: _release(conn.info))
    event.listen(engine.pool, "checkin", lambda _dbapi, record: _release(record.info) if record else None)


def ensure_column(engine: Engine, table: str, column: str, ddl: str) -> bool:
    """Add ``column`` to an existing ``table`` when it is missing (create_all never alters a table).

    ``ddl`` is the column's type and default, e.g. ``"VARCHAR(64) NOT NULL DEFAULT 'staff'"``. Returns True when
    the column was added. Names are checked against the table's own column list, never interpolated from input.
    """
    from sqlalchemy import inspect, text

    if not (table.isidentifier() and column.isidentifier()):
        raise ValueError(f"not an identifier: {table}.{column}")
    if column in {c["name"] for c in inspect(engine).get_columns(table)}:
        return False
    try:
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}"))
    except Exception:  # another process added it first
        if column not in {c["name"] for c in inspect(engine).get_columns(table)}:
            raise
        return False
    return True


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

    def add_messages(
        self,
        session_id: str,
        messages: Sequence[NewMessage],
        *,
        then: Callable[[Session, list[int]], None] | None = None,
    ) -> list[int]:
        """Store one turn's messages in ONE transaction and return their ids. ``then(db, ids)`` writes what refers
        to them (the draft whose values name the user message) inside the same transaction, so a crash leaves
        either the whole turn or nothing of it."""
        with self._sessions.begin() as db:
            rows = [
                MessageRow(
                    session_id=session_id,
                    role=m.role,
                    content=m.content,
                    status=m.status,
                    citations=[json.loads(c.model_dump_json()) for c in m.citations or []],
                )
                for m in messages
            ]
            db.add_all(rows)
            db.flush()  # the first INSERT opens the write transaction; everything below is inside it
            row = db.get(ChatSessionRow, session_id)
            if row is not None:
                row.updated_at = utc_now()
            ids = [r.id for r in rows]
            if then is not None:
                then(db, ids)
            return ids

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
