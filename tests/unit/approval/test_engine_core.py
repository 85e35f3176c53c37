"""The engine's own behaviour: catalogue validation, decision aggregation, the audit chain, the route."""

from pathlib import Path

import pytest
from sqlalchemy import text

from assistant.approval import Application, ApprovalEngine
from assistant.approval.catalogue import CatalogueError, RuleCatalogue
from assistant.approval.context import ReferenceData, RuleContext
from assistant.approval.engine import discover_modules
from assistant.settings import PROJECT_ROOT
from assistant.store.audit import AuditLog
from tests.conftest import DATA_DIR
from tests.unit.approval.support import base_llc

pytestmark = pytest.mark.unit
KNOWLEDGE = PROJECT_ROOT / "knowledge"
BASE = base_llc()
RULE = """
demo.block_rule:
  severity: block
  field: proposed_name
  message: 含有“{word}”。
  message_en: Contains "{word}".
  legal_basis: 企业名称登记管理规定 第十一条
  remedy: 删除“{word}”。
  remedy_en: Remove "{word}".
demo.hint_rule:
  severity: hint
  message: 提示。
  message_en: Hint.
  legal_basis: 市场主体登记管理条例 第十九条
  remedy: 无需处理。
  remedy_en: Nothing to do.
"""


def catalogue(tmp_path: Path, text_: str = RULE) -> Path:
    d = tmp_path / "approval" / "rules"
    d.mkdir(parents=True)
    (d / "demo.yaml").write_text(text_, encoding="utf-8")
    return tmp_path


def test_catalogue_fills_templates_in_both_languages(tmp_path: Path) -> None:
    cat = RuleCatalogue(catalogue(tmp_path) / "approval" / "rules")
    f = cat.finding("demo.block_rule", word="国家级")
    assert f.severity == "block" and f.field == "proposed_name"
    assert f.message == "含有“国家级”。" and f.message_en == 'Contains "国家级".' and f.remedy == "删除“国家级”。"
    with pytest.raises(CatalogueError):
        cat.finding("demo.unknown")


@pytest.mark.parametrize(
    "bad",
    [
        RULE.replace("severity: hint", "severity: fatal"),
        RULE.replace("  remedy_en: Nothing to do.\n", ""),
        RULE.replace("demo.hint_rule:", "nodot:"),
    ],
)
def test_catalogue_refuses_malformed_rules(tmp_path: Path, bad: str) -> None:
    with pytest.raises(CatalogueError):
        RuleCatalogue(catalogue(tmp_path, bad) / "approval" / "rules")


def test_decision_is_the_worst_severity(tmp_path: Path) -> None:
    kd = catalogue(tmp_path)

    def hints(ctx: RuleContext) -> None:
        ctx.hit("demo.hint_rule")

    def blocks(ctx: RuleContext) -> None:
        if ctx.app.proposed_name and "国家级" in ctx.app.proposed_name:
            ctx.hit("demo.block_rule", word="国家级")

    engine = ApprovalEngine(ReferenceData(DATA_DIR, kd), modules=[("h", hints), ("b", blocks)])
    ok = engine.check(Application(**BASE))
    assert ok.decision == "pass" and [f.rule for f in ok.findings] == ["demo.hint_rule"]
    bad = engine.check(Application(**{**BASE, "proposed_name": "广州国家级软件有限公司"}))
    assert bad.decision == "block" and bad.findings[0].rule == "demo.block_rule"  # worst first
    assert bad.elapsed_ms >= 0 and bad.engine_version.startswith("rules-")


def test_every_rule_id_in_the_code_is_in_the_catalogue_and_every_module_loads() -> None:
    import re

    cat = RuleCatalogue(KNOWLEDGE / "approval" / "rules")
    modules = discover_modules()
    used: set[str] = set()
    for f in (PROJECT_ROOT / "assistant" / "approval" / "rules").glob("*.py"):
        used |= set(re.findall(r"""hit\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""", f.read_text(encoding="utf-8")))
    assert used <= set(cat.rules), sorted(used - set(cat.rules))
    for spec in cat.rules.values():
        assert spec.legal_basis and spec.remedy and spec.message_en
    assert all(callable(fn) for _, fn in modules)


def test_application_refuses_unknown_keys_and_wrong_types() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Application(**{**BASE, "nmae": "x"})
    with pytest.raises(ValidationError):
        Application(**{**BASE, "registered_capital_wan": "一百万"})
    with pytest.raises(ValidationError):
        Application(**{**BASE, "domicile_district_code": "44010"})


def test_audit_chain_detects_any_edit(tmp_path: Path) -> None:
    log = AuditLog(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    receipts = [log.append("decision", {"n": i, "decision": "pass"}) for i in range(5)]
    assert len(set(receipts)) == 5 and log.verify().ok and log.verify().records == 5
    with log.engine.begin() as db:
        db.execute(text("UPDATE audit_log SET payload = replace(payload, 'pass', 'block') WHERE seq = 3"))
    v = log.verify()
    assert not v.ok and v.first_bad_seq == 3


def test_audit_chain_detects_deletion(tmp_path: Path) -> None:
    log = AuditLog(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    for i in range(4):
        log.append("decision", {"n": i})
    with log.engine.begin() as db:
        db.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    assert not log.verify().ok


def test_approval_route_logs_and_rejects_bad_input(settings, make_assistant) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from assistant.api.app import create_app
    from assistant.testing import ScriptedChat

    svc = make_assistant(ScriptedChat())
    with TestClient(create_app(settings, svc, with_ui=False)) as client:
        r = client.post("/v1/approval/check", json=BASE)
        assert r.status_code == 200 and r.json()["decision"] in {"pass", "review", "block"}
        assert svc.audit.verify().records == 1
        bad = client.post("/v1/approval/check", json={**BASE, "registered_capital_wan": "很多"})
        assert bad.status_code == 422 and bad.json()["field"] == "registered_capital_wan"
        unknown = client.post("/v1/approval/check", json={**BASE, "color": "red"})
        assert unknown.status_code == 422 and unknown.json()["field"] == "color"
        nested = client.post(
            "/v1/approval/check", json={**BASE, "shareholders": [{"name": "甲", "contribution_wan": -1}]}
        )
        assert nested.status_code == 422 and nested.json()["field"].startswith("shareholders.0")


def test_whole_engine_on_the_development_set() -> None:
    """Every dev application (all modules together): expected decision, expected rule ids all reported."""
    from eval.approval_dev import load_cases

    engine = ApprovalEngine.from_paths(DATA_DIR, KNOWLEDGE)
    cases = load_cases()
    assert len(cases) >= 60
    for where, case in cases:
        d = engine.check(Application.model_validate(case["application"]))
        got = {f.rule for f in d.findings}
        assert set(case["expect_rules"]) <= got, (where, sorted(set(case["expect_rules"]) - got))
        assert d.decision == case["expect_decision"], (where, d.decision, sorted(got))
        assert all(f.legal_basis and f.remedy and f.message for f in d.findings), where


def test_configured_name_registry_is_checked(tmp_path: Path) -> None:
    reg = tmp_path / "names.csv"
    reg.write_text("name,authority_code,status\n广州青禾软件有限公司,440106,存续\n", encoding="utf-8")
    engine = ApprovalEngine.from_paths(DATA_DIR, KNOWLEDGE, reg)
    d = engine.check(Application(**BASE))
    assert d.decision == "block"
    hit = next(f for f in d.findings if f.rule == "name_conflict.identical")
    assert "广州青禾软件有限公司" in hit.message
    assert ApprovalEngine.from_paths(DATA_DIR, KNOWLEDGE).check(Application(**BASE)).decision == "pass"


@pytest.mark.parametrize(("kind", "fmt"), [("form", "html"), ("confirmation", "html"), ("articles", "pdf")])
def test_document_route_renders_for_an_application(settings, make_assistant, kind: str, fmt: str) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from assistant.api.app import create_app
    from assistant.testing import ScriptedChat

    with TestClient(create_app(settings, make_assistant(ScriptedChat()), with_ui=False)) as client:
        r = client.post(f"/v1/approval/documents/{kind}?format={fmt}", json=BASE)
        assert r.status_code == 200
        if fmt == "pdf":
            assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
        else:
            assert "广州青禾软件有限公司" in r.text
        geti = {k: v for k, v in BASE.items() if k not in ("shareholders", "directors", "supervisor", "manager")}
        geti["entity_type"] = "个体工商户"
        bad = client.post("/v1/approval/documents/articles", json=geti)
        assert bad.status_code == 422 and bad.json()["field"] == "entity_type"
        assert client.post("/v1/approval/documents/poster", json=BASE).status_code == 422


def test_submission_needs_confirmation_refuses_block_and_is_recorded(settings, make_assistant) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from assistant.api.app import create_app
    from assistant.testing import ScriptedChat

    svc = make_assistant(ScriptedChat())
    with TestClient(create_app(settings, svc, with_ui=False)) as client:
        unconfirmed = client.post("/v1/approval/submissions", json={"application": BASE, "confirmed": False})
        assert unconfirmed.status_code == 422 and unconfirmed.json()["field"] == "confirmed"
        blocked = client.post(
            "/v1/approval/submissions",
            json={"application": {**BASE, "proposed_name": "中国青禾软件有限公司"}, "confirmed": True},
        )
        assert blocked.status_code == 422 and "不能提交" in blocked.json()["message"]
        ok = client.post("/v1/approval/submissions", json={"application": BASE, "confirmed": True})
        assert ok.status_code == 200
        body = ok.json()
        assert body["status"] == "submitted" and len(body["receipt"]) == 64 and body["decision"]["decision"] == "pass"
    v = svc.audit.verify()
    assert v.ok and v.records == 1  # only the accepted submission is recorded
