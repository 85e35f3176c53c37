"""Order statistics the benchmarks print."""

from __future__ import annotations


def pct(values: list[float], p: float) -> float:
    """The p-th percentile by nearest rank (p in 0..100)."""
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]
