"""The optional plain-language summary (政策要点) of an article, written by the chat model.

Short output at temperature 0, then a grounding check: every number in the summary must appear in the
article, else the summary is dropped and the deterministic key points stand alone. Outcomes are cached by
content hash (SummaryCache), so each article is summarised once per model and prompt version.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel

from assistant.domain import Chunk
from assistant.pipeline.grounding import numbers_in, strip_markers
from assistant.ports import ChatModel
from assistant.prompts import PromptTemplate
from assistant.store.digests import SummaryCache

log = logging.getLogger("daoban.policy")
SummaryStatus = Literal["not_requested", "ok", "rejected", "model_unavailable"]
MAX_TOKENS = 160
MAX_CHARS = 300
_SPACE = re.compile(r"\s+")


class SummaryOutcome(BaseModel):
    status: SummaryStatus
    text: str | None = None
    note: str = ""
    cached: bool = False
    model: str = ""


def check_summary(summary: str, chunk: Chunk) -> str:
    """'' when the summary is usable; otherwise why it is not (a number the article does not contain)."""
    if not summary:
        return "empty summary"
    stray = numbers_in(summary) - numbers_in(f"{chunk.article} {chunk.title} {chunk.text}")
    if stray:
        shown = "、".join(str(int(n)) if n == int(n) else str(n) for n in sorted(stray))
        return f"numbers not in the article: {shown}"
    return ""


def _clean(text: str) -> str:
    text = _SPACE.sub(" ", strip_markers(text)).strip().strip('“”"')
    return text[:MAX_CHARS]


class Summariser:
    def __init__(self, chat: Callable[[], ChatModel], prompt: PromptTemplate, cache: SummaryCache) -> None:
        self._chat = chat  # resolved on first use: building the local model is not free
        self.prompt = prompt
        self.cache = cache

    def key(self, chunk: Chunk, model: str) -> str:
        content = chunk.content_hash or hashlib.sha256(chunk.text.encode("utf-8")).hexdigest()
        raw = f"{self.prompt.name}:{self.prompt.version}|{model}|{chunk.id}|{content}"
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def summarise(self, chunk: Chunk, label: str) -> SummaryOutcome:
        try:
            chat = self._chat()
            key = self.key(chunk, chat.name)
            hit = self.cache.get(key)
            if hit is not None:
                return SummaryOutcome(
                    status="ok" if hit.status == "ok" else "rejected",
                    text=(hit.summary or None) if hit.status == "ok" else None,
                    note=hit.reason,
                    cached=True,
                    model=hit.model,
                )
            messages = self.prompt.render(label=label, text=chunk.text)
            draft = _clean(chat.complete(messages, max_tokens=MAX_TOKENS, temperature=0.0))
        except Exception as exc:  # the summary is optional: key points stand without it
            log.warning("summary unavailable for %s: %s", chunk.id, exc)
            return SummaryOutcome(status="model_unavailable", note="模型暂不可用 / model unavailable")
        reason = check_summary(draft, chunk)
        status: SummaryStatus = "rejected" if reason else "ok"
        self.cache.put(key, chunk_id=chunk.id, model=chat.name, status=status, summary=draft, reason=reason)
        return SummaryOutcome(status=status, text=None if reason else draft, note=reason, model=chat.name)
