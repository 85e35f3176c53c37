"""Follow-up rewriting (追问改写): "那个体户呢？" after "注册有限公司需要什么材料" becomes "注册个体户需要什么材料".

Deterministic: the topic slots (entity type, procedure or subject, ask) of the follow-up and of the previous user
question come from knowledge/router/followup.yaml; the follow-up keeps the previous topic and replaces what it
names. A question that names its own subject and asks something is left alone, so a topic change drags nothing
along. No model runs here."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from assistant.domain import ChatMessage
from assistant.pipeline.context import TurnContext
from assistant.textnorm import normalise_for_search

log = logging.getLogger(__name__)
Kind = Literal["entity", "procedure", "subject", "aspect"]
_CJK = re.compile(r"[\u4e00-\u9fff]")
_END = re.compile(r"[\s？?。.！!]+$")
HISTORY_TURNS = 3  # how many earlier user messages may hold the topic


class FollowUpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    entities: dict[str, list[str]]
    procedures: dict[str, list[str]]
    subjects: dict[str, list[str]]
    aspects: dict[str, list[str]]
    lead: list[str]
    conditional: list[str]
    tail: list[str]
    question_words: list[str]
    filler: list[str]
    max_chars: int = 40  # longer messages are taken as standalone

    @classmethod
    def load(cls, knowledge_dir: Path) -> FollowUpConfig:
        path = knowledge_dir / "router" / "followup.yaml"
        return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Span:
    kind: Kind
    name: str  # the canonical slot name (Chinese)
    start: int
    end: int
    text: str

    @property
    def is_what(self) -> bool:
        return self.kind in ("procedure", "subject")


def _is_regex(form: str) -> bool:
    return "(?" in form


def _alt(patterns: list[str], anchor: str = "") -> re.Pattern[str]:
    return re.compile(anchor + "(?:" + "|".join(f"(?:{p})" for p in patterns) + ")", re.I)


class TopicLexicon:
    """All slot forms in one regex, longest first; ``spans`` finds them left to right without overlap."""

    def __init__(self, config: FollowUpConfig) -> None:
        kinds: list[tuple[Kind, dict[str, list[str]]]] = [
            ("entity", config.entities),
            ("procedure", config.procedures),
            ("subject", config.subjects),
            ("aspect", config.aspects),
        ]
        forms = [(form, kind, name) for kind, table in kinds for name, fs in table.items() for form in fs]
        forms.sort(key=lambda f: (_is_regex(f[0]), -len(f[0])))
        self._slots = [(kind, name) for _, kind, name in forms]
        self._english = {
            (kind, name): next((f for f in fs if not _CJK.search(f)), name)
            for kind, t in kinds
            for name, fs in t.items()
        }
        self._pattern = re.compile("|".join(f"({self._form(f)})" for f, _, _ in forms), re.I)

    @staticmethod
    def _form(form: str) -> str:
        if _is_regex(form):
            return form
        if _CJK.search(form):
            return re.escape(form)
        return r"\b" + re.escape(form).replace(r"\ ", r"\s+") + r"s?\b"

    def spans(self, text: str) -> list[Span]:
        out = []
        for m in self._pattern.finditer(text):
            kind, name = self._slots[(m.lastindex or 1) - 1]
            out.append(Span(kind, name, m.start(), m.end(), m.group(0)))
        return out

    def surface(self, span: Span, english: bool) -> str:
        """The span's words in the target language (the follow-up's own words when the languages agree)."""
        if english == (not _CJK.search(span.text)):
            return span.text
        return self._english[(span.kind, span.name)] if english else span.name


@dataclass(frozen=True)
class _FollowUp:
    marker: Literal["", "lead", "conditional"]
    condition: str  # the conditional word as typed (如果, what if)
    body: str  # the message without its opening marker
    spans: list[Span]
    tail: bool
    asks: bool  # has a question word or an aspect of its own

    def of(self, *kinds: Kind) -> list[Span]:
        return [s for s in self.spans if s.kind in kinds]


class FollowUpRewriter:
    def __init__(self, config: FollowUpConfig, knowledge_dir: Path) -> None:
        self.config = config
        self.knowledge_dir = knowledge_dir
        self.lexicon = TopicLexicon(config)
        self._lead = _alt(config.lead, "^")
        self._conditional = _alt(config.conditional, "^")
        self._tail = _alt(config.tail)
        self._question = _alt(config.question_words)
        self._filler = [re.compile(p, re.I) for p in config.filler]

    @classmethod
    def load(cls, knowledge_dir: Path) -> FollowUpRewriter:
        return cls(FollowUpConfig.load(knowledge_dir), knowledge_dir)

    # --- reading the messages ------------------------------------------------------------------------
    def previous_question(self, history: Sequence[ChatMessage]) -> str | None:
        """The latest earlier user message that names a topic (an entity type or a what)."""
        users = [m.content for m in history if m.role == "user"][-HISTORY_TURNS:]
        for text in reversed(users):
            norm = self._norm(text)
            if any(s.kind != "aspect" for s in self.lexicon.spans(norm)):
                return norm
        return None

    def _norm(self, text: str) -> str:
        return normalise_for_search(text, self.knowledge_dir).strip()

    def _parse(self, text: str) -> _FollowUp:
        marker: Literal["", "lead", "conditional"] = ""
        condition, body = "", text
        if m := self._conditional.match(text):
            marker, condition, body = "conditional", m.group(0).lstrip("那么 "), text[m.end() :]
        elif m := self._lead.match(text):
            marker, body = "lead", text[m.end() :]
        body = body.lstrip(" ，,")
        spans = self.lexicon.spans(body)
        tail = bool(self._tail.search(body))
        asks = any(s.kind == "aspect" for s in spans) or bool(self._question.search(self._tail.sub("", body)))
        return _FollowUp(marker, condition, body, spans, tail, asks)

    def _residual(self, text: str, spans: Sequence[Span]) -> str:
        for s in sorted(spans, key=lambda s: s.start, reverse=True):
            text = text[: s.start] + " " + text[s.end :]
        return self._clean(text)

    def _clean(self, text: str) -> str:
        previous = None
        while previous != text:
            previous = text
            for pattern in self._filler:
                text = pattern.sub("", text.strip())
        return text

    # --- rewriting -----------------------------------------------------------------------------------
    def rewrite(self, question: str, history: Sequence[ChatMessage]) -> str | None:
        """The standalone question, or None when ``question`` stands alone (or there is nothing to carry)."""
        if len(question) > self.config.max_chars:
            return None
        prev = self.previous_question(history)
        if prev is None:
            return None
        f = self._parse(self._norm(question))
        entities, whats = f.of("entity"), f.of("procedure", "subject")
        if f.marker == "conditional":
            if entities and not whats and not self._residual(f.body, entities):
                return self._swap(prev, entities)
            return f"{f.condition}{self._clean(f.body)}，{prev}"
        if whats and (entities or f.asks):
            return None  # names its own subject and asks something: standalone
        if not (f.marker or f.tail or f.asks):
            return None  # a bare noun or a remark ("营业执照", "好的"): nothing to continue
        out = prev
        if entities:
            out = self._swap(out, entities)
        if whats:
            out = self._swap(out, whats)
        if f.asks:
            rest = self._residual_keep_words(f.body, entities + whats)
            return self._join(self._core(out), rest)
        residual = self._residual(f.body, f.spans)
        if residual and (f.marker or f.tail):
            return f"{residual}，{out}" if not self._english(out) else f"{out.rstrip('?')} ({residual})?"
        return out if out != prev else None

    def _swap(self, text: str, new: list[Span]) -> str:
        """Put the follow-up's slots into ``text``: replace the same kind of slot, or insert it."""
        english = self._english(text)
        for span in new:
            same = [s for s in self.lexicon.spans(text) if s.kind == span.kind]
            words = self.lexicon.surface(span, english)
            if same:
                s = same[0]
                text = text[: s.start] + words + text[s.end :]
            elif english:
                text = _END.sub("", text) + f" for {words}?"
            else:
                text = self._insert_zh(text, span.kind, words)
        return text

    def _insert_zh(self, text: str, kind: Kind, words: str) -> str:
        spans = self.lexicon.spans(text)
        entity = next((s for s in spans if s.kind == "entity"), None)
        if kind == "procedure" and entity:
            return text[: entity.start] + words + text[entity.start :]
        if kind == "subject" and entity:
            return text[: entity.end] + words + text[entity.end :]
        return words + text

    def _core(self, text: str) -> str:
        """The topic part of a question: from its first to its last entity / what slot."""
        spans = [s for s in self.lexicon.spans(text) if s.kind != "aspect"]
        if not spans:
            return _END.sub("", text)
        return text[spans[0].start : spans[-1].end]

    def _residual_keep_words(self, body: str, moved: list[Span]) -> str:
        for s in sorted(moved, key=lambda s: s.start, reverse=True):
            body = body[: s.start] + body[s.end :]
        return body.strip(" ，,")

    def _join(self, core: str, rest: str) -> str:
        if self._english(core):
            return f"{_END.sub('', rest)} ({core})?" if rest else core
        return core + rest if _CJK.search(rest) or not rest else f"{core} {rest}"

    @staticmethod
    def _english(text: str) -> bool:
        return not _CJK.search(text)


@dataclass
class FollowUp:
    """Pipeline step (before the router): a follow-up becomes a standalone question carrying the previous topic.
    ``skip`` says when a message is clearly not a question fragment (the router's rules: "谢谢", "转人工")."""

    rewriter: FollowUpRewriter
    skip: Callable[[str], bool] | None = None

    def __call__(self, ctx: TurnContext) -> None:
        if not ctx.history or (self.skip is not None and self.skip(ctx.question)):
            return
        with ctx.timed("followup"):
            standalone = self.rewriter.rewrite(ctx.question, ctx.history)
        if standalone and standalone != ctx.question:
            log.info("follow-up rewritten")
            ctx.rewritten_from, ctx.question = ctx.question, standalone
