"""Law catalogue, article numbers, search filters, key points and grounded digests (一键获取政策要点),
over a small real Chroma index in a temp dir and the real law texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.adapters.chroma_index import ChromaIndex
from assistant.domain import Chunk
from assistant.errors import UserError
from assistant.lexical import QueryExpander
from assistant.pipeline.grounding import cn_to_int
from assistant.policy import KnowledgeBase, LawLookupError
from assistant.policy.keypoints import key_points
from assistant.policy.refs import ArticleNo, int_to_cn, parse_article, parse_reference
from assistant.policy.search import snippet
from assistant.retrieval import HybridRetriever
from assistant.settings import Settings
from assistant.testing import HashEmbedder, ScriptedChat
from assistant.wiring import configure
from ingestion.laws import LawStatus, content_hash, parse_law
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.unit
A47 = (
    "第四十七条 有限责任公司的注册资本为在公司登记机关登记的全体股东认缴的出资额。全体股东认缴的出资额由股东按照"
    "公司章程的规定自公司成立之日起五年内缴足。\n法律、行政法规以及国务院决定对有限责任公司注册资本实缴、注册资本"
    "最低限额、股东出资期限另有规定的，从其规定。"
)
M19 = (
    "第十九条 登记机关应当对申请材料进行形式审查。对申请材料齐全、符合法定形式的予以确认并当场登记。不能当场登记的，"
    "应当在3个工作日内予以登记；情形复杂的，经登记机关负责人批准，可以再延长3个工作日。"
)


def law(stem: str, article: str, text: str, chapter: str = "", status: str = "current") -> Chunk:
    source, _, rest = stem.partition("(")
    return Chunk(
        id=f"law:{stem}:{article}",
        text=text,
        source=source,
        title=f"中华人民共和国{source}",
        article=article,
        chapter=chapter,
        version=rest.rstrip(")"),
        status=status,  # type: ignore[arg-type]
        kind="law",
        content_hash=content_hash(text),
        doc=f"laws/{stem}.md",
    )


def section(kind: str, title: str, heading: str, body: str) -> Chunk:
    text = f"{heading}\n{body}"
    return Chunk(
        id=f"{kind}:{title}:{heading}",
        text=text,
        source=title,
        title=title,
        article=heading,
        kind=kind,  # type: ignore[arg-type]
        content_hash=content_hash(text),
    )


CO, OLD, REG = "公司法(2023-12-29)", "公司法(2018-10-26)", "市场主体登记管理条例(2021-07-27)"
CHUNKS = [
    law(
        CO,
        "第七条",
        "第七条 依照本法设立的有限责任公司，应当在公司名称中标明有限责任公司或者有限公司字样。",
        "第一章 总则",
    ),
    law(CO, "第四十八条", "第四十八条 股东可以用货币出资，也可以用实物、知识产权作价出资。", "第三章 有限责任公司"),
    law(
        CO,
        "第四十七条之一",
        "第四十七条之一 （测试用条文）出资期限届满前，股东可以提前缴纳出资。",
        "第三章 有限责任公司",
    ),
    law(CO, "第四十七条", A47, "第三章 有限责任公司"),
    law(CO, "第四十二条", "第四十二条 有限责任公司由一个以上五十个以下股东出资设立。", "第三章 有限责任公司"),
    law(OLD, "第四十七条", "第四十七条 董事会会议由董事长召集和主持。", "第二章", status="superseded"),
    law(OLD, "第二十三条", "第二十三条 设立有限责任公司，应当具备下列条件：股东符合法定人数。", status="superseded"),
    law(REG, "第十九条", M19, "第三章 登记规范"),
    law(
        "公司登记管理条例(2016-02-06)",
        "第二条",
        "第二条 公司设立、变更、终止，应当依照本条例办理公司登记。",
        status="superseded",
    ),
    law("外国企业常驻代表机构登记管理条例(2018-09-18)", "第一条", "第一条 为了规范外国企业常驻代表机构的设立。"),
    law(
        "外国企业或者个人在中国境内设立合伙企业管理办法(2009-11-25)", "第一条", "第一条 为了规范外国企业设立合伙企业。"
    ),
    section(
        "guide",
        "设立有限责任公司办事指南",
        "注册资本与出资",
        "全体股东认缴的出资额由股东自公司成立之日起五年内缴足。\n依据：《公司法》第四十七条、第四十八条。",
    ),
    section(
        "faq",
        "常见问题：注册资本与出资",
        "注册资本要一次交齐吗",
        "不需要，五年内缴足即可。\n依据：《公司法》第四十七条；《市场主体登记条例》第十九条。",
    ),
    section("complaint", "12345工单", "注册资本实缴投诉", "市民反映某公司注册资本未按期缴足。"),
]


@pytest.fixture
def chroma(tmp_path: Path) -> ChromaIndex:
    index = ChromaIndex("policy_test", path=tmp_path / "chroma")
    index.upsert(CHUNKS, HashEmbedder().embed_passages([c.text for c in CHUNKS]))
    return index


@pytest.fixture
def kb(settings: Settings, chroma: ChromaIndex) -> KnowledgeBase:
    configure(settings)
    retriever = HybridRetriever(
        HashEmbedder(), chroma, QueryExpander(settings.knowledge_dir), knowledge_dir=settings.knowledge_dir
    )
    return KnowledgeBase(settings, chroma, retriever=retriever, chat=ScriptedChat(replies=[]))


# --- article numbers and references ----------------------------------------------------------------
def test_chinese_numerals_round_trip_and_read_like_the_law_texts() -> None:
    assert [int_to_cn(n) for n in (10, 11, 47, 101, 110, 206, 266)] == [
        "十",
        "十一",
        "四十七",
        "一百零一",
        "一百一十",
        "二百零六",
        "二百六十六",
    ]
    assert all(cn_to_int(int_to_cn(n)) == n for n in range(1, 1200))


@pytest.mark.parametrize("typed", ["47", "第47条", "第四十七条", "四十七", "art. 47", "Article 47", "47条"])
def test_article_numbers_in_every_form(typed: str) -> None:
    assert parse_article(typed) == ArticleNo(47)


def test_zhi_yi_sorts_after_its_article() -> None:
    assert parse_article("第四十七条之一") == parse_article("47之1") == parse_article("47-1") == ArticleNo(47, 1)
    assert ArticleNo(47) < ArticleNo(47, 1) < ArticleNo(48)
    assert ArticleNo(47, 1).label == "第四十七条之一"
    assert parse_article("注册资本") is None


@pytest.mark.parametrize(
    ("typed", "law_name", "n"),
    [
        ("公司法 47", "公司法", 47),
        ("公司法第47条", "公司法", 47),
        ("《公司法》第四十七条", "公司法", 47),
        ("company law art 47", "company law", 47),
        ("市场主体登记条例 19", "市场主体登记条例", 19),
        (
            "《国务院关于实施《公司法》注册资本登记管理制度的规定》第三条",
            "国务院关于实施《公司法》注册资本登记管理制度的规定",
            3,
        ),
    ],
)
def test_references_as_staff_type_them(typed: str, law_name: str, n: int) -> None:
    ref = parse_reference(typed)
    assert ref is not None and (ref.law, ref.article.n) == (law_name, n)
    assert parse_reference("注册资本要一次交齐吗") is None


# --- catalogue --------------------------------------------------------------------------------------
def test_laws_list_current_by_default_and_label_superseded_editions(kb: KnowledgeBase) -> None:
    current = {(x.law, x.edition) for x in kb.laws()}
    assert ("公司法", CO) in current and all(x.status == "current" for x in kb.laws())
    assert not any(e == OLD for _, e in current)
    every = {x.edition: x for x in kb.laws(include_superseded=True)}
    old = every[OLD]
    assert old.status == "superseded" and old.status_label == "已失效"
    assert old.superseded_by is not None and old.superseded_by.edition == CO and "现行为《公司法》" in old.notice
    # laws.yaml names the successor of a law that was replaced by another one
    gone = every["公司登记管理条例(2016-02-06)"]
    assert gone.superseded_by is not None and gone.superseded_by.law == "市场主体登记管理条例"
    co = every[CO]
    assert co.article_count == 5 and co.chapters == ["第一章 总则", "第三章 有限责任公司"]


def test_articles_in_numeral_order_grouped_by_chapter(kb: KnowledgeBase) -> None:
    got = kb.law_articles("公司法")
    assert [g.chapter for g in got.chapters] == ["第一章 总则", "第三章 有限责任公司"]
    assert [a.article for a in got.chapters[1].articles] == ["第四十二条", "第四十七条", "第四十七条之一", "第四十八条"]
    assert got.other_editions == []
    assert [e.edition for e in kb.law_articles("公司法", include_superseded=True).other_editions] == [OLD]


@pytest.mark.parametrize("typed", ["47", "第47条", "第四十七条", "四十七"])
def test_article_lookup_by_number_in_any_form(kb: KnowledgeBase, typed: str) -> None:
    view = kb.article("《公司法》", typed)
    assert view.id == f"law:{CO}:第四十七条" and view.status == "current"
    assert (view.previous, view.next) == ("第四十二条", "第四十七条之一")
    assert view.service_steps == 2 and view.other_editions == []


def test_superseded_article_only_when_asked_and_labelled(kb: KnowledgeBase) -> None:
    view = kb.article("公司法", "47", include_superseded=True)
    (old,) = view.other_editions
    assert old.edition == OLD and old.status_label == "已失效" and old.superseded_by is not None
    assert old.superseded_by.edition == CO
    assert kb.article("公司法", "47", version="2018-10-26").text.startswith("第四十七条 董事会")


def test_aliases_and_english_names_resolve(kb: KnowledgeBase) -> None:
    assert kb.article("市场主体登记条例", "第十九条").law == "市场主体登记管理条例"
    assert kb.article("company law", "47").law == "公司法"
    assert kb.article("中华人民共和国公司法", "47").law == "公司法"


def test_ambiguous_unknown_and_superseded_laws_name_the_candidates(kb: KnowledgeBase) -> None:
    with pytest.raises(LawLookupError) as amb:
        kb.law_articles("外国企业")
    assert amb.value.code == "ambiguous" and len(amb.value.suggestions) == 2 and amb.value.http_status == 404
    with pytest.raises(LawLookupError) as unknown:
        kb.law_articles("公司发")
    assert unknown.value.code == "not_found" and "公司法" in unknown.value.suggestions
    with pytest.raises(LawLookupError) as gone:
        kb.law_articles("公司登记管理条例")
    assert gone.value.code == "superseded" and gone.value.suggestions == ["市场主体登记管理条例"]
    assert "已失效" in gone.value.message("zh") and "superseded" in gone.value.message("en")
    assert kb.law_articles("公司登记管理条例", include_superseded=True).law.status == "superseded"


def test_missing_article_suggests_the_nearest(kb: KnowledgeBase) -> None:
    with pytest.raises(LawLookupError) as exc:
        kb.article("公司法", "46")
    assert exc.value.field == "article" and exc.value.suggestions[0] == "第四十七条"
    with pytest.raises(LawLookupError):
        kb.article("公司法", "不是条号")


def test_catalogue_follows_the_retriever_when_it_refreshes(kb: KnowledgeBase, chroma: ChromaIndex) -> None:
    assert "第九条" not in {a.article for g in kb.law_articles("公司法").chapters for a in g.articles}
    new = law(CO, "第九条", "第九条 公司可以向其他企业投资。", "第一章 总则")
    chroma.upsert([new], HashEmbedder().embed_passages([new.text]))
    kb.retriever.refresh()
    assert "第九条" in {a.article for g in kb.law_articles("公司法").chapters for a in g.articles}


# --- reverse index and digests ------------------------------------------------------------------------
def test_digest_links_the_service_steps_that_rest_on_the_article(kb: KnowledgeBase) -> None:
    d = kb.digest(law="公司法", article="第四十七条")
    assert {s.id for s in d.service_steps} == {
        "guide:设立有限责任公司办事指南:注册资本与出资",
        "faq:常见问题：注册资本与出资:注册资本要一次交齐吗",
    }
    assert all(s.href.startswith("/v1/knowledge/digest?id=") for s in d.service_steps)
    assert d.summary is None and d.summary_status == "not_requested"
    # an alias in a 依据 line (市场主体登记条例) still links the article
    assert [s.section for s in kb.digest(law="市场主体登记管理条例", article="19").service_steps] == [
        "注册资本要一次交齐吗"
    ]


def test_digest_of_a_guide_section_lists_the_articles_it_rests_on(kb: KnowledgeBase) -> None:
    d = kb.digest(chunk_id="faq:常见问题：注册资本与出资:注册资本要一次交齐吗")
    assert [(b.law, b.article, b.id) for b in d.basis] == [
        ("公司法", "第四十七条", f"law:{CO}:第四十七条"),
        ("市场主体登记条例", "第十九条", f"law:{REG}:第十九条"),
    ]
    assert d.key_points[0].ref == "第一段" and "依据" not in " ".join(p.text for p in d.key_points)
    with pytest.raises(LawLookupError):
        kb.digest(chunk_id="guide:nope")
    with pytest.raises(UserError) as exc:
        kb.digest(law="公司法")
    assert exc.value.field == "article"


def test_summary_with_an_invented_number_is_dropped_and_key_points_stand(kb: KnowledgeBase) -> None:
    kb._chat = chat = ScriptedChat(replies=["股东要在十年内把认缴的出资缴足。"])
    d = kb.digest(law="公司法", article="47", summary=True)
    assert d.summary is None and d.summary_status == "rejected" and "10" in d.summary_note
    assert any(m.text == "五年内" for p in d.key_points for m in p.marks)
    again = kb.digest(law="公司法", article="47", summary=True)  # cached: the model is not asked twice
    assert again.summary_status == "rejected" and again.summary_cached and len(chat.calls) == 1


def test_grounded_summary_is_kept_and_cached_by_content(kb: KnowledgeBase) -> None:
    kb._chat = chat = ScriptedChat(replies=["股东认缴的出资要在公司成立之日起五年内缴足[1]。"])
    d = kb.digest(law="市场主体登记管理条例", article="19", summary=False)
    assert d.summary_status == "not_requested" and chat.calls == []
    d = kb.digest(law="公司法", article="47", summary=True)
    assert d.summary == "股东认缴的出资要在公司成立之日起五年内缴足。" and d.summary_status == "ok"
    prompt = chat.calls[0][-1].content
    assert "《公司法》第四十七条" in prompt and "五年内缴足" in prompt
    cached = kb.digest(law="公司法", article="47", summary=True)
    assert cached.summary == d.summary and cached.summary_cached and len(chat.calls) == 1
    assert kb.summariser.cache.count() == 1


def test_model_failure_leaves_the_key_points(kb: KnowledgeBase) -> None:
    kb._chat = ScriptedChat(fail=True)
    d = kb.digest(law="公司法", article="47", summary=True)
    assert d.summary is None and d.summary_status == "model_unavailable" and d.key_points
    assert kb.summariser.cache.count() == 0  # an outage is not remembered


# --- key points on real articles ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_articles() -> dict[str, Chunk]:
    if not DATA_DIR.exists():
        pytest.skip("shared data not beside the checkout")
    from assistant.settings import PROJECT_ROOT

    laws = DATA_DIR / "laws"
    names = ["公司法(2023-12-29)", "市场主体登记管理条例(2021-07-27)"]
    status = LawStatus(PROJECT_ROOT / "knowledge", names)
    out: dict[str, Chunk] = {}
    for name in names:
        for c in parse_law(laws / f"{name}.md", status):
            out[f"{c.source}{c.article}"] = c
    return out


def marks(points, kind: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.text for p in points for m in p.marks if m.kind == kind]


def test_key_points_of_company_law_47(settings: Settings, real_articles: dict[str, Chunk]) -> None:
    pts = key_points(real_articles["公司法第四十七条"].text, settings.knowledge_dir)
    assert [p.ref for p in pts] == ["第一款", "第一款", "第二款"]
    assert marks(pts, "time_limit") == ["五年内"]
    assert [(d.modal, d.actor) for d in pts[1].duties] == [("由", "股东")]
    m = pts[1].marks[0]
    assert pts[1].text[m.start : m.end] == "五年内"


def test_key_points_mark_time_limits_duties_and_who_acts(settings: Settings, real_articles: dict[str, Chunk]) -> None:
    pts = key_points(real_articles["市场主体登记管理条例第十九条"].text, settings.knowledge_dir)
    assert "3个工作日内" in marks(pts, "time_limit")
    duties = [(d.kind, d.actor) for p in pts for d in p.duties]
    assert ("obligation", "登记机关") in duties and ("permission", "登记机关") in duties
    fines = key_points(real_articles["市场主体登记管理条例第四十四条"].text, settings.knowledge_dir)
    assert marks(fines, "amount")[:2] == ["5万元以上", "20万元以下"]


def test_key_points_split_items_and_find_definitions(settings: Settings, real_articles: dict[str, Chunk]) -> None:
    pts = key_points(real_articles["公司法第二百六十五条"].text, settings.knowledge_dir)
    assert [p.ref for p in pts][:3] == ["第一款", "第一款第（一）项", "第一款第（二）项"]
    terms = [d.term for p in pts for d in p.definitions]
    assert terms == ["高级管理人员", "控股股东", "实际控制人", "关联关系"]
    assert "百分之五十" in marks(pts, "amount")
    two = key_points(real_articles["公司法第二十九条"].text, settings.knowledge_dir)
    assert all(d.actor != "公司" for p in two for d in p.duties)  # 设立公司 names no one who must act


# --- search --------------------------------------------------------------------------------------------
def test_search_filters_by_kind(kb: KnowledgeBase) -> None:
    faq = kb.search("注册资本 缴足", kinds=["faq"])
    assert faq.hits and {h.kind for h in faq.hits} == {"faq"}
    tickets = kb.search("注册资本", kinds=["complaint"])
    assert [h.kind for h in tickets.hits] == ["complaint"]
    with pytest.raises(UserError) as exc:
        kb.search("注册资本", kinds=["memo"])
    assert exc.value.field == "kind"


def test_search_shows_superseded_text_only_with_status_all(kb: KnowledgeBase) -> None:
    now = kb.search("董事会会议 董事长 召集", kinds=["law"])
    assert all(h.status == "current" for h in now.hits)
    then = kb.search("董事会会议 董事长 召集", kinds=["law"], status="all")
    old = next(h for h in then.hits if h.status == "superseded")
    assert old.id == f"law:{OLD}:第四十七条" and old.status_label == "已失效" and "现行为《公司法》" in old.notice


def test_search_within_one_law_and_reference_first(kb: KnowledgeBase) -> None:
    inside = kb.search("出资", law="公司法")
    assert inside.law == "公司法" and inside.hits
    assert all(h.law == "公司法" or h.kind in ("guide", "faq") for h in inside.hits)
    ref = kb.search("公司法第47条")
    assert ref.reference == "公司法 第四十七条"
    assert [(h.match, h.id) for h in ref.hits] == [("reference", f"law:{CO}:第四十七条")]
    mixed = kb.search("《公司法》第四十七条 出资 缴足", k=5)
    assert mixed.hits[0].match == "reference" and len(mixed.hits) > 1


def test_search_highlights_the_matched_terms(kb: KnowledgeBase) -> None:
    hit = kb.search("注册资本 缴足", kinds=["law"]).hits[0]
    assert hit.id == f"law:{CO}:第四十七条"
    assert {"注册资本", "缴足"} <= set(hit.highlights)
    assert all(hit.snippet[s:e] in hit.highlights for s, e in hit.spans)


def test_snippet_window_and_spans() -> None:
    text = "甲" * 200 + "注册资本" + "乙" * 200
    window, found, spans = snippet(text, ["注册资本"], width=60)
    assert window.startswith("…") and window.endswith("…") and found == ["注册资本"]
    assert [window[s:e] for s, e in spans] == ["注册资本"]


@pytest.mark.parametrize(("q", "field"), [("", "q"), ("字" * 201, "q")])
def test_search_refuses_empty_or_long_queries(kb: KnowledgeBase, q: str, field: str) -> None:
    with pytest.raises(UserError) as exc:
        kb.search(q)
    assert exc.value.field == field and exc.value.message("en")
