"""ocr: character accuracy and key-field accuracy of the OCR engine in settings on scans or photos.

JSONL item: {"id"?, "image": "path/to/scan.png", "text": "expected full text", "fields"?: {"name": "value"},
"category"?: "business_licence"}. Paths are relative to the dataset file. Key-field accuracy: share of the
expected field values found in the recognised text.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from assistant import wiring
from eval.asr_metrics import edit_distance, norm_zh
from eval.harness.tasks.base import DATASETS, ItemResult, Loaded, RunEnv, Task


class OcrItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    image: str
    text: str
    fields: dict[str, str] = {}
    category: str = ""


def _text(line: Any) -> str:
    return str(getattr(line, "text", None) or line[0])


class OcrTask(Task):
    name = "ocr"
    description = "OCR character and key-field accuracy"
    default_dataset = DATASETS / "ocr_dev.jsonl"
    item_model = OcrItem
    headline = ("char_accuracy", "field_accuracy")

    def load(self, path: Path) -> Loaded:
        out = super().load(path)
        for it in out.items:
            it["image"] = str((path.parent / it["image"]).resolve())
        return out

    def prepare(self, env: RunEnv) -> Any:
        return wiring.build_document_reader(env.settings).engine

    def run_item(self, engine: Any, item: dict[str, Any]) -> ItemResult:
        t0 = time.perf_counter()
        got = "".join(_text(ln) for ln in engine.read(Path(item["image"]).read_bytes()))
        ms = (time.perf_counter() - t0) * 1000
        ref, hyp = norm_zh(item["text"]), norm_zh(got)
        scores = {"char_accuracy": max(0.0, 1 - edit_distance(ref, hyp) / max(1, len(ref)))}
        missing = [k for k, v in item["fields"].items() if norm_zh(v) not in hyp]
        if item["fields"]:
            scores["field_accuracy"] = 1 - len(missing) / len(item["fields"])
        return ItemResult(
            item["id"], not missing and scores["char_accuracy"] >= 0.9, scores, "zh", item["category"],
            item["image"], item["text"], got, [f"field {k} not read" for k in missing], round(ms, 1),
        )  # fmt: skip


TASK = OcrTask()
