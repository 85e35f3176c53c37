"""VectorIndex on Chroma: a persistent client by default, an HTTP client when scaled out.

Embeddings are computed by our Embedder and passed in, so Chroma never downloads its default model.

Generations (atomic re-ingestion): the index named ``policy`` lives in collections ``policy__g1``,
``policy__g2`` …; an empty head collection ``policy__head`` names the current one in its metadata.
``apply`` builds the next generation (unchanged records copied with their embeddings, changed ones added),
then switches the head, so a reader sees the old state or the new one and a killed run leaves only an orphan
that the next run drops. The previous generation is kept one round for readers still holding it; a reader
re-reads the head in ``all_chunks`` / ``content_hashes`` and when its generation is gone. Without a head
(an index written before generations, or one only ever written with ``upsert``) the collection is ``policy``.
One writer at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.domain import Chunk
from assistant.metadata_filter import matches

_BATCH = 2000
_PAGE = 10_000  # records per get() when reading a whole collection
_HEAD = "__head"
_GEN = "__g"


def _chunk_from(id_: str, doc: str, meta: dict[str, Any]) -> Chunk:
    return Chunk(
        id=id_,
        text=doc,
        source=str(meta.get("source", "")),
        title=str(meta.get("title", "")),
        article=str(meta.get("article", "")),
        chapter=str(meta.get("chapter", "")),
        section=str(meta.get("section", "")),
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
        self._name = collection
        self._col = self._open()

    # --- generations ------------------------------------------------------------------------------
    def _head(self) -> Any:
        from chromadb.errors import NotFoundError

        try:
            return self._client.get_collection(self._name + _HEAD, embedding_function=None)
        except NotFoundError:
            return None

    def _open(self) -> Any:
        """The current generation named by the head, else the plain collection (created when absent)."""
        from chromadb.errors import NotFoundError

        head = self._head()
        if head is not None:
            try:
                return self._client.get_collection(str(head.metadata["generation"]), embedding_function=None)
            except (NotFoundError, KeyError):
                pass
        return self._client.get_or_create_collection(
            name=self._name, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    @property
    def generation(self) -> str:
        return str(self._col.name)

    def _generations(self) -> list[str]:
        names = [c if isinstance(c, str) else c.name for c in self._client.list_collections()]
        prefix = self._name + _GEN
        return [n for n in names if n == self._name or (n.startswith(prefix) and n[len(prefix) :].isdigit())]

    def _drop(self, keep: set[str]) -> None:
        for name in self._generations():
            if name not in keep:
                self._client.delete_collection(name)

    def apply(self, upserts: Sequence[Chunk], vectors: np.ndarray, deletes: Sequence[str]) -> None:
        """Write a change set as a new generation, then switch the head to it (atomic for readers)."""
        self._col = self._open()
        current = self.generation
        head = self._head()
        previous = str((head.metadata or {}).get("previous", "")) if head is not None else ""
        number = max((int(n[len(self._name + _GEN) :]) for n in self._generations() if n != self._name), default=0)
        self._drop({current, previous})  # orphans of an interrupted run
        new = self._client.create_collection(
            name=f"{self._name}{_GEN}{number + 1}",
            embedding_function=None,
            metadata={"hnsw:space": "cosine"},
        )
        skip = set(deletes) | {c.id for c in upserts}
        for offset in range(0, self.count(), _BATCH):
            got = self._col.get(include=["embeddings", "documents", "metadatas"], limit=_BATCH, offset=offset)
            keep = [j for j, i in enumerate(got["ids"]) if i not in skip]
            if keep:
                new.add(
                    ids=[got["ids"][j] for j in keep],
                    documents=[got["documents"][j] for j in keep],
                    metadatas=[got["metadatas"][j] for j in keep],
                    embeddings=np.asarray(got["embeddings"])[keep].astype(np.float32),
                )
        self._write(new, upserts, vectors)
        pointer = {"generation": new.name, "previous": current}
        if head is None:
            self._client.create_collection(name=self._name + _HEAD, embedding_function=None, metadata=pointer)
        else:
            head.modify(metadata=pointer)
        self._col = new
        self._drop({new.name, current})

    # --- VectorIndex ------------------------------------------------------------------------------
    @staticmethod
    def _write(col: Any, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        for i in range(0, len(chunks), _BATCH):
            part = chunks[i : i + _BATCH]
            col.upsert(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                metadatas=[c.metadata() for c in part],
                embeddings=np.asarray(vectors[i : i + _BATCH], dtype=np.float32).tolist(),
            )

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        self._write(self._col, chunks, vectors)

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), _BATCH):
            self._col.delete(ids=ids[i : i + _BATCH])

    def query(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[tuple[Chunk, float]]:
        from chromadb.errors import NotFoundError

        try:
            return self._query(vector, k, where)
        except NotFoundError:  # our generation was dropped by a later ingestion: follow the head
            self._col = self._open()
            return self._query(vector, k, where)

    def _query(self, vector: np.ndarray, k: int, where: dict[str, Any] | None) -> list[tuple[Chunk, float]]:
        n = self.count()
        if n == 0:
            return []
        k = min(k, n)
        if where and matches(where, {}) is not None:
            # Chroma evaluates a metadata filter over every record (~5 ms per 1k records, 0.5 s at 100k):
            # search unfiltered with room to spare and filter here; only when too few pass, let Chroma filter
            for fetch in (min(n, 3 * k + 10), min(n, 10 * k)):  # superseded editions crowd near neighbours
                hits = [h for h in self._search(vector, fetch, None) if matches(where, h[2])]
                if len(hits) >= k or fetch >= n:
                    return [(_chunk_from(i, d, m), 1.0 - dist) for i, d, m, dist in hits[:k]]
        return [(_chunk_from(i, d, m), 1.0 - dist) for i, d, m, dist in self._search(vector, k, where)]

    def _search(
        self, vector: np.ndarray, k: int, where: dict[str, Any] | None
    ) -> list[tuple[str, str, dict[str, Any], float]]:
        res = self._col.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
            n_results=k,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (i, d, m, float(dist))
            for i, d, m, dist in zip(
                res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
            )
        ]

    def _get_all(self, include: list[str]) -> dict[str, list[Any]]:
        """Every record, a page at a time (one get() of ~33k+ records overflows SQLite's variable limit)."""
        out: dict[str, list[Any]] = {key: [] for key in ("ids", *include)}
        offset = 0
        while True:
            got = self._col.get(include=include, limit=_PAGE, offset=offset)
            for key, values in out.items():
                values.extend(got[key])
            if len(got["ids"]) < _PAGE:
                return out
            offset += _PAGE

    def all_chunks(self) -> list[Chunk]:
        self._col = self._open()
        got = self._get_all(["documents", "metadatas"])
        return [_chunk_from(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)]

    def content_hashes(self) -> dict[str, str]:
        self._col = self._open()
        got = self._get_all(["metadatas"])
        return {i: str(m.get("content_hash", "")) for i, m in zip(got["ids"], got["metadatas"], strict=True)}

    def count(self) -> int:
        return int(self._col.count())
