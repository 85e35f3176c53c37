"""The real app over deterministic doubles of the model ports, for the fuzz tests.

Chat (ScriptedChat), embedder (HashEmbedder), index (InMemoryIndex with a few real-looking 公司法 articles),
speech engine (ScriptedSpeechEngine) and OCR engine (fixed lines) are doubles; everything else is real:
routes, validation, SQLite store, audio decoding (PyAV), image/PDF loading (Pillow, pypdfium2), staff auth.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import numpy as np
from fastapi import FastAPI

from assistant.api.app import create_app
from assistant.documents import DocumentReader
from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from assistant.speech.audio import AudioLimits
from assistant.speech.service import SpeechService
from assistant.speech.testing import ScriptedSpeechEngine
from assistant.store import SessionStore
from assistant.testing import HashEmbedder, InMemoryIndex, ScriptedChat
from tests.conftest import DATA_DIR, SAMPLE_CHUNKS

GOOD = "不需要一次交齐，股东自公司成立之日起五年内缴足[1]。"
STAFF_NAME, STAFF_PASSWORD = "fuzz_staff", "fuzz-password-123"


class FixedOcr:
    """An OcrEngine that reads the same two lines from any image (the image decoding before it is real)."""

    lines: ClassVar[list[tuple[str, float, list[list[float]]]]] = [
        ("营业执照", 0.99, [[10.0, 10.0], [200.0, 10.0], [200.0, 40.0], [10.0, 40.0]]),
        ("名称 上海导办科技有限公司", 0.98, [[10.0, 60.0], [400.0, 60.0], [400.0, 90.0], [10.0, 90.0]]),
    ]

    def read(self, image: bytes) -> list:
        return list(self.lines)

    def read_array(self, rgb: np.ndarray) -> list:
        return list(self.lines)


def fuzz_settings(state_dir: Path) -> Settings:
    return Settings(state_dir=state_dir, data_dir=DATA_DIR, min_relevance=0.0, min_lexical=0.0)


def build_app(settings: Settings) -> tuple[FastAPI, Assistant]:
    from assistant.wiring import configure

    configure(settings)
    index = InMemoryIndex()
    emb = HashEmbedder()
    index.upsert(SAMPLE_CHUNKS, emb.embed_passages([c.text for c in SAMPLE_CHUNKS]))
    svc = Assistant(
        settings,
        chat=ScriptedChat(fn=lambda _m: GOOD),
        embedder=emb,
        index=index,
        store=SessionStore(settings.sqlalchemy_url),
    )
    speech = SpeechService(
        ScriptedSpeechEngine("注册资本要一次交齐吗"),
        knowledge_dir=PROJECT_ROOT / "knowledge",
        limits=AudioLimits(max_seconds=settings.speech_max_seconds),
        use_vad=False,
    )
    reader = DocumentReader(FixedOcr(), settings.knowledge_dir, settings.data_dir)
    app = create_app(settings, svc, with_ui=False, transcriber=speech, document_reader=reader)
    return app, svc


def app_from_env() -> FastAPI:
    """``uvicorn tests.fuzz.app:app_from_env --factory``: the double-backed app on ``DAOBAN_STATE_DIR`` (the
    short load test's server process)."""
    return build_app(fuzz_settings(Path(os.environ["DAOBAN_STATE_DIR"])))[0]
