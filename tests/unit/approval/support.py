"""Shared scaffolding for the rule-module tests: the base application, an engine running one module."""

from __future__ import annotations

import copy
import json
from typing import Any

from assistant.approval import Application, ApprovalEngine, Decision
from assistant.approval.context import ReferenceData
from assistant.approval.engine import Module
from assistant.settings import PROJECT_ROOT
from tests.conftest import DATA_DIR

APPROVAL_DATA = PROJECT_ROOT / "eval" / "datasets" / "approval"
_BASE_LLC: dict[str, Any] = json.loads((APPROVAL_DATA / "base_llc.json").read_text(encoding="utf-8"))


def base_llc() -> dict[str, Any]:
    """A fresh copy of the clean base application (every module passes it)."""
    return copy.deepcopy(_BASE_LLC)


def module_engine(name: str, check: Module) -> ApprovalEngine:
    """An engine that runs only ``check``, over the real reference data and rule catalogue."""
    data = ReferenceData(data_dir=DATA_DIR, knowledge_dir=PROJECT_ROOT / "knowledge")
    return ApprovalEngine(data, modules=[(name, check)])


def severities(decision: Decision) -> dict[str, str]:
    return {f.rule: f.severity for f in decision.findings}


def app_with(**changes: Any) -> Application:
    """The base application with top-level fields replaced (a value of None removes the field)."""
    raw = base_llc()
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return Application(**raw)


def dev_cases(name: str) -> list[dict[str, Any]]:
    """A module's development set, checked for its shape: 12+ cases, 3+ clean, all four entity types."""
    path = APPROVAL_DATA / f"dev_{name}.jsonl"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) >= 12
    assert sum(1 for x in lines if not x["expect_rules"]) >= 3
    assert {x["application"].get("entity_type") for x in lines} >= {
        "有限责任公司",
        "股份有限公司",
        "个体工商户",
        "个人独资企业",
    }
    return lines


def assert_module_share(engine: ApprovalEngine, cases: list[dict[str, Any]], prefix: str) -> None:
    """Each case gives exactly the expected findings of the module whose rule ids start with ``prefix``
    (a dev case may also expect other modules' findings; those are checked by the whole-engine test)."""
    for case in cases:
        found = {f.rule for f in engine.check(Application(**case["application"])).findings if f.rule.startswith(prefix)}
        assert found == {r for r in case["expect_rules"] if r.startswith(prefix)}, (case["id"], sorted(found))
