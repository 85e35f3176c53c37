"""The Answer step on the real pipeline (real index, embedder and local LLM): the basis streams before the
model writes, the answer cites the article that holds the key fact, and a named law the corpus lacks is
refused without the model. Timings are printed by eval/answer_eval.py, never asserted here."""

import pytest

from assistant.domain import Status
from assistant.service import Assistant

pytestmark = pytest.mark.integration


def test_basis_first_then_a_grounded_conclusion(real_assistant: Assistant) -> None:
    tokens: list[str] = []
    r = real_assistant.ask("公司催股东交出资，宽限期最少给多少天", on_token=tokens.append)
    assert tokens and tokens[0].startswith("根据《公司法》第五十二条") and "六十日" in tokens[0]
    assert r.status in {Status.ANSWERED, Status.ANSWERED_EXTRACTIVE}
    assert r.answer.startswith(tokens[0]) and "六十日" in r.answer
    assert ("公司法", "第五十二条") in {(c.source, c.article) for c in r.citations}
    assert all(c.quote.startswith(c.article) for c in r.citations)  # quotes are the article text, verbatim


def test_an_invented_law_is_refused_without_the_model(real_assistant: Assistant) -> None:
    r = real_assistant.ask("《民营企业注册便利化特别条例》第十二条说了什么")
    assert r.status == Status.NO_ANSWER and not r.citations and "generate" not in r.timings_ms
