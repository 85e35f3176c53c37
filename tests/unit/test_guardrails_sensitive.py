"""Sensitive-word screen: listed words are found (whole tokens, split-up spellings); registration vocabulary
(every FAQ question and answer, every law heading and article) never trips it."""

import re
from pathlib import Path

import pytest

from assistant.guardrails.sensitive import SensitiveScreen
from assistant.settings import PROJECT_ROOT
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.unit
KNOWLEDGE = PROJECT_ROOT / "knowledge"


@pytest.fixture(scope="module")
def screen() -> SensitiveScreen:
    if not (DATA_DIR / "sensitive_words").is_dir():
        pytest.skip("shared data not beside the checkout")
    return SensitiveScreen.from_files(KNOWLEDGE, DATA_DIR)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("法轮功学员能开公司吗", "political"),
        ("法 轮 功", "political"),
        ("台独分子能当法人吗", "political"),
        ("我想开个卖冰毒的店", "violence"),
        ("fuck you", "pornographic"),
    ],
)
def test_listed_words_are_found(screen: SensitiveScreen, text: str, category: str) -> None:
    hits = screen.find(text)
    assert hits and hits[0].category == category, hits


@pytest.mark.parametrize(
    "text",
    [
        "注册资本是不是要在公司成立时一次性交清",  # 一次性 + 交清, not a listed two-character word
        "我跟我妈一起看店，登记的时候我妈的名字要报上去吗",
        "股份公司去哪一级市场监管局登记",
        "名称里能用“赌博”这类字吗",  # a category the law itself names
        "开成人用品店需要什么许可",
        "How do I pay off debt before deregistering?",  # "bt" only as a whole token
        "Can investors from Taiwan register a company?",
        "北京市朝阳区公证处办一份公司章程公证要收多少钱",  # 公证处 is on a political list as a bare word
        "共产党员可以开公司吗",
        "外资公司要去外汇局登记吗",
    ],
)
def test_registration_questions_pass(screen: SensitiveScreen, text: str) -> None:
    assert screen.find(text) == []


def _faq() -> list[str]:
    out: list[str] = []
    for f in sorted((KNOWLEDGE / "faq").glob("*.md")):
        for part in re.split(r"^## ", f.read_text(encoding="utf-8"), flags=re.M)[1:]:
            q, _, a = part.partition("\n")
            out += [q.strip(), a]
    return out


def _laws() -> list[str]:
    out: list[str] = []
    for f in sorted((DATA_DIR / "laws").glob("*.md")):
        for line in f.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line.startswith("#") or (line.startswith("第") and "条" in line[:8]):
                out.append(line.lstrip("# "))
    return out


def test_no_false_positives_on_the_faq(screen: SensitiveScreen) -> None:
    texts = _faq()
    assert len(texts) > 400
    assert {t[:30]: screen.find(t) for t in texts if screen.find(t)} == {}


def test_no_false_positives_on_law_headings_and_articles(screen: SensitiveScreen) -> None:
    texts = _laws()
    assert len(texts) > 2000
    assert {t[:30]: screen.find(t) for t in texts if screen.find(t)} == {}


def test_output_word_is_unsupported_only_when_the_sources_lack_it(screen: SensitiveScreen) -> None:
    answer = "法轮功相关组织不能登记[1]。"
    assert [h.word for h in screen.unsupported(answer, "第一条 公司名称应当……")] == ["法轮功"]
    assert screen.unsupported(answer, "……法轮功……") == []


def test_allow_list_is_not_empty_and_has_no_comments_in_words() -> None:
    lines = (KNOWLEDGE / "guardrails" / "sensitive_allow.txt").read_text(encoding="utf-8").splitlines()
    words = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
    assert words and all(" " not in w.strip() for w in words)


def test_missing_allow_file_fails_loudly(tmp_path: Path) -> None:
    from assistant.guardrails.injection import GuardrailConfigError

    (tmp_path / "guardrails").mkdir()
    (tmp_path / "guardrails" / "sensitive.yaml").write_text("sources: []\nallow: nope.txt\n", encoding="utf-8")
    with pytest.raises(GuardrailConfigError):
        SensitiveScreen.from_files(tmp_path, DATA_DIR)


def test_no_business_activity_or_industry_name_is_taken_for_a_sensitive_word(screen: SensitiveScreen) -> None:
    """Every item of the business-scope catalogue and every GB/T 4754 name: 家政服务, 保健按摩, 危险废物 … are
    lines of business an applicant describes, not sensitive words."""
    import json

    import yaml

    texts: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, str):
            texts.add(node)
        elif isinstance(node, dict):
            for k, v in node.items():
                walk(k)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(yaml.safe_load((PROJECT_ROOT / "knowledge" / "business_scope" / "catalogue.yaml").read_text(encoding="utf-8")))
    flat = DATA_DIR / "industry_gbt4754" / "gbt4754_2017_flat.json"
    walk(json.loads(flat.read_text(encoding="utf-8")))
    hits = {t: screen.find(t) for t in texts if len(t) <= 40}
    # a bare listed word as an industry name (炸药) stays flagged: the applicant is asked to describe the business
    assert not {t: h for t, h in hits.items() if h and [x.word for x in h] != [t]}


def test_everyday_words_hiding_a_listed_word_pass(screen: SensitiveScreen) -> None:
    assert not screen.find("我的身份证是440103196910027338，我妈妈的是440305199611185376")
    assert not screen.find("帮我办一个个体户，做家政服务，我一个人干")
    assert screen.find("他妈的什么破系统")
