"""Does the LLM relevance judge pay for its latency? Compares the fused ranking with the judged ranking on a
sample of a question set and prints recall@1, recall@k, MRR@k for both and the judge's time per question.

    python -m eval.bench_rerank [--dataset eval/datasets/retrieval_heldout.yaml] [--n 16] [--k 5]

Loads the local chat model (a minute) and makes one judge call per question (tens of seconds each on 2 cores),
so it is kept out of the test command. The sample takes questions evenly spread over the set, every language.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from assistant.domain import Passage
from assistant.prompts import load_prompt
from assistant.rerank import LlmJudgeReranker
from assistant.service import build_assistant
from assistant.settings import PROJECT_ROOT, get_settings
from eval.bench_retrieval import first_hit, load
from eval.stats import pct


def sample(items: list[dict], n: int) -> list[dict]:
    if n >= len(items):
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default=str(PROJECT_ROOT / "eval" / "datasets" / "retrieval_heldout.yaml"))
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--depth", type=int, default=5, help="candidates the judge sees")
    args = ap.parse_args()
    items = sample(load(Path(args.dataset)), args.n)

    settings = get_settings()
    svc = build_assistant(settings)
    retriever = svc.retriever
    retriever.warm_up()
    t0 = time.perf_counter()
    svc.chat.warm_up()
    loadavg = os.getloadavg()[0]
    print(f"chat model {svc.chat.name} loaded in {time.perf_counter() - t0:.1f} s; load average {loadavg:.2f}")
    judge = LlmJudgeReranker(svc.chat, load_prompt(settings.prompts_dir, "rerank"), depth=args.depth)
    judge_ms: list[float] = []
    real_rerank = judge.rerank

    def timed(question: str, passages: list[Passage]) -> list[Passage]:
        t = time.perf_counter()
        out = real_rerank(question, passages)
        judge_ms.append((time.perf_counter() - t) * 1000)
        return out

    judge.rerank = timed  # type: ignore[method-assign]
    rows = {"fused": [0, 0, 0.0], "judged": [0, 0, 0.0]}
    changed = 0
    for it in items:
        ranks = {}
        for name, reranker in (("fused", None), ("judged", judge)):
            retriever.reranker = reranker
            passages = retriever.retrieve(it["q"], args.k).passages
            ranks[name] = rank = first_hit(passages, it["expect"])
            row = rows[name]
            row[0] += rank == 1
            row[1] += rank > 0
            row[2] += 1.0 / rank if rank else 0.0
        changed += ranks["fused"] != ranks["judged"]
        print(f"  fused {ranks['fused']} judged {ranks['judged']}  {it['q'][:40]}", flush=True)
    retriever.reranker = None
    n = len(items)
    print(f"\n{n} questions from {args.dataset}, judge depth {args.depth}, k {args.k}")
    print(f"{'ranking':8s} {'recall@1':>9s} {f'recall@{args.k}':>9s} {f'MRR@{args.k}':>7s}")
    for name, (r1, rk, rr) in rows.items():
        print(f"{name:8s} {r1 / n:9.3f} {rk / n:9.3f} {rr / n:7.3f}")
    print(f"rank of the first expected article changed on {changed} of {n} questions")
    print(
        f"judge time per question: p50 {statistics.median(judge_ms) / 1000:.1f} s, "
        f"p95 {pct(judge_ms, 95) / 1000:.1f} s (retrieval alone: tens of ms)"
    )


if __name__ == "__main__":
    main()
