"""Pipeline steps of the guardrails: MaskPII (before anything else sees the question), Screen (injection and
sensitive words → a refusal status), and OutputGuard (the Answer step's check of the model's draft)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.domain import Passage, Status
from assistant.guardrails import pii
from assistant.guardrails.injection import InjectionScreen
from assistant.guardrails.sensitive import SensitiveScreen
from assistant.pipeline.context import TurnContext
from assistant.pipeline.steps import Replies

log = logging.getLogger(__name__)
_MARK = re.compile(r"\[(\d{1,2})\]")


@dataclass
class Guardrails:
    """The loaded screens, shared by the steps (tables load once per process)."""

    injection: InjectionScreen
    sensitive: SensitiveScreen
    data_dir: Path
    verdicts: re.Pattern[str] | None = None  # knowledge/guardrails/output.yaml: outcomes no answer may claim

    @classmethod
    def load(cls, knowledge_dir: Path, data_dir: Path) -> Guardrails:
        out = yaml.safe_load((knowledge_dir / "guardrails" / "output.yaml").read_text(encoding="utf-8"))
        return cls(
            InjectionScreen.from_file(knowledge_dir / "guardrails" / "injection.yaml"),
            SensitiveScreen.from_files(knowledge_dir, data_dir),
            data_dir,
            re.compile("|".join(f"(?:{p})" for p in out["verdicts"]), re.I),
        )


@dataclass
class MaskPII:
    """Replace ID numbers, phone numbers, credit codes … in the question with typed placeholders; the originals
    stay in the turn's vault (ctx.pii). Retrieval, the prompt, the transcript and logs see only the masked text."""

    guards: Guardrails

    def __call__(self, ctx: TurnContext) -> None:
        with ctx.timed("mask"):
            masked, vault = pii.mask(ctx.question, data_dir=self.guards.data_dir)
        if vault:
            ctx.question = masked
            ctx.pii.update(vault.entries)
            log.info("masked %d personal values", len(vault.entries))


@dataclass
class Screen:
    """Injection / jailbreak attempts → refused_injection; listed sensitive words → refused_sensitive.
    Both end the turn before retrieval or any model call."""

    guards: Guardrails
    replies: Replies

    def __call__(self, ctx: TurnContext) -> None:
        with ctx.timed("screen"):
            verdict = self.guards.injection.check(ctx.question)
            hits = [] if verdict.blocked else self.guards.sensitive.find(ctx.question)
        if verdict.blocked:
            log.info("injection refused: %s", ",".join(verdict.rules))
            ctx.stop(Status.REFUSED_INJECTION, self.replies.get(Status.REFUSED_INJECTION, ctx.lang))
        elif hits:
            log.info("sensitive input refused: %s", ",".join(sorted({h.category for h in hits})))
            ctx.stop(Status.REFUSED_SENSITIVE, self.replies.get(Status.REFUSED_SENSITIVE, ctx.lang))


@dataclass
class OutputGuard:
    """The Answer step's hook: a draft with a listed word its cited passages lack is replaced by the article;
    placeholders in a final answer are shown partly masked, never restored."""

    guards: Guardrails

    def blocks(self, draft: str, shown: list[Passage]) -> bool:
        cited = {int(n) for n in _MARK.findall(draft) if 0 < int(n) <= len(shown)}
        sources = [p for i, p in enumerate(shown, 1) if i in cited] or shown
        text = "\n".join(p.chunk.text for p in sources)
        hits = self.guards.sensitive.unsupported(draft, text)
        if hits:
            log.info("sensitive output replaced: %s", ",".join(sorted({h.category for h in hits})))
        verdict = self.guards.verdicts.search(draft) if self.guards.verdicts is not None else None
        if verdict is not None and verdict.group(0) not in text:
            log.info("claimed outcome dropped from an answer")
            return True
        return bool(hits)

    def display(self, text: str, ctx: TurnContext) -> str:
        return pii.display(text, pii.Vault(ctx.pii)) if ctx.pii else text
