import pytest

from assistant.lexical import BM25Index, QueryExpander, tokenize
from assistant.retrieval import HybridRetriever
from assistant.settings import PROJECT_ROOT
from assistant.testing import HashEmbedder
from tests.conftest import add_guide

pytestmark = pytest.mark.unit


def test_tokenize_drops_stopwords_and_punctuation() -> None:
    toks = tokenize("注册资本要一次交齐吗？")
    assert "注册资本" in toks and "吗" not in toks and "？" not in toks


def test_bm25_ranks_the_matching_article_first() -> None:
    idx = BM25Index().build([("a", "有限责任公司的注册资本为全体股东认缴的出资额"), ("b", "董事会会议由董事长召集")])
    assert idx.search(tokenize("注册资本是多少"), 2)[0][0] == "a"
    assert idx.search(["不存在的词"], 2) == []


def test_colloquial_words_expand_to_legal_terms() -> None:
    exp = QueryExpander(PROJECT_ROOT / "knowledge")
    assert "个体工商户" in exp.expand("个体户怎么办执照")
    assert "缴足" in exp.expand("要一次交齐吗")


def test_hybrid_never_returns_superseded_text_and_honours_explicit_references(sample_index) -> None:
    r = HybridRetriever(HashEmbedder(), sample_index, QueryExpander(PROJECT_ROOT / "knowledge"))
    res = r.retrieve("设立有限责任公司要几个股东", 5)
    assert all(p.chunk.status == "current" for p in res.passages)
    named = r.retrieve("《公司法》第七条怎么规定的", 3)
    assert named.passages[0].chunk.article == "第七条"


def test_filters_by_kind_and_status_for_staff_search(sample_index) -> None:
    from assistant.domain import Chunk

    ticket = Chunk(
        id="complaint:GD-1",
        text="来电人反映注册资本缴足期限没说清。答复：自公司成立之日起五年内缴足。依据：《公司法》第四十七条。",
        source="12345工单",
        title="12345工单",
        article="GD-1",
        kind="complaint",
    )
    sample_index.upsert([ticket], HashEmbedder().embed_passages([ticket.text]))
    r = HybridRetriever(HashEmbedder(), sample_index, QueryExpander(PROJECT_ROOT / "knowledge"))
    q = "设立有限责任公司要几个股东 注册资本缴足"
    default = r.retrieve(q, 10).passages
    assert default and all(p.chunk.kind != "complaint" for p in default)  # applicants never get tickets
    tickets = r.retrieve(q, 10, kinds={"complaint"}).passages
    assert [p.chunk.id for p in tickets] == ["complaint:GD-1"]  # no basis articles: laws were not asked for
    history = r.retrieve("设立有限责任公司应当有二人以上股东", 10, kinds={"law"}, include_superseded=True).passages
    assert any(p.chunk.status == "superseded" for p in history)
    assert all(p.chunk.kind == "law" for p in history)
    assert all(p.chunk.status == "current" for p in r.retrieve("设立有限责任公司应当有二人以上股东", 10).passages)
    assert r.retrieve(q, 5, kinds={"nonsense"}).passages == []


def test_guide_brings_the_articles_it_rests_on(sample_index) -> None:
    from assistant.retrieval import basis_refs

    assert basis_refs("依据：《公司法》第四十七条、第四十二条；《市场主体登记管理条例》第十九条。") == [
        ("公司法", "第四十七条"),
        ("公司法", "第四十二条"),
        ("市场主体登记管理条例", "第十九条"),
    ]
    nested = "依据：《国务院关于实施《公司法》注册资本登记管理制度的规定》第三条；《公司法》第四十七条。"
    assert basis_refs(nested) == [
        ("国务院关于实施《公司法》注册资本登记管理制度的规定", "第三条"),
        ("公司法", "第四十七条"),
    ]
    add_guide(sample_index, "注册资本要一次缴足吗", "不需要一次缴足。依据：《公司法》第四十七条。")
    r = HybridRetriever(HashEmbedder(), sample_index, QueryExpander(PROJECT_ROOT / "knowledge"))
    labels = [(p.chunk.kind, p.chunk.article) for p in r.retrieve("注册资本要一次缴足吗", 2).passages]
    i = labels.index(("guide", "注册资本要一次缴足吗"))
    assert labels[i + 1] == ("law", "第四十七条")


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("營業執照唔見咗點算", "营业执照丢了怎么办"),
        ("個體戶可唔可以改名", "个体户可不可以改名"),
        ("開公司要幾多錢㗎", "开公司要多少钱"),
    ],
)
def test_cantonese_and_traditional_script_are_normalised_for_search(typed: str, normalised: str) -> None:
    from assistant.textnorm import normalise_for_search

    assert normalise_for_search(typed, PROJECT_ROOT / "knowledge") == normalised


def test_english_words_bring_the_chinese_legal_terms() -> None:
    exp = QueryExpander(PROJECT_ROOT / "knowledge")
    assert {"注册资本", "股东"} <= set(exp.expand("Do shareholders pay the registered capital at once?"))
    assert "营业执照" in exp.expand("I lost my business licence")
    assert exp.expand("bake a cake") == []
