"""retrieval: recall@1, recall@k, MRR@10 and nDCG@10 against the expected (law, article) pairs; in process.

JSONL item: {"id"?, "q": "...", "lang": "zh|yue|en", "expect": [["公司法", "第四十七条"], ...]}
"""

from __future__ import annotations

import math
import time
from typing import Any

from pydantic import BaseModel, ConfigDict

from eval.bench_retrieval import first_hit, label, refs
from eval.harness.tasks.base import DATASETS, ItemResult, RunEnv, Task

DEPTH = 10


class RetrievalItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    q: str
    lang: str = "zh"
    expect: list[tuple[str, str]]


def ndcg(passages: list[Any], expect: set[tuple[str, str]], depth: int = DEPTH) -> float:
    """Binary gain: a ranked passage gains 1 when it brings an expected article not brought before."""
    seen: set[tuple[str, str]] = set()
    dcg, rank = 0.0, 0
    for p in passages:
        if p.basis_of is None:
            rank += 1
        if rank > depth:
            break
        new = (refs(p) & expect) - seen
        if new:
            seen |= new
            dcg += 1 / math.log2(rank + 1)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(expect), depth) + 1))
    return dcg / ideal if ideal else 0.0


class RetrievalTask(Task):
    name = "retrieval"
    description = "recall@k, MRR, nDCG of the hybrid retriever"
    default_dataset = DATASETS / "retrieval_dev.yaml"
    item_model = RetrievalItem

    def prepare(self, env: RunEnv) -> Any:
        from assistant.service import build_assistant

        svc = build_assistant(env.settings)  # the chat model is built lazily and never loaded here
        svc.embedder.warm_up()
        svc.retriever.warm_up()
        svc.retriever.retrieve("开公司", 1)
        self.k = int(env.options.get("k", 5))
        self.headline = (f"recall@{self.k}", "recall@1", "mrr@10", "ndcg@10")
        return svc.retriever

    def run_item(self, retriever: Any, item: dict[str, Any]) -> ItemResult:
        expect = {(a, b) for a, b in item["expect"]}
        t0 = time.perf_counter()
        top = retriever.retrieve(item["q"], self.k).passages
        ms = (time.perf_counter() - t0) * 1000
        deep = retriever.retrieve(item["q"], DEPTH).passages
        rank = first_hit(deep, expect)
        hit_k = first_hit(top, expect) > 0
        scores = {
            "recall@1": float(rank == 1),
            f"recall@{self.k}": float(hit_k),
            "mrr@10": 1 / rank if rank else 0.0,
            "ndcg@10": ndcg(deep, expect),
        }
        passages = [{"label": label(p), "text": p.chunk.text[:300], "score": round(p.score, 4)} for p in top]
        return ItemResult(
            item["id"], hit_k, scores, item["lang"], question=item["q"],
            expected=[f"{a}{b}" for a, b in sorted(expect)], output=[p["label"] for p in passages],
            reasons=[] if hit_k else [f"no expected article in the top {self.k}"], latency_ms=round(ms, 1),
            detail={"passages": passages, "rank": rank},
        )  # fmt: skip


TASK = RetrievalTask()
