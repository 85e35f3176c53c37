"""The query lexicons (knowledge/lexicon) agree with the law corpus and with jieba, and expand sanely."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.lexical import STOPWORDS, QueryExpander
from assistant.settings import PROJECT_ROOT
from assistant.textnorm import normalise_for_search, to_simplified

pytestmark = pytest.mark.unit

KNOWLEDGE = PROJECT_ROOT / "knowledge"
LEXICON = KNOWLEDGE / "lexicon"
LAWS_DIR = PROJECT_ROOT.parent / "shared" / "data" / "laws"
TERM_TABLES = ("en_zh_terms.yaml", "query_synonyms.yaml")
EN_STOPWORDS = STOPWORDS | {"it", "be", "by", "at", "as", "with", "from", "if", "when", "which", "who", "need", "want"}
# Cantonese keys allowed to occur in the Mandarin corpus, with why.
CANTONESE_IN_MANDARIN = {"结业"}  # "了结业务" once in 民法典; applicants do not write it


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with a repeated key (PyYAML keeps the last one silently)."""


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
    repeated = sorted({str(k) for k in keys if keys.count(k) > 1})
    if repeated:
        raise yaml.constructor.ConstructorError(None, None, f"repeated keys {repeated}", node.start_mark)
    return dict(loader.construct_mapping(node, deep=deep))


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _load(name: str) -> dict[str, Any]:
    data = yaml.load((LEXICON / name).read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    assert isinstance(data, dict) and data, name
    return data


def _user_words() -> list[str]:
    lines = (LEXICON / "user_words.txt").read_text(encoding="utf-8").splitlines()
    return [line.split()[0] for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def corpus() -> str:
    """Current law texts (superseded editions left out) plus the service guides."""
    if not LAWS_DIR.is_dir():
        pytest.skip(f"law corpus not found at {LAWS_DIR}")
    superseded = set((yaml.safe_load((KNOWLEDGE / "laws.yaml").read_text(encoding="utf-8")) or {})["superseded"])
    texts = [
        p.read_text(encoding="utf-8")
        for p in sorted(LAWS_DIR.glob("*.md"))
        if p.stem not in superseded and p.stem != "PROVENANCE"
    ]
    texts += [p.read_text(encoding="utf-8") for p in sorted((KNOWLEDGE / "guides").glob("*.md"))]
    return "\n".join(texts)


@pytest.fixture(scope="module")
def jieba_with_user_words() -> Any:
    """A private jieba tokenizer with the project's user words (the global one may be configured differently)."""
    import jieba

    jieba.setLogLevel(60)
    tk = jieba.Tokenizer()
    tk.initialize()
    tk.load_userdict(str(LEXICON / "user_words.txt"))
    return tk


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize(("name", "minimum"), [("en_zh_terms.yaml", 300), ("query_synonyms.yaml", 200)])
def test_term_tables_are_well_formed(name: str, minimum: int) -> None:
    table = _load(name)
    assert len(table) >= minimum
    for key, terms in table.items():
        assert isinstance(key, str) and key == key.strip(), key
        assert isinstance(terms, list) and terms, key
        assert len(set(terms)) == len(terms), key
        for term in terms:
            assert isinstance(term, str) and _has_cjk(term), (key, term)
            assert term not in STOPWORDS, (key, term)


def test_english_keys_are_specific_lowercase_words() -> None:
    table = _load("en_zh_terms.yaml")
    for key in table:
        assert key == key.lower() and re.fullmatch(r"[a-z0-9][a-z0-9 '\-]*[a-z0-9']", key), key
        assert not set(key.split()) <= EN_STOPWORDS, key
        # the matcher already takes an optional plural s
        assert not (key.endswith("s") and key[:-1] in table), key


def test_chinese_keys_are_at_least_two_characters() -> None:
    for key in _load("query_synonyms.yaml"):
        assert _has_cjk(key) and len(key) >= 2, key


@pytest.mark.parametrize("name", TERM_TABLES)
def test_every_term_is_in_the_corpus_and_kept_whole_by_jieba(
    name: str, corpus: str, jieba_with_user_words: Any
) -> None:
    missing = sorted({t for terms in _load(name).values() for t in terms if t not in corpus})
    assert not missing, f"terms not in the current laws or guides: {missing}"
    # expansion terms go straight into the BM25 query, so each must be a token the index can hold
    split = sorted(
        {t for terms in _load(name).values() for t in terms if t not in jieba_with_user_words.lcut_for_search(t)}
    )
    assert not split, f"jieba splits these terms; add them to user_words.txt: {split}"


def test_user_words_are_corpus_terms_that_jieba_keeps(corpus: str, jieba_with_user_words: Any) -> None:
    words = _user_words()
    assert len(words) == len(set(words))
    assert [w for w in words if w not in corpus] == []
    assert [w for w in words if w not in jieba_with_user_words.lcut(w)] == []
    assert "常驻代表机构" in jieba_with_user_words.lcut("外国企业常驻代表机构登记")


def test_cantonese_table_is_reachable_and_leaves_mandarin_alone(corpus: str) -> None:
    table = _load("cantonese.yaml")
    assert len(table) >= 120
    for key, value in table.items():
        assert isinstance(value, str) and key != value, key
        assert to_simplified(key) == key, f"{key} is rewritten by OpenCC before the table applies"
    assert [k for k in table if len(k) >= 1 and k in corpus and k not in CANTONESE_IN_MANDARIN] == []


@pytest.mark.parametrize(
    "mandarin",
    ["请问公司的联系电话和注册地址怎么变更", "系统显示经营异常", "取得未成年人监护人同意", "特定系统接收的数据"],
)
def test_mandarin_questions_are_not_rewritten(mandarin: str) -> None:
    assert normalise_for_search(mandarin, KNOWLEDGE) == mandarin


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("唔該，我想喺深圳開間公司，要幾多錢㗎？", "请，我想在深圳开一家公司，要多少钱？"),
        ("佢係唔係法人代表", "他是不是法人代表"),
        ("間舖冇牌經營會唔會罰錢㗎", "家店无照经营会不会罚钱"),
        ("公司執笠咗點算", "公司倒闭了怎么办"),
        ("我哋幾個拍檔開公司", "我们几个合伙人开公司"),
    ],
)
def test_cantonese_questions_become_standard_chinese(typed: str, normalised: str) -> None:
    assert normalise_for_search(typed, KNOWLEDGE) == normalised


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How do I register a representative office in Shanghai?", {"常驻代表机构", "设立登记"}),
        ("Can a WFOE have a sole shareholder?", {"外商投资企业", "一人有限公司"}),
        ("Is simplified deregistration possible?", {"简易注销", "注销登记"}),
        (
            "Hong Kong investors: do the articles of association need to be notarized?",
            {"香港特别行政区", "公司章程", "公证"},
        ),
        ("How many days until I get the unified social credit code?", {"工作日", "统一社会信用代码"}),
        ("Limited partnership vs general partnership", {"有限合伙企业", "普通合伙企业"}),
        ("What is the fine for not filing the annual report?", {"罚款", "年度报告"}),
        ("Can they revoke my business license?", {"吊销营业执照", "营业执照"}),
    ],
)
def test_english_questions_bring_the_specific_chinese_terms(question: str, expected: set[str]) -> None:
    assert expected <= set(QueryExpander(KNOWLEDGE).expand(question))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("个体户摆摊要不要办执照", {"个体工商户", "无照经营", "营业执照"}),
        ("公司不干了怎么关掉", {"注销登记"}),
        ("在淘宝开网店要营业执照吗", {"电子商务经营者", "零星小额交易"}),
        ("老赖能不能当法人", {"失信被执行人", "法定代表人", "不得担任"}),
        ("忘报年报了被列入异常名录怎么办", {"年度报告", "经营异常名录"}),
        ("用家里的房子做注册地址行吗", {"住宅", "住所"}),
    ],
)
def test_colloquial_questions_bring_the_formal_terms(question: str, expected: set[str]) -> None:
    assert expected <= set(QueryExpander(KNOWLEDGE).expand(question))


def test_unrelated_text_expands_to_nothing() -> None:
    exp = QueryExpander(KNOWLEDGE)
    assert exp.expand("bake a cake") == []
    assert exp.expand("今天天气很好") == []


def test_lexicon_files_live_where_the_expander_reads_them() -> None:
    for name in (*TERM_TABLES, "cantonese.yaml", "user_words.txt"):
        assert Path(LEXICON / name).is_file(), name
