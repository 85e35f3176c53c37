"""Optional LLM judge (any OpenAI-compatible endpoint): faithfulness and relevance of answered items, 1-5 each,
reported apart from the deterministic metrics. Skipped cleanly when not configured or unreachable."""

from __future__ import annotations

import os
import re
from typing import Any

from assistant.domain import ChatMessage
from assistant.errors import UpstreamError
from eval.harness.config import JudgeConfig
from eval.harness.runs import RunDir
from eval.harness.tasks.base import ItemResult, mean

PROMPT = (
    "You grade an assistant's answer to a question about Chinese enterprise registration.\n"
    "Passages it cited:\n{passages}\n\nQuestion: {question}\nAnswer: {answer}\n\n"
    "Reply with two integers 1-5 and nothing else, as: faithfulness=N relevance=N\n"
    "faithfulness: every claim is supported by the passages. relevance: the answer addresses the question."
)


def judge_run(run: RunDir, results: list[ItemResult], cfg: JudgeConfig) -> dict[str, Any]:
    from assistant.adapters.openai_chat import OpenAICompatibleChat

    chat = OpenAICompatibleChat(cfg.base_url, cfg.model, os.environ.get(cfg.api_key_env, ""), timeout_s=cfg.timeout_s)
    answered = [r for r in results if r.output and r.detail.get("citations")][: cfg.limit]
    faith: list[int] = []
    rel: list[int] = []
    errors = 0
    with (run.path / "judge.jsonl").open("w", encoding="utf-8") as out:
        for r in answered:
            passages = "\n".join(f"[{c['n']}] {c['quote']}" for c in r.detail["citations"])
            prompt = PROMPT.format(passages=passages, question=r.question, answer=r.output)
            try:
                text = chat.complete([ChatMessage(role="user", content=prompt)], max_tokens=20)
            except UpstreamError as exc:
                return {"skipped": f"judge unavailable: {exc.message_en}", "judged": len(faith)}
            m = re.search(r"faithfulness\s*=\s*([1-5]).*?relevance\s*=\s*([1-5])", text, re.S | re.I)
            if not m:
                errors += 1
                continue
            faith.append(int(m.group(1)))
            rel.append(int(m.group(2)))
            out.write(f'{{"id": "{r.id}", "faithfulness": {m.group(1)}, "relevance": {m.group(2)}}}\n')
    return {
        "model": cfg.model,
        "judged": len(faith),
        "unparsed": errors,
        "faithfulness_mean": round(mean([float(x) for x in faith]), 2),
        "relevance_mean": round(mean([float(x) for x in rel]), 2),
    }
