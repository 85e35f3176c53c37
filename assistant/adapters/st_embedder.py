"""Embedder on a local sentence-transformers model directory (bge-m3, multilingual-e5-large, ...).

For deployments with a model directory on disk; loads offline only (HF_HUB_OFFLINE=1).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.errors import ModelMissingError


class SentenceTransformerEmbedder:
    def __init__(self, model_path: str, *, query_prefix: str = "", passage_prefix: str = "") -> None:
        if not model_path:
            raise ModelMissingError(
                "使用 sentence-transformers 需要设置 DAOBAN_ST_MODEL_PATH（本地模型目录）",
                "DAOBAN_ST_MODEL_PATH (a local model directory) is required for sentence-transformers",
            )
        self.model_path = model_path
        self.name = f"st:{os.path.basename(model_path.rstrip('/'))}"
        self.dim = 0
        self._qp, self._pp = query_prefix, passage_prefix
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelMissingError(
                "未安装 sentence-transformers（pip install sentence-transformers）",
                "sentence-transformers is not installed",
            ) from exc
        self._model = SentenceTransformer(self.model_path, device="cpu")
        self.dim = int(self._model.get_sentence_embedding_dimension())

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        self.warm_up()
        with self._lock:
            out = self._model.encode([prefix + t for t in texts], normalize_embeddings=True)
        return np.asarray(out, dtype=np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._qp)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._pp)
