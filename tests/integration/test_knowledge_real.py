"""The staff law browser, search and digests over the real ingested corpus, the real embedder and the local LLM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.pipeline.grounding import numbers_in
from assistant.policy import KnowledgeBase
from assistant.service import Assistant
from assistant.settings import Settings, get_settings

pytestmark = pytest.mark.integration
CO, OLD = "公司法(2023-12-29)", "公司法(2018-10-26)"


@pytest.fixture(scope="module")
def kb(real_assistant: Assistant) -> KnowledgeBase:
    return KnowledgeBase.for_assistant(real_assistant)


def test_catalogue_of_the_real_corpus(kb: KnowledgeBase) -> None:
    current = {x.edition: x for x in kb.laws()}
    co = current[CO]
    assert co.version == "2024-07-01" and co.article_count == 266 and co.chapters[0].startswith("第一章")
    assert OLD not in current and all(x.status == "current" for x in current.values())
    every = {x.edition: x for x in kb.laws(include_superseded=True)}
    assert every[OLD].superseded_by is not None and every[OLD].superseded_by.edition == CO
    gone = every["公司登记管理条例(2016-02-06)"]
    assert gone.status_label == "已失效" and gone.superseded_by is not None
    assert gone.superseded_by.law == "市场主体登记管理条例"
    arts = kb.law_articles("公司法")
    labels = [a.article for g in arts.chapters for a in g.articles]
    assert labels[:3] == ["第一条", "第二条", "第三条"] and labels[-1] == "第二百六十六条" and len(labels) == 266


def test_every_basis_line_in_the_guides_and_faq_names_an_indexed_article(kb: KnowledgeBase) -> None:
    cat = kb.catalogue()
    dangling = [(cid, b.law, b.article) for cid, refs in cat.basis.items() for b in refs if b.chunk is None]
    assert len(cat.basis) > 300 and dangling == []


def test_real_digest_of_company_law_47(kb: KnowledgeBase) -> None:
    d = kb.digest(law="《公司法》", article="第47条")
    assert d.id == f"law:{CO}:第四十七条"
    assert "五年内" in [m.text for p in d.key_points for m in p.marks if m.kind == "time_limit"]
    assert "faq:注册资本与出资:注册资本要一次交齐吗" in {s.id for s in d.service_steps}


def test_real_search_filters(kb: KnowledgeBase) -> None:
    hits = kb.search("营业执照 遗失 补领", kinds=["law"], k=3).hits
    assert ("市场主体登记管理条例", "第三十七条") in {(h.law, h.article) for h in hits}
    assert all(h.kind == "law" and h.status == "current" for h in hits)
    inside = kb.search("出资 期限", law="公司法", kinds=["law"], k=5).hits
    assert inside and all(h.law == "公司法" and h.status == "current" for h in inside)
    history = kb.search("董事会会议由董事长召集和主持", kinds=["law"], status="all", k=10).hits
    assert any(h.id == f"law:{OLD}:第四十七条" and h.superseded_by is not None for h in history)


def test_cli_search_on_the_real_index(real_settings: Settings, ingested: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAOBAN_STATE_DIR", str(ingested))
    monkeypatch.setenv("DAOBAN_DATA_DIR", str(real_settings.data_dir))
    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(cli, ["search", "《公司法》第四十七条", "--kind", "law", "--json"])
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 0, r.output
    first = json.loads(r.output)["hits"][0]
    assert first["match"] == "reference" and first["id"] == f"law:{CO}:第四十七条"


def test_local_model_summary_passes_the_grounding_check_or_is_dropped(kb: KnowledgeBase) -> None:
    d = kb.digest(law="市场主体登记管理条例", article="19", summary=True)
    assert d.summary_status in ("ok", "rejected") and d.key_points
    if d.summary is not None:
        assert numbers_in(d.summary) <= numbers_in(f"{d.article} {d.text}")
    again = kb.digest(law="市场主体登记管理条例", article="19", summary=True)
    assert again.summary_cached and again.summary == d.summary
