"""Per-file failure report: a bad file is named with its reason and skipped; the rest of the batch loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT
from ingestion import document
from ingestion.pipeline import load

pytestmark = pytest.mark.unit
KNOWLEDGE = PROJECT_ROOT / "knowledge"
GOOD_MD = "# 指南\n\n## 营业执照丢了怎么办\n可以申请补领。\n"


def put(folder: Path, name: str, content: str | bytes) -> Path:
    p = folder / name
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        p.write_text(content, encoding="utf-8")
    else:
        p.write_bytes(content)
    return p


def reasons(folder: Path) -> tuple[dict[str, tuple[str, str]], list[str]]:
    loaded = load([folder], KNOWLEDGE)
    return {Path(f.file).name: (f.reason, f.reason_en) for f in loaded.failures}, [c.id for c in loaded.chunks]


def test_each_bad_file_is_named_with_its_reason_and_the_rest_loads(tmp_path: Path) -> None:
    from PIL import Image

    root = tmp_path / "guides"
    put(root, "good.md", GOOD_MD)
    put(root, "corrupt.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage")
    put(root, "corrupt.docx", b"PK\x03\x04 not really a zip")
    put(root, "binary.txt", bytes(range(256)) * 4)
    put(root, "empty.txt", b"")
    put(root, "notes.xyz", "随便写点什么")
    put(root, "blank.md", "# 只有标题\n")
    rec = {"question": "个体户要年报吗", "answer": "要。"}
    put(root, "faq.jsonl", json.dumps(rec, ensure_ascii=False) + '\n{"question": "缺了括号"\n')
    put(root, "ticket.jsonl", json.dumps({"id": "T1", "ticket": "没人管"}, ensure_ascii=False) + "\n")
    Image.new("RGB", (200, 100), "white").save(root / "scan.pdf", format="PDF")
    put(root, "README.md", "# 说明\n\n## 本目录\n不是语料。\n")
    put(root, ".hidden.md", GOOD_MD)

    failed, ids = reasons(root)
    assert ids == ["guide:good:营业执照丢了怎么办"]
    assert set(failed) == {
        "corrupt.pdf",
        "corrupt.docx",
        "binary.txt",
        "empty.txt",
        "notes.xyz",
        "blank.md",
        "faq.jsonl",
        "ticket.jsonl",
        "scan.pdf",
    }  # README and hidden files are not corpus documents: skipped silently
    assert "PDF 文件损坏" in failed["corrupt.pdf"][0] and "corrupt" in failed["corrupt.pdf"][1]
    assert "DOCX 文件损坏" in failed["corrupt.docx"][0]
    assert "二进制" in failed["binary.txt"][0] and "binary" in failed["binary.txt"][1]
    assert failed["empty.txt"] == ("文件为空", "empty file")
    assert "不支持的文件类型 .xyz" in failed["notes.xyz"][0]
    assert "没有可索引的内容" in failed["blank.md"][0]
    assert "第 2 行" in failed["faq.jsonl"][0] and "line 2" in failed["faq.jsonl"][1]
    assert "第 1 行" in failed["ticket.jsonl"][0] and "question" in failed["ticket.jsonl"][1]
    assert "扫描件需要文字识别（OCR）" in failed["scan.pdf"][0]


def test_a_file_over_the_size_cap_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document, "MAX_FILE_BYTES", 1024)
    put(tmp_path / "guides", "big.md", GOOD_MD + "填充。" * 400)
    failed, ids = reasons(tmp_path / "guides")
    assert ids == [] and "文件过大" in failed["big.md"][0] and "too large" in failed["big.md"][1]


def test_the_same_entry_in_two_files_fails_the_second(tmp_path: Path) -> None:
    put(tmp_path / "guides", "a.md", GOOD_MD)
    rec = {"id": "T1", "question": "问", "ticket": "诉", "resolution": "答"}
    put(tmp_path / "guides", "t1.jsonl", json.dumps(rec, ensure_ascii=False))
    put(tmp_path / "guides", "t2.jsonl", json.dumps(rec, ensure_ascii=False))
    failed, ids = reasons(tmp_path / "guides")
    assert ids.count("complaint:T1") == 1
    assert set(failed) == {"t2.jsonl"} and "guides/t1.jsonl" in failed["t2.jsonl"][0]


def test_csv_with_more_cells_than_headers_names_the_line(tmp_path: Path) -> None:
    put(tmp_path / "faq", "bad.csv", "question,answer\n问一,答一\n问二,答二,多出来\n")
    failed, _ = reasons(tmp_path / "faq")
    assert "第 3 行" in failed["bad.csv"][0]
