"""Laws (法律法规): title, promulgation date and in-force status of a law document, and its articles.

The date comes from the file name ``名称(YYYY-MM-DD)`` or else the latest ``YYYY年M月D日`` above the first
article; the status from knowledge/laws.yaml plus "an older edition of the same law is superseded".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from assistant.domain import Chunk
from ingestion.document import Document
from ingestion.loaders import markdown
from ingestion.structure import ARTICLE_RE, LawMeta, content_hash, count_articles, division, law_chunks

__all__ = ["ARTICLE_RE", "LawStatus", "content_hash", "is_law", "law_document_chunks", "parse_law", "split_stem"]

STEM_RE = re.compile(r"^(?P<name>.+?)(?:\((?P<date>\d{4}-\d{2}-\d{2})\))?$")
DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


class LawStatus:
    """Which texts are superseded, from knowledge/laws.yaml plus 'older edition of the same law'."""

    def __init__(self, knowledge_dir: Path, stems: list[str]) -> None:
        cfg = yaml.safe_load((knowledge_dir / "laws.yaml").read_text(encoding="utf-8")) or {}
        self.superseded_by: dict[str, str] = dict(cfg.get("superseded") or {})
        self.aliases: dict[str, str] = dict(cfg.get("aliases") or {})
        self.effective: dict[str, str] = dict(cfg.get("effective") or {})
        latest: dict[str, tuple[str, str]] = {}
        for stem in stems:
            name, date = split_stem(stem)
            if name not in latest or date > latest[name][0]:
                latest[name] = (date, stem)
        for stem in stems:
            name, _ = split_stem(stem)
            if latest[name][1] != stem:
                self.superseded_by.setdefault(stem, latest[name][1])

    def status(self, stem: str) -> str:
        return "superseded" if stem in self.superseded_by else "current"

    def short_name(self, stem: str) -> str:
        name, _ = split_stem(stem)
        return self.aliases.get(name, name)


def split_stem(stem: str) -> tuple[str, str]:
    m = STEM_RE.match(stem)
    assert m is not None
    return m.group("name"), m.group("date") or ""


def is_law(document: Document) -> bool:
    """A law: the format says so (Markdown INFO END) or at least two paragraphs open with 第X条."""
    return document.is_law or count_articles(document.blocks) >= 2


def _front(document: Document) -> tuple[str, str]:
    """(title, front-matter text): for formats without a marked head, the paragraphs above the first article."""
    if document.is_law:
        return document.title, document.preamble
    head = []
    for b in document.blocks:
        if division(b) or ARTICLE_RE.match(b.text):
            break
        head.append(b.text)
    title = document.title
    if not title and head and len(head[0]) <= 60 and "。" not in head[0]:
        title = head[0]
    return title, "\n".join(head)


def latest_date(text: str) -> str:
    dates = [f"{y}-{int(m):02d}-{int(d):02d}" for y, m, d in DATE_RE.findall(text)]
    return max(dates, default="")


def law_document_chunks(document: Document, *, stem: str, status: LawStatus, doc: str) -> list[Chunk]:
    title, front = _front(document)
    name, date = split_stem(stem)
    version = status.effective.get(stem) or date or latest_date(front)
    meta = LawMeta(
        stem=stem,
        title=re.sub(r"\s+", "", title) or name,
        source=status.short_name(stem),
        version=version,
        status=status.status(stem),
        doc=doc,
    )
    return law_chunks(document.blocks, meta)


def parse_law(path: Path, status: LawStatus, doc: str = "") -> Iterator[Chunk]:
    """The articles of one law Markdown file (kept for callers of the first ingestion API)."""
    document = markdown.load(path)
    yield from law_document_chunks(
        document, stem=path.stem, status=status, doc=doc or f"{path.parent.name}/{path.name}"
    )


def load_laws(laws_dir: Path, knowledge_dir: Path) -> list[Chunk]:
    """Every law Markdown file in a folder (the other formats go through ingestion.pipeline.load)."""
    docs = {p: markdown.load(p) for p in sorted(laws_dir.glob("*.md"))}
    laws = {p: d for p, d in docs.items() if d.is_law}
    status = LawStatus(knowledge_dir, [p.stem for p in laws])
    out: list[Chunk] = []
    for p, d in laws.items():
        out.extend(law_document_chunks(d, stem=p.stem, status=status, doc=f"{laws_dir.name}/{p.name}"))
    return out
