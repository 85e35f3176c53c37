"""VectorIndex on Chroma: a persistent client by default, an HTTP client when scaled out.

Embeddings are computed by our Embedder and passed in, so Chroma never downloads its default model.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.domain import Chunk

_BATCH = 2000


def _chunk_from(id_: str, doc: str, meta: dict[str, Any]) -> Chunk:
    return Chunk(
        id=id_,
        text=doc,
        source=str(meta.get("source", "")),
        title=str(meta.get("title", "")),
        article=str(meta.get("article", "")),
        chapter=str(meta.get("chapter", "")),
        version=str(meta.get("version", "")),
        status=meta.get("status", "current"),
        kind=meta.get("kind", "law"),
        content_hash=str(meta.get("content_hash", "")),
        doc=str(meta.get("doc", "")),
    )


class ChromaIndex:
    def __init__(
        self,
        collection: str,
        *,
        path: Path | None = None,
        host: str | None = None,
        port: int = 8000,
    ) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if host:
            self._client: Any = chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
        else:
            assert path is not None, "a persistent Chroma index needs a path"
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        self._col = self._client.get_or_create_collection(
            name=collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        for i in range(0, len(chunks), _BATCH):
            part = chunks[i : i + _BATCH]
            self._col.upsert(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                metadatas=[c.metadata() for c in part],
                embeddings=np.asarray(vectors[i : i + _BATCH], dtype=np.float32).tolist(),
            )

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), _BATCH):
            self._col.delete(ids=ids[i : i + _BATCH])

    def query(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[tuple[Chunk, float]]:
        n = self.count()
        if n == 0:
            return []
        res = self._col.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
            n_results=min(k, n),
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        out = []
        for id_, doc, meta, dist in zip(
            res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
        ):
            out.append((_chunk_from(id_, doc, meta), 1.0 - float(dist)))
        return out

    def all_chunks(self) -> list[Chunk]:
        got = self._col.get(include=["documents", "metadatas"])
        return [_chunk_from(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]

    def content_hashes(self) -> dict[str, str]:
        got = self._col.get(include=["metadatas"])
        return {i: str(m.get("content_hash", "")) for i, m in zip(got["ids"], got["metadatas"], strict=True)}

    def count(self) -> int:
        return int(self._col.count())
