"""Print HTML and PDF render times for the three documents (form, confirmation, articles); asserts nothing.

Usage: python -m eval.bench_render [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import time

from assistant.approval.model import Application, Decision, Finding
from assistant.forms import render_document
from assistant.settings import PROJECT_ROOT


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    app = Application.model_validate(
        json.loads((PROJECT_ROOT / "eval/datasets/approval/base_llc.json").read_text(encoding="utf-8"))
    )
    decision = Decision(
        decision="review",
        findings=[Finding(rule="demo.review", severity="review", field="domicile", message="住所需人工核实。")],
    )
    t0 = time.perf_counter()
    render_document("confirmation", app, decision, fmt="pdf")
    print(f"first PDF render (loads fonts): {(time.perf_counter() - t0) * 1000:.0f} ms")
    for kind in ("form", "confirmation", "articles"):
        for fmt in ("html", "pdf"):
            times = []
            size = 0
            for _ in range(max(1, args.repeat)):
                t = time.perf_counter()
                size = len(render_document(kind, app, decision, fmt=fmt))
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            print(f"{kind:13s} {fmt:4s} median {times[len(times) // 2]:8.1f} ms  min {times[0]:8.1f} ms  {size} bytes")


if __name__ == "__main__":
    main()
