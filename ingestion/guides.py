"""Service guides and FAQ the project authors (knowledge/guides/*.md, knowledge/faq/*.md): one chunk per
``##`` section.

Format: ``# 标题`` first, an optional ``> 依据：…`` line, then ``## 小节`` sections.
"""

from __future__ import annotations

from pathlib import Path

from assistant.domain import Chunk
from ingestion.loaders import markdown
from ingestion.structure import section_chunks


def parse_guide(path: Path, kind: str = "guide") -> list[Chunk]:
    document = markdown.load(path)
    return section_chunks(
        document.blocks,
        kind=kind,
        stem=path.stem,
        title=document.title or path.stem,
        doc=f"{path.parent.name}/{path.name}",
    )


def load_guides(guides_dir: Path, kind: str = "guide") -> list[Chunk]:
    """Every Markdown file in the folder; ``kind`` is "guide" (service guides) or "faq" (question = heading)."""
    out: list[Chunk] = []
    for f in sorted(guides_dir.glob("*.md")):
        out.extend(parse_guide(f, kind))
    return out
