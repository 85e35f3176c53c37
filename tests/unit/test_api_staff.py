"""/v1/staff and the applicant's hand-off over the real app (TestClient, real SQLite): login, the ticket queue,
replies into the applicant's session, and every staff route refusing a caller without a valid token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.service import Assistant
from assistant.testing import ScriptedChat

pytestmark = pytest.mark.unit
GOOD = "不需要一次交齐，股东自公司成立之日起五年内缴足[1]。"
PASSWORD = "window-staff-2024"


@pytest.fixture
def svc(make_assistant) -> Assistant:
    s: Assistant = make_assistant(ScriptedChat(fn=lambda _m: GOOD))
    s.staff.create("alice", PASSWORD)
    s.staff.create("bob", PASSWORD)
    return s


@pytest.fixture
def client(settings, svc: Assistant):
    with TestClient(create_app(settings, svc, with_ui=False)) as c:
        yield c


def login(client: TestClient, name: str = "alice") -> dict[str, str]:
    r = client.post("/v1/staff/login", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json()["token_type"] == "bearer" and r.json()["staff"] == name
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_login_errors_are_401_in_the_users_language(client: TestClient) -> None:
    r = client.post("/v1/staff/login", json={"name": "alice", "password": "wrong password"})
    assert r.status_code == 401 and "不正确" in r.json()["message"]
    r = client.post("/v1/staff/login", json={"name": "nobody", "password": PASSWORD}, headers={"accept-language": "en"})
    assert r.status_code == 401 and "Wrong name or password" in r.json()["message"]
    assert client.post("/v1/staff/login", json={"name": "alice"}).status_code == 422


def test_me_and_logout(client: TestClient) -> None:
    auth = login(client)
    assert client.get("/v1/staff/me", headers=auth).json()["name"] == "alice"
    assert client.post("/v1/staff/logout", headers=auth).status_code == 204
    r = client.get("/v1/staff/me", headers=auth)
    assert r.status_code == 401 and "重新登录" in r.json()["message"]


def test_every_staff_and_knowledge_route_refuses_a_missing_or_wrong_token(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]  # the route table as published
    routes = [
        (method.upper(), path)
        for path, ops in paths.items()
        if path.startswith(("/v1/staff", "/v1/knowledge")) and path != "/v1/staff/login"
        for method in ops
    ]
    assert len(routes) >= 10
    for method, route in routes:
        path = route.replace("{ticket_id}", "1").replace("{law}", "公司法").replace("{article}", "47")
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YTpi"}):
            r = client.request(method, path, headers=headers)
            assert r.status_code == 401, (method, path, headers, r.status_code)
            assert r.json()["code"] == "unauthorized" and r.json()["message"]
    en = client.get("/v1/knowledge/laws", headers={"accept-language": "en"})
    assert en.status_code == 401 and "Staff only" in en.json()["message"]


def test_applicant_routes_stay_open(client: TestClient) -> None:
    r = client.post("/v1/chat", json={"message": "注册资本要一次交齐吗"})
    assert r.status_code == 200 and r.json()["message_id"]
    sid = r.json()["session_id"]
    assert client.get(f"/v1/sessions/{sid}/messages").status_code == 200
    assert client.post(f"/v1/sessions/{sid}/handoff").status_code == 200


def test_handoff_reply_close_round_trip(client: TestClient) -> None:
    sid = client.post("/v1/chat", json={"message": "注册资本要一次交齐吗"}).json()["session_id"]
    r = client.post(f"/v1/sessions/{sid}/handoff", json={"reason": "材料看不懂，想找工作人员"})
    assert r.status_code == 200 and r.json()["status"] == "handed_off" and r.json()["route"] == "handoff"
    auth = login(client)
    queue = client.get("/v1/staff/tickets", params={"status": "open"}, headers=auth).json()
    assert len(queue) == 1 and queue[0]["session_id"] == sid and queue[0]["reason"] == "材料看不懂，想找工作人员"
    tid = queue[0]["id"]
    assert f"工单号：{tid}" in r.json()["answer"]
    detail = client.get(f"/v1/staff/tickets/{tid}", headers=auth).json()
    assert [m["role"] for m in detail["transcript"]] == ["user", "assistant", "user", "assistant"]
    assert detail["failed_checks"] == [] and detail["draft"] is None

    claimed = client.post(f"/v1/staff/tickets/{tid}/claim", headers=auth).json()
    assert claimed["status"] == "claimed" and claimed["assignee"] == "alice"
    taken = client.post(f"/v1/staff/tickets/{tid}/claim", headers=login(client, "bob"))
    assert taken.status_code == 409 and "alice" in taken.json()["message"]

    reply = client.post(
        f"/v1/staff/tickets/{tid}/reply", json={"text": "您好，材料清单见办事指南第三节。"}, headers=auth
    )
    assert reply.status_code == 200
    mid = reply.json()["message_id"]
    seen = client.get(f"/v1/sessions/{sid}/messages").json()  # what the applicant's widget polls
    assert seen[-1] == {**seen[-1], "id": mid, "role": "staff", "content": "您好，材料清单见办事指南第三节。"}
    assert client.get(f"/v1/sessions/{sid}/messages").json()[-1]["status"] == "staff_reply"

    closed = client.post(f"/v1/staff/tickets/{tid}/close", json={"note": "已答复"}, headers=auth)
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.json()["note"] == "已答复"
    assert client.get("/v1/staff/tickets", headers=auth).json() == []  # default: active tickets
    assert client.get("/v1/staff/tickets", params={"status": "closed"}, headers=auth).json()[0]["id"] == tid
    late = client.post(f"/v1/staff/tickets/{tid}/reply", json={"text": "还在吗"}, headers=auth)
    assert late.status_code == 409 and "已关闭" in late.json()["message"]
    assert client.post(f"/v1/staff/tickets/{tid}/close", headers=auth).status_code == 409
    assert len(client.get(f"/v1/sessions/{sid}/messages").json()) == len(seen)  # the refused reply left nothing


def test_bad_ticket_requests(client: TestClient) -> None:
    auth = login(client)
    sid = client.post("/v1/chat", json={"message": "注册资本要一次交齐吗"}).json()["session_id"]
    client.post(f"/v1/sessions/{sid}/handoff")
    tid = client.get("/v1/staff/tickets", headers=auth).json()[0]["id"]
    r = client.get("/v1/staff/tickets/4242", headers=auth)
    assert r.status_code == 404 and "4242" in r.json()["message"] and r.json()["field"] == "ticket_id"
    en = client.get("/v1/staff/tickets/4242", headers={**auth, "accept-language": "en"})
    assert en.status_code == 404 and "does not exist" in en.json()["message"]
    assert client.post("/v1/staff/tickets/4242/reply", json={"text": "hi"}, headers=auth).status_code == 404
    assert client.get("/v1/staff/tickets/abc", headers=auth).status_code == 422
    assert client.get("/v1/staff/tickets", params={"status": "weird"}, headers=auth).status_code == 422
    before = len(client.get(f"/v1/sessions/{sid}/messages").json())
    for body in ({"text": ""}, {"text": "   "}, {"text": "字" * 20000}, {}, {"text": "hi", "extra": 1}):
        r = client.post(f"/v1/staff/tickets/{tid}/reply", json=body, headers=auth)
        assert r.status_code == 422, body
        assert r.json()["message"]
    assert len(client.get(f"/v1/sessions/{sid}/messages").json()) == before
    assert client.post("/v1/sessions/nope/handoff").status_code == 404
    assert client.post(f"/v1/sessions/{sid}/handoff", json={"reason": "x" * 3000}).status_code == 422


def test_knowledge_routes_answer_staff(client: TestClient) -> None:
    r = client.get("/v1/knowledge/search", params={"q": "注册资本"}, headers=login(client))
    assert r.status_code == 200 and "hits" in r.json()


def test_openapi_declares_the_bearer_scheme(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert (
        "/v1/staff/tickets/{ticket_id}/reply" in spec["paths"] and "/v1/sessions/{session_id}/handoff" in spec["paths"]
    )
