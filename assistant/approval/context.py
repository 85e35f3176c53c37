"""What a rule module sees: the application, read-only reference data paths, the catalogue, the date."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from assistant.approval.catalogue import RuleCatalogue
from assistant.approval.model import Application, Finding


@dataclass(frozen=True)
class ReferenceData:
    """Where rule modules read their data. Each module loads (and caches) what it needs from here."""

    data_dir: Path  # third-party data (shared/data): laws, name rules, word lists, codes, divisions
    knowledge_dir: Path  # project-authored tables: knowledge/approval/*, the business-scope catalogue
    name_registry: tuple[tuple[str, str, str], ...] = ()  # (name, authority code, status) known to the store
    barred_persons: frozenset[str] = frozenset()  # ID numbers barred from serving (失信被执行人 etc.)


@dataclass
class RuleContext:
    app: Application
    data: ReferenceData
    catalogue: RuleCatalogue
    today: date
    findings: list[Finding] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)  # registration_authority, licences_required, ...

    def hit(self, rule_id: str, *, field: str | None = None, severity: str | None = None, **params: object) -> None:
        self.findings.append(self.catalogue.finding(rule_id, field=field, severity=severity, **params))

    def has(self, prefix: str) -> bool:
        return any(f.rule.startswith(prefix) for f in self.findings)
