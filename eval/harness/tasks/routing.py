"""routing: label accuracy and the confusion matrix of the intent router (phrase rules + exemplars); in process.

JSONL item: {"id"?, "q": "...", "label": "policy", "lang": "zh|yue|en", "ambiguous"?: false}
Options: rules_only (no embedder).
"""

from __future__ import annotations

import time
from typing import Any

from eval.bench_router import KNOWLEDGE, RouteItem
from eval.harness.tasks.base import DATASETS, ItemResult, RunEnv, Summary, Task, default_summary


class RoutingTask(Task):
    name = "routing"
    description = "router label accuracy and confusion matrix"
    default_dataset = DATASETS / "router_dev.yaml"
    item_model = RouteItem
    headline = ("accuracy",)

    def from_yaml(self, data: Any) -> list[Any]:
        return list(data["routes"]) if isinstance(data, dict) else super().from_yaml(data)

    def prepare(self, env: RunEnv) -> Any:
        from assistant.pipeline.router import IntentRouter

        if env.options.get("rules_only"):
            router = IntentRouter.load(KNOWLEDGE)
        else:
            from assistant import wiring

            router = IntentRouter.load(KNOWLEDGE, wiring.build_embedder(env.settings))
            router.warm_up()
        router.classify("预热")
        return router

    def run_item(self, router: Any, item: dict[str, Any]) -> ItemResult:
        t0 = time.perf_counter()
        route = router.classify(item["q"])
        ok = route.label == item["label"]
        return ItemResult(
            item["id"], ok, {"accuracy": float(ok)}, item["lang"], item["label"], item["q"], item["label"],
            route.label, [] if ok else [f"expected {item['label']}, got {route.label} by {route.by}"],
            round((time.perf_counter() - t0) * 1000, 2), {"by": route.by, "ambiguous": item.get("ambiguous", False)},
        )  # fmt: skip

    def summarise(self, results: list[ItemResult]) -> Summary:
        s = default_summary(results, self.headline)
        matrix: dict[str, dict[str, int]] = {}
        for r in results:
            row = matrix.setdefault(str(r.expected), {})
            row[str(r.output)] = row.get(str(r.output), 0) + 1
        s.extra["confusion"] = matrix  # expected label -> predicted label -> count
        clear = [r for r in results if not r.detail.get("ambiguous")]
        if clear:
            s.metrics["accuracy_unambiguous"] = sum(bool(r.passed) for r in clear) / len(clear)
        return s


TASK = RoutingTask()
