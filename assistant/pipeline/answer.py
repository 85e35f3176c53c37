"""The Answer step: basis first, then a checked conclusion.

1. Evidence: the 1-3 sentences of the retrieved articles that answer the question (evidence.py, ~ms).
2. The basis ("根据《公司法》第四十七条，……[1]") is streamed at once: the first token comes right after retrieval.
3. The model writes only the short conclusion from question + basis (a fixed system and few-shot prefix, so
   llama.cpp reuses its KV cache and evaluates only the new tokens), capped at CONCLUSION_TOKENS.
4. The conclusion passes a deterministic grounding check (grounding.check_conclusion); on failure one retry
   with a stricter instruction, then the basis alone (answered_extractive). The conclusion is streamed only
   once it has passed, so nothing on screen is ever retracted except by a refusal.
5. A named law or article the corpus lacks, or a place / person the passages never mention → no_answer.
6. A guide section or FAQ entry resting on the cited article is linked ("办理指引：…").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import yaml

from assistant.domain import ChatMessage, Chunk, Citation, Passage, Status
from assistant.errors import UpstreamError
from assistant.lexical import QueryExpander
from assistant.pipeline.context import TurnContext
from assistant.pipeline.evidence import Evidence, select_evidence, unmatched_names, unsupported_reference
from assistant.pipeline.grounding import check_conclusion, cn_to_int
from assistant.ports import ChatModel
from assistant.prompts import PromptTemplate
from assistant.retrieval import basis_refs
from assistant.textnorm import normalise_for_search

if TYPE_CHECKING:
    from assistant.pipeline.steps import Replies
    from assistant.policy.catalogue import LawCatalogue

CONCLUSION_TOKENS = 40
PROMPT_BASIS_CHARS = 90  # of the basis sentence given to the model (~20 prompt tokens/s on 2 cores)
CANNOT_ANSWER = ("无法回答", "无法确定", "cannot answer", "can't answer")
_MARKS = re.compile(r"\s*\[\d{1,2}\]")
_SENTENCE_END = re.compile(r"[。！]|\.(?:\s|$)|\n")
STRICTER = {
    "zh": "注意：结论只能复述依据里的事实，判断（可以/不可以、需要/不需要）必须与依据一致，不要添加依据里没有的数字。",
    "en": "Note: state only facts from the basis; the yes/no must agree with it; add no number it lacks.",
}
LANGUAGE = {"zh": "", "en": "Write the conclusion in English, starting with “So,”."}


class OutputCheck(Protocol):
    """The guardrails' hook into Answer (assistant/guardrails/steps.py OutputGuard)."""

    def blocks(self, draft: str, shown: list[Passage]) -> bool: ...

    def display(self, text: str, ctx: TurnContext) -> str: ...


# --- citations -----------------------------------------------------------------------------------
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


def extractive_answer(passages: list[Passage], lead: str, n: int = 1) -> tuple[str, list[Citation]]:
    """The article itself, quoted (used when no sentence could be selected)."""
    top = passages[n - 1]
    text = top.chunk.text.removeprefix(top.chunk.article).strip()
    cites = citations_for([n], passages)
    marks = "".join(f"[{c.n}]" for c in cites)
    return f"{lead}\n\n{top.label}：{text} {marks}".strip(), cites


# --- the basis line ------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def english_law_names(knowledge_dir: Path) -> dict[str, str]:
    """Short law name → English name, from the English aliases in knowledge/policy.yaml."""
    path = knowledge_dir / "policy.yaml"
    aliases = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("aliases") or {} if path.exists() else {}
    out: dict[str, str] = {}
    for alias, law in aliases.items():
        alias = str(alias)
        if alias.isascii() and not alias.lower().startswith("the ") and len(alias) > len(out.get(str(law), "")):
            out[str(law)] = alias.title()
    return out


def _sentence(text: str) -> str:
    text = text.rstrip("；，、：:; ")
    return text if text.endswith(("。", "……", "？", "！")) else text + "。"


@dataclass
class Basis:
    """The rendered basis: the text shown, the article numbers cited, and the plain text given to the model."""

    shown: str
    cited: list[int]  # indices into the turn's passages, in [1], [2] order
    prompt: str


def render_basis(ev: Evidence, passages: list[Passage], lang: str, english: dict[str, str]) -> Basis:
    groups: dict[int, list[str]] = {}
    for s in ev.sentences:
        groups.setdefault(s.n, []).append(s.text)
    lines, prompt, cited = [], [], []
    for i, (n, texts) in enumerate(groups.items(), 1):
        c = passages[n - 1].chunk
        body = "".join(_sentence(t) for t in texts)
        label = f"《{c.source}》{c.article}"
        cited.append(n)
        if i == 1:  # the model sees the first article's sentences only: each prompt character costs ~50 ms here
            shown = ""
            for t in (_sentence(t) for t in texts):
                if shown and len(shown) + len(t) > PROMPT_BASIS_CHARS:
                    break
                shown += t
            prompt.append(f"{label}：{shown[:PROMPT_BASIS_CHARS]}")
        if lang == "en":
            num = cn_to_int(c.article.removeprefix("第").removesuffix("条"))
            name = english.get(c.source)
            head = f"Article {num} of the {name} ({label})" if name and num else label
            lines.append(f"{'Under' if i == 1 else 'Also under'} {head}: {body}[{i}]")
        else:
            lines.append(f"{'根据' if i == 1 else '另据'}{label}，{body}[{i}]")
    return Basis("\n".join(lines), cited, "\n".join(prompt))


# --- the step ------------------------------------------------------------------------------------
@dataclass
class Answer:
    """Basis first (streamed at once), then the model's checked conclusion; refusal when nothing answers."""

    chat: ChatModel
    prompt: PromptTemplate
    replies: Replies
    max_tokens: int
    guard: OutputCheck | None = None
    expander: QueryExpander | None = None
    knowledge_dir: Path | None = None
    catalogue: Callable[[], LawCatalogue] | None = None  # the staff catalogue: law names and service steps
    is_place: Callable[[str], bool] | None = None  # evidence.place_names: which tagged names are real places
    _english: dict[str, str] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if self.knowledge_dir is not None:
            self._english = english_law_names(self.knowledge_dir)

    def __call__(self, ctx: TurnContext) -> None:
        self._answer(ctx)
        if self.guard is not None:
            ctx.answer = self.guard.display(ctx.answer, ctx)

    def prime(self) -> None:
        """Pay the first turn's one-off costs at start-up: the catalogue, the jieba tagger the evidence
        scorer uses, and the prompt's fixed prefix in the model's KV cache (llama.cpp reuses the longest
        common prefix, so the next real question evaluates only its question and basis)."""
        if self.catalogue is not None:
            self.catalogue()
        if self.expander is not None:
            select_evidence("注册资本多久缴足", [], self.expander)
        unmatched_names("在北京开公司", [])  # loads jieba's part-of-speech tagger (~1.4 s)
        prime = getattr(self.chat, "prime", None)  # only a model with a local KV cache has one
        if prime is not None:
            prime(self.prompt.render(question="个体户可以起字号吗", basis="", instruction=LANGUAGE["zh"]))

    def _refuse(self, ctx: TurnContext) -> None:
        ctx.citations = []
        ctx.stop(Status.NO_ANSWER, self.replies.get(Status.NO_ANSWER, ctx.lang))

    def _answer(self, ctx: TurnContext) -> None:
        if not ctx.passages:
            self._refuse(ctx)
            return
        with ctx.timed("evidence"):
            question = ctx.question
            if self.knowledge_dir is not None:
                question = normalise_for_search(question, self.knowledge_dir)
            cat = self.catalogue() if self.catalogue is not None else None
            knows = (lambda name: cat.find_law(name) is not None) if cat is not None else (lambda name: True)
            uncovered = unmatched_names(question, ctx.passages, self.is_place)
            if unsupported_reference(question, ctx.passages, knows) or uncovered:
                self._refuse(ctx)
                return
            ev = select_evidence(question, ctx.passages, self.expander or QueryExpander(Path("/nonexistent")))
        if ev is None:  # only guide / FAQ passages: quote the top one
            text, cites = extractive_answer(ctx.passages, self.replies.get(Status.ANSWERED_EXTRACTIVE, ctx.lang))
            ctx.citations = cites
            ctx.stop(Status.ANSWERED_EXTRACTIVE, text)
            return
        basis = render_basis(ev, ctx.passages, ctx.lang, self._english)
        ctx.citations = [citation_for(i, ctx.passages[n - 1]) for i, n in enumerate(basis.cited, 1)]
        link = self._service_link(ctx, cat, basis.cited)
        if ctx.on_token:
            ctx.on_token(basis.shown)
        try:
            conclusion = self._conclude(ctx, basis)
        except UpstreamError as exc:  # failed, timed out or busy (assistant/health.py GuardedChat): the basis alone
            ctx.degraded["chat"] = type(exc).__name__
            ctx.stop(Status.MODEL_UNAVAILABLE, _join(basis.shown, link))
            return
        if conclusion is None:
            ctx.stop(Status.ANSWERED_EXTRACTIVE, _join(basis.shown, link))
            return
        if conclusion == "":
            self._refuse(ctx)
            return
        if ctx.on_token:
            ctx.on_token("\n" + conclusion + ("\n" + link if link else ""))
        ctx.stop(Status.ANSWERED, _join(basis.shown, conclusion, link))

    def _conclude(self, ctx: TurnContext, basis: Basis) -> str | None:
        """The checked conclusion; "" when the model says the basis does not answer; None when two drafts failed."""
        lang = "en" if ctx.lang == "en" else "zh"
        sources = [ctx.passages[n - 1] for n in basis.cited]
        for attempt in range(2):
            instruction = " ".join(x for x in (LANGUAGE[lang], STRICTER[lang] if attempt else "") if x)
            messages = self.prompt.render(question=ctx.question, basis=basis.prompt, instruction=instruction)
            with ctx.timed("generate" if attempt == 0 else "retry"):
                draft = self._one_sentence(messages)
            if any(m in draft.lower() for m in CANNOT_ANSWER):
                return ""
            check = check_conclusion(draft, basis.prompt, sources, ctx.question)
            blocked = self.guard is not None and self.guard.blocks(draft, sources)
            if check.ok and not blocked:
                return draft
        return None

    def _one_sentence(self, messages: list[ChatMessage]) -> str:
        """Stream the draft and stop at the end of its first sentence (closing the stream stops generation)."""
        text = ""
        stream = self.chat.stream(messages, max_tokens=min(self.max_tokens, CONCLUSION_TOKENS))
        try:
            for delta in stream:
                text += delta
                if _SENTENCE_END.search(text.lstrip()):
                    break
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        text = _MARKS.sub("", text).strip().split("\n")[0].strip()
        end = _SENTENCE_END.search(text)
        return text[: end.end()].strip() if end else text

    def _service_link(self, ctx: TurnContext, cat: LawCatalogue | None, cited: list[int]) -> str:
        """办理指引：<guide title> · <section> for the first guide section (else FAQ entry) resting on the article."""
        if cat is None:
            return ""
        steps: list[Chunk] = []
        for n in cited:
            steps += cat.steps.get(ctx.passages[n - 1].chunk.id, [])
        if not steps:
            return ""
        step = min(steps, key=lambda c: c.kind != "guide")
        if ctx.lang == "en":
            return f"How to apply: {step.title} · {step.article}"
        return f"办理指引：{step.title} · {step.article}"


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def linked_catalogue(svc: object) -> Callable[[], LawCatalogue]:
    """The staff knowledge base's catalogue of ``svc`` (built once, shared): law names and service steps."""

    def get() -> LawCatalogue:
        from assistant.policy.knowledge_base import knowledge_for

        return knowledge_for(svc).catalogue()  # type: ignore[arg-type]

    return get
