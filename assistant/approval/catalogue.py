"""The rule catalogue: every rule's id, severity, bilingual message, legal basis and remedy, as data.

One YAML file per rule module under knowledge/approval/rules/. Messages are templates filled with the
parameters a rule module passes (``{word}``, ``{name}`` …). Validated on load: a duplicate id, a bad
severity or a missing field fails loudly; an unknown id asked for by code fails too.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.approval.model import Finding

SEVERITIES = ("block", "review", "hint")
REQUIRED = ("severity", "message", "message_en", "legal_basis", "remedy", "remedy_en")


class CatalogueError(ValueError):
    pass


@dataclass(frozen=True)
class RuleSpec:
    id: str
    severity: str
    message: str
    message_en: str
    legal_basis: str
    remedy: str
    remedy_en: str
    field: str | None = None

    def placeholders(self) -> set[str]:
        out: set[str] = set()
        for text in (self.message, self.message_en, self.remedy, self.remedy_en):
            out |= {f for _, f, _, _ in string.Formatter().parse(text) if f}
        return out


class _Safe(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class RuleCatalogue:
    def __init__(self, rules_dir: Path) -> None:
        self.rules: dict[str, RuleSpec] = {}
        for f in sorted(rules_dir.glob("*.yaml")):
            data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
            for rule_id, spec in data.items():
                if rule_id in self.rules:
                    raise CatalogueError(f"{f.name}: duplicate rule id {rule_id}")
                missing = [k for k in REQUIRED if not spec.get(k)]
                if missing:
                    raise CatalogueError(f"{f.name}: rule {rule_id} lacks {missing}")
                if spec["severity"] not in SEVERITIES:
                    raise CatalogueError(f"{f.name}: rule {rule_id} has severity {spec['severity']!r}")
                if rule_id.count(".") < 1:
                    raise CatalogueError(f"{f.name}: rule id {rule_id} must be dotted (module.rule)")
                self.rules[rule_id] = RuleSpec(id=rule_id, **{k: spec.get(k) for k in (*REQUIRED, "field")})

    def finding(
        self, rule_id: str, *, field: str | None = None, severity: str | None = None, **params: object
    ) -> Finding:
        spec = self.rules.get(rule_id)
        if spec is None:
            raise CatalogueError(f"rule {rule_id} is not in knowledge/approval/rules/*.yaml")
        p = _Safe({k: v for k, v in params.items()})
        return Finding(
            rule=rule_id,
            severity=severity or spec.severity,  # type: ignore[arg-type]
            field=field or spec.field,
            message=spec.message.format_map(p),
            message_en=spec.message_en.format_map(p),
            legal_basis=spec.legal_basis.format_map(p),
            remedy=spec.remedy.format_map(p),
            remedy_en=spec.remedy_en.format_map(p),
        )
