"""The context object one turn's steps read and enrich."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from assistant.domain import ChatMessage, Citation, Passage, Status


@dataclass
class TurnContext:
    session_id: str
    message: str
    lang: str = "zh"
    history: list[ChatMessage] = field(default_factory=list)
    question: str = ""  # the normalised, standalone question used for retrieval
    route: str = ""  # the router's label (knowledge/router.yaml): policy, registration, upload, handoff, ...
    rewritten_from: str = ""  # the follow-up as typed, when ``question`` was rewritten from the history
    staff: bool = False  # a staff member asking in the internal chat (full citations, complaint tickets allowed)
    passages: list[Passage] = field(default_factory=list)
    best_dense: float = 0.0
    best_lexical: float = 0.0
    answer: str = ""
    citations: list[Citation] = field(default_factory=list)
    status: Status | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    on_token: Callable[[str], None] | None = None
    pii: dict[str, str] = field(default_factory=dict, repr=False)  # placeholder → original; never logged or stored
    form: Any = None  # form filling: the policy's outcome of a filling turn (assistant/filling)
    draft: Any = None  # form filling: the draft this turn changed, stored with the turn's messages (one transaction)
    reminder: str = ""  # form filling: what is still missing, appended to a policy answer given mid-form
    degraded: dict[str, str] = field(default_factory=dict)  # part done without (chat, embedder, index) → error

    def stop(self, status: Status, answer: str = "") -> None:
        self.status = status
        if answer:
            self.answer = answer

    @property
    def stopped(self) -> bool:
        return self.status is not None

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings_ms[name] = round((time.perf_counter() - t0) * 1000, 1)
