"""Never half-written: a re-ingestion that dies while embedding or while writing leaves real Chroma in its old
state for every reader; the next run completes; a run with nothing to change writes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings

from assistant.adapters import chroma_index
from assistant.adapters.chroma_index import ChromaIndex
from assistant.settings import PROJECT_ROOT
from assistant.testing import HashEmbedder
from ingestion.pipeline import IngestReport, ingest, load

pytestmark = pytest.mark.integration
KNOWLEDGE = PROJECT_ROOT / "knowledge"


def law(name: str, articles: list[str]) -> str:
    return "\n".join(
        [name, "第一章 总则", *(f"第{n}条 {t}" for n, t in zip("一二三四五六七八九", articles, strict=False))]
    )


V1 = {
    "甲法": ["公司是企业法人。", "股东以认缴的出资额为限承担责任。", "公司应当依法纳税。"],
    "乙法": ["个体工商户可以起字号。", "个体工商户应当年报。"],
}
V2 = {
    "甲法": ["公司是企业法人，有独立的法人财产。", "股东以认缴的出资额为限承担责任。", "公司应当依法纳税并公示。"],
    "丙法": ["合伙企业由合伙人订立合伙协议。", "合伙人对合伙企业债务承担无限连带责任。"],
}  # 甲法 changed twice, 乙法 removed, 丙法 added


def write_corpus(root: Path, laws: dict[str, list[str]]) -> Path:
    folder = root / "laws"
    folder.mkdir(parents=True, exist_ok=True)
    for p in folder.iterdir():
        p.unlink()
    for name, articles in laws.items():
        (folder / f"{name}.txt").write_text(law(name, articles), encoding="utf-8")
    return folder


def run(folder: Path, index: ChromaIndex, embedder: Any = None, batch: int = 64) -> IngestReport:
    loaded = load([folder], KNOWLEDGE)
    return ingest(loaded.chunks, embedder or HashEmbedder(), index, scopes=loaded.scopes, batch=batch)


def snapshot(path: Path) -> dict[str, str]:
    """What a fresh reader (another process, a restarted server) sees: id → text."""
    return {c.id: c.text for c in ChromaIndex("policy", path=path).all_chunks()}


def top_hit(path: Path, text: str) -> str:
    vec = HashEmbedder().embed_queries([text])[0]
    return ChromaIndex("policy", path=path).query(vec, 1)[0][0].text


def collections(path: Path) -> list[str]:
    client = chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False, allow_reset=False))
    return sorted(c.name for c in client.list_collections())


class DiesMidway(HashEmbedder):
    """Embeds ``ok`` batches, then fails like a model crashing or running out of memory."""

    def __init__(self, ok: int) -> None:
        super().__init__()
        self.ok = ok

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if self.ok == 0:
            raise RuntimeError("embedder died midway")
        self.ok -= 1
        return super().embed_passages(texts)


@pytest.fixture
def v1(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    folder = write_corpus(tmp_path / "corpus", V1)
    path = tmp_path / "chroma"
    run(folder, ChromaIndex("policy", path=path))
    return folder, path, snapshot(path)


def test_embedder_failing_midway_leaves_the_old_state_then_a_rerun_completes(v1: tuple[Path, Path, dict]) -> None:
    folder, path, before = v1
    write_corpus(folder.parent, V2)
    with pytest.raises(RuntimeError, match="midway"):
        run(folder, ChromaIndex("policy", path=path), DiesMidway(ok=1), batch=2)
    assert snapshot(path) == before
    assert top_hit(path, "个体工商户可以起字号") == "第一条 个体工商户可以起字号。"  # 乙法 still answers

    report = run(folder, ChromaIndex("policy", path=path))
    assert (report.added, report.unchanged, report.deleted) == (4, 1, 2)
    after = snapshot(path)
    assert after["law:甲法:第一条"] == "第一条 公司是企业法人，有独立的法人财产。" and "law:乙法:第一条" not in after
    assert top_hit(path, "合伙人订立合伙协议") == "第一条 合伙企业由合伙人订立合伙协议。"


def test_write_killed_midway_leaves_the_old_state_and_the_next_run_cleans_up(
    v1: tuple[Path, Path, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, path, before = v1
    write_corpus(folder.parent, V2)
    real_write = ChromaIndex._write

    def killed_after_first_batch(col: Any, chunks: Sequence[Any], vectors: np.ndarray) -> None:
        real_write(col, chunks[:1], vectors[:1])
        raise KeyboardInterrupt  # the process is killed while writing

    existing = set(collections(path))
    monkeypatch.setattr(chroma_index, "_BATCH", 1)
    monkeypatch.setattr(ChromaIndex, "_write", staticmethod(killed_after_first_batch))
    with pytest.raises(KeyboardInterrupt):
        run(folder, ChromaIndex("policy", path=path))
    monkeypatch.undo()
    assert snapshot(path) == before
    orphans = set(collections(path)) - existing
    assert orphans  # the half-built generation, never pointed to

    run(folder, ChromaIndex("policy", path=path))
    assert set(snapshot(path)) == {f"law:{n}:第{a}条" for n, arts in V2.items() for a in "一二三"[: len(arts)]}
    left = collections(path)
    assert not orphans & set(left) and len(left) == 3  # head, current and previous generations only


def test_no_change_writes_nothing_and_readers_follow_the_head(v1: tuple[Path, Path, dict]) -> None:
    folder, path, before = v1
    reader = ChromaIndex("policy", path=path)  # a server started before the next two ingestions
    gen = reader.generation
    writer = ChromaIndex("policy", path=path)
    report = run(folder, writer)
    assert (report.added, report.deleted) == (0, 0) and writer.generation == gen and snapshot(path) == before

    write_corpus(folder.parent, V2)
    run(folder, ChromaIndex("policy", path=path))
    write_corpus(folder.parent, {**V2, "丁法": ["外商投资实行准入前国民待遇。", "外国投资者依法享有权利。"]})
    run(folder, ChromaIndex("policy", path=path))
    assert gen not in collections(path)  # two generations later, the reader's one is dropped
    vec = HashEmbedder().embed_queries(["外商投资实行准入前国民待遇"])[0]
    assert reader.query(vec, 1)[0][0].id == "law:丁法:第一条"  # it followed the head instead of failing
