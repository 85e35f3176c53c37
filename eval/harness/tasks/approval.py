"""approval: decision accuracy and rule-id recall of the approval engine; in process.

JSONL item (eval/datasets/approval/dev_*.jsonl; a folder loads all its .jsonl files):
{"id": "...", "description": "...", "application": {...}, "expect_rules": ["name.xxx"], "expect_decision"?: "pass"}
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from eval.harness.tasks.base import DATASETS, ItemResult, RunEnv, Task


class ApprovalItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    description: str = ""
    application: dict[str, Any]
    expect_rules: list[str] = []
    expect_decision: Literal["pass", "review", "block"] | None = None


class ApprovalTask(Task):
    name = "approval"
    description = "approval decisions and rule ids"
    default_dataset = DATASETS / "approval"
    item_model = ApprovalItem
    headline = ("rule_recall", "decision_accuracy", "passed")

    def prepare(self, env: RunEnv) -> Any:
        from assistant.approval import ApprovalEngine

        return ApprovalEngine.from_paths(env.settings.data_dir, env.settings.knowledge_dir)

    def run_item(self, engine: Any, item: dict[str, Any]) -> ItemResult:
        from assistant.approval import Application

        t0 = time.perf_counter()
        d = engine.check(Application.model_validate(item["application"]))
        ms = (time.perf_counter() - t0) * 1000
        got, want = {f.rule for f in d.findings}, set(item["expect_rules"])
        scores = {"rule_recall": len(want & got) / len(want) if want else 1.0}
        reasons = [f"missing rule {r}" for r in sorted(want - got)]
        if item.get("expect_decision"):
            scores["decision_accuracy"] = float(d.decision == item["expect_decision"])
            if d.decision != item["expect_decision"]:
                reasons.append(f"decision {d.decision}, expected {item['expect_decision']}")
        if not want:
            scores["clean_blocked"] = float(d.decision == "block")
        return ItemResult(
            item["id"], not reasons, scores, "zh", item.get("category", ""), item.get("description", ""),
            {"rules": sorted(want), "decision": item.get("expect_decision")},
            {"rules": sorted(got), "decision": d.decision}, reasons, round(ms, 1),
        )  # fmt: skip


TASK = ApprovalTask()
