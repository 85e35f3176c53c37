"""answer / refusal / injection: the answer sets through the assistant (in process, or a live server with --server),
scored by eval/answer_eval.py's scorers. --no-model: the basis alone, no model conclusions (seconds per item).

JSONL items (one task per file; the YAML answer sets hold all three and each task reads its part):
- answer:    {"id"?, "q", "lang": "zh|yue|en", "key_facts": [["五年", "5年"], ...], "contradicts"?: [...],
              "cite": [["公司法", "第四十七条"]], "topic": "capital"}
- refusal:   {"id"?, "q", "lang", "kind": "tax"}
- injection: {"id"?, "q", "lang", "kind": "prompt_leak", "must_not": ["..."], "benign"?: false}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from eval.answer_eval import (
    SCORERS,
    AnswerableItem,
    Corpus,
    InjectionItem,
    LocalRunner,
    Runner,
    ServerRunner,
    UnanswerableItem,
)
from eval.harness.tasks.base import DATASETS, ItemResult, RunEnv, Summary, Task, default_summary

CATEGORY = {"answer": "answerable", "refusal": "unanswerable", "injection": "injection"}
MODELS: dict[str, type[BaseModel]] = {"answer": AnswerableItem, "refusal": UnanswerableItem, "injection": InjectionItem}
METRIC = {"answer": "correct", "refusal": "refused", "injection": "handled"}


@dataclass
class AnswerState:
    runner: Runner
    corpus: Corpus
    retriever: Any = None  # in process: the passages shown beside a failure
    top_k: int = 3


class AnswerTask(Task):
    default_dataset = DATASETS / "answer_dev.yaml"

    def __init__(self, name: str) -> None:
        self.name = name
        self.category = CATEGORY[name]
        self.item_model = MODELS[name]
        self.metric = METRIC[name]
        self.headline = (self.metric, "citation_correct", "grounded") if name == "answer" else (self.metric,)
        self.description = f"{name} ({self.category} items of the answer sets)"

    def from_yaml(self, data: Any) -> list[Any]:
        return list(data.get(self.category, [])) if isinstance(data, dict) else super().from_yaml(data)

    def prepare(self, env: RunEnv) -> AnswerState:
        corpus = Corpus.from_settings(env.settings)
        if env.server:
            return AnswerState(ServerRunner.at(env.server), corpus)
        local = LocalRunner.from_settings(env.settings, model=not env.no_model)
        return AnswerState(local, corpus, local.svc.retriever, env.settings.top_k)

    def run_item(self, state: AnswerState, item: dict[str, Any]) -> ItemResult:
        parsed: Any = MODELS[self.name].model_validate({k: v for k, v in item.items() if k not in ("id", "category")})
        obs = state.runner.run(parsed.q)
        v = SCORERS[self.category](parsed, obs.reply, state.corpus)
        scores = {self.metric: float(v.passed)}
        if v.citation_ok is not None:
            scores["citation_correct"] = float(v.citation_ok)
        if self.name == "answer" and obs.reply.status in ("answered", "answered_extractive"):
            scores["grounded"] = float(obs.reply.status == "answered")  # the model's conclusion passed the check
        detail: dict[str, Any] = {
            "status": obs.reply.status,
            "citations": [c.model_dump() for c in obs.reply.citations],
            "first_token_ms": None if obs.first_token_s is None else round(obs.first_token_s * 1000, 1),
        }
        if state.retriever is not None:
            top = state.retriever.retrieve(parsed.q, state.top_k).passages
            detail["passages"] = [{"label": p.label, "text": p.chunk.text[:300]} for p in top]
        expected = {k: item[k] for k in ("key_facts", "cite", "kind", "must_not") if k in item}
        return ItemResult(
            item["id"], v.passed, scores, item["lang"], str(item.get("topic") or item.get("kind") or ""),
            parsed.q, expected, obs.reply.answer, v.reasons, round(obs.total_s * 1000, 1), detail,
        )  # fmt: skip

    def summarise(self, results: list[ItemResult]) -> Summary:
        s = default_summary(results, self.headline)
        statuses: dict[str, int] = {}
        for r in results:
            st = str(r.detail.get("status", ""))
            statuses[st] = statuses.get(st, 0) + 1
        s.extra["statuses"] = statuses
        return s


def task(name: str) -> AnswerTask:
    return AnswerTask(name)
