"""Chunking of a Document, whatever its container format.

* Laws: one chunk per article (法条), tracking 编 / 章 / 节 headings; an article runs from its ``第X条``
  paragraph to the next article or heading, so multi-paragraph articles stay whole.
* Guides and FAQ: one chunk per section (the heading and its paragraphs).
* Anything else: paragraphs grouped into chunks of about ``GROUP_CHARS`` characters.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.domain import Chunk
from ingestion.document import Block

NUM = "一二三四五六七八九十百千零〇两"
ARTICLE_RE = re.compile(rf"^(第(?:[{NUM}]+|\d+)条(?:之[{NUM}]+)?)[\s　]*")
DIVISION_RE = re.compile(rf"^第(?:[{NUM}]+|\d+)(分编|编|章|节)(?:[\s　]|$)")
GROUP_CHARS = 500


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def stamped(chunk: Chunk) -> Chunk:
    """The chunk with a content_hash over its text and every metadata field (a changed status re-writes it)."""
    meta = {k: v for k, v in chunk.metadata().items() if k != "content_hash"}
    key = json.dumps([chunk.id, chunk.text, meta], ensure_ascii=False, sort_keys=True)
    return chunk.model_copy(update={"content_hash": content_hash(key)})


def division(block: Block) -> str | None:
    """ "编", "分编", "章" or "节" when the block is a structural heading of a law, else None."""
    text = block.text
    if len(text) > 60 or any(p in text for p in "。；"):
        return None
    m = DIVISION_RE.match(text)
    return m.group(1) if m else None


def count_articles(blocks: Iterable[Block]) -> int:
    return sum(1 for b in blocks if b.level == 0 and ARTICLE_RE.match(b.text))


def _norm(heading: str) -> str:
    return re.sub(r"\s+", " ", heading).strip()


@dataclass
class LawMeta:
    stem: str  # file stem, part of the chunk id
    title: str
    source: str
    version: str
    status: str
    doc: str


def law_chunks(blocks: Sequence[Block], meta: LawMeta) -> list[Chunk]:
    """One chunk per article; ``chapter`` holds "第一编 … / 第二章 …" and ``section`` the 节."""
    part = chapter = section = ""
    article = ""
    paras: list[str] = []
    seen: dict[str, int] = {}
    out: list[Chunk] = []

    def flush() -> None:
        if not article or not paras:
            return
        n = seen.get(article, 0)
        seen[article] = n + 1
        out.append(
            stamped(
                Chunk(
                    id=f"law:{meta.stem}:{article}{f'-{n}' if n else ''}",
                    text="\n".join(paras),
                    source=meta.source,
                    title=meta.title,
                    article=article,
                    chapter=" / ".join(x for x in (part, chapter) if x),
                    section=section,
                    version=meta.version,
                    status="superseded" if meta.status == "superseded" else "current",
                    kind="law",
                    doc=meta.doc,
                )
            )
        )

    for block in blocks:
        rank = division(block)
        m = ARTICLE_RE.match(block.text) if rank is None else None
        if m and block.level == 0:
            flush()
            article, paras = m.group(1), [block.text]
        elif rank or block.level:
            flush()
            article, paras = "", []
            heading = _norm(block.text)
            if rank in ("编", "分编"):
                part, chapter, section = heading, "", ""
            elif rank == "章" or (rank is None and (block.level <= 2 or not chapter)):
                chapter, section = heading, ""
            else:
                section = heading
        elif article:
            paras.append(block.text)
    flush()
    return out


def section_chunks(blocks: Sequence[Block], *, kind: str, stem: str, title: str, doc: str) -> list[Chunk]:
    """One chunk per section under the shallowest heading level; a long lead-in becomes its own chunk."""
    levels = [b.level for b in blocks if b.level]
    if not levels:
        return paragraph_chunks(blocks, kind=kind, stem=stem, title=title, doc=doc)
    top = min(levels)
    sections: list[tuple[str, list[str]]] = [("概述", [])]
    for b in blocks:
        if b.level == top:
            sections.append((_norm(b.text), []))
        else:
            sections[-1][1].append(b.text)
    lead = sections.pop(0)
    if sum(len(x) for x in lead[1]) >= 100:
        sections.insert(0, lead)
    out: list[Chunk] = []
    seen: dict[str, int] = {}
    for heading, body in sections:
        if not body:
            continue
        n = seen.get(heading, 0)
        seen[heading] = n + 1
        chunk = Chunk(
            id=f"{kind}:{stem}:{heading}{f'-{n}' if n else ''}",
            text="\n".join([heading, *body]),
            source=title,
            title=title,
            article=heading,
            kind=kind,  # type: ignore[arg-type]
            doc=doc,
        )
        out.append(stamped(chunk))
    return out


def _pieces(text: str, limit: int) -> list[str]:
    """Split an over-long paragraph after sentence ends, into pieces of at most about ``limit`` characters."""
    if len(text) <= limit * 2:
        return [text]
    out, cur = [], ""
    for sentence in re.findall(r"[^。！？!?]+[。！？!?]*", text):
        if cur and len(cur) + len(sentence) > limit:
            out.append(cur)
            cur = ""
        cur += sentence
    return [*out, cur] if cur else out


def paragraph_chunks(blocks: Sequence[Block], *, kind: str, stem: str, title: str, doc: str) -> list[Chunk]:
    """Paragraphs grouped in reading order into chunks of about GROUP_CHARS characters."""
    groups: list[list[str]] = [[]]
    size = 0
    for b in blocks:
        for piece in _pieces(b.text, GROUP_CHARS):
            if groups[-1] and size + len(piece) > GROUP_CHARS:
                groups.append([])
                size = 0
            groups[-1].append(piece)
            size += len(piece)
    return [
        stamped(
            Chunk(
                id=f"{kind}:{stem}:{i}",
                text="\n".join(group),
                source=title,
                title=title,
                kind=kind,  # type: ignore[arg-type]
                doc=doc,
            )
        )
        for i, group in enumerate((g for g in groups if g), start=1)
    ]
