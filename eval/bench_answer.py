"""Answer benchmark: model load time, per-question latency (p50/p90), retrieval hit rate on the dev
questions, and the RSS of a running server. Prints figures; asserts nothing.

    python -m eval.bench_answer [--questions eval/datasets/questions_dev.yaml] [--server]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from assistant.service import build_assistant
from assistant.settings import PROJECT_ROOT, get_settings
from eval.stats import pct


def in_process(questions: list[dict]) -> None:
    t0 = time.perf_counter()
    svc = build_assistant(get_settings())
    health = svc.warm_up()
    print(f"model load: {time.perf_counter() - t0:.1f} s total; parts {health.load_seconds}")
    totals, gens, hits = [], [], 0
    statuses: dict[str, int] = {}
    for item in questions:
        top = svc.retriever.retrieve(item["q"], svc.settings.top_k).passages
        hit = tuple(item["expect"]) in {(p.chunk.source, p.chunk.article) for p in top}
        hits += hit
        r = svc.ask(item["q"])
        totals.append(r.timings_ms["total"] / 1000)
        if "generate" in r.timings_ms:
            gens.append(r.timings_ms["generate"] / 1000)
        statuses[r.status.value] = statuses.get(r.status.value, 0) + 1
        cited = ", ".join(f"{c.source}{c.article}" for c in r.citations)
        steps = " ".join(
            f"{k}={r.timings_ms[k] / 1000:.1f}s" for k in ("evidence", "generate", "retry") if k in r.timings_ms
        )
        print(
            f"  {r.timings_ms['total'] / 1000:5.1f} s  {r.status.value:20s} hit={int(hit)} {steps}",
            f"{item['q']}  → {cited}",
        )
    print(
        f"answer latency over {len(totals)} questions: p50 {statistics.median(totals):.1f} s, "
        f"p90 {pct(totals, 90):.1f} s, max {max(totals):.1f} s; generation p50 {statistics.median(gens or [0]):.1f} s"
    )
    print(f"retrieval: expected article in top {svc.settings.top_k}: {hits}/{len(questions)}; statuses {statuses}")
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def server_rss(question: str, port: int = 8765) -> None:
    cli = Path(sys.executable).with_name("daoban")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(cli), "serve", "--no-ingest", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.perf_counter() - t0 > 300:
                raise SystemExit("server did not start")
            time.sleep(0.5)
        ready = time.perf_counter() - t0
        t1 = time.perf_counter()
        r = httpx.post(f"{base}/v1/chat", json={"message": question}, timeout=300)
        rss = next(
            int(x.split()[1])
            for x in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
            if x.startswith("VmRSS")
        )
        print(
            f"server: healthy after {ready:.1f} s; one /v1/chat {time.perf_counter() - t1:.1f} s "
            f"({r.json()['status']}); RSS {rss / 1024:.0f} MiB"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", default=str(PROJECT_ROOT / "eval" / "datasets" / "questions_dev.yaml"))
    ap.add_argument("--server", action="store_true", help="also start a server and measure its RSS")
    args = ap.parse_args()
    questions = yaml.safe_load(Path(args.questions).read_text(encoding="utf-8"))
    print(f"cpu cores: {os.cpu_count()}; llm threads: {get_settings().llm_threads}")
    in_process(questions)
    if args.server:
        server_rss(questions[0]["q"])


if __name__ == "__main__":
    main()
