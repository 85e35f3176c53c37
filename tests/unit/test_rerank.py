"""The Reranker port's LLM judge (around a scripted chat model) and its place in the retriever."""

import pytest

from assistant.domain import Chunk, Passage
from assistant.lexical import QueryExpander
from assistant.prompts import load_prompt
from assistant.rerank import LlmJudgeReranker
from assistant.retrieval import HybridRetriever
from assistant.settings import PROJECT_ROOT
from assistant.testing import HashEmbedder, ScriptedChat

pytestmark = pytest.mark.unit
PROMPT = load_prompt(PROJECT_ROOT / "prompts", "rerank")


def passages(n: int) -> list[Passage]:
    def chunk(i: int) -> Chunk:
        return Chunk(id=f"law:x:{i}", text=f"第{i}条 内容{i}", source="公司法", title="公司法", article=f"第{i}条")

    return [Passage(chunk=chunk(i)) for i in range(1, n + 1)]


@pytest.mark.parametrize(
    ("reply", "order"),
    [
        ("3,1", [3, 1, 2, 4, 5, 6]),
        ("答：2", [2, 1, 3, 4, 5, 6]),
        ("0", [1, 2, 3, 4, 5, 6]),  # none answers: fused order stands
        ("9, 2, 2", [2, 1, 3, 4, 5, 6]),  # out of range and repeats ignored
        ("不知道", [1, 2, 3, 4, 5, 6]),
    ],
)
def test_judge_moves_the_chosen_passages_first_and_never_loses_one(reply: str, order: list[int]) -> None:
    chat = ScriptedChat([reply])
    out = LlmJudgeReranker(chat, PROMPT, depth=5).rerank("有限公司最多几个股东", passages(6))
    assert [p.chunk.article for p in out] == [f"第{i}条" for i in order]
    shown = chat.calls[0][-1].content
    assert "有限公司最多几个股东" in shown and "[5]" in shown and "[6]" not in shown  # only the depth is judged


def test_judge_failure_keeps_the_fused_order() -> None:
    out = LlmJudgeReranker(ScriptedChat(fail=True), PROMPT).rerank("q", passages(3))
    assert [p.chunk.article for p in out] == ["第1条", "第2条", "第3条"]


def test_retriever_applies_the_reranker_before_the_budget(sample_index) -> None:
    judge = LlmJudgeReranker(ScriptedChat(fn=lambda m: "2"), PROMPT, depth=3)
    plain = HybridRetriever(HashEmbedder(), sample_index, QueryExpander(PROJECT_ROOT / "knowledge"))
    judged = HybridRetriever(HashEmbedder(), sample_index, QueryExpander(PROJECT_ROOT / "knowledge"), reranker=judge)
    q = "有限责任公司股东出资"
    before = [p.chunk.id for p in plain.retrieve(q, 3).passages]
    after = [p.chunk.id for p in judged.retrieve(q, 3).passages]
    assert after[0] == before[1] and set(after) == set(before)
