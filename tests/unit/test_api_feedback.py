"""POST /v1/feedback (applicant) and the staff routes /v1/staff/gaps, /v1/staff/chat and /v1/staff/warnings over
the real app (TestClient, real SQLite, scripted chat model)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.service import Assistant
from assistant.testing import ScriptedChat

pytestmark = pytest.mark.unit
GOOD = "不需要一次交齐，股东自公司成立之日起五年内缴足[1]。"
PASSWORD = "window-staff-2024"
EN = {"accept-language": "en"}


@pytest.fixture
def svc(make_assistant) -> Assistant:
    s: Assistant = make_assistant(ScriptedChat(fn=lambda _m: GOOD))
    s.staff.create("alice", PASSWORD)
    return s


@pytest.fixture
def client(settings, svc: Assistant):
    with TestClient(create_app(settings, svc, with_ui=False)) as c:
        yield c


@pytest.fixture
def auth(client: TestClient) -> dict[str, str]:
    r = client.post("/v1/staff/login", json={"name": "alice", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def answer(client: TestClient, message: str = "注册资本要一次交齐吗") -> dict:
    r = client.post("/v1/chat", json={"message": message})
    assert r.status_code == 200 and r.json()["message_id"]
    return r.json()


def test_feedback_is_stored_and_a_second_vote_replaces_it(client: TestClient, svc: Assistant) -> None:
    a = answer(client)
    body = {"session_id": a["session_id"], "message_id": a["message_id"], "vote": "up"}
    r = client.post("/v1/feedback", json=body)
    assert r.status_code == 200 and r.json()["vote"] == "up"
    r = client.post("/v1/feedback", json=body | {"vote": "down", "reason": "unclear"}, headers=EN)
    assert r.status_code == 200 and (r.json()["reason"], r.json()["reason_label"]) == ("unclear", "Hard to understand")
    stored = svc.insights.get(a["message_id"])
    assert stored is not None and stored.vote == "down"
    reasons = client.get("/v1/feedback/reasons").json()
    assert [x["zh"] for x in reasons] == ["答非所问", "信息有误", "看不懂", "没有依据", "其他"]


def test_feedback_on_an_answer_of_another_session_is_404_in_the_users_language(client: TestClient) -> None:
    a, b = answer(client), answer(client, "有限公司最多几个股东")
    body = {"session_id": a["session_id"], "message_id": b["message_id"], "vote": "down"}
    r = client.post("/v1/feedback", json=body)
    assert r.status_code == 404 and "没有编号" in r.json()["message"] and r.json()["field"] == "message_id"
    r = client.post("/v1/feedback", json=body | {"session_id": "nosuchsession"}, headers=EN)
    assert r.status_code == 404 and r.json()["message"].startswith("Session nosuchsession has no answer")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"vote": "meh"}, "vote"),
        ({"message_id": 0}, "message_id"),
        ({"message_id": "x"}, "message_id"),
        ({"session_id": "../etc"}, "session_id"),
        ({"colour": "red"}, "colour"),
        ({"reason": "其他", "comment": "太" * 600}, "comment"),
    ],
)
def test_bad_feedback_is_422_naming_the_field(client: TestClient, change: dict, field: str) -> None:
    a = answer(client)
    body = {"session_id": a["session_id"], "message_id": a["message_id"], "vote": "down"} | change
    r = client.post("/v1/feedback", json=body)
    assert r.status_code == 422 and r.json()["field"] == field and r.json()["message"]


def test_staff_routes_need_a_staff_token(client: TestClient) -> None:
    for method, path in (("GET", "/v1/staff/gaps"), ("POST", "/v1/staff/chat"), ("GET", "/v1/staff/warnings")):
        for headers in ({}, {"Authorization": "Bearer nope"}):
            r = client.request(method, path, headers=headers, json={"message": "驳回"})
            assert r.status_code == 401 and r.json()["code"] == "unauthorized", (method, path)


def test_gaps_show_the_down_voted_question_with_answer_and_reason(client: TestClient, auth: dict) -> None:
    a = answer(client)
    client.post(
        "/v1/feedback",
        json={"session_id": a["session_id"], "message_id": a["message_id"], "vote": "down", "reason": "答非所问"},
    )
    gaps = client.get("/v1/staff/gaps", headers=auth).json()
    assert gaps[0]["question"] == "注册资本要一次交齐吗" and gaps[0]["downvoted"] == 1
    assert gaps[0]["reasons"] == {"答非所问": 1} and gaps[0]["examples"][0]["answer"] == a["answer"]
    assert client.get("/v1/staff/gaps?only=unanswered", headers=auth).json() == []
    assert client.get("/v1/staff/gaps?only=nonsense", headers=auth).status_code == 422


def test_staff_chat_warns_records_and_lists(client: TestClient, auth: dict) -> None:
    r = client.post("/v1/staff/chat", json={"message": "请申请人补交房产证原件"}, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [w["id"] for w in body["warnings"]] == ["doc.property_certificate"]
    assert body["warnings"][0]["basis"][0] == {
        "law": "市场主体登记管理条例",
        "article": "第十六条",
        "quote": "登记机关能够通过政务信息共享平台获取的市场主体登记相关信息，不得要求申请人重复提供",
    }
    assert body["sources"] and {"title", "version", "kind", "quote"} <= body["sources"][0].keys()
    listed = client.get("/v1/staff/warnings", headers=auth).json()
    assert [(w["warning_id"], w["staff"]) for w in listed] == [("doc.property_certificate", "alice")]
    again = client.post(
        "/v1/staff/chat", json={"message": "认缴出资几年内缴足", "session_id": body["session_id"]}, headers=auth
    )
    assert again.status_code == 200 and again.json()["warnings"] == []
    applicant = answer(client)
    r = client.post("/v1/staff/chat", json={"message": "驳回", "session_id": applicant["session_id"]}, headers=auth)
    assert r.status_code == 404 and r.json()["field"] == "session_id"
    assert client.post("/v1/staff/chat", json={}, headers=auth).status_code == 422
