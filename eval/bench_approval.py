"""Approval engine benchmark: latency per application (p50 / p99) and applications per second on one
core, over the development set (document rendering excluded). Prints figures; asserts nothing.

    python -m eval.bench_approval [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from assistant.approval import Application, ApprovalEngine
from assistant.settings import get_settings
from eval.approval_dev import load_cases
from eval.stats import pct


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    s = get_settings()
    t0 = time.perf_counter()
    engine = ApprovalEngine.from_paths(s.data_dir, s.knowledge_dir)
    engine.warm_up()
    print(
        f"engine load + warm-up: {(time.perf_counter() - t0) * 1000:.0f} ms; modules: {[n for n, _ in engine.modules]}"
    )
    apps = [Application.model_validate(c["application"]) for _, c in load_cases()]
    if not apps:
        raise SystemExit("no development applications found")
    times = []
    t_all = time.perf_counter()
    for _ in range(args.rounds):
        for app in apps:
            t = time.perf_counter()
            engine.check(app)
            times.append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - t_all
    times.sort()
    p99 = pct(times, 99)
    print(
        f"{len(apps)} applications × {args.rounds} rounds on one core: p50 {statistics.median(times):.3f} ms, "
        f"p99 {p99:.3f} ms, max {times[-1]:.3f} ms; {len(times) / wall:.0f} applications/s"
    )


if __name__ == "__main__":
    main()
