"""Incremental re-ingestion: unchanged chunks skipped, vanished or shrunk documents pruned within the
ingested paths only, a failed file keeps its last good version."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.domain import Chunk
from assistant.settings import PROJECT_ROOT
from assistant.testing import HashEmbedder, InMemoryIndex
from ingestion.pipeline import IngestReport, ingest, load

pytestmark = pytest.mark.unit
KNOWLEDGE = PROJECT_ROOT / "knowledge"
LAW = "\n".join(
    [
        "示例法",
        "2023年12月29日 通过",
        "第一章 总则",
        "第一条 为了示例，制定本法。",
        "第二条 公司是企业法人。",
        "第三条 公司应当守法。",
        "",
    ]
)
GUIDE = "# 开办指南\n\n## 材料\n申请书。\n\n## 时限\n当场办结。\n"


class CountingIndex(InMemoryIndex):
    """The in-memory index, recording every write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[tuple[str, list[str]]] = []

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        self.writes.append(("upsert", [c.id for c in chunks]))
        super().upsert(chunks, vectors)

    def delete(self, ids: Sequence[str]) -> None:
        self.writes.append(("delete", list(ids)))
        super().delete(ids)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    (tmp_path / "laws").mkdir()
    (tmp_path / "guides").mkdir()
    (tmp_path / "laws" / "示例法.txt").write_text(LAW, encoding="utf-8")
    (tmp_path / "laws" / "另一法.txt").write_text(LAW.replace("示例法", "另一法"), encoding="utf-8")
    (tmp_path / "guides" / "开办指南.md").write_text(GUIDE, encoding="utf-8")
    return tmp_path


def run(paths: list[Path], index: InMemoryIndex) -> IngestReport:
    loaded = load(paths, KNOWLEDGE)
    report = ingest(loaded.chunks, HashEmbedder(), index, scopes=loaded.scopes, keep_docs=loaded.failed_docs)
    report.failed = loaded.failures
    return report


def test_second_run_skips_everything_and_writes_nothing(corpus: Path) -> None:
    index = CountingIndex()
    first = run([corpus / "laws", corpus / "guides"], index)
    assert (first.total, first.added, first.unchanged, first.deleted) == (8, 8, 0, 0)
    index.writes.clear()
    second = run([corpus / "laws", corpus / "guides"], index)
    assert (second.added, second.unchanged, second.deleted) == (0, 8, 0)
    assert index.writes == []


def test_changed_article_is_re_embedded_alone(corpus: Path) -> None:
    index = CountingIndex()
    run([corpus / "laws"], index)
    index.writes.clear()
    law = corpus / "laws" / "示例法.txt"
    law.write_text(LAW.replace("公司是企业法人", "公司是企业法人，有独立财产"), encoding="utf-8")
    report = run([corpus / "laws"], index)
    assert (report.added, report.unchanged, report.deleted) == (1, 5, 0)
    assert index.writes == [("upsert", ["law:示例法:第二条"])]


def test_removed_and_shrunk_documents_are_pruned(corpus: Path) -> None:
    index = CountingIndex()
    run([corpus / "laws", corpus / "guides"], index)
    (corpus / "laws" / "另一法.txt").unlink()
    (corpus / "guides" / "开办指南.md").write_text("# 开办指南\n\n## 材料\n申请书。\n", encoding="utf-8")
    report = run([corpus / "laws", corpus / "guides"], index)
    assert report.deleted == 4 and report.added == 0
    assert sorted(index.content_hashes()) == [
        "guide:开办指南:材料",
        "law:示例法:第一条",
        "law:示例法:第三条",
        "law:示例法:第二条",
    ]


def test_a_path_ingested_alone_prunes_only_its_own_documents(corpus: Path) -> None:
    index = CountingIndex()
    run([corpus / "laws", corpus / "guides"], index)
    law = corpus / "laws" / "示例法.txt"
    law.write_text(LAW.replace("第三条 公司应当守法。\n", ""), encoding="utf-8")
    (corpus / "laws" / "另一法.txt").unlink()  # not ingested this time: must stay indexed
    report = run([law], index)
    assert report.deleted == 1 and "law:示例法:第三条" not in index.content_hashes()
    assert "law:另一法:第一条" in index.content_hashes() and "guide:开办指南:材料" in index.content_hashes()
    report = run([corpus / "guides"], index)  # another corpus: the laws are out of its scope
    assert report.deleted == 0 and "law:另一法:第一条" in index.content_hashes()


def test_a_file_that_fails_keeps_its_last_good_version(corpus: Path) -> None:
    tickets = corpus / "complaints" / "2026.jsonl"
    tickets.parent.mkdir()
    rec = {"id": "T1", "question": "问", "ticket": "诉", "resolution": "答"}
    tickets.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    index = CountingIndex()
    run([corpus / "laws", corpus / "complaints"], index)
    tickets.write_text(json.dumps(rec, ensure_ascii=False) + "\n{broken\n", encoding="utf-8")
    (corpus / "laws" / "另一法.txt").unlink()
    report = run([corpus / "laws", corpus / "complaints"], index)
    assert [(Path(f.file).name, f.reason) for f in report.failed] == [("2026.jsonl", "第 2 行不是有效的 JSON")]
    assert "complaint:T1" in index.content_hashes()  # kept: its file failed, so it is not "removed"
    assert report.deleted == 3  # the rest of the batch still applied


def test_chunks_indexed_before_doc_keys_are_pruned_by_prefix(corpus: Path) -> None:
    index = CountingIndex()
    legacy = Chunk(id="law:旧法:第一条", text="第一条 旧。", source="旧法", title="旧法", content_hash="x")
    other = Chunk(id="note:备忘:1", text="备忘。", source="备忘", title="备忘", content_hash="y")
    index.upsert([legacy, other], HashEmbedder().embed_passages(["旧", "备"]))
    loaded = load([corpus / "laws"], KNOWLEDGE)
    ingest(loaded.chunks, HashEmbedder(), index, scopes=loaded.scopes)
    assert "law:旧法:第一条" in index.content_hashes()  # no doc key, no prefixes: left alone
    ingest(loaded.chunks, HashEmbedder(), index, scopes=loaded.scopes, prune_prefixes=("law:",))
    assert "law:旧法:第一条" not in index.content_hashes() and "note:备忘:1" in index.content_hashes()
