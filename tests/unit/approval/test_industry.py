"""industry.*: GB/T 4754-2017 code validity, code ↔ name ↔ scope consistency, and code suggestion."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.approval.engine import ApprovalEngine
from assistant.approval.model import Application
from assistant.approval.rules.industry import check, load_index, suggest_codes
from assistant.settings import PROJECT_ROOT
from tests.conftest import DATA_DIR
from tests.unit.approval.support import app_with, assert_module_share, base_llc, dev_cases, module_engine, severities

pytestmark = pytest.mark.unit

BASE = base_llc()


@pytest.fixture(scope="module")
def engine() -> ApprovalEngine:
    return module_engine("industry", check)


rules = severities


RESTAURANT = {"一般项目": ["餐饮管理", "食品销售（仅销售预包装食品）"], "许可项目": ["餐饮服务"]}
SOFTWARE_PARTS = {"region": "广州", "trade": "青禾", "industry": "软件", "form": "有限公司"}
FOOD_PARTS = {"region": "广州", "trade": "青禾", "industry": "餐饮", "form": "有限公司"}

# (case id, changes, rule, expected severity or None when the rule must not fire)
CASES: list[tuple[str, dict[str, Any], str, str | None]] = [
    ("invalid code", {"industry_code": "9999"}, "industry.code_invalid", "block"),
    ("middle-class code is not a 小类", {"industry_code": "6510"}, "industry.code_invalid", "block"),
    ("valid code", {"industry_code": "6519"}, "industry.code_invalid", None),
    ("missing code", {"industry_code": None}, "industry.code_missing", "hint"),
    ("code present", {}, "industry.code_missing", None),
    ("software name, restaurant code", {"industry_code": "6210"}, "industry.name_code_mismatch", "review"),
    ("software name, software code", {"industry_code": "6511"}, "industry.name_code_mismatch", None),
    (
        "generic name word is not checked",
        {
            "name_parts": {**SOFTWARE_PARTS, "industry": "科技"},
            "industry_code": "7519",
            "business_scope": {
                "一般项目": ["技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广"],
                "许可项目": [],
            },
        },
        "industry.name_code_mismatch",
        None,
    ),
    ("software scope, restaurant code", {"industry_code": "6210"}, "industry.scope_code_mismatch", "review"),
    (
        "restaurant scope and code",
        {
            "name_parts": FOOD_PARTS,
            "proposed_name": "广州青禾餐饮有限公司",
            "industry_code": "6210",
            "business_scope": RESTAURANT,
        },
        "industry.scope_code_mismatch",
        None,
    ),
    (
        "restaurant name, software scope",
        {"name_parts": FOOD_PARTS, "proposed_name": "广州青禾餐饮有限公司"},
        "industry.name_scope_mismatch",
        "review",
    ),
    (
        "restaurant name and scope",
        {
            "name_parts": FOOD_PARTS,
            "proposed_name": "广州青禾餐饮有限公司",
            "industry_code": "6210",
            "business_scope": RESTAURANT,
        },
        "industry.name_scope_mismatch",
        None,
    ),
    (
        "industry word read from the full name",
        {"name_parts": None, "proposed_name": "广州青禾餐饮有限公司"},
        "industry.name_scope_mismatch",
        "review",
    ),
]


@pytest.mark.parametrize(("case", "changes", "rule", "severity"), CASES, ids=[c[0] for c in CASES])
def test_rule_table(
    engine: ApprovalEngine, case: str, changes: dict[str, Any], rule: str, severity: str | None
) -> None:
    found = rules(engine.check(app_with(**changes)))
    if severity is None:
        assert rule not in found, case
    else:
        assert found.get(rule) == severity, (case, found)


def test_every_rule_has_a_failing_and_a_passing_case(engine: ApprovalEngine) -> None:
    declared = set(engine.catalogue.rules) & {r for r in engine.catalogue.rules if r.startswith("industry.")}
    failing = {r for _, _, r, s in CASES if s}
    passing = {r for _, _, r, s in CASES if s is None}
    assert declared == failing == passing


def test_base_application_is_clean(engine: ApprovalEngine) -> None:
    assert engine.check(Application(**BASE)).findings == []


def test_invalid_code_suggests_close_codes(engine: ApprovalEngine) -> None:
    f = next(f for f in engine.check(app_with(industry_code="6518")).findings if f.rule == "industry.code_invalid")
    assert "6513" in f.remedy and "6519" in f.remedy


def test_missing_code_hint_suggests_from_name_and_scope(engine: ApprovalEngine) -> None:
    f = next(f for f in engine.check(app_with(industry_code=None)).findings if f.rule == "industry.code_missing")
    assert "65" in f.message and "软件" in f.message


def test_mismatch_names_the_industries(engine: ApprovalEngine) -> None:
    f = next(
        f for f in engine.check(app_with(industry_code="6210")).findings if f.rule == "industry.name_code_mismatch"
    )
    assert "软件" in f.message and "6210" in f.message and "正餐服务" in f.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("软件开发", "651"),
        ("餐饮服务", "62"),
        ("服装零售", "5232"),
        ("理发", "8040"),
        ("物业管理", "7020"),
        ("房地产开发经营", "7010"),
        ("咖啡", "6232"),
    ],
)
def test_suggest_codes(text: str, expected: str) -> None:
    index = load_index(DATA_DIR, PROJECT_ROOT / "knowledge")
    out = suggest_codes(text, k=5, index=index)
    assert out and out[0][0].startswith(expected), out
    assert all(len(c) == 4 and n and 0 <= s <= 1 for c, n, s in out)
    assert len(suggest_codes(text, k=2, index=index)) <= 2


def test_suggest_codes_odd_input() -> None:
    index = load_index(DATA_DIR, PROJECT_ROOT / "knowledge")
    assert suggest_codes("", index=index) == []
    assert suggest_codes("\u200b\U0001f600", index=index) == []
    assert isinstance(suggest_codes("软件" * 5000, index=index), list)


def test_word_table_codes_exist() -> None:
    index = load_index(DATA_DIR, PROJECT_ROOT / "knowledge")
    for word, prefixes in index.words.items():
        for p in prefixes:
            assert any(c.startswith(p) for c in index.classes), (word, p)


@pytest.mark.parametrize(
    "changes",
    [
        {"proposed_name": "", "name_parts": None},
        {"proposed_name": "有限公司", "name_parts": {"industry": ""}},
        {"proposed_name": "Ⅻ\u0000" * 40, "name_parts": None, "business_scope": {"一般项目": ["", " ", "𠀀" * 300]}},
        {"business_scope": None, "industry_code": None, "proposed_name": None, "name_parts": None},
    ],
)
def test_partial_or_odd_input_does_not_crash(engine: ApprovalEngine, changes: dict[str, Any]) -> None:
    engine.check(app_with(**changes))


def test_dev_set(engine: ApprovalEngine) -> None:
    assert_module_share(engine, dev_cases("industry"), "industry.")
