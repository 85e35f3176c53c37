"""Cache of the model-written policy summaries (政策要点), keyed by a hash of the article's content,
the prompt version and the model, so each article is summarised once. A summary that failed the
grounding check is cached too (status "rejected"): at temperature 0 the model would write it again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import String, Text, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from assistant.store.db import make_engine


class _Base(DeclarativeBase):
    pass


class SummaryRow(_Base):
    __tablename__ = "digest_summaries"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    chunk_id: Mapped[str] = mapped_column(String(300), index=True)
    model: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16))  # ok | rejected
    summary: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[str] = mapped_column(String(40))


@dataclass(frozen=True)
class CachedSummary:
    status: str
    summary: str
    reason: str
    model: str


class SummaryCache:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        _Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def get(self, key: str) -> CachedSummary | None:
        with self._sessions() as db:
            row = db.get(SummaryRow, key)
            if row is None:
                return None
            return CachedSummary(row.status, row.summary, row.reason, row.model)

    def put(self, key: str, *, chunk_id: str, model: str, status: str, summary: str, reason: str = "") -> None:
        with self._sessions.begin() as db:
            db.merge(
                SummaryRow(
                    key=key,
                    chunk_id=chunk_id,
                    model=model,
                    status=status,
                    summary=summary,
                    reason=reason,
                    created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )

    def count(self) -> int:
        with self._sessions() as db:
            return int(db.scalar(select(func.count()).select_from(SummaryRow)) or 0)
