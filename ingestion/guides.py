"""Service guides and FAQ the project authors (knowledge/guides/*.md): one chunk per ``##`` section.

Format: ``# 标题`` first, an optional ``> 依据：…`` line, then ``## 小节`` sections.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.domain import Chunk
from ingestion.laws import content_hash


def parse_guide(path: Path, kind: str = "guide") -> list[Chunk]:
    text = path.read_text(encoding="utf-8")
    m = re.search(r"^# (.+)$", text, re.MULTILINE)
    title = m.group(1).strip() if m else path.stem
    chunks = []
    for part in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        heading, _, body = part.partition("\n")
        body = body.strip()
        if not body:
            continue
        heading = heading.strip()
        chunks.append(
            Chunk(
                id=f"{kind}:{path.stem}:{heading}",
                text=f"{heading}\n{body}",
                source=title,
                title=title,
                article=heading,
                kind=kind,  # type: ignore[arg-type]
                content_hash=content_hash(f"{title}|{heading}|{body}"),
            )
        )
    return chunks


def load_guides(guides_dir: Path, kind: str = "guide") -> list[Chunk]:
    """Every Markdown file in the folder; ``kind`` is "guide" (service guides) or "faq" (question = heading)."""
    out: list[Chunk] = []
    for f in sorted(guides_dir.glob("*.md")):
        out.extend(parse_guide(f, kind))
    return out
