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


def test_ocr_and_asr_run_on_their_committed_sets(real_settings: Settings) -> None:
    """The real reader (rapidocr) and transcriber (faster-whisper base) on a few items of the committed sets."""
    from assistant.provision import install

    install("whisper-base-ct2", real_settings.models_dir)
    for task, limit, metric in (("ocr", 2, "char_accuracy"), ("asr", 3, "error_rate")):
        lines: list[str] = []
        code = cli.main(task, [], settings=real_settings, limit=limit, echo=lines.append)
        assert code == 0, lines
        run = max(runs_root(real_settings).glob(f"{task}-*"))
        summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
        assert summary["complete"] and summary["n"] == limit and 0.0 <= summary["metrics"][metric] <= 1.0
        assert summary["breakdowns"]["lang"] and summary["breakdowns"]["category"]
        assert "<svg" in (run / "report.html").read_text(encoding="utf-8")
    ocr = json.loads(max(runs_root(real_settings).glob("ocr-*")).joinpath("summary.json").read_text(encoding="utf-8"))
    assert ocr["metrics"]["type_accuracy"] == 1.0  # the first and the middle item of the set
