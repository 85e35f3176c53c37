"""The `daoban` console script: check, render, audit verify (in process, real SQLite in a temp dir)."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.settings import PROJECT_ROOT, get_settings
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.unit
BASE = PROJECT_ROOT / "eval" / "datasets" / "approval" / "base_llc.json"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DAOBAN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DAOBAN_DATA_DIR", str(DATA_DIR))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_check_prints_the_decision_and_logs_it(runner: CliRunner) -> None:
    r = runner.invoke(app, ["check", str(BASE), "--json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert body["decision"] == "pass" and body["registration_authority"]["code"] == "440106"
    human = runner.invoke(app, ["check", str(BASE)])
    assert "审查结论" in human.output and "广州市天河区市场监督管理局" in human.output
    v = runner.invoke(app, ["audit", "verify", "--json"])
    assert v.exit_code == 0 and json.loads(v.output)["records"] == 2


def test_check_exit_code_is_1_for_block(runner: CliRunner, tmp_path: Path) -> None:
    raw = json.loads(BASE.read_text(encoding="utf-8"))
    raw["proposed_name"] = "中国青禾软件有限公司"
    f = tmp_path / "a.json"
    f.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    r = runner.invoke(app, ["check", str(f), "--json"])
    assert r.exit_code == 1 and json.loads(r.output)["decision"] == "block"


@pytest.mark.parametrize(
    ("content", "expect"),
    [("{not json", "不是有效的 JSON"), ('{"entity_type": "合伙"}', "entity_type"), ('{"foo": 1}', "foo")],
)
def test_check_explains_bad_input(runner: CliRunner, tmp_path: Path, content: str, expect: str) -> None:
    f = tmp_path / "bad.json"
    f.write_text(content, encoding="utf-8")
    r = runner.invoke(app, ["check", str(f), "--json"])
    assert r.exit_code == 2 and expect in r.output


def test_missing_file_is_a_clear_error(runner: CliRunner) -> None:
    r = runner.invoke(app, ["check", "/nonexistent/app.json"])
    assert r.exit_code == 2 and "无法读取" in r.output


def test_render_writes_pdf_and_html(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "sheet.pdf"
    r = runner.invoke(app, ["render", "confirmation", str(BASE), "--format", "pdf", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"%PDF")
    html = runner.invoke(app, ["render", "articles", str(BASE)])
    assert html.exit_code == 0 and "第四十七条" in html.output
