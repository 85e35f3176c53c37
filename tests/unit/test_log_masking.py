"""No personal number in a log line or in what is sent to a language model.

Logs: the filter masks messages, arguments, tracebacks and the uvicorn access log's request line (a real uvicorn
server in a thread, a query string carrying an ID number and a phone). LLM: a whole turn through the pipeline with a
recording chat double, and the real OpenAI-compatible adapter posting to a loopback server that records the payload.
"""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest
from fastapi.testclient import TestClient

from assistant.adapters.openai_chat import OpenAICompatibleChat
from assistant.api.app import create_app
from assistant.logging_setup import PiiLogFilter, install_log_masking
from assistant.testing import ScriptedChat
from tests.conftest import DATA_DIR
from tests.unit.test_guardrails_pii import CARD, ID, uscc

pytestmark = pytest.mark.unit
PHONE = "13800138001"
USCC = uscc()
RAW = (ID, PHONE, USCC, CARD)
QUESTION = f"我的身份证号{ID}，手机{PHONE}，注册资本要一次交齐吗"


def raw_in(text: str) -> list[str]:
    return [v for v in RAW if v in text or v.lower() in text]


@pytest.fixture
def masking() -> PiiLogFilter:
    return install_log_masking(DATA_DIR)


def test_filter_masks_message_arguments_and_traceback(masking: PiiLogFilter, caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("daoban.test.masking")
    caplog.set_level(logging.DEBUG)
    log.info("applicant %s phone %s", ID, PHONE)
    log.info("credit code %(code)s, card %(card)s", {"code": USCC, "card": CARD})
    log.info("phone as a number: %d", int(PHONE))
    log.warning(f"an f-string with {ID}")
    try:
        raise ValueError(f"bad value {CARD} for {PHONE}")
    except ValueError:
        log.exception("failed")
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert len(caplog.records) == 5
    assert not raw_in(text), raw_in(text)
    assert "[身份证号1]" in caplog.records[0].getMessage() and "[手机号1]" in caplog.records[0].getMessage()
    assert "[信用代码1]" in caplog.records[1].getMessage() and "[银行卡号1]" in caplog.records[1].getMessage()
    assert "ValueError: bad value [银行卡号1]" in caplog.text  # the traceback stays, masked


def test_a_record_from_any_logger_is_masked(masking: PiiLogFilter) -> None:
    record = logging.getLogger("some.library").makeRecord("some.library", logging.INFO, __file__, 1, "%s", (ID,), None)
    assert record.getMessage() == "[身份证号1]"
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "id %s", (ID,), None)  # made without the factory
    assert masking.filter(plain) and plain.getMessage() == "id [身份证号1]"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def uvicorn_server() -> Iterator[str]:
    """A real uvicorn server (access log on, uvicorn's own formatter) in a thread, on a loopback port."""
    import uvicorn
    from fastapi import FastAPI
    from uvicorn.config import LOGGING_CONFIG

    app = FastAPI()

    @app.get("/v1/lookup")
    def lookup(q: str = "") -> dict:
        return {"length": len(q)}

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=LOGGING_CONFIG, access_log=True)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_the_uvicorn_access_log_masks_the_query_string(masking: PiiLogFilter, uvicorn_server: str) -> None:
    from uvicorn.logging import AccessFormatter

    access = logging.getLogger("uvicorn.access")
    install_log_masking(DATA_DIR)  # uvicorn replaced its handlers at start-up: the filter goes on them too
    assert all(masking in h.filters for h in access.handlers)
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
    access.addHandler(handler)
    try:
        query = {"q": f"{ID} {PHONE}", "note": f"手机号{PHONE}", "card": CARD}
        r = httpx.get(f"{uvicorn_server}/v1/lookup", params=query)  # spaces as +, Chinese percent-encoded
        assert r.status_code == 200
        for _ in range(100):  # the access line is written after the response
            if "/v1/lookup" in buf.getvalue():
                break
            time.sleep(0.05)
    finally:
        access.removeHandler(handler)
    out = buf.getvalue()
    assert "GET /v1/lookup?q=" in out and " 200" in out  # the line is there, uvicorn's formatter intact
    assert not raw_in(out), out
    assert "[身份证号1]" in out and "[手机号1]" in out


def test_a_chat_request_leaves_no_personal_number_in_the_logs(
    settings, make_assistant, masking: PiiLogFilter, caplog: pytest.LogCaptureFixture
) -> None:
    chat = ScriptedChat(fn=lambda _m: "因此，不需要一次交齐。")
    svc = make_assistant(chat)
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(settings, svc, with_ui=False)) as client:
        r = client.post("/v1/chat", json={"message": QUESTION})
        assert r.status_code == 200
        sid = r.json()["session_id"]
        r = client.post("/v1/chat", json={"message": f"信用代码{USCC}，银行卡{CARD}", "session_id": sid})
        assert r.status_code == 200
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert "masked 2 personal values" in text  # the guardrail logged the turn: there were lines to check
    assert not raw_in(text), raw_in(text)


def test_the_model_prompt_never_carries_a_personal_number(make_assistant) -> None:
    chat = ScriptedChat(fn=lambda _m: "因此，不需要一次交齐。")
    svc = make_assistant(chat)
    first = svc.ask(QUESTION)
    svc.ask(f"那我的同学{ID}呢，电话{PHONE}", session_id=first.session_id)  # the history carries the first turn
    assert chat.calls, "the answer step never called the model"
    prompts = json.dumps([[m.content for m in call] for call in chat.calls], ensure_ascii=False)
    assert "[身份证号1]" in prompts
    assert not raw_in(prompts), raw_in(prompts)


class _RecordingOpenAI(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        _RecordingOpenAI.bodies.append(body)
        if body.get("stream"):
            chunk = {"choices": [{"delta": {"content": "因此，不需要一次交齐。"}}]}
            data = f"data: {json.dumps(chunk, ensure_ascii=False)}\n\ndata: [DONE]\n\n".encode()
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
        else:
            data = json.dumps({"choices": [{"message": {"content": "因此，不需要一次交齐。"}}]}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        return None


def test_the_openai_compatible_adapter_receives_masked_text(make_assistant) -> None:
    _RecordingOpenAI.bodies = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingOpenAI)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
        svc = make_assistant(OpenAICompatibleChat(base, "qwen-test", "sk-test"))
        r = svc.ask(QUESTION)
        svc.ask(f"另外我的银行卡{CARD}，公司信用代码{USCC}，股东要几个", session_id=r.session_id)
    finally:
        httpd.shutdown()
    assert _RecordingOpenAI.bodies, "nothing was sent to the endpoint"
    wire = json.dumps(_RecordingOpenAI.bodies, ensure_ascii=False)
    assert "[身份证号1]" in wire
    assert not raw_in(wire), raw_in(wire)
