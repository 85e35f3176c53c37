"""POST /v1/transcribe: a recorded voice question → its transcript (the widget shows it for correction)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import BaseModel

from assistant.api.schemas import ErrorResponse
from assistant.ports import Transcriber
from assistant.speech.audio import AudioTooLarge


class SegmentOut(BaseModel):
    start: float
    end: float
    text: str


class TranscribeResponse(BaseModel):
    status: Literal["ok", "no_speech"]
    text: str  # normalised: Simplified script, Cantonese wording in standard written Chinese
    original_text: str  # what the recogniser wrote
    lang: str  # zh | en | yue ("" when no speech)
    duration_s: float
    language_probability: float
    message: str = ""  # for no_speech: what to do instead
    segments: list[SegmentOut] = []
    model: str = ""
    timings_ms: dict[str, float] = {}


def build_speech_router(get: Callable[[], Transcriber], max_bytes: int) -> APIRouter:
    router = APIRouter(tags=["speech"])
    lock = threading.Lock()

    @router.post(
        "/v1/transcribe",
        response_model=TranscribeResponse,
        responses={413: {"model": ErrorResponse}, 415: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    )
    def transcribe(
        request: Request,
        file: Annotated[UploadFile, File(description="WAV, MP3, M4A/AAC, OGG/Opus or WebM recording")],
        lang: Annotated[Literal["zh", "en", "yue", "auto"] | None, Form()] = None,
    ) -> TranscribeResponse:
        """Transcribe one recorded question. A silent or speechless recording answers 200 with
        `status: no_speech` and a message; a bad file answers 413 / 415 / 422 with a bilingual message."""
        data = file.file.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise AudioTooLarge(
                f"录音文件过大（上限 {max_bytes / 1e6:.0f} MB）。",
                f"The recording is too large (limit {max_bytes / 1e6:.0f} MB).",
                field="file",
            )
        with lock:  # the model loads once, on the first request
            svc = get()
        t = svc.transcribe(data, lang=lang, filename=file.filename)
        ui_lang = "en" if request.headers.get("accept-language", "zh").lower().startswith("en") else "zh"
        return TranscribeResponse(
            status=t.status,
            text=t.text,
            original_text=t.original_text,
            lang=t.lang,
            duration_s=t.duration_s,
            language_probability=t.language_probability,
            message=t.message(ui_lang),
            segments=[SegmentOut(start=s.start, end=s.end, text=s.text) for s in t.segments],
            model=t.model,
            timings_ms=t.timings_ms,
        )

    return router
