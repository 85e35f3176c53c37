"""Form filling over HTTP: /v1/chat carries the draft and what is missing; the draft, inline edits, the rendered
documents and the explicit confirmation are their own routes (documented in the OpenAPI)."""

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.testing import ScriptedChat

pytestmark = pytest.mark.integration
TURNS = [
    "我要注册一个一人有限公司，做室内设计，公司名称叫广州木言设计有限公司",
    "住所在广州市海珠区江南大道中88号1203室，注册资本30万，全部由我出，我叫陈晓明",
    "我自己当执行董事和法定代表人，我老婆刘敏当监事",
    "身份证号：我的440106199704021886，我老婆的44011119910208192X",
]


@pytest.fixture
def client(settings, make_assistant):
    svc = make_assistant(ScriptedChat(fn=lambda _m: "因此，自公司成立之日起五年内缴足[1]。"))
    with TestClient(create_app(settings, svc, with_ui=False)) as c:
        yield c


def _chat(client: TestClient, text: str, sid: str | None) -> dict:
    r = client.post("/v1/chat", json={"message": text, "session_id": sid})
    assert r.status_code == 200, r.text
    return r.json()


def test_fill_edit_render_and_confirm(client: TestClient) -> None:
    sid = None
    for text in TURNS:
        body = _chat(client, text, sid)
        sid = body["session_id"]
        assert body["status"] == "form_filling" and body["draft"]["entity_type"] == "有限责任公司"
    assert [m["field"] for m in body["missing_fields"]] == ["phone"]
    assert body["missing_fields"][0]["question"] == "联系电话是多少？"

    policy = _chat(client, "注册资本要一次交齐吗", sid)  # a policy question mid-form: answered, then a reminder
    assert policy["status"] not in ("form_filling", "form_complete") and "还缺联系电话" in policy["answer"]

    done = _chat(client, "电话13900139002", sid)
    assert done["status"] == "form_complete" and done["decision"]["decision"] in ("pass", "review")
    assert done["missing_fields"] == []

    draft = client.get(f"/v1/sessions/{sid}/draft").json()
    assert draft["status"] == "complete" and draft["application"]["phone"] == "13900139002"
    states = {f["field"]: f for f in draft["fields"]}
    assert states["phone"]["state"] == "filled" and states["phone"]["display"] == "139****9002"
    assert states["operating_period"]["typed"] is False  # a default, shown as such
    assert set(draft["documents"]) == {"form", "confirmation", "articles"}

    edited = client.patch(f"/v1/sessions/{sid}/draft", json={"field": "registered_capital_wan", "value": "50万"})
    assert edited.status_code == 200, edited.text
    app = edited.json()["application"]
    assert app["registered_capital_wan"] == 50 and app["shareholders"][0]["contribution_wan"] == 50
    bad = client.patch(f"/v1/sessions/{sid}/draft", json={"field": "phone", "value": "123"})
    assert bad.status_code == 422 and bad.json()["field"] == "value"
    unknown = client.patch(f"/v1/sessions/{sid}/draft", json={"field": "colour", "value": "red"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "field"

    page = client.get(f"/v1/sessions/{sid}/documents/confirmation")
    assert (
        page.status_code == 200 and "广州木言设计有限公司" in page.text and "text/html" in page.headers["content-type"]
    )
    assert client.get(f"/v1/sessions/{sid}/documents/form").status_code == 200

    receipt = client.post(f"/v1/sessions/{sid}/confirm")
    assert receipt.status_code == 200, receipt.text
    assert receipt.json()["session_id"] == sid and len(receipt.json()["receipt"]) == 64
    assert client.get(f"/v1/sessions/{sid}/draft").json()["status"] == "confirmed"


def test_draft_routes_answer_404_and_422_bilingually(client: TestClient) -> None:
    assert client.get("/v1/sessions/nope/draft").status_code == 404
    sid = _chat(client, "我想注册公司", None)["session_id"]
    early = client.post(f"/v1/sessions/{sid}/confirm")
    assert early.status_code == 422 and "还没有填完" in early.json()["message"]
    english = client.post(f"/v1/sessions/{sid}/confirm", headers={"Accept-Language": "en"})
    assert "not complete" in english.json()["message"]


def test_openapi_documents_the_form_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"get", "patch"} <= set(paths["/v1/sessions/{session_id}/draft"])
    assert "post" in paths["/v1/sessions/{session_id}/confirm"]
    assert "get" in paths["/v1/sessions/{session_id}/documents/{kind}"]
