"""Follow-up rewriting: a follow-up carries the previous question's topic and replaces what it names; a standalone
question, a remark or a topic change is left alone; a 3-turn conversation through the Assistant retrieves for the
rewritten questions."""

import pytest

from assistant.domain import ChatMessage, Status
from assistant.pipeline.context import TurnContext
from assistant.pipeline.followup import FollowUp, FollowUpRewriter
from assistant.settings import PROJECT_ROOT
from assistant.testing import HashEmbedder, InMemoryIndex, ScriptedChat
from tests.conftest import make_chunk

pytestmark = pytest.mark.unit
KNOWLEDGE = PROJECT_ROOT / "knowledge"


@pytest.fixture(scope="module")
def rewriter() -> FollowUpRewriter:
    return FollowUpRewriter.load(KNOWLEDGE)


def history(*questions: str) -> list[ChatMessage]:
    out = []
    for q in questions:
        out += [ChatMessage(role="user", content=q), ChatMessage(role="assistant", content="（答复）[1]")]
    return out


@pytest.mark.parametrize(
    ("previous", "follow_up", "standalone"),
    [
        ("注册有限公司需要什么材料", "那个体户呢？", "注册个体户需要什么材料"),
        ("开公司需要什么材料", "那个体户呢？", "开个体户需要什么材料"),
        ("开公司需要什么材料", "咁個體戶呢", "开个体户需要什么材料"),  # Cantonese, traditional script
        ("注册有限公司需要什么材料", "要多久？", "注册有限公司要多久？"),
        ("我想注册个公司", "需要什么材料", "注册个公司需要什么材料"),
        ("注册有限公司需要什么材料", "那注销呢", "注销有限公司需要什么材料"),
        ("注册有限公司需要什么材料", "那如果是个体户呢", "注册个体户需要什么材料"),
        ("注册有限公司需要几个股东", "那如果只有一个股东呢", "如果只有一个股东，注册有限公司需要几个股东"),
        ("注册资本要一次交齐吗", "那个体户呢", "个体户注册资本要一次交齐吗"),
        ("个体户名称有什么要求", "那经营范围呢", "个体户经营范围有什么要求"),
        ("注册有限公司需要什么材料", "那个体户要多久", "注册个体户要多久"),
        ("注册有限公司要多久", "网上能办吗", "注册有限公司网上能办吗"),
        (
            "What documents do I need to register a limited company?",
            "what about for a sole proprietorship?",
            "What documents do I need to register a sole proprietorship?",
        ),
        ("注册有限公司需要什么材料", "what about for a sole proprietorship?", "注册个人独资企业需要什么材料"),
        (
            "How long does it take to register a limited company?",
            "what documents do I need?",
            "what documents do I need (register a limited company)?",
        ),
    ],
)
def test_follow_ups_become_standalone_questions(
    rewriter: FollowUpRewriter, previous: str, follow_up: str, standalone: str
) -> None:
    assert rewriter.rewrite(follow_up, history(previous)) == standalone


@pytest.mark.parametrize(
    ("previous", "message"),
    [
        ("注册有限公司需要什么材料", "个体户怎么注销"),  # a new topic: nothing of the old one is carried
        ("注册有限公司需要什么材料", "营业执照丢了怎么办"),
        ("注册资本要一次交齐吗", "股东出资期限是多久"),
        ("注册有限公司需要什么材料", "How long does deregistration of a partnership take?"),
        ("开公司需要什么材料", "谢谢"),  # a remark, not a question fragment
        ("开公司需要什么材料", "营业执照"),
        ("今天天气怎么样", "要多久"),  # no topic to carry
    ],
)
def test_standalone_questions_and_remarks_are_left_alone(
    rewriter: FollowUpRewriter, previous: str, message: str
) -> None:
    assert rewriter.rewrite(message, history(previous)) is None


def test_without_history_nothing_is_rewritten(rewriter: FollowUpRewriter) -> None:
    assert rewriter.rewrite("要多久？", []) is None


def test_the_topic_comes_from_the_latest_user_question_that_has_one(rewriter: FollowUpRewriter) -> None:
    turns = history("注册有限公司需要什么材料", "谢谢", "注销个体户需要什么材料", "好的")
    assert rewriter.rewrite("要多久", turns) == "注销个体户要多久"
    assert rewriter.rewrite("要多久", turns[:4]) == "注册有限公司要多久"


def test_the_step_keeps_the_typed_text_and_honours_skip(rewriter: FollowUpRewriter) -> None:
    ctx = TurnContext(
        session_id="s", message="要多久？", question="要多久？", history=history("注册个体户需要什么材料")
    )
    FollowUp(rewriter)(ctx)
    assert (ctx.question, ctx.rewritten_from) == ("注册个体户要多久？", "要多久？") and "followup" in ctx.timings_ms
    skipped = TurnContext(session_id="s", message="要多久？", question="要多久？", history=ctx.history)
    FollowUp(rewriter, skip=lambda text: True)(skipped)
    assert (skipped.question, skipped.rewritten_from) == ("要多久？", "")


# --- a 3-turn conversation through the Assistant ------------------------------------------------
CONVERSATION_CHUNKS = [
    make_chunk(
        "第十六条",
        "第十六条 注册有限公司（有限责任公司）需要的材料：设立登记申请书、公司章程、股东身份证明和住所使用证明。",
        source="公司登记办法",
    ),
    make_chunk(
        "第二十条",
        "第二十条 注册个体户（个体工商户）需要的材料：登记申请书、经营者身份证明和经营场所使用证明。",
        source="公司登记办法",
    ),
    make_chunk(
        "第二十一条",
        "第二十一条 个体户（个体工商户）注册登记的期限：材料齐全的当场登记；不能当场登记的，在3个工作日内登记。",
        source="公司登记办法",
    ),
]


def test_a_three_turn_conversation_is_rewritten_and_answered_from_the_right_passages(
    make_assistant, sample_index: InMemoryIndex
) -> None:
    sample_index.upsert(CONVERSATION_CHUNKS, HashEmbedder().embed_passages([c.text for c in CONVERSATION_CHUNKS]))
    svc = make_assistant(ScriptedChat(fn=lambda messages: "因此，请按上述规定准备。"))
    answered = {Status.ANSWERED, Status.ANSWERED_EXTRACTIVE}

    first = svc.ask("注册有限公司需要什么材料")
    second = svc.ask("那个体户呢？", session_id=first.session_id)
    third = svc.ask("要多久？", session_id=first.session_id)

    assert first.question == "注册有限公司需要什么材料" and first.status in answered
    assert second.question == "注册个体户需要什么材料" and second.status in answered
    assert third.question == "注册个体户要多久？" and third.status in answered
    assert ("公司登记办法", "第十六条") in {(c.source, c.article) for c in first.citations}
    assert ("公司登记办法", "第二十条") in {(c.source, c.article) for c in second.citations}
    assert ("公司登记办法", "第二十一条") in {(c.source, c.article) for c in third.citations}
    stored = [m["content"] for m in svc.store.messages(first.session_id) if m["role"] == "user"]
    assert stored == [first.question, second.question, third.question]  # the standalone questions are stored
