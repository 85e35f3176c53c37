"""ChromaIndex read paths that matter at scale: filtered queries filtered here, whole-collection reads paged."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.adapters import chroma_index
from assistant.adapters.chroma_index import ChromaIndex
from assistant.domain import Chunk
from assistant.metadata_filter import matches

pytestmark = pytest.mark.integration
N = 300


def chunks() -> list[Chunk]:
    out = []
    for i in range(N):
        kind = "complaint" if i % 100 == 7 else "faq" if i % 5 == 1 else "law"
        status = "superseded" if i % 4 == 3 else "current"
        out.append(
            Chunk(id=f"law:s{i}:第一条", text=f"第{i}条", source=f"s{i}", title="t", kind=kind, status=status)  # type: ignore[arg-type]
        )
    return out


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> tuple[ChromaIndex, list[Chunk], np.ndarray]:
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(N, 32)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    index = ChromaIndex("scale", path=tmp_path_factory.mktemp("chroma"))
    docs = chunks()
    index.upsert(docs, vecs)
    return index, docs, vecs


def exact(docs: list[Chunk], vecs: np.ndarray, q: np.ndarray, k: int, keep: object) -> list[str]:
    sims = vecs @ q
    return [docs[j].id for j in np.argsort(-sims) if keep(docs[j])][:k]  # type: ignore[operator]


def test_filtered_query_equals_exact_search(
    filled: tuple[ChromaIndex, list[Chunk], np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    index, docs, vecs = filled
    filters: list[object] = []
    search = index._search

    def spy(vector: np.ndarray, k: int, where: object) -> object:
        filters.append(where)
        return search(vector, k, where)  # type: ignore[arg-type]

    monkeypatch.setattr(index, "_search", spy)
    both = {"$and": [{"status": "current"}, {"kind": {"$in": ["law", "faq"]}}]}
    for j in (0, 5, 42, 77):
        q = vecs[j] + 0.05 * vecs[j + 1]
        q /= np.linalg.norm(q)
        got = [c.id for c, _ in index.query(q, 30, where={"status": "current"})]
        assert got == exact(docs, vecs, q, 30, lambda c: c.status == "current")
        got = [c.id for c, _ in index.query(q, 10, where=both)]
        assert got == exact(docs, vecs, q, 10, lambda c: c.status == "current" and c.kind != "complaint")
    assert filters and all(f is None for f in filters)  # searched unfiltered, filtered here


def test_a_rare_kind_falls_back_to_chromas_filter(filled: tuple[ChromaIndex, list[Chunk], np.ndarray]) -> None:
    index, docs, vecs = filled
    got = index.query(vecs[0], 10, where={"kind": {"$in": ["complaint"]}})
    assert sorted(c.id for c, _ in got) == sorted(c.id for c in docs if c.kind == "complaint")
    assert len(got) == 3


def test_whole_collection_reads_are_paged(
    filled: tuple[ChromaIndex, list[Chunk], np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    index, docs, _ = filled
    monkeypatch.setattr(chroma_index, "_PAGE", 7)  # many pages and a short last one
    assert sorted(c.id for c in index.all_chunks()) == sorted(c.id for c in docs)
    assert len(index.content_hashes()) == N


def test_filter_evaluation_matches_chroma_semantics() -> None:
    meta = {"status": "current", "kind": "law"}
    assert matches({"status": "current"}, meta) is True
    assert matches({"status": {"$ne": "current"}}, meta) is False
    assert matches({"$and": [{"status": "current"}, {"kind": {"$in": ["faq"]}}]}, meta) is False
    assert matches({"$or": [{"kind": "faq"}, {"kind": {"$nin": ["guide"]}}]}, meta) is True
    assert matches({"kind": {"$gt": 1}}, meta) is None  # not evaluated here: Chroma filters it
