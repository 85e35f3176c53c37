"""Retention and `daoban purge` on a real SQLite file with backdated rows: what is past each horizon goes, the rest
stays, tickets survive with their personal copies emptied, the audit chain keeps verifying and records the purge."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.filling.draft import FormDraft
from assistant.settings import get_settings
from assistant.store.audit import AuditLog
from assistant.store.db import ChatSessionRow, SessionStore, utc_now
from assistant.store.drafts import DraftRow, DraftStore
from assistant.store.feedback import FeedbackStore
from assistant.store.retention import purge
from assistant.store.tickets import TicketRow, TicketStore
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.unit


class World:
    def __init__(self, url: str) -> None:
        self.url = url
        self.store = SessionStore(url)
        self.drafts = DraftStore(url)
        self.tickets = TicketStore(url)
        self.feedback = FeedbackStore(url)
        self.audit = AuditLog(url)
        self._db = sessionmaker(self.store.engine)

    def session(self, age_days: float, *, draft_age_days: float | None = None, vote: bool = False) -> str:
        sid = self.store.open_session(None)
        self.store.add_message(sid, "user", "我叫张伟，身份证[身份证号1]")
        answer = self.store.add_message(sid, "assistant", "已记录。", "form_filling")
        if vote:
            self.feedback.vote(sid, answer, "down", "other", "看不懂")
        if draft_age_days is not None:
            self.drafts.save(FormDraft(session_id=sid))
            self.backdate(DraftRow, DraftRow.session_id, sid, draft_age_days)
        self.backdate(ChatSessionRow, ChatSessionRow.id, sid, age_days)
        return sid

    def backdate(self, table: type, key: Any, value: object, days: float) -> None:
        with self._db.begin() as db:
            db.execute(update(table).where(key == value).values(updated_at=utc_now() - timedelta(days=days)))


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(f"sqlite:///{tmp_path / 'state' / 'daoban.sqlite3'}")


def test_purge_deletes_past_each_horizon_and_records_counts(world: World) -> None:
    w = world
    w.audit.append("submission", {"application": {"name": "张伟"}})  # a legal record from before
    gone = w.session(40, vote=True)  # transcript past 30 days, no draft: everything goes
    kept_draft = w.session(40, draft_age_days=10)  # messages go, the recent draft and the session stay
    recent = w.session(2, draft_age_days=2)
    ancient = w.session(100, draft_age_days=100)
    held = w.session(100, draft_age_days=100)  # an open ticket: a person is still on it
    w.tickets.open_or_add(held, "handoff", "转人工", transcript=w.store.messages(held))
    closed, _ = w.tickets.open_or_add(gone, "handoff", "转人工", transcript=w.store.messages(gone), draft={"x": 1})
    w.tickets.close(closed.id, "staff1", "done")
    w.backdate(TicketRow, TicketRow.id, closed.id, 40)

    dry = purge(w.url, transcripts_days=30, drafts_days=90, dry_run=True)
    assert (dry.sessions, dry.messages, dry.drafts, dry.feedback) == (2, 6, 1, 1)
    assert (dry.ticket_transcripts, dry.ticket_drafts) == (1, 0) and not dry.audit_receipt
    assert w.store.exists(gone) and len(w.store.messages(gone)) == 2 and w.audit.verify().records == 1

    done = purge(w.url, transcripts_days=30, drafts_days=90)
    assert (done.sessions, done.messages, done.drafts, done.feedback) == (2, 6, 1, 1)
    assert not w.store.exists(gone) and not w.store.exists(ancient) and w.drafts.get(ancient) is None
    assert w.store.exists(kept_draft) and w.store.messages(kept_draft) == [] and w.drafts.get(kept_draft) is not None
    assert len(w.store.messages(recent)) == 2 and w.drafts.get(recent) is not None
    assert len(w.store.messages(held)) == 2 and w.drafts.get(held) is not None
    ticket = w.tickets.get(closed.id)  # the ticket survives; its transcript copy is emptied, the draft is not yet
    assert ticket.status == "closed" and ticket.transcript == [] and ticket.draft == {"x": 1}
    assert w.feedback.gap_candidates(("no_answer",)) == []

    v = w.audit.verify()
    assert v.ok and v.records == 2
    _, rows = w.audit.entries(kind="purge")
    record = json.loads(rows[0].payload)
    assert rows[0].hash == done.audit_receipt
    assert record["messages"] == 6 and record["sessions"] == 2 and record["retention_days_transcripts"] == 30
    assert "张伟" not in rows[0].payload  # counts, never content

    again = purge(w.url, transcripts_days=30, drafts_days=90)  # nothing left to do, still recorded
    assert (again.sessions, again.messages, again.drafts) == (0, 0, 0) and w.audit.verify().records == 3


def test_zero_days_keeps_forever(world: World) -> None:
    sid = world.session(3650, draft_age_days=3650)
    report = purge(world.url, transcripts_days=0, drafts_days=0)
    assert (report.sessions, report.messages, report.drafts) == (0, 0, 0)
    assert report.transcripts_before is None and len(world.store.messages(sid)) == 2
    only_drafts = purge(world.url, transcripts_days=0, drafts_days=90)
    assert only_drafts.drafts == 1 and world.store.exists(sid) and len(world.store.messages(sid)) == 2


def test_audit_appends_from_separate_processes_never_fork_the_chain(world: World) -> None:
    logs = [AuditLog(world.url) for _ in range(4)]  # each its own lock, like the server and a CLI purge

    def write(log: AuditLog) -> None:
        for i in range(15):
            log.append("decision", {"i": i})

    threads = [threading.Thread(target=write, args=(log,)) for log in logs]
    threads.append(threading.Thread(target=lambda: [purge(world.url, transcripts_days=1, drafts_days=1)]))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    v = world.audit.verify()
    assert v.ok and v.records == 61


def test_cli_purge_dry_run_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAOBAN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DAOBAN_DATA_DIR", str(DATA_DIR))
    monkeypatch.setenv("DAOBAN_RETENTION_DAYS_TRANSCRIPTS", "7")
    get_settings.cache_clear()
    try:
        w = World(get_settings().sqlalchemy_url)
        sid = w.session(8)
        runner = CliRunner()
        dry = runner.invoke(cli, ["purge", "--dry-run"])
        assert dry.exit_code == 0 and "would delete: 1 sessions, 2 messages" in dry.output and w.store.exists(sid)
        done = runner.invoke(cli, ["purge", "--json"])
        assert done.exit_code == 0, done.output
        body = json.loads(done.output)
        assert body["sessions"] == 1 and body["messages"] == 2 and body["audit_receipt"] and not w.store.exists(sid)
        verify = runner.invoke(cli, ["audit", "verify", "--json"])
        assert verify.exit_code == 0 and json.loads(verify.output)["records"] == 1
    finally:
        get_settings.cache_clear()
