"""Staff-action checks (knowledge/staff/procedure.yaml): the table agrees with the law corpus and the approval
rules, and the development set of staff statements gets exactly the warnings it expects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from assistant.approval.catalogue import RuleCatalogue
from assistant.policy.procedure import ProcedureChecker, ProcedureTable, _load, cn_number
from assistant.settings import PROJECT_ROOT
from ingestion.laws import load_laws

pytestmark = pytest.mark.unit
KNOWLEDGE = PROJECT_ROOT / "knowledge"
DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"
DATASET = yaml.safe_load((PROJECT_ROOT / "eval" / "datasets" / "staff_actions.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def checker() -> ProcedureChecker:
    return ProcedureChecker.load(KNOWLEDGE)


@pytest.fixture(scope="module")
def articles() -> dict[tuple[str, str], str]:
    if not (DATA_DIR / "laws").exists():
        pytest.skip("shared data not beside the checkout")
    return {
        (c.source, c.article): re.sub(r"\s+", "", c.text)
        for c in load_laws(DATA_DIR / "laws", KNOWLEDGE)
        if c.status == "current"
    }


def test_every_legal_basis_is_a_current_article_that_holds_the_quote(
    checker: ProcedureChecker, articles: dict[tuple[str, str], str]
) -> None:
    bases = list(checker.table.bases())
    assert len(bases) >= 15
    for pattern_id, b in bases:
        text = articles.get((b.law, b.article))
        assert text is not None, f"{pattern_id}: {b.label} is not a current article of the corpus"
        assert re.sub(r"\s+", "", b.quote) in text, f"{pattern_id}: the quote is not in {b.label}"


def test_every_supported_rejection_rests_on_rules_of_the_approval_engine(checker: ProcedureChecker) -> None:
    rules = RuleCatalogue(KNOWLEDGE / "approval" / "rules").rules
    for s in checker.table.supported_rejections:
        assert s.rules, s.id
        unknown = [r for r in s.rules if r not in rules]
        assert not unknown, f"{s.id}: {unknown} not in knowledge/approval/rules"


def test_every_pattern_has_a_bilingual_warning_and_a_statement_in_the_dataset(checker: ProcedureChecker) -> None:
    expected = {w for item in DATASET["contradicting"] for w in item["warn"]}
    for p in checker.table.patterns:
        assert re.search(r"[\u4e00-\u9fff]", p.warning) and re.search(r"[A-Za-z]{3}", p.warning_en), p.id
        assert p.id in expected, f"{p.id} is exercised by no statement of eval/datasets/staff_actions.yaml"
    assert checker.table.fallback.id in expected


def test_the_dataset_has_at_least_30_statements_half_of_them_contradicting() -> None:
    bad, fine = DATASET["contradicting"], DATASET["fine"]
    assert len(bad) + len(fine) >= 30
    assert len(bad) >= 15 and len(fine) >= 15
    statements = [i["statement"] for i in bad + fine]
    assert len(set(statements)) == len(statements)


@pytest.mark.parametrize("item", DATASET["fine"], ids=lambda i: i["statement"][:20])
def test_a_fine_statement_raises_no_warning(checker: ProcedureChecker, item: dict) -> None:
    assert [w.id for w in checker.check(item["statement"])] == []


@pytest.mark.parametrize("item", DATASET["contradicting"], ids=lambda i: i["statement"][:20])
def test_a_contradicting_statement_raises_its_warning(checker: ProcedureChecker, item: dict) -> None:
    warnings = checker.check(item["statement"])
    assert [w.id for w in warnings] == item["warn"]
    for w in warnings:
        assert w.basis and all(b.label in w.message and b.label in w.message_en for b in w.basis)


def test_the_brief_examples(checker: ProcedureChecker) -> None:
    w = checker.check("申请人没有提供验资报告，驳回")
    assert [x.id for x in w] == ["doc.capital_verification"]
    assert "认缴" in w[0].message and "《市场主体登记管理条例实施细则》第二十六条" in w[0].message
    assert "验资报告" in w[0].matched
    assert [x.id for x in checker.check("请申请人补交房产证原件")] == ["doc.property_certificate"]
    assert [x.id for x in checker.check("名称里有'中国'，不予受理")] == ["reject.name_restricted_word"]


def test_negated_actions_and_questions_are_not_actions(checker: ProcedureChecker) -> None:
    assert checker.actions("不需要提供验资报告") == set()
    assert checker.actions("已告知申请人无需提交房产证") == set()
    assert checker.actions("不得以名称含有中国为由驳回") == set()
    assert checker.actions("驳回") == {"reject"}
    assert checker.check("验资报告要不要补交？") == []
    assert checker.check("没有验资报告可以驳回吗") == []
    assert checker.check("窗口要求提供验资报告的投诉怎么处理") == []
    assert checker.check("") == [] and checker.check("   ") == []


def test_a_rejection_without_a_supported_reason_gets_the_fallback(checker: ProcedureChecker) -> None:
    assert [w.id for w in checker.check("驳回")] == ["reject.unsupported_reason"]
    assert [w.id for w in checker.check("这个人态度不好，不予受理")] == ["reject.unsupported_reason"]
    assert checker.check("拟定名称与已登记的企业名称字号相同，驳回") == []
    assert checker.supported_reasons("法定代表人是失信被执行人")[0].rules == ["identity.barred_person"]


def test_missing_materials_yield_to_a_specific_pattern_or_a_supported_reason(checker: ProcedureChecker) -> None:
    assert [w.id for w in checker.check("没提供验资报告，驳回")] == ["doc.capital_verification"]
    assert checker.check("未提交前置审批的批准文件，不予登记") == []


def test_stated_limits_are_compared_with_the_law(checker: ProcedureChecker) -> None:
    assert [w.id for w in checker.check("有限公司股东最多100人")] == ["limit.shareholder_maximum"]
    assert checker.check("有限公司股东最多50人") == []
    assert checker.check("股东有51个，超过50个，不予登记") == []  # a count, not a stated limit; a supported reason
    assert [w.id for w in checker.check("名称保留期为半年，必须在半年内办理")] == ["limit.name_reservation"]
    assert checker.check("名称保留期为1年，经营范围有前置审批项目，必须在保留期内办理") == []
    assert [w.id for w in checker.check("要等一周才能拿执照")] == ["limit.processing_time"]
    assert checker.check("情形复杂的，需要6个工作日才能出照，已经负责人批准延长") == []


def test_cn_numbers() -> None:
    assert [cn_number(t) for t in ("15", "十五", "两", "二十", "半", "一百", "三十五")] == [15, 15, 2, 20, 0.5, 100, 35]


def test_the_table_is_validated_on_load(tmp_path: Path) -> None:
    data = yaml.safe_load((KNOWLEDGE / "staff" / "procedure.yaml").read_text(encoding="utf-8"))
    ProcedureTable.model_validate(data)
    broken = dict(data, patterns=[dict(data["patterns"][0], colour="red")])
    with pytest.raises(ValueError, match="colour"):
        ProcedureTable.model_validate(broken)
    bad_regex = dict(data, patterns=[dict(data["patterns"][0], any=["(unclosed"])])
    with pytest.raises(ValueError):
        ProcedureTable.model_validate(bad_regex)
    dupes = dict(data, patterns=[data["patterns"][0], data["patterns"][0]])
    path = tmp_path / "procedure.yaml"
    path.write_text(yaml.safe_dump(dupes, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate"):
        _load(path)
