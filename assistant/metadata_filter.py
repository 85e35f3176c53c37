"""The metadata filter language of the VectorIndex port (a subset of Chroma's ``where``), evaluated in Python:
by the Chroma adapter when it filters an unfiltered search itself, and by the in-memory test index."""

from __future__ import annotations

from typing import Any


def _compare(op: str, value: Any, arg: Any) -> bool | None:
    if op in ("$eq", "$ne"):
        return (value == arg) == (op == "$eq")
    if op in ("$in", "$nin") and isinstance(arg, list):
        return (value in arg) == (op == "$in")
    return None


def matches(where: dict[str, Any], meta: dict[str, Any]) -> bool | None:
    """Evaluate a Chroma metadata filter on one record: ``{"f": v}``, ``{"f": {"$eq"|"$ne"|"$in"|"$nin": …}}``,
    ``{"$and"|"$or": [...]}``. None for anything else (a store that can evaluate it natively then does)."""
    results: list[bool | None] = []
    for key, cond in where.items():
        if key in ("$and", "$or") and isinstance(cond, list):
            parts = [matches(c, meta) for c in cond]
            results.append(None if None in parts else all(parts) if key == "$and" else any(parts))
        elif key.startswith("$") or (isinstance(cond, dict) and len(cond) != 1):
            return None
        elif isinstance(cond, dict):
            op, arg = next(iter(cond.items()))
            results.append(_compare(op, meta.get(key), arg))
        else:
            results.append(meta.get(key) == cond)
    return None if None in results else all(results)
