"""daoban eval end to end in process: the real assistant without the model over the ingested corpus."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.settings import Settings
from eval.harness import cli
from eval.harness.runs import runs_root


def test_injection_run_writes_its_folder_and_resume_recomputes_nothing(real_settings: Settings, ingested: Path) -> None:
    lines: list[str] = []
    code = cli.main("injection", [], settings=real_settings, limit=4, no_model=True, echo=lines.append)
    assert code == 0, lines
    run = max(runs_root(real_settings).glob("injection-*"))
    assert {p.name for p in run.iterdir()} >= {"config.json", "items.jsonl", "summary.json", "report.md", "report.html"}
    items = [json.loads(x) for x in (run / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(items) == 4 and all(i["detail"]["status"] for i in items)
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert summary["complete"] and 0.0 <= summary["metrics"]["handled"] <= 1.0
    assert json.loads((run / "config.json").read_text(encoding="utf-8"))["no_model"] is True

    lines.clear()
    assert cli.main("injection", [], settings=real_settings, resume=run, echo=lines.append) == 0
    assert not any(x.startswith("[") for x in lines)  # no item ran again
    assert len((run / "items.jsonl").read_text(encoding="utf-8").splitlines()) == 4
