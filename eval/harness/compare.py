"""Compare two runs of the same task: metric deltas and the items that improved or regressed."""

from __future__ import annotations

from typing import Any

from eval.harness.runs import RunDir


def compare(a: RunDir, b: RunDir) -> dict[str, Any]:
    sa, sb = a.summary(), b.summary()
    ma, mb = sa.get("metrics", {}), sb.get("metrics", {})
    deltas = {k: {"a": ma.get(k), "b": mb.get(k), "delta": mb[k] - ma[k] if k in ma else None} for k in mb}
    ra = {r.id: r for r in a.results()}
    rb = {r.id: r for r in b.results()}
    common = sorted(set(ra) & set(rb))
    improved = [i for i in common if ra[i].passed is False and rb[i].passed is True]
    regressed = [i for i in common if ra[i].passed is True and rb[i].passed is False]
    return {
        "task": [sa.get("task"), sb.get("task")],
        "deltas": deltas,
        "improved": [{"id": i, "question": rb[i].question} for i in improved],
        "regressed": [{"id": i, "question": rb[i].question, "reasons": rb[i].reasons} for i in regressed],
        "only_a": len(set(ra) - set(rb)),
        "only_b": len(set(rb) - set(ra)),
    }


def markdown(c: dict[str, Any]) -> str:
    def f(v: Any) -> str:
        return "-" if v is None else f"{v:+.3f}" if isinstance(v, float) else str(v)

    lines = ["| metric | A | B | delta |", "|---|---|---|---|"]
    for k, d in c["deltas"].items():
        lines.append(f"| {k} | {f(d['a']).lstrip('+')} | {f(d['b']).lstrip('+')} | {f(d['delta'])} |")
    lines += ["", f"improved ({len(c['improved'])}):", *[f"  + {x['id']} {x['question'][:70]}" for x in c["improved"]]]
    lines += [f"regressed ({len(c['regressed'])}):"]
    lines += [f"  - {x['id']} {x['question'][:70]} ({'; '.join(x['reasons'])[:120]})" for x in c["regressed"]]
    if c["only_a"] or c["only_b"]:
        lines.append(f"items only in A: {c['only_a']}; only in B: {c['only_b']}")
    return "\n".join(lines)
