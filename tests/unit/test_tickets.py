"""Hand-off tickets (转人工工单): the store on real SQLite, and the Assistant opening, updating and answering them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.approval import Application, Decision
from assistant.approval.model import Finding
from assistant.domain import Status
from assistant.errors import NotFoundError, UserError
from assistant.guardrails.steps import MaskPII
from assistant.pipeline.context import TurnContext
from assistant.service import Assistant
from assistant.store.audit import AuditRow
from assistant.store.tickets import ConflictError, TicketRow, TicketStore
from assistant.testing import ScriptedChat

pytestmark = pytest.mark.unit
GOOD = "不需要一次交齐，股东自公司成立之日起五年内缴足[1]。"
ID_NUMBER = "11010519491231002X"  # a valid 18-digit check digit


def route_for_test(ctx: TurnContext) -> None:
    """Stands in for the router: 人工 → handed_off, 投诉 → complaint_received (canned replies from the data)."""
    if "人工" in ctx.question or "person" in ctx.question:
        ctx.stop(Status.HANDED_OFF, "已为您转接人工服务。")
    elif "投诉" in ctx.question:
        ctx.stop(Status.COMPLAINT_RECEIVED, "您的意见已记录。")


@pytest.fixture
def svc(make_assistant) -> Assistant:
    s: Assistant = make_assistant(ScriptedChat(fn=lambda _m: GOOD))
    at = next(i for i, step in enumerate(s._steps) if isinstance(step, MaskPII)) + 1
    s._steps.insert(at, route_for_test)  # after masking, as the real router runs
    return s


@pytest.fixture
def store(settings) -> TicketStore:
    return TicketStore(settings.sqlalchemy_url)


def test_one_active_ticket_per_session_and_a_new_one_after_closing(store: TicketStore) -> None:
    t1, created = store.open_or_add("s1", "handoff", "想找人问问", transcript=[{"role": "user", "content": "x"}])
    assert created and t1.status == "open" and t1.requests == 1 and t1.reason == "想找人问问"
    t2, created = store.open_or_add("s1", "complaint", "还是没人理", transcript=[])
    assert not created and t2.id == t1.id and t2.requests == 2 and t2.kind == "handoff"
    assert [r.text for r in t2.reasons] == ["想找人问问", "还是没人理"]
    other, _ = store.open_or_add("s2", "complaint", "投诉", transcript=[])
    assert other.id != t1.id and other.kind == "complaint"
    store.close(t1.id, "alice", "已电话回复")
    t3, created = store.open_or_add("s1", "handoff", "又来了", transcript=[])
    assert created and t3.id != t1.id
    assert [t.id for t in store.find("open")] == [t3.id, other.id]
    assert store.find("closed")[0].id == t1.id and len(store.find()) == 3


def test_the_database_itself_refuses_a_second_active_ticket(store: TicketStore) -> None:
    store.open_or_add("s1", "handoff", "", transcript=[])
    with Session(store.engine) as db, pytest.raises(IntegrityError):
        db.add(TicketRow(session_id="s1", kind="handoff", status="open", reasons=[], transcript=[]))
        db.commit()


def test_claim_reply_close_lifecycle_and_conflicts(store: TicketStore) -> None:
    t, _ = store.open_or_add("s1", "handoff", "", transcript=[])
    claimed = store.claim(t.id, "alice")
    assert claimed.status == "claimed" and claimed.assignee == "alice" and claimed.claimed_at is not None
    assert store.claim(t.id, "alice").assignee == "alice"  # idempotent for the holder
    with pytest.raises(ConflictError) as exc:
        store.claim(t.id, "bob")
    assert exc.value.http_status == 409 and "alice" in exc.value.message("zh")
    assert store.record_reply(t.id, "bob").replies == 1  # a colleague may still answer
    closed = store.close(t.id, "alice", "done")
    assert closed.status == "closed" and closed.note == "done" and closed.closed_at is not None
    for action in (lambda: store.claim(t.id, "alice"), lambda: store.check_replyable(t.id)):
        with pytest.raises(ConflictError):
            action()
    with pytest.raises(ConflictError):
        store.close(t.id, "alice")
    with pytest.raises(NotFoundError) as missing:
        store.get(999)
    assert "999" in missing.value.message("zh") and "does not exist" in missing.value.message("en")


def test_a_reply_to_an_unclaimed_ticket_claims_it(store: TicketStore) -> None:
    t, _ = store.open_or_add("s1", "handoff", "", transcript=[])
    after = store.record_reply(t.id, "bob")
    assert after.assignee == "bob" and after.status == "claimed"


def test_asking_for_a_person_opens_a_ticket_with_the_masked_transcript(svc: Assistant) -> None:
    first = svc.ask("注册资本要一次交齐吗")
    assert first.message_id is not None and first.status == Status.ANSWERED
    r = svc.ask(f"我的身份证号是{ID_NUMBER}，我要转人工", session_id=first.session_id)
    assert r.status == Status.HANDED_OFF and r.message_id and r.message_id > first.message_id
    [ticket] = svc.tickets.find("open")
    assert f"工单号：{ticket.id}" in r.answer and ticket.kind == "handoff"
    detail = svc.ticket(ticket.id)
    assert ID_NUMBER not in detail.reason and "[身份证号1]" in detail.reason
    roles = [m["role"] for m in detail.transcript]
    assert roles == ["user", "assistant", "user", "assistant"]
    assert all(ID_NUMBER not in m["content"] for m in detail.transcript)
    stored = svc.store.messages(first.session_id)
    assert stored[-1]["id"] == r.message_id and f"工单号：{ticket.id}" in stored[-1]["content"]

    again = svc.ask("我要投诉，还是没人理我", session_id=first.session_id)  # a second request joins the ticket
    assert again.status == Status.COMPLAINT_RECEIVED and f"工单号：{ticket.id}" in again.answer
    assert svc.tickets.get(ticket.id).requests == 2 and len(svc.tickets.find("open")) == 1


def test_english_reply_names_the_ticket_in_english(svc: Assistant) -> None:
    r = svc.ask("I want to talk to a person please", lang="en")
    assert r.status == Status.HANDED_OFF and "Ticket number:" in r.answer


def test_the_ticket_carries_the_draft_and_its_failed_checks(svc: Assistant) -> None:
    draft = Application(entity_type="有限责任公司", proposed_name="中国青禾软件有限公司")
    decision = Decision(
        decision="block",
        findings=[
            Finding(rule="name.forbidden_word", severity="block", field="proposed_name", message="名称不得含“中国”"),
            Finding(rule="name.hint", severity="hint", message="仅供参考"),
        ],
    )
    svc.draft_provider = lambda sid: (draft, decision)
    r = svc.ask("帮我转人工")
    t = svc.tickets.active_for(r.session_id)
    assert t is not None
    detail = svc.ticket(t.id)
    assert detail.draft and detail.draft["proposed_name"] == "中国青禾软件有限公司"
    assert detail.decision and detail.decision["decision"] == "block"
    assert [c.rule for c in detail.failed_checks] == ["name.forbidden_word"]


def test_without_a_draft_the_last_recorded_decision_for_the_session_is_used(svc: Assistant) -> None:
    first = svc.ask("注册资本要一次交齐吗")
    finding = {"rule": "capital.x", "severity": "review", "field": None, "message": "请核实出资"}
    svc.audit.append("decision", {"session_id": "another", "decision": {"decision": "pass", "findings": []}})
    svc.audit.append(
        "decision", {"session_id": first.session_id, "decision": {"decision": "review", "findings": [finding]}}
    )
    svc.ask("转人工", session_id=first.session_id)
    t = svc.tickets.active_for(first.session_id)
    assert t is not None
    detail = svc.ticket(t.id)
    assert detail.draft is None and detail.decision and detail.decision["decision"] == "review"
    assert detail.failed_checks[0].rule == "capital.x"


def test_the_handoff_button_with_and_without_a_session(svc: Assistant) -> None:
    fresh = svc.handoff(None)  # pressed before asking anything
    assert fresh.status == Status.HANDED_OFF and svc.store.exists(fresh.session_id)
    assert "工单号" in fresh.answer and fresh.message_id
    again = svc.handoff(fresh.session_id, "电话 13812345678 帮我看下材料")
    assert svc.tickets.get(svc.tickets.find("open")[0].id).requests == 2
    contents = [m["content"] for m in svc.store.messages(fresh.session_id)]
    assert not any("13812345678" in c for c in contents)  # the reason is masked before it is stored
    assert again.session_id == fresh.session_id
    with pytest.raises(NotFoundError):
        svc.handoff("no-such-session")
    with pytest.raises(UserError):
        svc.handoff(fresh.session_id, "长" * 5000)


def test_staff_reply_lands_in_the_same_session_and_is_audited(svc: Assistant) -> None:
    r = svc.ask("我要转人工")
    tid = svc.tickets.find("open")[0].id
    svc.claim_ticket(tid, "alice")
    ticket, mid = svc.reply_ticket(tid, "alice", "您好，我是窗口工作人员，请问需要什么帮助？")
    last = svc.store.messages(r.session_id)[-1]
    assert last["id"] == mid and last["role"] == "staff" and "窗口工作人员" in last["content"]
    assert ticket.replies == 1 and ticket.transcript[-1]["role"] == "staff"
    follow = svc.ask("注册资本要一次交齐吗", session_id=r.session_id)  # the history with a staff turn still works
    assert follow.status == Status.ANSWERED
    svc.close_ticket(tid, "alice", "已解答")
    before = len(svc.store.messages(r.session_id))
    with pytest.raises(ConflictError):
        svc.reply_ticket(tid, "alice", "还在吗？")
    for bad in ("", "   ", "字" * 20000):
        with pytest.raises(UserError):
            svc.reply_ticket(tid, "alice", bad)
    assert len(svc.store.messages(r.session_id)) == before  # nothing half-saved
    with Session(svc.audit.engine) as db:
        rows = db.scalars(select(AuditRow).where(AuditRow.kind == "staff").order_by(AuditRow.seq)).all()
    actions = [json.loads(row.payload)["action"] for row in rows]
    assert actions == ["ticket_claim", "ticket_reply", "ticket_close"]
    assert svc.audit.verify().ok


def test_the_widget_poll_shows_each_staff_reply_once(svc: Assistant) -> None:
    from ui.render import render_stored
    from ui.widget import _with_staff

    r = svc.handoff(None)
    history: list = [{"role": "assistant", "content": r.answer}]
    rows: list = [(r.message_id, "assistant")]
    assert _with_staff(svc, r.session_id, history, rows, 0) == (history, rows, 0)  # nothing new yet
    tid = svc.tickets.active_for(r.session_id).id  # type: ignore[union-attr]
    _, mid = svc.reply_ticket(tid, "alice", "您好 <b>请稍等</b>")
    history, rows, seen = _with_staff(svc, r.session_id, history, rows, 0)
    assert seen == mid and rows[-1] == (mid, "staff") and len(history) == 2
    assert "db-staff-tag" in history[-1]["content"] and "&lt;b&gt;" in history[-1]["content"]  # escaped
    assert _with_staff(svc, r.session_id, history, rows, seen) == (history, rows, seen)
    answer = {
        "role": "assistant",
        "content": "见[1]",
        "citations": [{"n": 1, "source": "公司法", "article": "第七条", "quote": "q"}],
    }
    assert "《公司法》第七条" in render_stored(answer)


def test_a_staff_reply_reaches_the_model_history_masked(svc: Assistant) -> None:
    r = svc.handoff(None)
    tid = svc.tickets.active_for(r.session_id).id  # type: ignore[union-attr]
    svc.reply_ticket(tid, "alice", "请拨打 13812345678 联系窗口")
    assert "13812345678" in svc.store.messages(r.session_id)[-1]["content"]  # the applicant sees it as written
    last = svc.store.history(r.session_id)[-1]
    assert last.role == "assistant" and "13812345678" not in last.content and "[手机号1]" in last.content
