"""Rule modules. Each module defines ``check(ctx: RuleContext) -> None`` and reports findings through
``ctx.hit(rule_id, field=..., **params)``; its rule ids live in knowledge/approval/rules/<module>.yaml.
The engine runs the modules present, in ORDER (unknown modules last, alphabetically)."""

ORDER = ("name", "name_conflict", "industry", "scope", "authority", "identity", "capital", "consistency")
