"""Rerankers behind the Reranker port: reorder the fused retrieval shortlist before the top k are taken.

- ``none``: keep the reciprocal-rank-fusion order (the default: measured, see eval/bench_rerank.py).
- ``llm``: the chat model judges which of the first few candidates answer the question (prompts/rerank.md) and
  those move to the front in the order it gives. Any failure (model down, unparsable reply) keeps the fused order.

A deployment with a cross-encoder (bge-reranker-v2-m3 and the like, not shipped in any package reachable here)
would add an adapter with the same port.
"""

from __future__ import annotations

import logging
import re

from assistant.domain import Passage
from assistant.errors import DaobanError
from assistant.ports import ChatModel
from assistant.prompts import PromptTemplate

log = logging.getLogger(__name__)
_NUM = re.compile(r"\d+")


class LlmJudgeReranker:
    name = "llm-judge"

    def __init__(self, chat: ChatModel, prompt: PromptTemplate, *, depth: int = 5, passage_chars: int = 120) -> None:
        self.chat = chat
        self.prompt = prompt
        self.depth = depth
        self.passage_chars = passage_chars

    def rerank(self, question: str, passages: list[Passage]) -> list[Passage]:
        head, tail = passages[: self.depth], passages[self.depth :]
        listing = "\n".join(
            f"[{i}]{p.label} {' '.join(p.chunk.text.split())[: self.passage_chars]}" for i, p in enumerate(head, 1)
        )
        try:
            reply = self.chat.complete(self.prompt.render(passages=listing, question=question), max_tokens=12)
        except DaobanError as exc:
            log.warning("reranker skipped: %s", exc)
            return passages
        picked = self.parse(reply, len(head))
        if not picked:
            return passages
        chosen = [head[i - 1] for i in picked]
        return chosen + [p for p in head if p not in chosen] + tail

    @staticmethod
    def parse(reply: str, n: int) -> list[int]:
        """Passage numbers in the judge's order, valid and unique; [] for "0" or nothing usable."""
        out: list[int] = []
        for m in _NUM.findall(reply):
            i = int(m)
            if 1 <= i <= n and i not in out:
                out.append(i)
        return out
