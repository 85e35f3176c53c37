"""Retrieval benchmark on the development questions: recall@1, recall@k, MRR@10 overall and per language,
query latency (p50/p95 of retrieve() alone), and the misses. Prints figures; asserts nothing.

    python -m eval.bench_retrieval [--dataset eval/datasets/retrieval_dev.yaml] [--k 5]

Uses the real assistant retriever (embedder + Chroma index + BM25), built exactly as the service builds it.
No chat model is loaded: build_assistant constructs the chat adapter lazily and retrieval never calls it.

A hit is an expected (short law name, article) among the k ranked results the retriever returns. A guide
or FAQ passage counts through the law articles its 依据 line names (the retriever also returns those
articles right after it, without counting them against k), so for the rank (MRR) a guide counts at its own
position when it rests on an expected article.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

import yaml

from assistant.domain import Passage
from assistant.retrieval import basis_refs
from assistant.service import build_assistant
from assistant.settings import PROJECT_ROOT, get_settings
from eval.stats import pct

MRR_DEPTH = 10
LANGS = ("zh", "yue", "en")


def refs(p: Passage) -> set[tuple[str, str]]:
    """The (law, article) pairs a passage stands for: itself for a law article, its basis for a guide/FAQ."""
    if p.chunk.kind == "law":
        return {(p.chunk.source, p.chunk.article)}
    return set(basis_refs(p.chunk.text))


def label(p: Passage) -> str:
    if p.chunk.kind == "law":
        return f"{p.chunk.source}{p.chunk.article}"
    return f"[{p.chunk.kind}] {p.chunk.article or p.chunk.source}"


def first_hit(passages: list[Passage], expect: set[tuple[str, str]]) -> int:
    """1-based rank of the first ranked result that brings an expected article; 0 when none does. Articles a
    guide / FAQ passage brings along (basis_of set) share that passage's rank."""
    rank = 0
    for p in passages:
        if p.basis_of is None:
            rank += 1
        if refs(p) & expect:
            return rank
    return 0


def load(path: Path) -> list[dict]:
    """A question set: the YAML dev / held-out sets, or complaint tickets (.jsonl) whose basis is the answer."""
    if path.suffix == ".jsonl":
        return load_complaints(path)
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    for it in items:
        it["expect"] = {(law, art) for law, art in it["expect"]}
        it.setdefault("lang", "zh")
    return items


def load_complaints(path: Path) -> list[dict]:
    """The questions of 12345 tickets (knowledge/complaints), expecting the articles the resolution cites.
    Tickets about unreadable photos are left out (their question is an upload, not a policy question). The
    labels are looser than the dev sets': a resolution also cites procedural articles."""
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if rec["category"] == "看不懂图片" or "上传" in rec["question"]:
            continue
        q = rec["question"]
        lang = "en" if not any("\u4e00" <= ch <= "\u9fff" for ch in q) else "zh"
        items.append({"q": q, "lang": lang, "expect": set(basis_refs("".join(rec["basis"])))})
    return items


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default=str(PROJECT_ROOT / "eval" / "datasets" / "retrieval_dev.yaml"))
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--lexical-weight", type=float, help="ablation: weight of the BM25 list in the fusion")
    args = ap.parse_args()
    k = args.k
    items = load(Path(args.dataset))

    t0 = time.perf_counter()
    svc = build_assistant(get_settings())
    chat_warmups = 0
    real_chat_warm_up = svc.chat.warm_up

    def counting_warm_up() -> None:  # records any chat model load during retrieval (there should be none)
        nonlocal chat_warmups
        chat_warmups += 1
        real_chat_warm_up()

    svc.chat.warm_up = counting_warm_up  # type: ignore[method-assign]
    if args.lexical_weight is not None:
        svc.retriever.lexical_weight = args.lexical_weight
    svc.embedder.warm_up()
    svc.retriever.warm_up()
    svc.retriever.retrieve("开公司", k)  # one untimed query: first-call overheads stay out of the latency
    print(
        f"retriever ready in {time.perf_counter() - t0:.1f} s; index chunks (current): {svc.retriever.size}; "
        f"embedder: {svc.embedder.name}; dataset: {args.dataset} ({len(items)} questions)"
    )

    latencies: list[float] = []
    stats: dict[str, dict[str, float]] = defaultdict(lambda: {"n": 0, "r1": 0, "rk": 0, "rr": 0.0})
    misses: list[tuple[dict, list[Passage]]] = []
    for it in items:
        q, expect = it["q"], it["expect"]
        t = time.perf_counter()
        top_k = svc.retriever.retrieve(q, k).passages
        latencies.append((time.perf_counter() - t) * 1000)
        top_1 = svc.retriever.retrieve(q, 1).passages
        deep = svc.retriever.retrieve(q, MRR_DEPTH).passages
        hit_1 = first_hit(top_1, expect) > 0
        hit_k = first_hit(top_k, expect) > 0
        rank = first_hit(deep, expect)
        for key in ("all", it["lang"]):
            s = stats[key]
            s["n"] += 1
            s["r1"] += hit_1
            s["rk"] += hit_k
            s["rr"] += 1.0 / rank if rank else 0.0
        if not hit_k:
            misses.append((it, top_k))

    print(f"\n{'lang':5s} {'n':>4s} {'recall@1':>9s} {f'recall@{k}':>9s} {f'MRR@{MRR_DEPTH}':>7s}")
    for key in ("all", *LANGS, *sorted(set(stats) - {"all", *LANGS})):
        row = stats.get(key)
        if not row or not row["n"]:
            continue
        n = row["n"]
        print(f"{key:5s} {int(n):4d} {row['r1'] / n:9.3f} {row['rk'] / n:9.3f} {row['rr'] / n:7.3f}")
    print(
        f"\nretrieve() latency over {len(latencies)} questions (k={k}): "
        f"p50 {statistics.median(latencies):.0f} ms, p95 {pct(latencies, 95):.0f} ms, max {max(latencies):.0f} ms"
    )
    print(f"chat model warm-ups during retrieval: {chat_warmups}")

    print(f"\nmisses at k={k}: {len(misses)}")
    for it, top in misses:
        want = ", ".join(f"{law}{art}" for law, art in sorted(it["expect"]))
        got = " | ".join(label(p) for p in top[:3]) or "(nothing)"
        print(f"  [{it['lang']}] {it['q']}\n      want {want}\n      got  {got}")


if __name__ == "__main__":
    main()
