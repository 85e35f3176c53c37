"""/v1/knowledge over the real app (TestClient) and the `daoban law | digest` commands, on a small real
Chroma index in a temp dir and a scripted chat model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant.adapters.chroma_index import ChromaIndex
from assistant.api.app import create_app
from assistant.cli import app as cli
from assistant.service import Assistant
from assistant.settings import Settings, get_settings
from assistant.store import SessionStore
from assistant.testing import HashEmbedder, ScriptedChat
from assistant.wiring import configure
from tests.conftest import DATA_DIR
from tests.unit.test_knowledge_base import CHUNKS, CO, OLD

pytestmark = pytest.mark.unit
INVENTED = "股东要在十年内缴足出资。"


def build_index(settings: Settings) -> ChromaIndex:
    index = ChromaIndex(settings.collection, path=settings.chroma_dir)
    index.upsert(CHUNKS, HashEmbedder().embed_passages([c.text for c in CHUNKS]))
    return index


@pytest.fixture
def chat() -> ScriptedChat:
    return ScriptedChat(fn=lambda _m: INVENTED)


@pytest.fixture
def client(settings: Settings, chat: ScriptedChat):  # type: ignore[no-untyped-def]
    configure(settings)
    svc = Assistant(
        settings,
        chat=chat,
        embedder=HashEmbedder(),
        index=build_index(settings),
        store=SessionStore(settings.sqlalchemy_url),
    )
    svc.staff.create("tester", "tester-password")  # /v1/knowledge is staff only
    with TestClient(create_app(settings, svc, with_ui=False)) as c:
        token = c.post("/v1/staff/login", json={"name": "tester", "password": "tester-password"}).json()["token"]
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


def test_laws_and_articles(client: TestClient) -> None:
    laws = client.get("/v1/knowledge/laws").json()
    assert "公司法" in {x["law"] for x in laws} and {x["status"] for x in laws} == {"current"}
    every = client.get("/v1/knowledge/laws", params={"include_superseded": "true"}).json()
    assert any(x["edition"] == OLD and x["status_label"] == "已失效" for x in every)
    arts = client.get("/v1/knowledge/laws/公司法/articles").json()
    assert arts["law"]["edition"] == CO
    assert [a["article"] for g in arts["chapters"] for a in g["articles"]][:3] == ["第七条", "第四十二条", "第四十七条"]
    one = client.get("/v1/knowledge/laws/市场主体登记条例/articles/19").json()
    assert one["law"] == "市场主体登记管理条例" and one["article"] == "第十九条"
    hist = client.get("/v1/knowledge/laws/公司法/articles/第47条", params={"include_superseded": "true"}).json()
    assert hist["other_editions"][0]["superseded_by"]["edition"] == CO


def test_unknown_law_and_article_are_404_with_suggestions(client: TestClient) -> None:
    r = client.get("/v1/knowledge/laws/公司发/articles")
    assert r.status_code == 404 and r.json()["field"] == "law" and "公司法" in r.json()["suggestions"]
    assert "找不到" in r.json()["message"]
    en = client.get("/v1/knowledge/laws/公司发/articles", headers={"accept-language": "en"})
    assert en.json()["message"].startswith("No law named")
    r = client.get("/v1/knowledge/laws/公司法/articles/46")
    assert r.status_code == 404 and r.json()["field"] == "article" and r.json()["suggestions"][0] == "第四十七条"
    amb = client.get("/v1/knowledge/laws/外国企业/articles")
    assert amb.status_code == 404 and amb.json()["code"] == "ambiguous" and len(amb.json()["suggestions"]) == 2
    gone = client.get("/v1/knowledge/laws/公司登记管理条例/articles")
    assert gone.json()["code"] == "superseded" and gone.json()["suggestions"] == ["市场主体登记管理条例"]


def test_search_with_filters(client: TestClient) -> None:
    r = client.get("/v1/knowledge/search", params={"q": "注册资本 缴足", "kind": "faq,guide", "k": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["kinds"] == ["guide", "faq"] and {h["kind"] for h in body["hits"]} <= {"guide", "faq"}
    assert all({"snippet", "highlights", "spans", "status_label"} <= h.keys() for h in body["hits"])
    ref = client.get("/v1/knowledge/search", params={"q": "公司法第47条"}).json()
    assert ref["hits"][0]["match"] == "reference" and ref["hits"][0]["article"] == "第四十七条"
    old = client.get(
        "/v1/knowledge/search", params=[("q", "董事会会议 召集"), ("kind", "law"), ("status", "all")]
    ).json()
    assert any(h["status"] == "superseded" for h in old["hits"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "query.q"),
        ({"q": "出资", "k": 0}, "query.k"),
        ({"q": "出资", "k": "many"}, "query.k"),
        ({"q": "出资", "status": "old"}, "query.status"),
        ({"q": "出资", "kind": "memo"}, "kind"),
        ({"q": "   "}, "q"),
    ],
)
def test_bad_search_input_is_422_naming_the_field(client: TestClient, params: dict, field: str) -> None:
    r = client.get("/v1/knowledge/search", params=params)
    assert r.status_code == 422 and r.json()["field"] == field and r.json()["message"]


def test_search_within_an_unknown_law_is_404(client: TestClient) -> None:
    r = client.get("/v1/knowledge/search", params={"q": "出资", "law": "不存在的法"})
    assert r.status_code == 404 and r.json()["field"] == "law"


def test_digest_key_points_at_once_summary_on_request(client: TestClient, chat: ScriptedChat) -> None:
    d = client.get("/v1/knowledge/digest", params={"law": "公司法", "article": "47"}).json()
    assert d["summary_status"] == "not_requested" and chat.calls == []
    assert any(m["text"] == "五年内" for p in d["key_points"] for m in p["marks"])
    assert len(d["service_steps"]) == 2
    step = client.get(d["service_steps"][0]["href"]).json()
    assert step["basis"][0]["id"] == f"law:{CO}:第四十七条"
    s = client.get("/v1/knowledge/digest", params={"law": "公司法", "article": "47", "summary": "true"}).json()
    assert s["summary"] is None and s["summary_status"] == "rejected" and s["key_points"]  # 十年 is not in it


def test_digest_needs_law_and_article_or_id(client: TestClient) -> None:
    r = client.get("/v1/knowledge/digest", params={"law": "公司法"})
    assert r.status_code == 422 and r.json()["field"] == "article"
    r = client.get("/v1/knowledge/digest", params={"id": "law:nope:第一条"})
    assert r.status_code == 404 and r.json()["field"] == "id"


def test_openapi_documents_the_knowledge_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/v1/knowledge/laws",
        "/v1/knowledge/laws/{law}/articles",
        "/v1/knowledge/laws/{law}/articles/{article}",
        "/v1/knowledge/search",
        "/v1/knowledge/digest",
    } <= paths.keys()
    assert "404" in paths["/v1/knowledge/digest"]["get"]["responses"]


# --- CLI: daoban law | digest (search needs the real embedder: tests/integration) ------------------------
@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DAOBAN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DAOBAN_DATA_DIR", str(DATA_DIR))
    get_settings.cache_clear()
    build_index(get_settings())
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_law_lists_and_shows_articles(runner: CliRunner) -> None:
    r = runner.invoke(cli, ["law"])
    assert r.exit_code == 0 and "公司法" in r.output and "现行有效" in r.output
    r = runner.invoke(cli, ["law", "公司法", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["law"]["edition"] == CO
    r = runner.invoke(cli, ["law", "公司法", "第47条"])
    assert r.exit_code == 0 and "五年内缴足" in r.output
    r = runner.invoke(cli, ["law", "公司法", "47", "--all", "--json"])
    assert json.loads(r.output)["other_editions"][0]["status"] == "superseded"


def test_cli_law_errors_are_bilingual_with_suggestions(runner: CliRunner) -> None:
    r = runner.invoke(cli, ["law", "外国企业"])
    assert r.exit_code == 2 and "请指明" in r.output and "several laws" in r.output
    r = runner.invoke(cli, ["law", "公司发", "--json"])
    assert r.exit_code == 2 and "公司法" in json.loads(r.output)["suggestions"]


def test_cli_digest(runner: CliRunner) -> None:
    r = runner.invoke(cli, ["digest", "公司法", "第四十七条"])
    assert r.exit_code == 0 and "五年内" in r.output and "注册资本与出资" in r.output
    r = runner.invoke(cli, ["digest", "--id", "faq:常见问题：注册资本与出资:注册资本要一次交齐吗", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["basis"][0]["article"] == "第四十七条"


# --- the staff page (/staff) --------------------------------------------------------------------------
def test_staff_page_is_mounted_and_renders_digests_and_hits(settings: Settings, chat: ScriptedChat) -> None:
    from assistant.policy import knowledge_for
    from ui.staff_tab import digest_html, search_html

    configure(settings)
    svc = Assistant(
        settings,
        chat=chat,
        embedder=HashEmbedder(),
        index=build_index(settings),
        store=SessionStore(settings.sqlalchemy_url),
    )
    with TestClient(create_app(settings, svc, with_ui=True)) as c:
        assert c.get("/staff/").status_code == 200
    kb = knowledge_for(svc)
    page = digest_html(kb.digest(law="公司法", article="47"))
    assert '<mark class="db-t">五年内</mark>' in page and "办事指引" in page and "义务主体：股东" in page
    old = digest_html(kb.digest(chunk_id=f"law:{OLD}:第四十七条"))
    assert 'class="db-notice"' in old and "已失效" in old
    hits = search_html(kb.search("注册资本 缴足", kinds=["law"]))
    assert "<mark>注册资本</mark>" in hits
