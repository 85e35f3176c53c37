"""fill: form-filling dialogs through eval/fill_eval.py (issue 6): field accuracy, whole-application match and the
typed-versus-filled count. Scripted chat model and hash embedder, real approval engine and SQLite (as fill_eval).

Item (the YAML set's ``dialogs``, or JSONL one dialog a line): {"id", "tags": [...], "turns": [{"user": "..."}, ...],
"expect": {application fields}}
"""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path
from typing import Any

from eval.harness.tasks.base import DATASETS, ItemResult, RunEnv, Task

fill_eval = importlib.import_module("eval.fill_eval")  # ImportError -> the task is reported as not available


def _first_turn(item: dict[str, Any]) -> str:
    turns = item.get("turns") or [""]
    return str(turns[0].get("user", "") if isinstance(turns[0], dict) else turns[0])


class FillTask(Task):
    name = "fill"
    description = "form filling: field accuracy, exact match, typed vs filled"
    default_dataset = DATASETS / "fill_dev.yaml"
    headline = ("field_accuracy", "exact_match")

    def from_yaml(self, data: Any) -> list[Any]:
        return list(data["dialogs"]) if isinstance(data, dict) else super().from_yaml(data)

    def prepare(self, env: RunEnv) -> Any:
        self._tmp = tempfile.TemporaryDirectory(prefix="daoban-fill-")
        return fill_eval.build(False, Path(self._tmp.name))

    def run_item(self, svc: Any, item: dict[str, Any]) -> ItemResult:
        r = fill_eval.run_dialog(svc, item)
        tags = item.get("tags", [])
        scores = {
            "field_accuracy": r["correct"] / r["fields"] if r["fields"] else 1.0,
            "exact_match": float(r["exact"]),
            "typed_share": r["typed"] / r["filled"] if r["filled"] else 0.0,
        }
        return ItemResult(
            str(r["id"]), bool(r["exact"]), scores, tags[0] if tags else "", tags[1] if len(tags) > 1 else "",
            _first_turn(item), item.get("expect"),
            {"filled": r["filled"], "typed": r["typed"], "missing": r["missing"]},
            [str(m) for m in r["misses"]], detail={"turns": r["turns"]},
        )  # fmt: skip

    def close(self, state: Any) -> None:
        if hasattr(self, "_tmp"):
            self._tmp.cleanup()


TASK = FillTask()
