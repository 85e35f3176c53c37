"""Shared scaffolding for the rule-module tests: the base application, an engine running one module."""

from __future__ import annotations

import copy
import json
from typing import Any

from assistant.approval import ApprovalEngine, Decision
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
