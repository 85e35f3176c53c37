"""The /v1 HTTP contract over the real app, with a scripted chat model and in-memory index."""

import json

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.testing import ScriptedChat

pytestmark = pytest.mark.unit
GOOD = "不需要一次交齐，股东自公司成立之日起五年内缴足[1]。"


@pytest.fixture
def client(settings, make_assistant):  # type: ignore[no-untyped-def]
    svc = make_assistant(ScriptedChat(fn=lambda _m: GOOD))
    with TestClient(create_app(settings, svc, with_ui=False)) as c:
        yield c


def test_chat_returns_the_contract_fields(client: TestClient) -> None:
    r = client.post("/v1/chat", json={"message": "注册资本要一次交齐吗"})
    assert r.status_code == 200
    body = r.json()
    assert {"session_id", "status", "answer", "citations"} <= body.keys()
    assert body["status"] == "answered"
    cite = body["citations"][0]
    assert {"source", "article", "quote"} <= cite.keys() and cite["article"] == "第四十七条"
    again = client.post("/v1/chat", json={"message": "那股份公司呢", "session_id": body["session_id"]})
    assert again.status_code == 200 and again.json()["session_id"] == body["session_id"]
    history = client.get(f"/v1/sessions/{body['session_id']}/messages").json()
    assert len(history) == 4


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "message"),
        ({"message": 123}, "message"),
        ({"message": "hi", "lang": "fr"}, "lang"),
        ({"message": "hi", "unknown": 1}, "unknown"),
        ({"message": "hi", "session_id": "../../etc/passwd"}, "session_id"),
    ],
)
def test_bad_input_is_422_naming_the_field(client: TestClient, payload: dict, field: str) -> None:
    r = client.post("/v1/chat", json=payload)
    assert r.status_code == 422
    assert r.json()["field"] == field and r.json()["message"]


def test_malformed_json_is_422_not_500(client: TestClient) -> None:
    r = client.post("/v1/chat", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_too_long_message_is_422_in_the_users_language(client: TestClient) -> None:
    r = client.post("/v1/chat", json={"message": "公司" * 1500})
    assert r.status_code == 422 and "字以内" in r.json()["message"]
    r = client.post("/v1/chat", json={"message": "a " * 1500}, headers={"accept-language": "en"})
    assert r.status_code == 422 and "limit" in r.json()["message"]


def test_huge_body_is_413(client: TestClient) -> None:
    r = client.post("/v1/chat", content=b"x" * (2 << 20), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_unknown_session_is_404_and_nothing_is_lost(client: TestClient) -> None:
    r = client.post("/v1/chat", json={"message": "注册资本要一次交齐吗", "session_id": "nope"})
    assert r.status_code == 404 and r.json()["field"] == "session_id"


def test_healthz_reports_models_once_ready(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["models"]["chat"] == "scripted"


def test_stream_sends_tokens_then_the_result(client: TestClient) -> None:
    with client.stream("POST", "/v1/chat/stream", json={"message": "注册资本要一次交齐吗"}) as r:
        assert r.status_code == 200
        text = "".join(r.iter_text())
    events = [blk for blk in text.split("\n\n") if blk.strip()]
    kinds = [e.split("\n")[0].removeprefix("event: ") for e in events]
    assert kinds[-1] == "result" and "token" in kinds
    result = json.loads(events[-1].split("\n", 1)[1].removeprefix("data: "))
    assert result["citations"][0]["article"] == "第四十七条"


def test_openapi_lists_the_v1_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/chat" in paths and "/v1/chat/stream" in paths and "/healthz" in paths
