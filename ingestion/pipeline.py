"""Write chunks to the vector index: embed only new or changed chunks, delete vanished ones."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.domain import Chunk
from assistant.ports import Embedder, VectorIndex
from assistant.settings import Settings
from ingestion.guides import load_guides, parse_guide
from ingestion.laws import LawStatus, is_law_file, load_laws, parse_law


@dataclass
class IngestReport:
    total: int
    added: int
    unchanged: int
    deleted: int
    seconds: float

    def __str__(self) -> str:
        return (
            f"{self.total} chunks: {self.added} embedded, {self.unchanged} unchanged, "
            f"{self.deleted} removed in {self.seconds:.1f} s"
        )


def collect(paths: list[Path], knowledge_dir: Path) -> list[Chunk]:
    """Chunks from law folders/files (Markdown with 第X条 articles) and guide folders/files."""
    chunks: list[Chunk] = []
    for path in paths:
        if path.is_dir() and any(is_law_file(p) for p in path.glob("*.md")):
            chunks.extend(load_laws(path, knowledge_dir))
        elif path.is_dir():
            chunks.extend(load_guides(path, "faq" if path.name == "faq" else "guide"))
        elif path.is_file() and is_law_file(path):
            chunks.extend(parse_law(path, LawStatus(knowledge_dir, [path.stem])))
        elif path.suffix == ".md":
            chunks.extend(parse_guide(path))
        else:
            raise ValueError(f"cannot ingest {path}: expected a folder or a Markdown file")
    return chunks


def ingest(
    chunks: list[Chunk],
    embedder: Embedder,
    index: VectorIndex,
    *,
    prune_prefixes: tuple[str, ...] = (),
    batch: int = 64,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    t0 = time.perf_counter()
    existing = index.content_hashes()
    todo = [c for c in chunks if existing.get(c.id) != c.content_hash]
    for i in range(0, len(todo), batch):
        part = todo[i : i + batch]
        vectors = embedder.embed_passages([f"{c.source} {c.article}\n{c.text}" for c in part])
        index.upsert(part, vectors)
        if progress:
            progress(min(i + batch, len(todo)), len(todo))
    wanted = {c.id for c in chunks}
    stale = [i for i in existing if i not in wanted and i.startswith(prune_prefixes)] if prune_prefixes else []
    if stale:
        index.delete(stale)
    return IngestReport(len(chunks), len(todo), len(chunks) - len(todo), len(stale), time.perf_counter() - t0)


def default_sources(data_dir: Path, knowledge_dir: Path) -> list[Path]:
    sources = [data_dir / "laws", knowledge_dir / "guides", knowledge_dir / "faq"]
    return [p for p in sources if p.exists()]


def ingest_default(settings: Settings, progress: Callable[[int, int], None] | None = None) -> IngestReport:
    """Ingest the default corpus (laws in the data dir + knowledge/guides), pruning vanished chunks."""
    from assistant import wiring

    wiring.configure(settings)
    chunks = collect(default_sources(settings.data_dir, settings.knowledge_dir), settings.knowledge_dir)
    return ingest(
        chunks,
        wiring.build_embedder(settings),
        wiring.build_index(settings),
        prune_prefixes=("law:", "guide:", "faq:"),
        progress=progress,
    )
