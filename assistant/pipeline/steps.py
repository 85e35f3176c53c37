"""The steps of a policy-question turn. Each takes the TurnContext; it enriches it or stops the turn."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

from assistant.domain import Citation, Passage, Status
from assistant.errors import UpstreamError, UserError
from assistant.pipeline.context import TurnContext
from assistant.pipeline.grounding import check_answer, support_ratio
from assistant.ports import ChatModel
from assistant.prompts import PromptTemplate
from assistant.retrieval import HybridRetriever, basis_refs

_CJK = re.compile(r"[\u4e00-\u9fff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
PASSAGE_CHARS = 300
PROMPT_PASSAGES = 4  # prompt evaluation runs at ~19 tokens/s on 2 cores: the prompt budget is the latency budget
_MARKS = re.compile(r"\s*\[\d{1,2}\]")
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


@dataclass
class RelevanceGate:
    """Refuse (no_answer) when nothing retrieved is close enough to the question."""

    replies: Replies
    min_dense: float
    min_lexical: float

    def __call__(self, ctx: TurnContext) -> None:
        if not ctx.passages or ctx.best_dense < self.min_dense or ctx.best_lexical < self.min_lexical:
            ctx.stop(Status.NO_ANSWER, self.replies.get(Status.NO_ANSWER, ctx.lang))


def format_passages(passages: list[Passage]) -> str:
    lines = []
    for i, p in enumerate(passages, 1):
        c = p.chunk
        text = c.text if len(c.text) <= PASSAGE_CHARS else c.text[:PASSAGE_CHARS] + "……"
        lines.append(f"[{i}]《{c.source}》{c.article}\n{text}")
    return "\n\n".join(lines)


def citation_for(n: int, p: Passage) -> Citation:
    c = p.chunk
    return Citation(n=n, source=c.source, article=c.article, quote=c.text, title=c.title, version=c.version)


def with_basis(cited: list[int], passages: list[Passage]) -> list[int]:
    """Add, for every cited guide section, the passages holding the articles it rests on (1-based)."""
    out = list(cited)
    for n in cited:
        chunk = passages[n - 1].chunk
        if chunk.kind == "law":
            continue
        refs = set(basis_refs(chunk.text))
        out.extend(i for i, p in enumerate(passages, 1) if (p.chunk.source, p.chunk.article) in refs)
    return sorted(set(out))


def citations_for(cited: list[int], passages: list[Passage]) -> list[Citation]:
    return [citation_for(n, passages[n - 1]) for n in with_basis(cited, passages)]


TERSE_CHARS = 40
RULE_CHARS = 160


def with_rule(answer: str, citations: list[Citation]) -> str:
    """A terse answer ("不需要。[1]") gets the rule itself: the opening of the first cited law article, verbatim."""
    if len(_MARKS.sub("", answer).strip()) >= TERSE_CHARS:
        return answer
    law = next((c for c in citations if c.article.startswith("第") and c.article.endswith("条")), None)
    if law is None:
        return answer
    body = law.quote.removeprefix(law.article).strip().split("\n")[0]
    if len(body) > RULE_CHARS:
        cut = max(body.rfind("。", 0, RULE_CHARS), body.rfind("；", 0, RULE_CHARS))
        body = body[: cut + 1] if cut > 0 else body[:RULE_CHARS] + "……"
    return f"{answer}\n《{law.source}》{law.article}规定：{body}[{law.n}]"


def best_passage_for(draft: str, cited: list[int], passages: list[Passage]) -> tuple[int, float]:
    """(1-based index, share) of the passage whose wording the draft shares most (a small model usually
    copies the right article); the cited passage, else the top-ranked one, when none stands out."""
    ratios = [support_ratio(draft, p.chunk.text) if draft.strip() else 0.0 for p in passages]
    best = max(range(len(passages)), key=lambda i: ratios[i])
    if ratios[best] >= 0.5:
        return best + 1, ratios[best]
    return (cited[0] if cited else 1), 0.0


REATTRIBUTE_SHARE = 0.85


def extractive_answer(passages: list[Passage], lead: str, n: int = 1) -> tuple[str, list[Citation]]:
    top = passages[n - 1]
    text = top.chunk.text.removeprefix(top.chunk.article).strip()
    cites = citations_for([n], passages)
    marks = "".join(f"[{c.n}]" for c in cites)
    body = f"{lead}\n\n{top.label}：{text} {marks}".strip()
    return body, cites


class OutputCheck(Protocol):
    """The guardrails' hook into Answer (assistant/guardrails/steps.py OutputGuard)."""

    def blocks(self, draft: str, shown: list[Passage]) -> bool: ...

    def display(self, text: str, ctx: TurnContext) -> str: ...


@dataclass
class Answer:
    """Ask the model for a grounded answer; fall back to quoting the article when the check fails."""

    chat: ChatModel
    prompt: PromptTemplate
    replies: Replies
    max_tokens: int
    guard: OutputCheck | None = None

    def __call__(self, ctx: TurnContext) -> None:
        self._answer(ctx)
        if self.guard is not None:
            ctx.answer = self.guard.display(ctx.answer, ctx)

    def _answer(self, ctx: TurnContext) -> None:
        lang_instruction = (
            "Answer in English; keep law names and article numbers in Chinese." if ctx.lang == "en" else ""
        )
        messages = self.prompt.render(
            passages=format_passages(ctx.passages[:PROMPT_PASSAGES]),
            question=ctx.question,
            language_instruction=lang_instruction,
        )
        parts: list[str] = []
        try:
            with ctx.timed("generate"):
                for delta in self.chat.stream(messages, max_tokens=self.max_tokens):
                    parts.append(delta)
                    if ctx.on_token:
                        ctx.on_token(delta)
        except UpstreamError:
            text, cites = extractive_answer(ctx.passages, self.replies.get(Status.MODEL_UNAVAILABLE, ctx.lang))
            ctx.citations = cites
            ctx.stop(Status.MODEL_UNAVAILABLE, text)
            return
        draft = "".join(parts).strip()
        if "无法确定" in draft and "[" not in draft:
            ctx.stop(Status.NO_ANSWER, self.replies.get(Status.NO_ANSWER, ctx.lang))
            return
        shown = ctx.passages[:PROMPT_PASSAGES]  # the model may cite only what it was shown
        if self.guard is not None and self.guard.blocks(draft, shown):
            text, cites = extractive_answer(ctx.passages, self.replies.get(Status.ANSWERED_EXTRACTIVE, ctx.lang))
            ctx.citations = cites
            ctx.stop(Status.ANSWERED_EXTRACTIVE, text)
            return
        check = check_answer(draft, shown, ctx.question)
        if not check.ok:
            n, share = best_passage_for(draft, check.cited, shown)
            if share >= REATTRIBUTE_SHARE:  # copied from passage n under a wrong or missing marker
                repaired = _MARKS.sub("", draft).rstrip() + f"[{n}]"
                recheck = check_answer(repaired, shown, ctx.question)
                if recheck.ok:
                    self._accept(ctx, repaired, recheck.cited)
                    return
            text, cites = extractive_answer(ctx.passages, self.replies.get(Status.ANSWERED_EXTRACTIVE, ctx.lang), n)
            ctx.citations = cites
            ctx.stop(Status.ANSWERED_EXTRACTIVE, text)
            return
        self._accept(ctx, draft, check.cited)

    @staticmethod
    def _accept(ctx: TurnContext, text: str, cited: list[int]) -> None:
        ctx.citations = citations_for(cited, ctx.passages)
        ctx.stop(Status.ANSWERED, with_rule(text, ctx.citations))
