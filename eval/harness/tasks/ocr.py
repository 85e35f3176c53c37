"""ocr: the document reader in settings (OCR engine, type, fields) on scans or photos: document-type accuracy,
character accuracy and key-field accuracy, broken check digits caught.

JSONL item: {"id"?, "image": "path/to/scan.jpg", "doc_type"?: "business_licence", "text"?: "printed text, one
printed line a line", "fields"?: {"name": "value"}, "category"?: "business_licence", "variant"?: "clean|blur|…",
"valid_checksum"?: true}. Paths are relative to the dataset file.

- ``type_accuracy``: the reader's ``doc_type`` equals ``doc_type`` (items that give one).
- ``char_accuracy``: 1 − Σ per printed line (the lines of ``text``) of the edit distance to its best-matching
  stretch of the recognised text / Σ line lengths, after NFKC and without spaces; reading order across columns
  does not count as an error (the measure of ``eval/bench_ocr.py``). Text without line breaks is one line.
- ``field_accuracy``: share of ``fields`` whose key the reader extracted with that value (NFKC, spaces ignored);
  keys and value forms as the reader reports them (``knowledge/documents/doc_types.yaml``: dates ISO, capital in
  万元, ``valid_start`` / ``valid_end`` of a period).
- ``check_digit``: with ``valid_checksum``, the ID number / credit code is flagged needs_check exactly when broken.
"""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from assistant import wiring
from eval.harness.tasks.base import DATASETS, ItemResult, Loaded, RunEnv, Summary, Task, default_summary

CODE_FIELD = {"id_front": "id_number", "business_licence": "credit_code"}
PHOTO_VARIANTS = ("perspective", "photo")  # photographed at an angle on a table (eval/docgen.py photograph)


class OcrItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    image: str
    doc_type: str | None = None
    text: str = ""
    fields: dict[str, str] = {}
    category: str = ""
    variant: str = ""  # clean, a degradation (blur, rotate_90, …) or perspective / photo: the condition breakdown
    valid_checksum: bool | None = None


def canon(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def substring_distance(line: str, text: str) -> int:
    """Edit distance of ``line`` to its best-matching stretch of ``text`` (semi-global alignment)."""
    prev = [0] * (len(text) + 1)
    for i, ca in enumerate(line, 1):
        cur = [i]
        for j, cb in enumerate(text, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return min(prev)


def char_accuracy(reference: str, recognised: str) -> float | None:
    lines = [c for c in (canon(x) for x in reference.splitlines()) if c]
    total = sum(len(x) for x in lines)
    if not total:
        return None
    hyp = canon(recognised)
    return max(0.0, 1 - sum(substring_distance(x, hyp) for x in lines) / total)


class OcrTask(Task):
    name = "ocr"
    description = "Document reader: type, character and key-field accuracy"
    default_dataset = DATASETS / "ocr_dev.jsonl"
    item_model = OcrItem
    headline = ("type_accuracy", "char_accuracy", "field_accuracy", "check_digit")

    def load(self, path: Path) -> Loaded:
        out = super().load(path)
        for it in out.items:
            it["image"] = str((path.parent / it["image"]).resolve())
        return out

    def prepare(self, env: RunEnv) -> Any:
        reader = wiring.build_document_reader(env.settings)
        reader.warm_up()
        return reader

    def run_item(self, reader: Any, item: dict[str, Any]) -> ItemResult:
        image = Path(item["image"])
        t0 = time.perf_counter()
        doc = reader.read(image.read_bytes())
        ms = (time.perf_counter() - t0) * 1000
        scores: dict[str, float] = {}
        reasons: list[str] = []
        if item["doc_type"]:
            scores["type_accuracy"] = float(doc.doc_type == item["doc_type"])
            if not scores["type_accuracy"]:
                reasons.append(f"type {doc.doc_type}, expected {item['doc_type']}")
        chars = char_accuracy(item["text"], doc.text)
        if chars is not None:
            scores["char_accuracy"] = chars
            if chars < 0.9:
                reasons.append(f"character accuracy {chars:.2f}")
        got = {k: f.value for k, f in doc.fields.items()}
        wrong = [k for k, v in item["fields"].items() if canon(got.get(k, "")) != canon(v)]
        if item["fields"]:
            scores["field_accuracy"] = 1 - len(wrong) / len(item["fields"])
        reasons += [f"field {k}: {got.get(k)!r}, expected {item['fields'][k]!r}" for k in wrong]
        code = doc.fields.get(CODE_FIELD.get(item["doc_type"] or "", ""))
        if item["valid_checksum"] is not None and code is not None:
            scores["check_digit"] = float((code.state == "needs_check") == (not item["valid_checksum"]))
            if not scores["check_digit"]:
                reasons.append("broken check digit not caught" if not item["valid_checksum"] else "false alarm")
        return ItemResult(
            item["id"], not reasons, scores, "zh", item["category"] or item["doc_type"] or "", image.name,
            {"doc_type": item["doc_type"], "fields": item["fields"], "text": item["text"]},
            {"doc_type": doc.doc_type, "fields": got, "text": doc.text}, reasons, round(ms, 1),
            {"variant": item["variant"], "rotation": doc.rotation, "timings_ms": doc.timings_ms,
             "states": {k: f.state for k, f in doc.fields.items() if f.state != "ok"}},
        )  # fmt: skip

    def summarise(self, results: list[ItemResult]) -> Summary:
        def condition(r: ItemResult) -> str:
            v = str(r.detail.get("variant") or "")
            return "" if not v else ("clean" if v == "clean" else "photo" if v in PHOTO_VARIANTS else "degraded")

        return default_summary(results, self.headline, {"condition": condition})


TASK = OcrTask()
