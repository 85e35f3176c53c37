"""The synthetic 12345 complaint corpus (knowledge/complaints/) against its README and the current law texts."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from assistant.settings import get_settings
from eval.check_complaints import (
    CHANNELS,
    CORPUS_DIR,
    KEYS,
    Vocabulary,
    check_corpus,
    check_record,
    count_table,
    current_articles,
    load_records,
    load_vocabulary,
    parse_basis,
    readme_table,
)

pytestmark = pytest.mark.unit
README = (CORPUS_DIR / "README.md").read_text(encoding="utf-8")
RECORDS = load_records()
VOCAB = load_vocabulary()


@pytest.fixture(scope="module")
def articles() -> set[tuple[str, str]]:
    settings = get_settings()
    laws_dir = settings.data_dir / "laws"
    if not laws_dir.is_dir():
        pytest.skip("shared law texts not beside the checkout")
    return current_articles(laws_dir, settings.knowledge_dir)


def test_every_line_parses_with_exactly_the_schema_keys() -> None:
    lines = [ln for p in sorted(CORPUS_DIR.glob("*.jsonl")) for ln in p.read_text("utf-8").splitlines() if ln.strip()]
    assert len(RECORDS) == len(lines) >= 210
    assert all(tuple(r) == KEYS for r in RECORDS)
    assert all(r["synthetic"] is True for r in RECORDS)


def test_whole_corpus_is_valid(articles: set[tuple[str, str]]) -> None:
    assert check_corpus(RECORDS, VOCAB, articles) == []


def test_counts_meet_the_issue() -> None:
    ids = [r["id"] for r in RECORDS]
    assert len(set(ids)) == len(ids)
    per_category = Counter(r["category"] for r in RECORDS)
    assert set(per_category) == {"听不懂问题", "看不懂图片", "答不到点上"}
    assert min(per_category.values()) >= 60
    assert len({r["problem"] for r in RECORDS}) >= 12
    assert len({r["topic"] for r in RECORDS}) >= 10
    assert {r["channel"] for r in RECORDS} == set(CHANNELS)


def test_questions_include_cantonese_and_english_wording() -> None:
    cantonese = re.compile(r"点样|唔|系咪|冇|咩|嘅|喺|咗|搵|揾|俾|佢|係|點樣")
    english = [r for r in RECORDS if len(re.findall(r"[A-Za-z]", str(r["question"]))) > 20]
    assert sum(bool(cantonese.search(str(r["question"]))) for r in RECORDS) >= 10
    assert len(english) >= 5


def test_readme_defines_every_label_used_and_states_the_true_counts() -> None:
    assert {r["problem"] for r in RECORDS} <= set(VOCAB.problems)
    assert {r["topic"] for r in RECORDS} <= set(VOCAB.topics)
    for field in ("category", "topic", "channel", "problem"):
        assert count_table(RECORDS, field) in README, f"README counts for {field} are stale"
    assert f"**{len(RECORDS)} synthetic records**" in README


def test_readme_cites_the_complaint_handling_articles(articles: set[tuple[str, str]]) -> None:
    section = README[README.index("## Legal basis") :]
    cited = set(re.findall(r"第[一二三四五六七八九十]+条", section))
    for article in ("第三条", "第五条", "第八条", "第九条", "第三十三条", "第三十八条"):
        assert article in cited
        assert ("市场监督管理投诉举报处理暂行办法", article) in articles


def test_basis_references_parse_and_superseded_editions_are_refused(articles: set[tuple[str, str]]) -> None:
    assert parse_basis("《国务院关于实施《公司法》注册资本登记管理制度的规定》第二条") == (
        "国务院关于实施《公司法》注册资本登记管理制度的规定",
        "第二条",
    )
    assert parse_basis("公司法第四十七条") is None
    assert ("公司法", "第四十七条") in articles
    # 《个体工商户条例》 and 《公司登记管理条例》 are superseded: present as files, never citable.
    assert not {a for a in articles if a[0] in {"个体工商户条例", "公司登记管理条例"}}


def test_check_record_reports_each_kind_of_defect(articles: set[tuple[str, str]]) -> None:
    good = dict(RECORDS[0])
    assert check_record(good, VOCAB, articles) == []
    bad = {
        **good,
        "id": "GD12345-2024-0001",
        "synthetic": False,
        "channel": "信件",
        "problem": "图片模糊" if good["category"] != "看不懂图片" else "英文提问",
        "topic": "养老",
        "question": "我的电话是13812345678",
        "basis": ["《个体工商户条例》第十条", "《公司法》第九百条", "公司法第四十七条"],
    }
    errors = "\n".join(check_record(bad, VOCAB, articles))
    for needle in ("id year", "synthetic", "channel", "problem", "topic", "mobile", "个体工商户条例", "九百", "not 《"):
        assert needle in errors, needle
    assert "keys are" in check_record({"id": "x"}, VOCAB, articles)[0]


def test_check_corpus_finds_duplicates(articles: set[tuple[str, str]]) -> None:
    twice = [RECORDS[0], dict(RECORDS[0])]
    errors = check_corpus(twice, VOCAB, articles)
    assert any(e.startswith("duplicate id") for e in errors)
    assert any(e.startswith("duplicate question") for e in errors)


def test_readme_table_reads_only_the_table_asked_for(tmp_path: Path) -> None:
    text = "| topic | covers |\n|---|---|\n| 注销 | x |\n\n| topic | records |\n|---|---|\n| 注销 | 3 |\n"
    assert readme_table(text, ("topic", "covers")) == [["注销", "x"]]
    assert readme_table(text, ("topic", "records")) == [["注销", "3"]]
    readme = tmp_path / "README.md"
    readme.write_text("| problem | category | definition |\n|---|---|---|\n| 错别字 | 听不懂问题 | d |\n", "utf-8")
    assert load_vocabulary(readme) == Vocabulary(problems={"错别字": "听不懂问题"}, topics=())
