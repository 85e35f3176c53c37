"""The steps of a policy-question turn. Each takes the TurnContext; it enriches it or stops the turn."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.domain import Status
from assistant.errors import UserError
from assistant.pipeline.answer import Answer, linked_catalogue
from assistant.pipeline.context import TurnContext
from assistant.retrieval import HybridRetriever

__all__ = [
    "Answer",
    "DomainTerms",
    "Normalize",
    "RelevanceGate",
    "Replies",
    "Retrieve",
    "ScopeGate",
    "linked_catalogue",
]

_CJK = re.compile(r"[\u4e00-\u9fff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# full-width letters and digits (ｈｅｌｌｏ，１２３) typed by Chinese IMEs → ASCII; CJK punctuation is left alone
_FULLWIDTH_ALNUM = {
    c: c - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for c in range(r[0], r[1] + 1)
}


class Replies:
    """Canned replies per status and language (knowledge/statuses.yaml)."""

    def __init__(self, knowledge_dir: Path) -> None:
        self.table: dict[str, dict[str, str]] = yaml.safe_load(
            (knowledge_dir / "statuses.yaml").read_text(encoding="utf-8")
        )

    def get(self, status: Status, lang: str) -> str:
        entry = self.table.get(status.value, {})
        return entry.get("en" if lang.startswith("en") else "zh", "")


def detect_lang(text: str, requested: str | None) -> str:
    if requested:
        return "en" if requested.lower().startswith("en") else "zh"
    return "zh" if _CJK.search(text) else "en"


@dataclass
class Normalize:
    """Clean the message; empty → invalid_input, too long → a UserError naming the limit."""

    replies: Replies
    max_chars: int

    def __call__(self, ctx: TurnContext) -> None:
        text = _CONTROL.sub("", ctx.message or "").strip().translate(_FULLWIDTH_ALNUM)
        text = re.sub(r"\s+", " ", text)
        if len(text) > self.max_chars:
            raise UserError(
                f"问题太长了（{len(text)} 字），请控制在 {self.max_chars} 字以内。",
                f"The message is too long ({len(text)} characters); the limit is {self.max_chars}.",
                field="message",
            )
        ctx.lang = detect_lang(text, ctx.lang if ctx.lang in ("zh", "en") and ctx.lang != "auto" else None)
        if not _CJK.search(text) and not re.search(r"[A-Za-z]{2,}", text):
            ctx.stop(Status.INVALID_INPUT, self.replies.get(Status.INVALID_INPUT, ctx.lang))
            return
        ctx.question = text


class DomainTerms:
    """Terms that put a question inside the registration domain (knowledge/lexicon/domain_terms.txt)."""

    def __init__(self, knowledge_dir: Path) -> None:
        lines = (knowledge_dir / "lexicon" / "domain_terms.txt").read_text(encoding="utf-8").splitlines()
        terms = [t.strip() for t in lines if t.strip() and not t.startswith("#")]
        self.zh = [t for t in terms if _CJK.search(t)]
        self.en = re.compile(r"\b(?:" + "|".join(re.escape(t) for t in terms if not _CJK.search(t)) + ")", re.I)

    def covers(self, text: str) -> bool:
        return any(t in text for t in self.zh) or bool(self.en.search(text))


@dataclass
class ScopeGate:
    """Out of scope (no registration term at all) → the no_answer reply, before any model runs."""

    replies: Replies
    terms: DomainTerms

    def __call__(self, ctx: TurnContext) -> None:
        if not self.terms.covers(ctx.question):
            ctx.stop(Status.NO_ANSWER, self.replies.get(Status.NO_ANSWER, ctx.lang))


@dataclass
class Retrieve:
    retriever: HybridRetriever
    top_k: int

    def __call__(self, ctx: TurnContext) -> None:
        with ctx.timed("retrieve"):
            res = self.retriever.retrieve(ctx.question, self.top_k)
        ctx.passages, ctx.best_dense, ctx.best_lexical = res.passages, res.best_dense, res.best_lexical
        ctx.degraded.update(res.degraded)  # embedder / index failed: BM25 alone (assistant/health.py)


@dataclass
class RelevanceGate:
    """Refuse (no_answer) when nothing retrieved is close enough to the question."""

    replies: Replies
    min_dense: float
    min_lexical: float

    def __call__(self, ctx: TurnContext) -> None:
        no_dense = "embedder" in ctx.degraded or "index" in ctx.degraded  # BM25 alone: only its floor applies
        too_far = not no_dense and ctx.best_dense < self.min_dense
        if not ctx.passages or too_far or ctx.best_lexical < self.min_lexical:
            ctx.stop(Status.NO_ANSWER, self.replies.get(Status.NO_ANSWER, ctx.lang))
