"""Read files into chunks, then write only what changed, all at once.

1. ``load``: every file under the given paths is read and chunked before anything is written. A file that
   cannot be read is reported by name with a reason and skipped; the rest of the batch goes on.
2. ``ingest``: chunks whose id and content_hash are already indexed are skipped; the others are embedded
   (all of them, before any write); chunks of documents that vanished or shrank under an ingested path are
   removed, except those of a file that failed this time (its last good version stays).
3. The change set is written in one step: an index with ``apply`` (ChromaIndex) builds a new generation and
   switches to it, so readers see the old state or the new one, never half of it. No change: no write.

Documents are keyed by ``doc`` = the ingested folder's name + the path inside it (``laws/公司法(2023-12-29).md``);
a file ingested alone keeps the key it has within its folder, and prunes only its own chunks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from assistant.domain import Chunk
from assistant.ports import Embedder, OcrEngine, VectorIndex
from assistant.settings import Settings
from ingestion.document import LoadError
from ingestion.laws import LawStatus, is_law, law_document_chunks
from ingestion.loaders import DOCUMENT_LOADERS, RECORD_LOADERS, SUPPORTED
from ingestion.loaders.records import record_chunks
from ingestion.structure import section_chunks

Progress = Callable[[int, int], None]
SKIP_STEMS = {"readme", "provenance", "license", "notice", "changelog"}  # a corpus folder's own documentation
LEGACY_PREFIXES = ("law:", "guide:", "faq:", "complaint:")


@dataclass
class FileFailure:
    file: str
    reason: str  # Chinese
    reason_en: str


@dataclass
class IngestReport:
    total: int  # chunks wanted in the index after this run
    added: int  # embedded and written (new or changed)
    unchanged: int  # skipped: same id and content_hash already indexed
    deleted: int  # removed: their document vanished or shrank
    seconds: float
    files: int = 0
    failed: list[FileFailure] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.unchanged

    @property
    def removed(self) -> int:
        return self.deleted

    def as_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "chunks": self.total,
            "added": self.added,
            "skipped": self.unchanged,
            "removed": self.deleted,
            "failed": [asdict(f) for f in self.failed],
            "seconds": round(self.seconds, 2),
        }

    def __str__(self) -> str:
        return (
            f"{self.files} files, {self.total} chunks: {self.added} added or updated, {self.unchanged} unchanged, "
            f"{self.deleted} removed, {len(self.failed)} failed in {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class SourceFile:
    path: Path
    doc: str  # document key: folder name + path inside it
    kind: str  # for a document that is not a law: "faq" inside a faq folder, else "guide"


@dataclass
class Loaded:
    chunks: list[Chunk]
    failures: list[FileFailure]
    scopes: list[str]  # document keys (or key prefixes) this run owns: pruning stays inside them
    failed_docs: list[str]
    files: int


def _source(path: Path, doc: str) -> SourceFile:
    return SourceFile(path, doc, "faq" if "faq" in doc.split("/")[:-1] else "guide")


def source_files(paths: Sequence[Path]) -> tuple[list[SourceFile], list[str]]:
    """The files under ``paths`` (folders recursively; hidden files and README/PROVENANCE skipped) and the scopes."""
    files: list[SourceFile] = []
    scopes: list[str] = []
    for path in paths:
        root = path.resolve()
        if root.is_dir():
            scopes.append(root.name)
            for p in sorted(root.rglob("*")):
                rel = p.relative_to(root)
                if p.is_file() and not any(x.startswith(".") for x in rel.parts) and p.stem.lower() not in SKIP_STEMS:
                    files.append(_source(p, f"{root.name}/{rel.as_posix()}"))
        else:
            doc = f"{root.parent.name}/{root.name}"
            scopes.append(doc)
            files.append(_source(root, doc))
    return files, scopes


def chunks_of(f: SourceFile, status: LawStatus, ocr: OcrEngine | None = None) -> list[Chunk]:
    """The chunks of one file; raises LoadError with the reason when it cannot be ingested."""
    ext = f.path.suffix.lower()
    if ext in RECORD_LOADERS:
        chunks = record_chunks(RECORD_LOADERS[ext](f.path), stem=f.path.stem, doc=f.doc)
    elif ext in DOCUMENT_LOADERS:
        document = DOCUMENT_LOADERS[ext](f.path, ocr)
        if is_law(document):
            chunks = law_document_chunks(document, stem=f.path.stem, status=status, doc=f.doc)
        else:
            title = document.title or f.path.stem
            chunks = section_chunks(document.blocks, kind=f.kind, stem=f.path.stem, title=title, doc=f.doc)
    else:
        raise LoadError(
            f"不支持的文件类型 {ext or '（无扩展名）'}（支持 {' '.join(SUPPORTED)}）",
            f"unsupported file type {ext or '(no extension)'} (supported: {' '.join(SUPPORTED)})",
        )
    if not chunks:
        raise LoadError("没有可索引的内容", "nothing to index in this file")
    return chunks


def load(
    paths: Sequence[Path], knowledge_dir: Path, *, ocr: OcrEngine | None = None, on_file: Progress | None = None
) -> Loaded:
    files, scopes = source_files(paths)
    stems = {f.path.stem for f in files}
    for path in paths:  # a law file ingested alone: its sibling editions still decide its status
        if path.is_file():
            stems |= {p.stem for p in path.resolve().parent.iterdir() if p.is_file()}
    status = LawStatus(knowledge_dir, sorted(stems))
    chunks: list[Chunk] = []
    owner: dict[str, str] = {}
    failures: list[FileFailure] = []
    failed_docs: list[str] = []
    for n, f in enumerate(files, start=1):
        try:
            got = chunks_of(f, status, ocr)
            clash = next((owner[c.id] for c in got if c.id in owner), None)
            if clash:
                raise LoadError(f"与 {clash} 的条目重复", f"duplicates entries of {clash}")
        except LoadError as exc:
            failures.append(FileFailure(str(f.path), exc.reason_zh, exc.reason_en))
            failed_docs.append(f.doc)
        except Exception as exc:  # one bad file must not stop the batch
            failures.append(
                FileFailure(str(f.path), "无法解析此文件", f"cannot parse this file ({type(exc).__name__})")
            )
            failed_docs.append(f.doc)
        else:
            owner.update((c.id, f.doc) for c in got)
            chunks.extend(got)
        if on_file:
            on_file(n, len(files))
    return Loaded(chunks, failures, scopes, failed_docs, len(files))


def collect(paths: list[Path], knowledge_dir: Path) -> list[Chunk]:
    """The chunks of every readable file under ``paths`` (failures are dropped; use ``load`` to see them)."""
    return load(paths, knowledge_dir).chunks


@runtime_checkable
class AtomicIndex(Protocol):
    """An index that writes a change set in one step (readers see the old state or the new one)."""

    def apply(self, upserts: Sequence[Chunk], vectors: np.ndarray, deletes: Sequence[str]) -> None: ...


def _in_scope(doc: str, scopes: Sequence[str]) -> bool:
    return any(doc == s or doc.startswith(s + "/") for s in scopes)


def _stale(
    index: VectorIndex,
    existing: dict[str, str],
    wanted: set[str],
    scopes: Sequence[str],
    keep_docs: Sequence[str],
    prune_prefixes: tuple[str, ...],
) -> list[str]:
    gone = [i for i in existing if i not in wanted]
    if not gone or not (scopes or prune_prefixes):
        return []
    docs = {c.id: c.doc for c in index.all_chunks()}
    keep = set(keep_docs)
    out = []
    for i in gone:
        doc = docs.get(i, "")
        if doc in keep:
            continue
        if (doc and _in_scope(doc, scopes)) or (not doc and prune_prefixes and i.startswith(prune_prefixes)):
            out.append(i)
    return out


def _embed(chunks: list[Chunk], embedder: Embedder, batch: int, progress: Progress | None) -> np.ndarray:
    parts = []
    for i in range(0, len(chunks), batch):
        part = chunks[i : i + batch]
        parts.append(np.asarray(embedder.embed_passages([f"{c.source} {c.article}\n{c.text}" for c in part])))
        if progress:
            progress(min(i + batch, len(chunks)), len(chunks))
    return np.concatenate(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)


def ingest(
    chunks: list[Chunk],
    embedder: Embedder,
    index: VectorIndex,
    *,
    scopes: Sequence[str] = (),
    keep_docs: Sequence[str] = (),
    prune_prefixes: tuple[str, ...] = (),
    batch: int = 64,
    progress: Progress | None = None,
) -> IngestReport:
    """Embed the new or changed chunks, then write them and the removals as one change set.

    ``scopes``: document keys this run owns; their indexed chunks that are not in ``chunks`` are removed,
    except those of ``keep_docs`` (files that failed to load). ``prune_prefixes``: also remove chunks indexed
    before documents had keys (no ``doc``) whose id has one of these prefixes.
    """
    t0 = time.perf_counter()
    existing = index.content_hashes()
    todo = [c for c in chunks if existing.get(c.id) != c.content_hash]
    stale = _stale(index, existing, {c.id for c in chunks}, scopes, keep_docs, prune_prefixes)
    vectors = _embed(todo, embedder, batch, progress)  # a failure here has written nothing
    if isinstance(index, AtomicIndex) and (todo or stale):
        index.apply(todo, vectors, stale)
    else:
        if todo:
            index.upsert(todo, vectors)
        if stale:
            index.delete(stale)
    return IngestReport(len(chunks), len(todo), len(chunks) - len(todo), len(stale), time.perf_counter() - t0)


def ingest_paths(
    paths: Sequence[Path],
    settings: Settings,
    *,
    ocr: OcrEngine | None = None,
    progress: Progress | None = None,
    file_progress: Progress | None = None,
    prune_prefixes: tuple[str, ...] = (),
) -> IngestReport:
    """Load ``paths`` and ingest them into the configured index; the report lists the files that failed."""
    from assistant import wiring

    t0 = time.perf_counter()
    wiring.configure(settings)
    loaded = load(paths, settings.knowledge_dir, ocr=ocr, on_file=file_progress)
    report = ingest(
        loaded.chunks,
        wiring.build_embedder(settings),
        wiring.build_index(settings),
        scopes=loaded.scopes,
        keep_docs=loaded.failed_docs,
        prune_prefixes=prune_prefixes,
        progress=progress,
    )
    report.files, report.failed, report.seconds = loaded.files, loaded.failures, time.perf_counter() - t0
    return report


def default_sources(data_dir: Path, knowledge_dir: Path) -> list[Path]:
    sources = [data_dir / "laws", knowledge_dir / "guides", knowledge_dir / "faq", knowledge_dir / "complaints"]
    return [p for p in sources if p.exists()]


def ingest_default(
    settings: Settings, progress: Progress | None = None, file_progress: Progress | None = None
) -> IngestReport:
    """Ingest the default corpus (laws in the data dir, knowledge/guides, faq, complaints), pruning vanished chunks."""
    return ingest_paths(
        default_sources(settings.data_dir, settings.knowledge_dir),
        settings,
        progress=progress,
        file_progress=file_progress,
        prune_prefixes=LEGACY_PREFIXES,
    )
