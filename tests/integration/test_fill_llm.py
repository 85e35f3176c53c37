"""The real local model through a filling turn (fill_llm=fallback): when the parsers find nothing in an answer, the
model proposes field=value lines from the masked message and the parsers confirm them. Slow on 2 cores (one short
completion); the figures with and without the model on the dev set come from eval/fill_eval.py --real."""

import pytest

from assistant.domain import Status
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.store import SessionStore
from assistant.testing import HashEmbedder, InMemoryIndex
from assistant.wiring import build_chat_model, configure

pytestmark = pytest.mark.integration


def test_real_model_proposes_and_parsers_confirm(real_settings: Settings) -> None:
    settings = real_settings.model_copy(update={"fill_llm": "fallback"})
    configure(settings)
    svc = Assistant(
        settings,
        chat=build_chat_model(settings),
        embedder=HashEmbedder(),
        index=InMemoryIndex(),
        store=SessionStore(settings.sqlalchemy_url),
    )
    first = svc.ask("我要开公司做摄影，我叫邓超，注册资本10万全部我出，我当法人")
    assert first.status == Status.FORM_FILLING
    assert svc.filling.proposer is not None and svc.filling.proposer.calls == 0  # parsers were enough
    # the parsers read no field here; the model proposes one, and only a value the parsers accept is kept
    r = svc.ask("至于监督的那个人嘛，就请何美玲女士吧", session_id=first.session_id)
    assert svc.filling.proposer.calls == 1
    app = svc.draft(first.session_id).application
    if r.status == Status.FORM_FILLING:
        assert app.supervisor is not None and app.supervisor.name == "何美玲"
    else:  # the model proposed nothing the parsers accept: the turn goes on as a question, nothing is lost
        assert app.supervisor is None
    assert app.legal_rep is not None and app.legal_rep.name == "邓超"
