"""Drafts survive a server restart: a new Assistant on the same SQLite file continues the conversation's draft,
completes it and records the confirmed submission."""

import pytest

from assistant.domain import Status
from assistant.errors import UserError
from assistant.testing import ScriptedChat

pytestmark = pytest.mark.integration

TURNS_BEFORE = [
    "我想在天河开个做小程序的公司，我跟同学两个人出钱，我出60万他出40万",
    "我叫张伟，同学叫林浩",
    "地址是广州市天河区体育西路1号501室，名字叫青禾",
]
TURNS_AFTER = [
    "我当法人，林浩做监事",
    "我的身份证是440106199704021886，林浩的是44011119910208192X",
    "电话13800138001",
]


def test_new_assistant_on_the_same_database_continues_the_draft(settings, make_assistant) -> None:
    first = make_assistant(ScriptedChat(fn=lambda _m: "因此，可以。"))
    sid = None
    for text in TURNS_BEFORE:
        r = first.ask(text, session_id=sid)
        sid = r.session_id
        assert r.status == Status.FORM_FILLING
    before = first.draft(sid).application
    assert settings.sqlalchemy_url.startswith("sqlite:///") and before.proposed_name == "广州青禾软件有限公司"
    del first  # the server stops; only the SQLite file remains

    second = make_assistant(ScriptedChat(fn=lambda _m: "因此，可以。"))
    resumed = second.draft(sid)
    assert resumed.application == before  # nothing lost
    with pytest.raises(UserError):
        second.confirm(sid)  # incomplete: refused, naming what is missing
    for text in TURNS_AFTER:
        r = second.ask(text, session_id=sid)
    assert r.status == Status.FORM_COMPLETE, r.answer
    assert r.decision is not None and r.draft is not None and not r.missing_fields
    app = second.draft(sid).application
    assert {s.name: s.contribution_wan for s in app.shareholders} == {"张伟": 60, "林浩": 40}
    assert app.supervisor is not None and app.supervisor.id_number == "44011119910208192X"
    assert app.phone == "13800138001"

    receipt = second.confirm(sid)
    assert receipt["status"] in ("submitted", "submitted_for_review") and receipt["session_id"] == sid
    assert second.confirm(sid) == receipt  # confirming twice records one submission
    assert second.audit.verify().ok
    third = make_assistant(ScriptedChat(fn=lambda _m: ""))
    assert third.draft(sid).status == "confirmed"
    # values carry the id of the message that filled them
    draft = third.filling.drafts.get(sid)
    assert draft is not None and draft.fields["phone"].source.startswith("message:")
    assert draft.fields["phone"].source != "message:?"
