"""Tamper-evident record of decisions and confirmed submissions: an append-only, hash-chained log.

Each record stores the SHA-256 of (previous hash + canonical JSON of its payload). Verification walks
the chain; any edited, inserted, reordered or deleted record breaks it at that point.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from assistant.store.db import begin_write, make_engine

GENESIS = "0" * 64


class _Base(DeclarativeBase):
    pass


class AuditRow(_Base):
    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


def canonical(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def chain_hash(prev: str, seq: int, kind: str, created_at: str, payload: str) -> str:
    return hashlib.sha256(f"{prev}|{seq}|{kind}|{created_at}|{payload}".encode()).hexdigest()


def append_row(db: Session, kind: str, payload: dict) -> str:
    """Append one record inside the caller's transaction (which holds the write lock: begin_write, or a write
    before this); returns its hash. Purging uses it so the deletions and their record commit together."""
    body = canonical(payload)
    last = db.scalars(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).first()
    seq = (last.seq + 1) if last else 1
    prev = last.hash if last else GENESIS
    now = datetime.now(UTC).isoformat()
    h = chain_hash(prev, seq, kind, now, body)
    db.add(AuditRow(seq=seq, kind=kind, created_at=now, payload=body, prev_hash=prev, hash=h))
    return h


@dataclass
class Verification:
    ok: bool
    records: int
    first_bad_seq: int | None = None
    reason: str = ""


class AuditLog:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        _Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine)
        self._lock = threading.Lock()

    def append(self, kind: str, payload: dict) -> str:
        """Append one record; returns its hash (a receipt the caller can keep)."""
        with self._lock, self._sessions.begin() as db:
            begin_write(db)  # another process (the CLI) appending at the same moment waits instead of forking
            return append_row(db, kind, payload)

    def entries(self, offset: int = 0, limit: int = 50, kind: str | None = None) -> tuple[int, list[AuditRow]]:
        """(total, rows): one page of the log, newest first; ``kind`` keeps one kind of record."""
        from sqlalchemy import func

        with self._sessions() as db:
            q = select(AuditRow)
            count = select(func.count()).select_from(AuditRow)
            if kind:
                q, count = q.where(AuditRow.kind == kind), count.where(AuditRow.kind == kind)
            total = int(db.scalar(count) or 0)
            rows = list(db.scalars(q.order_by(AuditRow.seq.desc()).offset(offset).limit(limit)))
            db.expunge_all()
        return total, rows

    def verify(self) -> Verification:
        prev, n = GENESIS, 0
        with self._sessions() as db:
            for row in db.scalars(select(AuditRow).order_by(AuditRow.seq)):
                n += 1
                if row.seq != n:
                    return Verification(False, n - 1, row.seq, f"record {n} is missing")
                if row.prev_hash != prev:
                    return Verification(False, n - 1, row.seq, "link to the previous record is broken")
                if chain_hash(prev, row.seq, row.kind, row.created_at, row.payload) != row.hash:
                    return Verification(False, n - 1, row.seq, "content does not match its hash")
                prev = row.hash
        return Verification(True, n)
