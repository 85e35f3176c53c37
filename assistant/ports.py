"""Ports: the small Protocols every swappable backend implements.

Vendor SDKs are imported only in ``assistant/adapters``; the wiring module picks one adapter per port.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from assistant.domain import ChatMessage, Chunk, Passage
from assistant.speech.types import Recognition, Transcript


@runtime_checkable
class ChatModel(Protocol):
    name: str

    def warm_up(self) -> None: ...

    def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float = 0.0) -> str: ...

    def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float = 0.0
    ) -> Iterator[str]: ...


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int

    def warm_up(self) -> None: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class VectorIndex(Protocol):
    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def query(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[tuple[Chunk, float]]:
        """Return (chunk, cosine similarity) pairs, best first. ``where`` is a Chroma-style metadata filter:
        ``{"status": "current"}``, ``{"kind": {"$in": [...]}}`` and ``{"$and": [...]}`` of those."""
        ...

    def all_chunks(self) -> list[Chunk]: ...

    def content_hashes(self) -> dict[str, str]: ...

    def count(self) -> int: ...


@runtime_checkable
class Reranker(Protocol):
    """Reorders a retrieval shortlist (best first); may drop passages it judges irrelevant."""

    name: str

    def rerank(self, question: str, passages: list[Passage]) -> list[Passage]: ...


@runtime_checkable
class SpeechEngine(Protocol):
    """Recognises 16 kHz mono float32 audio (Whisper through faster-whisper or openai-whisper)."""

    name: str
    languages: tuple[str, ...]  # the language codes it may answer with (zh, en; yue where the model has it)

    def warm_up(self) -> None: ...

    def recognize(self, samples: np.ndarray, *, lang: str | None = None) -> Recognition: ...


@runtime_checkable
class Transcriber(Protocol):
    """An uploaded recording → a Transcript (normalised text, original text, language, duration, status)."""

    def warm_up(self) -> None: ...

    def transcribe(self, audio: bytes, *, lang: str | None = None, filename: str | None = None) -> Transcript: ...


@runtime_checkable
class OcrEngine(Protocol):
    def read(self, image: bytes) -> list[tuple[str, float, list[list[float]]]]: ...
