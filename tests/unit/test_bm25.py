"""BM25Index (numpy postings) ranks exactly like a plain-Python BM25: same ids, same order, same scores."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import pytest
import yaml

from assistant.lexical import BM25Index, QueryExpander, tokenize
from assistant.settings import PROJECT_ROOT
from ingestion.pipeline import collect, default_sources
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.unit
KNOWLEDGE = PROJECT_ROOT / "knowledge"


class ReferenceBM25:
    """The textbook implementation: dict postings, scores accumulated per query term, stable sort."""

    def __init__(self, k1: float = 1.4, b: float = 0.6) -> None:
        self.k1, self.b = k1, b
        self.ids: list[str] = []
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.lens: list[int] = []

    def build(self, docs: Iterable[tuple[str, str]]) -> ReferenceBM25:
        for i, (doc_id, text) in enumerate(docs):
            toks = tokenize(text)
            self.ids.append(doc_id)
            self.lens.append(len(toks))
            for term, tf in Counter(toks).items():
                self.postings[term].append((i, tf))
        n = max(len(self.ids), 1)
        self.avg = (sum(self.lens) / n) or 1.0
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}
        return self

    def search(self, terms: Sequence[str], k: int) -> list[tuple[str, float]]:
        scores: dict[int, float] = defaultdict(float)
        for term in dict.fromkeys(terms):
            idf = self.idf.get(term)
            if idf is None:
                continue
            for doc, tf in self.postings[term]:
                norm = tf + self.k1 * (1 - self.b + self.b * self.lens[doc] / self.avg)
                scores[doc] += idf * tf * (self.k1 + 1) / norm
        best = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:k]
        return [(self.ids[d], s) for d, s in best]


def assert_same(got: list[tuple[str, float]], want: list[tuple[str, float]]) -> None:
    assert [i for i, _ in got] == [i for i, _ in want]
    for (_, g), (_, w) in zip(got, want, strict=True):
        assert abs(g - w) <= 1e-6


@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, str]]:
    if not DATA_DIR.exists():
        pytest.skip("shared data not beside the checkout")
    chunks = collect(default_sources(DATA_DIR, KNOWLEDGE), KNOWLEDGE)
    # the text the retriever indexes (HybridRetriever.refresh)
    return [(c.id, f"{c.source} {c.article} {c.chapter} {c.text}") for c in chunks if c.status == "current"]


@pytest.fixture(scope="module")
def indexes(corpus: list[tuple[str, str]]) -> tuple[BM25Index, ReferenceBM25]:
    return BM25Index().build(corpus), ReferenceBM25().build(corpus)


def dev_queries() -> list[list[str]]:
    """Query terms as the retriever forms them: tokens of each dev question plus its expansion terms."""
    items = yaml.safe_load((PROJECT_ROOT / "eval" / "datasets" / "retrieval_dev.yaml").read_text(encoding="utf-8"))
    expander = QueryExpander(KNOWLEDGE)
    return [tokenize(it["q"]) + expander.expand(it["q"]) for it in items]


def test_real_corpus_top10_and_top30_equal_the_reference(indexes: tuple[BM25Index, ReferenceBM25]) -> None:
    fast, ref = indexes
    assert len(fast) == len(ref.ids) > 2000
    queries = dev_queries()
    assert len(queries) >= 100
    for terms in [*queries, ["公司"], ["公司", "公司", "注册资本"], ["有限责任公司", "股东", "出资", "章程"]]:
        for k in (10, 30):
            want = ref.search(terms, k)
            assert_same(fast.search(terms, k), want)
    assert sum(bool(ref.search(t, 10)) for t in queries) > 0.9 * len(queries)  # the queries do hit


def test_scores_are_bit_identical_on_the_real_corpus(indexes: tuple[BM25Index, ReferenceBM25]) -> None:
    fast, ref = indexes
    for terms in dev_queries()[:20]:
        assert fast.search(terms, 30) == ref.search(terms, 30)


def test_ties_rank_in_first_seen_order_as_the_reference() -> None:
    # many identical docs: every score ties; the k-th place falls inside a tie group
    docs = [(f"d{i}", "有限责任公司 股东 出资" if i % 3 else "股东 会议 决议") for i in range(40)]
    docs += [("long", "股东 " * 5 + "有限责任公司 " * 3), ("other", "个体工商户 登记")]
    # equal length and df: a 商标 doc ties a 专利 doc; the query's term order, not doc order, breaks the tie
    docs += [(f"e{i}", "商标 许可" if i % 2 else "专利 许可") for i in range(10)]
    fast, ref = BM25Index().build(docs), ReferenceBM25().build(docs)
    for terms in (
        ["股东"],
        ["决议", "有限责任公司"],
        ["有限责任公司", "决议"],
        ["股东", "个体工商户"],
        ["商标", "专利"],
    ):
        for k in (1, 5, 13, 14, 41, 100):
            assert_same(fast.search(terms, k), ref.search(terms, k))


def test_edge_cases() -> None:
    empty = BM25Index().build([])
    assert len(empty) == 0 and empty.search(["公司"], 5) == []
    idx = BM25Index().build([("a", "公司 登记"), ("b", "个体工商户")])
    assert idx.search(["不存在的词"], 5) == []
    assert idx.search([], 5) == []
    assert idx.search(["公司"], 0) == []
    assert [i for i, _ in idx.search(["公司", "个体工商户"], 5)] and len(idx.search(["公司", "个体工商户"], 1)) == 1
    assert idx.nbytes > 0
