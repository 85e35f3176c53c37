"""Loaders by file extension. A document loader returns a Document (blocks of text); a record loader
(CSV / JSONL) returns (line number, record) pairs that become FAQ entries or complaint tickets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.ports import OcrEngine
from ingestion.document import Document
from ingestion.loaders import docx, html, markdown, pdf, records, text

DocumentLoader = Callable[[Path, OcrEngine | None], Document]
RecordLoader = Callable[[Path], list[tuple[int, dict[str, object]]]]

DOCUMENT_LOADERS: dict[str, DocumentLoader] = {
    ".md": markdown.load,
    ".markdown": markdown.load,
    ".txt": text.load,
    ".html": html.load,
    ".htm": html.load,
    ".pdf": pdf.load,
    ".docx": docx.load,
}
RECORD_LOADERS: dict[str, RecordLoader] = {".csv": records.load_csv, ".jsonl": records.load_jsonl}
SUPPORTED = sorted({*DOCUMENT_LOADERS, *RECORD_LOADERS})
