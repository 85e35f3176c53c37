"""Roles over the real app (TestClient, real SQLite in a temp dir, scripted chat model): every route declares one
role, the route table in docs/trust/roles-and-limits.md is the app's, and each route refuses the wrong caller:
staff routes without a token, with a bad one or an evaluator-only one; evaluator routes with a staff-only token;
applicant session routes with an unknown id or another session's objects. Plus the roles column, the CLI, the
staff-login lockout, the audit route and the eval-run routes (path traversal)."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant.api.app import create_app
from assistant.api.limits import LoginGuard, RateLimited
from assistant.api.roles import ROLES, route_roles, route_table, routes
from assistant.cli import app as cli
from assistant.errors import UserError
from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings, get_settings
from assistant.store.staff import StaffStore, hash_password
from assistant.testing import ScriptedChat

pytestmark = pytest.mark.unit
GOOD = "不需要一次交齐，股东自公司成立之日起五年内缴足[1]。"
PASSWORD = "window-staff-2024"
EN = {"accept-language": "en"}
DOC = PROJECT_ROOT / "docs" / "trust" / "roles-and-limits.md"
RUN = "fill-20261123T120000Z"


@pytest.fixture
def svc(make_assistant, settings: Settings) -> Assistant:
    s: Assistant = make_assistant(ScriptedChat(fn=lambda _m: GOOD))
    s.staff.create("alice", PASSWORD)  # staff
    s.staff.create("eve", PASSWORD, roles=["evaluator"])
    s.staff.create("both", PASSWORD, roles=["staff", "evaluator"])
    run = settings.state_dir / "eval" / "runs" / RUN
    run.mkdir(parents=True)
    (run / "summary.json").write_text(json.dumps({"task": "fill", "metrics": {"field_accuracy": 0.97}}))
    (run / "report.html").write_text("<html><body><h1>fill report</h1></body></html>")
    (settings.state_dir / "eval" / "secret.json").write_text('{"secret": 1}')  # beside the runs: never served
    return s


@pytest.fixture
def client(settings: Settings, svc: Assistant) -> Iterator[TestClient]:
    with TestClient(create_app(settings, svc, with_ui=False)) as c:
        yield c


def token(svc: Assistant, name: str) -> dict[str, str]:
    """A bearer header for an account (issued directly: scrypt once per account is enough for these tests)."""
    user = next(u for u in svc.staff.accounts() if u.name == name)
    return {"Authorization": f"Bearer {svc.staff.issue_token(user).token}"}


def fill(path: str, session: str) -> str:
    values = {"session_id": session, "ticket_id": "1", "law": "公司法", "article": "47", "kind": "form", "run_id": RUN}
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def api_routes(client: TestClient) -> list[tuple[str, str, str]]:
    app = client.app
    return [(p, m, r) for p, m, r in route_table(app) if p.startswith("/v1/")]  # type: ignore[arg-type]


# --- every route declares exactly one role, and the docs' table is the app's ----------------------------------


def test_every_route_declares_a_role(client: TestClient) -> None:
    undeclared = [getattr(r, "path", r) for r in routes(client.app) if route_roles(r) is None]  # type: ignore[arg-type]
    assert undeclared == [], f"routes without a role (add dependencies=[PUBLIC|APPLICANT|STAFF|...]): {undeclared}"
    table = route_table(client.app)  # type: ignore[arg-type]
    assert len(table) >= 35 and all(set(role.split(",")) <= set(ROLES) for _, _, role in table)
    spec = client.get("/openapi.json").json()["paths"]
    for path, method, role in table:  # the role is published with the operation
        if path in spec and method.lower() in spec[path]:
            assert spec[path][method.lower()]["x-role"] == role, (path, method)
    assert set(spec["/v1/staff/audit"]["get"]["responses"]) >= {"200", "401", "403", "429"}
    assert "404" in spec["/v1/sessions/{session_id}/draft"]["get"]["responses"]


def test_the_mounted_ui_apps_declare_their_roles(settings: Settings, svc: Assistant) -> None:
    app = create_app(settings, svc, with_ui=True)  # gradio: the widget (public) and the staff console (login)
    table = {path: role for path, _, role in route_table(app)}
    assert table["/ui/*"] == "public" and table["/staff/*"] == "staff"
    assert "?" not in table.values(), [p for p, r in table.items() if r == "?"]


def test_the_route_table_in_the_docs_is_the_apps(client: TestClient) -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([^`]+)` \| (\w+|\*) \| ([a-z,]+) \|", text, flags=re.M))
    actual = {(p, m, r) for p, m, r in route_table(client.app)}  # type: ignore[arg-type]
    missing, stale = actual - documented, documented - actual
    # /ui/* and /staff/* are in the docs though this app is built without the UI
    stale -= {("/ui/*", "*", "public"), ("/staff/*", "*", "staff")}
    assert not missing and not stale, (
        f"update docs/trust/roles-and-limits.md (python -m assistant.api.roles): missing {missing}, stale {stale}"
    )


# --- staff and evaluator routes: 401 without a valid token, 403 with the wrong role ---------------------------


def test_staff_and_evaluator_routes_refuse_the_wrong_caller(client: TestClient, svc: Assistant) -> None:
    sid = client.post("/v1/chat", json={"message": "注册资本要一次交齐吗"}).json()["session_id"]
    staff_only, eval_only = token(svc, "alice"), token(svc, "eve")
    checked = {"staff": 0, "evaluator": 0, "staff,evaluator": 0}
    for path, method, role in api_routes(client):
        if role not in checked:
            continue
        url = fill(path, sid)
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YTpi"}):
            r = client.request(method, url, headers=headers)
            assert r.status_code == 401, (method, path, headers, r.status_code)
            assert r.json()["code"] == "unauthorized" and "登录" in r.json()["message"]
        en = client.request(method, url, headers=EN)
        assert en.status_code == 401 and "log in" in en.json()["message"]
        wrong = {"staff": eval_only, "evaluator": staff_only}.get(role)
        if wrong is not None:  # a valid token without the role: 403, in the caller's language
            r = client.request(method, url, headers=wrong)
            assert r.status_code == 403, (method, path, r.status_code, r.text)
            assert r.json()["code"] == "forbidden" and "权限" in r.json()["message"]
            en = client.request(method, url, headers=wrong | EN)
            assert en.status_code == 403 and "role" in en.json()["message"]
        right = staff_only if role.startswith("staff") else eval_only
        if not path.endswith("/logout"):  # the right role gets past the door (its own 4xx for missing input is fine)
            r = client.request(method, url, headers=right)
            assert r.status_code not in (401, 403), (method, path, r.status_code, r.text)
        checked[role] += 1
    assert checked["staff"] >= 14 and checked["evaluator"] == 3 and checked["staff,evaluator"] == 2


def test_an_account_holding_both_roles_reaches_both(client: TestClient, svc: Assistant) -> None:
    both = token(svc, "both")
    assert client.get("/v1/staff/tickets", headers=both).status_code == 200
    assert client.get("/v1/eval/runs", headers=both).status_code == 200
    me = client.get("/v1/staff/me", headers=both).json()
    assert me["name"] == "both" and me["roles"] == ["staff", "evaluator"]
    assert client.get("/v1/staff/me", headers=token(svc, "eve")).json()["roles"] == ["evaluator"]


def test_roles_take_effect_on_the_next_request(client: TestClient, svc: Assistant) -> None:
    auth = token(svc, "alice")
    assert client.get("/v1/eval/runs", headers=auth).status_code == 403
    svc.staff.set_roles("alice", ["evaluator"])
    assert client.get("/v1/eval/runs", headers=auth).status_code == 200
    assert client.get("/v1/staff/tickets", headers=auth).status_code == 403


# --- applicant routes: the session id is the key; an unknown one is the same 404 everywhere ------------------


def test_applicant_session_routes_answer_only_for_the_sessions_holder(client: TestClient, svc: Assistant) -> None:
    a = client.post("/v1/chat", json={"message": "注册资本要一次交齐吗"}).json()
    b = client.post("/v1/chat", json={"message": "有限责任公司股东最多几个"}).json()
    assert re.fullmatch(r"[0-9a-f]{32}", a["session_id"]) and a["session_id"] != b["session_id"]
    staff_session = svc.staff_ask("注册资本要一次交齐吗", staff="alice").session_id  # an internal chat
    session_routes = [(p, m) for p, m, r in api_routes(client) if r == "applicant" and "{session_id}" in p]
    assert len(session_routes) >= 6
    for path, method in session_routes:
        mine = client.request(method, fill(path, a["session_id"]), json={} if method == "PATCH" else None)
        assert mine.status_code < 500 and "不存在" not in mine.text, (method, path, mine.text)  # past the door
        for other in (uuid.uuid4().hex, "x" * 64, "a.b", "y" * 65, staff_session, a["session_id"].upper()):
            r = client.request(method, fill(path, other))
            assert r.status_code == 404, (method, path, other, r.status_code)
            assert r.json() == {
                "code": "not_found",
                "message": f"会话 {other[:64]} 不存在或已过期，请开始新的会话。",  # an echo is cut at 64
                "field": "session_id",
            }
            en = client.request(method, fill(path, other), headers=EN)
            assert en.json()["message"] == f"Session {other[:64]} does not exist; start a new one."
    # the messages of A are A's only
    texts = [m["content"] for m in client.get(f"/v1/sessions/{a['session_id']}/messages").json()]
    assert "注册资本要一次交齐吗" in texts and not any("股东最多" in t for t in texts)


def test_applicant_routes_with_the_id_in_the_body_refuse_unknown_and_foreign_ids(client: TestClient) -> None:
    a = client.post("/v1/chat", json={"message": "注册资本要一次交齐吗"}).json()
    b = client.post("/v1/chat", json={"message": "有限责任公司股东最多几个"}).json()
    unknown = uuid.uuid4().hex
    for path in ("/v1/chat", "/v1/chat/stream"):
        r = client.post(path, json={"message": "注册资本", "session_id": unknown})
        assert r.status_code == 404 and r.json()["field"] == "session_id", path
    # A's id with B's answer: 404, and nothing of B comes back
    r = client.post("/v1/feedback", json={"session_id": a["session_id"], "message_id": b["message_id"], "vote": "up"})
    assert r.status_code == 404 and b["answer"] not in r.text
    ok = client.post("/v1/feedback", json={"session_id": b["session_id"], "message_id": b["message_id"], "vote": "up"})
    assert ok.status_code == 200


def test_contract_routes_need_no_header(client: TestClient) -> None:
    """shared/contracts/README.md §3: chat, draft and approval work without any Authorization header."""
    r = client.post("/v1/chat", json={"message": "我要注册公司"})
    assert r.status_code == 200
    sid = r.json()["session_id"]
    assert client.get(f"/v1/sessions/{sid}/draft").status_code == 200, client.get(f"/v1/sessions/{sid}/draft").text
    assert client.get(f"/v1/sessions/{sid}/messages").status_code == 200
    assert client.post("/v1/approval/check", json={"entity_type": "有限责任公司"}).status_code == 200
    assert client.get("/healthz").status_code == 200 and client.get("/openapi.json").status_code == 200


def test_public_routes_never_ask_for_a_token(client: TestClient) -> None:
    for path, method, role in api_routes(client):
        if role == "public":
            r = client.request(method, fill(path, uuid.uuid4().hex))
            assert r.status_code not in (401, 403), (method, path, r.status_code)


# --- accounts: roles column (added in place to an old table), CLI, login lockout -----------------------------


def test_an_old_staff_table_gets_the_roles_column_and_its_accounts_stay_staff(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    with sqlite3.connect(db) as con:  # the table as it was before roles
        con.execute(
            "CREATE TABLE staff_users (id INTEGER PRIMARY KEY, name VARCHAR(32) UNIQUE, password_hash VARCHAR(200),"
            " active BOOLEAN, created_at DATETIME)"
        )
        con.execute(
            "INSERT INTO staff_users VALUES (1, 'old', ?, 1, '2026-01-01 00:00:00')",
            (hash_password(PASSWORD),),
        )
    store = StaffStore(f"sqlite:///{db}")
    [old] = store.accounts()
    assert old.name == "old" and old.roles == ("staff",)
    assert store.authenticate("old", PASSWORD) is not None
    assert store.create("ev", PASSWORD, roles=["evaluator"]).roles == ("evaluator",)
    StaffStore(f"sqlite:///{db}")  # a second start finds the column and leaves it
    with pytest.raises(UserError) as err:
        store.create("admin", PASSWORD, roles=["admin"])
    assert err.value.field == "role" and "admin" in err.value.message_en


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DAOBAN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("DAOBAN_STAFF_PASSWORD", raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_staff_create_takes_roles_and_bootstraps_the_first_account(runner: CliRunner) -> None:
    r = runner.invoke(cli, ["staff", "create", "first", "--password-stdin", "--json"], input=PASSWORD + "\n")
    assert r.exit_code == 0 and json.loads(r.output)["roles"] == ["staff"]
    r = runner.invoke(
        cli,
        ["staff", "create", "grader", "--role", "evaluator", "--role", "staff", "--password-stdin", "--json"],
        input=PASSWORD + "\n",
    )
    assert r.exit_code == 0 and json.loads(r.output)["roles"] == ["staff", "evaluator"]
    bad = runner.invoke(cli, ["staff", "create", "x1", "--role", "root", "--password-stdin"], input=PASSWORD + "\n")
    assert bad.exit_code == 2 and "角色" in bad.output
    r = runner.invoke(cli, ["staff", "roles", "first", "--role", "evaluator", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["roles"] == ["evaluator"]
    rows = json.loads(runner.invoke(cli, ["staff", "list", "--json"]).output)
    assert {x["name"]: x["roles"] for x in rows} == {"first": ["evaluator"], "grader": ["staff", "evaluator"]}


def test_login_locks_out_an_account_after_repeated_failures(settings: Settings, make_assistant) -> None:
    settings = settings.model_copy(update={"login_max_failures": 3, "login_ip_max_failures": 50})
    svc: Assistant = make_assistant(ScriptedChat(fn=lambda _m: GOOD))
    svc.settings = settings
    svc.staff.create("alice", PASSWORD)
    svc.staff.create("bob", PASSWORD)
    with TestClient(create_app(settings, svc, with_ui=False)) as client:
        for _ in range(3):
            r = client.post("/v1/staff/login", json={"name": "alice", "password": "wrong password"})
            assert r.status_code == 401
        for body, headers in (({"password": "wrong password"}, {}), ({"password": PASSWORD}, EN)):
            r = client.post("/v1/staff/login", json={"name": "alice", **body}, headers=headers)
            assert r.status_code == 429 and r.json()["code"] == "rate_limited"  # even the right password waits
            assert 800 < int(r.headers["retry-after"]) <= 900
        assert "登录失败次数过多" in client.post("/v1/staff/login", json={"name": "alice", "password": "x"}).text
        assert "Too many failed logins" in r.json()["message"]
        assert client.post("/v1/staff/login", json={"name": "bob", "password": PASSWORD}).status_code == 200
    kinds = [e.payload for e in svc.audit.entries(limit=50)[1]]
    assert sum('"login_failed"' in p for p in kinds) == 3  # the locked-out attempts never reached the password check


def test_login_locks_out_a_client_ip_trying_many_names(settings: Settings, make_assistant) -> None:
    settings = settings.model_copy(update={"login_max_failures": 100, "login_ip_max_failures": 4})
    svc: Assistant = make_assistant(ScriptedChat(fn=lambda _m: GOOD))
    svc.settings = settings
    with TestClient(create_app(settings, svc, with_ui=False)) as client:
        codes = [
            client.post("/v1/staff/login", json={"name": f"user{i}", "password": "guess-guess"}).status_code
            for i in range(6)
        ]
    assert codes == [401, 401, 401, 401, 429, 429]


def test_the_login_window_slides_and_a_success_clears_the_account() -> None:
    now = [1000.0]
    guard = LoginGuard(per_account=2, per_ip=10, window_s=60, clock=lambda: now[0])
    guard.failed("alice", "10.0.0.1")
    guard.failed("alice", "10.0.0.1")
    with pytest.raises(RateLimited) as err:
        guard.check("alice", "10.0.0.2")
    assert err.value.retry_after == 60 and err.value.http_status == 429
    now[0] += 61
    guard.check("alice", "10.0.0.1")  # the failures left the window
    guard.failed("alice")
    guard.succeeded("alice")
    guard.failed("alice")
    guard.check("alice")  # one failure since the success


# --- the audit log and the evaluation runs --------------------------------------------------------------------


def test_staff_audit_route_pages_the_log_masks_numbers_and_verifies_the_chain(
    client: TestClient, svc: Assistant
) -> None:
    app = {"entity_type": "有限责任公司", "phone": "13800138000", "legal_rep": {"name": "陈静"}}
    assert client.post("/v1/approval/check", json=app).status_code == 200
    auth = token(svc, "alice")
    page = client.get("/v1/staff/audit", headers=auth).json()
    assert page["verification"] == {"ok": True, "records": page["total"], "first_bad_seq": None, "reason": ""}
    assert page["total"] >= 1 and page["entries"][0]["kind"] == "decision"
    assert "13800138000" not in json.dumps(page, ensure_ascii=False)
    assert page["entries"][0]["payload"]["application"]["legal_rep"]["name"] == "陈静"
    client.post("/v1/staff/login", json={"name": "alice", "password": PASSWORD})
    second = client.get("/v1/staff/audit", params={"limit": 1, "offset": 1}, headers=auth).json()
    assert len(second["entries"]) == 1 and second["entries"][0]["seq"] == second["total"] - 1
    only = client.get("/v1/staff/audit", params={"kind": "staff"}, headers=auth).json()
    assert only["entries"] and {e["kind"] for e in only["entries"]} == {"staff"}
    with svc.audit.engine.begin() as con:  # tamper: the route reports where the chain breaks
        con.exec_driver_sql("UPDATE audit_log SET payload = replace(payload, '有限', '无限') WHERE seq = 1")
    broken = client.get("/v1/staff/audit", headers=auth).json()["verification"]
    assert broken["ok"] is False and broken["first_bad_seq"] == 1


def test_eval_run_routes_list_summarise_and_serve_reports(client: TestClient, svc: Assistant) -> None:
    auth = token(svc, "eve")
    runs = client.get("/v1/eval/runs", headers=auth).json()
    assert [(r["run_id"], r["task"], r["finished"], r["has_report"]) for r in runs] == [(RUN, "fill", True, True)]
    summary = client.get(f"/v1/eval/runs/{RUN}", headers=auth)
    assert summary.json()["metrics"]["field_accuracy"] == 0.97
    report = client.get(f"/v1/eval/runs/{RUN}/report", headers=auth)
    assert report.status_code == 200 and "fill report" in report.text
    assert report.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in report.headers["content-security-policy"]


@pytest.mark.parametrize("run_id", ["..", "...", "%2e%2e", "..%2fsecret.json", "nope-20260101T000000Z", ".hidden"])
def test_eval_run_ids_cannot_leave_the_runs_folder(client: TestClient, svc: Assistant, run_id: str) -> None:
    auth = token(svc, "eve")
    for suffix in ("", "/report"):
        r = client.get(f"/v1/eval/runs/{run_id}{suffix}", headers=auth)
        assert r.status_code == 404, (run_id, suffix, r.status_code)
        assert "secret" not in r.text.replace(run_id, "")


def test_a_symlinked_run_folder_is_not_followed(client: TestClient, svc: Assistant, settings: Settings) -> None:
    outside = settings.state_dir / "outside"
    outside.mkdir()
    (outside / "summary.json").write_text('{"leaked": true}')
    (settings.state_dir / "eval" / "runs" / "link-20261123T000000Z").symlink_to(outside)
    auth = token(svc, "eve")
    assert client.get("/v1/eval/runs/link-20261123T000000Z", headers=auth).status_code == 404
    assert [r["run_id"] for r in client.get("/v1/eval/runs", headers=auth).json()] == [RUN]
