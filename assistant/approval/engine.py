"""Runs every rule module over an Application and aggregates the findings into a Decision."""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from assistant.approval import rules as rules_pkg
from assistant.approval.catalogue import RuleCatalogue
from assistant.approval.context import ReferenceData, RuleContext
from assistant.approval.model import Application, Authority, Decision
from assistant.settings import Settings

Module = Callable[[RuleContext], None]
_RANK = {"block": 2, "review": 1, "hint": 0}


def discover_modules() -> list[tuple[str, Module]]:
    names = [m.name for m in pkgutil.iter_modules(rules_pkg.__path__) if not m.name.startswith("_")]
    order = {n: i for i, n in enumerate(rules_pkg.ORDER)}
    names.sort(key=lambda n: (order.get(n, len(order)), n))
    out = []
    for n in names:
        mod = importlib.import_module(f"{rules_pkg.__name__}.{n}")
        if callable(getattr(mod, "check", None)):
            out.append((n, mod.check))
    return out


class ApprovalEngine:
    def __init__(self, data: ReferenceData, modules: list[tuple[str, Module]] | None = None) -> None:
        self.data = data
        self.catalogue = RuleCatalogue(data.knowledge_dir / "approval" / "rules")
        self.modules = modules if modules is not None else discover_modules()
        digest = hashlib.sha256()
        for f in sorted((data.knowledge_dir / "approval").rglob("*.yaml")):
            digest.update(f.read_bytes())
        self.version = f"rules-{digest.hexdigest()[:12]}"

    @classmethod
    def from_paths(cls, data_dir: Path, knowledge_dir: Path, name_registry: Path | None = None) -> ApprovalEngine:
        registry: tuple[tuple[str, str, str], ...] = ()
        if name_registry is not None:
            from assistant.approval.rules.name_conflict import load_seed_registry

            registry = load_seed_registry(name_registry)
        return cls(ReferenceData(data_dir=data_dir, knowledge_dir=knowledge_dir, name_registry=registry))

    @classmethod
    def from_settings(cls, settings: Settings) -> ApprovalEngine:
        return cls.from_paths(settings.data_dir, settings.knowledge_dir, settings.name_registry)

    def warm_up(self) -> None:
        """Load and cache every module's data, including the lazy paths (code suggestions, scope mapping),
        so no applicant pays for a first call."""
        self.check(Application())
        self.check(
            Application(
                entity_type="有限责任公司",
                proposed_name="广州预热餐饮管理有限公司",
                domicile="广东省广州市天河区体育西路1号",
                business_scope={"一般项目": ["预热测试项目"], "许可项目": []},  # type: ignore[arg-type]
            )
        )

    def check(self, app: Application, *, today: date | None = None) -> Decision:
        t0 = time.perf_counter()
        when = today or (date.fromisoformat(app.application_date) if app.application_date else date.today())
        ctx = RuleContext(app=app, data=self.data, catalogue=self.catalogue, today=when)
        for _name, module in self.modules:
            module(ctx)
        worst = max((_RANK[f.severity] for f in ctx.findings), default=0)
        decision = {2: "block", 1: "review", 0: "pass"}[worst]
        ctx.findings.sort(key=lambda f: -_RANK[f.severity])
        authority = ctx.outputs.get("registration_authority")
        return Decision(
            decision=decision,  # type: ignore[arg-type]
            findings=ctx.findings,
            registration_authority=Authority(**authority) if authority else None,
            licences_required=list(ctx.outputs.get("licences_required", [])),
            elapsed_ms=round((time.perf_counter() - t0) * 1000, 3),
            engine_version=self.version,
        )
