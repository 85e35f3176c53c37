"""Plain text: one paragraph per non-empty line (UTF-8 or GB18030)."""

from __future__ import annotations

from pathlib import Path

from assistant.ports import OcrEngine
from ingestion.document import Block, Document, clean, decode, read_bytes


def load(path: Path, ocr: OcrEngine | None = None) -> Document:
    lines = (clean(x) for x in decode(read_bytes(path)).splitlines())
    return Document([Block(x) for x in lines if x])
