"""Markdown: ``#`` headings; a law file has its title and history above ``<!-- INFO END -->``."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.ports import OcrEngine
from ingestion.document import Block, Document, clean, decode, read_bytes

INFO_END = "<!-- INFO END -->"
_HEADING_RE = re.compile(r"^(#{1,6})\s*(.+)$")


def blocks_of(text: str) -> list[Block]:
    out = []
    for raw in text.splitlines():
        line = clean(raw)
        if not line or (line.startswith("<!--") and line.endswith("-->")):
            continue
        m = _HEADING_RE.match(line)
        out.append(Block(m.group(2).strip(), len(m.group(1))) if m else Block(line))
    return out


def parse(text: str) -> Document:
    head, sep, body = text.partition(INFO_END)
    if sep:
        title = "".join(clean(x)[2:].strip() for x in head.splitlines() if x.startswith("# "))
        return Document(blocks_of(body), title=title, preamble=head, is_law=True)
    blocks = blocks_of(text)
    first = next((i for i, b in enumerate(blocks) if b.level == 1), None)
    if first is None:
        return Document(blocks)
    return Document(blocks[:first] + blocks[first + 1 :], title=blocks[first].text)


def load(path: Path, ocr: OcrEngine | None = None) -> Document:
    return parse(decode(read_bytes(path)))
