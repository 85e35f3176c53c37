"""Deterministic implementations of the ports, for unit tests of the steps around them.

They are real implementations (the port contract suite runs against them too); tests of the models
and stores themselves use the real adapters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from assistant.domain import ChatMessage, Chunk
from assistant.errors import UpstreamError
from assistant.metadata_filter import matches


class ScriptedChat:
    """Replies from a script: a list of strings (one per call) or a function of the messages."""

    name = "scripted"

    def __init__(self, replies: list[str] | None = None, fn=None, fail: bool = False) -> None:
        self.replies = list(replies or [])
        self.fn = fn
        self.fail = fail
        self.calls: list[list[ChatMessage]] = []

    def warm_up(self) -> None:
        return None

    def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float = 0.0) -> str:
        return "".join(self.stream(messages, max_tokens=max_tokens, temperature=temperature))

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        self.calls.append(list(messages))
        if self.fail:
            raise UpstreamError("模型不可用", "model unavailable")
        text = self.fn(messages) if self.fn else (self.replies.pop(0) if self.replies else "")
        for i in range(0, len(text), 4):
            yield text[i : i + 4]


class HashEmbedder:
    """Bag of character bigrams hashed into ``dim`` buckets, L2-normalised. Deterministic, no model."""

    name = "hash-bigram"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def warm_up(self) -> None:
        return None

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for a, b in pairwise(text):
            h = int.from_bytes(hashlib.blake2b((a + b).encode(), digest_size=4).digest(), "little")
            v[h % self.dim] += 1.0
        n = float(np.linalg.norm(v))
        return v / n if n else v

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_queries(texts)


class InMemoryIndex:
    """Exact cosine search over a numpy matrix."""

    def __init__(self) -> None:
        self._chunks: dict[str, Chunk] = {}
        self._vecs: dict[str, np.ndarray] = {}

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        for c, v in zip(chunks, vectors, strict=True):
            self._chunks[c.id] = c
            self._vecs[c.id] = np.asarray(v, dtype=np.float32)

    def delete(self, ids: Sequence[str]) -> None:
        for i in ids:
            self._chunks.pop(i, None)
            self._vecs.pop(i, None)

    def query(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[tuple[Chunk, float]]:
        items = [
            (c, float(np.dot(self._vecs[i], vector)))
            for i, c in self._chunks.items()
            if not where or _where(where, c.metadata())
        ]
        return sorted(items, key=lambda x: x[1], reverse=True)[:k]

    def all_chunks(self) -> list[Chunk]:
        return list(self._chunks.values())

    def content_hashes(self) -> dict[str, str]:
        return {i: c.content_hash for i, c in self._chunks.items()}

    def count(self) -> int:
        return len(self._chunks)


def _where(where: dict[str, Any], meta: dict[str, str]) -> bool:
    verdict = matches(where, meta)
    if verdict is None:
        raise ValueError(f"metadata filter not supported by the in-memory index: {where}")
    return verdict
