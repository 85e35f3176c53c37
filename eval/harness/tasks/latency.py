"""latency: p50 / p95 per pipeline stage (TurnResult.timings_ms) and per turn under a given concurrency.

JSONL item: {"id"?, "q": "...", "lang"?: "zh"}; the YAML answer sets give their answerable questions.
Options: concurrency (default 1). In process (--no-model for the pipeline without the model) or --server URL
(POST /v1/chat, whose reply carries timings_ms).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from eval.harness.tasks.base import DATASETS, ItemResult, RunEnv, Summary, Task, default_summary
from eval.stats import pct


class LatencyItem(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str | None = None
    q: str
    lang: str = "zh"


@dataclass
class LatencyState:
    ask: Any  # q -> (status, timings_ms)
    pool: ThreadPoolExecutor
    concurrency: int
    lock: threading.Lock


class LatencyTask(Task):
    name = "latency"
    description = "p50/p95 per stage under concurrency"
    default_dataset = DATASETS / "answer_dev.yaml"
    item_model = LatencyItem
    headline = ("p50_ms", "p95_ms")

    def from_yaml(self, data: Any) -> list[Any]:
        return list(data.get("answerable", [])) if isinstance(data, dict) else super().from_yaml(data)

    def prepare(self, env: RunEnv) -> LatencyState:
        n = int(env.options.get("concurrency", 1))
        if env.server:
            import httpx

            client = httpx.Client(base_url=env.server.rstrip("/"), timeout=300)

            def ask(q: str) -> tuple[str, dict[str, float]]:
                r = client.post("/v1/chat", json={"message": q}).json()
                return str(r.get("status", r.get("code", "error"))), dict(r.get("timings_ms", {}))
        else:
            from eval.answer_eval import LocalRunner

            svc = LocalRunner.from_settings(env.settings, model=not env.no_model).svc

            def ask(q: str) -> tuple[str, dict[str, float]]:
                r = svc.ask(q)
                return r.status.value, dict(r.timings_ms)

        return LatencyState(ask, ThreadPoolExecutor(n), n, threading.Lock())

    def run_item(self, state: LatencyState, item: dict[str, Any]) -> ItemResult:
        """One item = ``concurrency`` simultaneous requests of the question; the slowest is recorded."""
        t0 = time.perf_counter()
        futures = [state.pool.submit(state.ask, item["q"]) for _ in range(state.concurrency)]
        outs = [f.result() for f in futures]
        status, stages = outs[-1]
        return ItemResult(
            item["id"], None, {}, item.get("lang", "zh"), question=item["q"], output=status,
            latency_ms=round((time.perf_counter() - t0) * 1000, 1), detail={"stages_ms": stages},
        )  # fmt: skip

    def summarise(self, results: list[ItemResult]) -> Summary:
        s = default_summary(results, self.headline)
        stages: dict[str, list[float]] = {}
        for r in results:
            for k, v in r.detail.get("stages_ms", {}).items():
                stages.setdefault(k, []).append(float(v))
        s.extra["stages_ms"] = {k: {"p50": pct(v, 50), "p95": pct(v, 95), "n": len(v)} for k, v in stages.items()}
        for k, v in stages.items():
            s.metrics[f"{k}_p95_ms"] = pct(v, 95)
        return s

    def close(self, state: Any) -> None:
        if isinstance(state, LatencyState):
            state.pool.shutdown(wait=False)


TASK = LatencyTask()
