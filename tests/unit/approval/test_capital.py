"""capital.* and structure.*: capital, contributions, investors and required officers per entity type."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from assistant.approval.catalogue import RuleCatalogue
from assistant.approval.engine import ApprovalEngine
from assistant.approval.model import Application
from assistant.approval.rules.capital import _methods, check
from assistant.settings import PROJECT_ROOT
from tests.conftest import DATA_DIR
from tests.unit.approval.support import base_llc, dev_cases, module_engine, severities

pytestmark = pytest.mark.unit

APPROVAL = PROJECT_ROOT / "eval" / "datasets" / "approval"
BASE_RAW = base_llc()
DEV = APPROVAL / "dev_capital.jsonl"
TODAY = date(2026, 11, 23)

LLC = copy.deepcopy(BASE_RAW)

JSC = copy.deepcopy(BASE_RAW)
JSC.update(
    {
        "entity_type": "股份有限公司",
        "proposed_name": "广州青禾软件股份有限公司",
        "name_parts": {"region": "广州", "trade": "青禾", "industry": "软件", "form": "股份有限公司"},
        "promoters": [{k: v for k, v in s.items() if k != "subscription_deadline"} for s in BASE_RAW["shareholders"]],
        "shareholders": [],
        "share_type": "普通股（面额股）",
        "par_value_yuan": 1,
        "shares_issued_at_establishment": 1_000_000,
        "establishment_method": "发起设立",
        "directors": [
            {"name": "陈明", "position": "董事长"},
            {"name": "李芳", "position": "董事"},
            {"name": "张伟", "position": "董事"},
        ],
        "manager": "陈明",
    }
)

SOLE = copy.deepcopy(BASE_RAW)
SOLE.update(
    {
        "entity_type": "个人独资企业",
        "proposed_name": "广州青禾软件开发工作室",
        "name_parts": None,
        "registered_capital_wan": None,
        "shareholders": [],
        "directors": [],
        "manager": None,
        "legal_rep": None,
        "supervisor": None,
        "investor": {
            "name": "陈明",
            "id_type": "居民身份证",
            "id_number": BASE_RAW["legal_rep"]["id_number"],
            "contribution_wan": 10,
            "method": "货币",
        },
    }
)

GETI = copy.deepcopy(SOLE)
GETI.update(
    {
        "entity_type": "个体工商户",
        "proposed_name": "广州市天河区青禾电脑维修店",
        "domicile": None,
        "business_premises": "广东省广州市天河区石牌东路12号首层",
        "investor": None,
        "operator": {"name": "陈明", "id_type": "居民身份证", "id_number": BASE_RAW["legal_rep"]["id_number"]},
        "composition": "个人经营",
    }
)

BASES = {"llc": LLC, "jsc": JSC, "sole": SOLE, "geti": GETI}


@pytest.fixture(scope="module")
def engine() -> ApprovalEngine:
    return module_engine("capital", check)


def run(engine: ApprovalEngine, raw: dict[str, Any]) -> dict[str, str]:
    return severities(engine.check(Application(**raw), today=TODAY))


Mutation = Callable[[dict[str, Any]], None]


def put(**changes: Any) -> Mutation:
    def apply(a: dict[str, Any]) -> None:
        a.update(changes)

    return apply


def holder(i: int, **changes: Any) -> Mutation:
    def apply(a: dict[str, Any]) -> None:
        key = "promoters" if a["entity_type"] == "股份有限公司" else "shareholders"
        a[key][i].update(changes)

    return apply


def chain(*muts: Mutation) -> Mutation:
    def apply(a: dict[str, Any]) -> None:
        for m in muts:
            m(a)

    return apply


def person(n: int, foreign: bool = False) -> dict[str, Any]:
    if foreign:
        return {
            "name": f"Person {n}",
            "type": "自然人",
            "id_type": "护照",
            "id_number": f"P{n:08d}",
            "contribution_wan": 1,
        }
    return {
        "name": f"股东{n}",
        "type": "自然人",
        "contribution_wan": 1,
        "method": "货币",
        "subscription_deadline": "2029-12-31",
    }


def many(n: int) -> Mutation:
    return put(shareholders=[person(i) for i in range(n)], registered_capital_wan=n)


NO = None
# (case, base, mutation, rule, expected severity or None for "must not fire")
CASES: list[tuple[str, str, Mutation, str, str | None]] = [
    ("no capital", "llc", put(registered_capital_wan=None), "capital.registered_capital_missing", "block"),
    ("zero capital", "jsc", put(registered_capital_wan=0), "capital.registered_capital_missing", "block"),
    ("capital 100", "llc", put(), "capital.registered_capital_missing", NO),
    ("no shareholders", "llc", put(shareholders=[]), "capital.shareholder_count", "block"),
    ("51 shareholders", "llc", many(51), "capital.shareholder_count", "block"),
    ("50 shareholders", "llc", many(50), "capital.shareholder_count", NO),
    ("one shareholder", "llc", chain(many(1), put(registered_capital_wan=1)), "capital.shareholder_count", NO),
    ("contribution missing", "llc", holder(1, contribution_wan=None), "capital.contribution_missing", "block"),
    ("promoter contribution zero", "jsc", holder(0, contribution_wan=0), "capital.contribution_missing", "block"),
    ("contributions given", "llc", put(), "capital.contribution_missing", NO),
    ("sum 90 vs 100", "llc", holder(1, contribution_wan=30), "capital.contribution_sum_mismatch", "block"),
    ("发起设立 sum short", "jsc", holder(1, contribution_wan=10), "capital.contribution_sum_mismatch", "block"),
    (
        "募集设立 over",
        "jsc",
        chain(put(establishment_method="募集设立"), holder(1, contribution_wan=60)),
        "capital.contribution_sum_mismatch",
        "block",
    ),
    ("sum within tolerance", "llc", holder(1, contribution_wan=40.00005), "capital.contribution_sum_mismatch", NO),
    (
        "募集设立 50%",
        "jsc",
        chain(put(establishment_method="募集设立"), holder(1, contribution_wan=0.0001), holder(0, contribution_wan=50)),
        "capital.contribution_sum_mismatch",
        NO,
    ),
    ("no deadline", "llc", holder(0, subscription_deadline=None), "capital.deadline_missing", "block"),
    ("deadline given", "llc", put(), "capital.deadline_missing", NO),
    ("deadline 2031-11-24", "llc", holder(0, subscription_deadline="2031-11-24"), "capital.deadline_over_5y", "block"),
    ("deadline 2031-11-23", "llc", holder(0, subscription_deadline="2031-11-23"), "capital.deadline_over_5y", NO),
    (
        "deadline before application",
        "llc",
        holder(0, subscription_deadline="2026-01-01"),
        "capital.deadline_past",
        "review",
    ),
    ("deadline on application day", "llc", holder(0, subscription_deadline="2026-11-23"), "capital.deadline_past", NO),
    ("劳务出资", "llc", holder(1, method="劳务"), "capital.method_prohibited", "block"),
    ("商誉作价", "llc", holder(1, method="货币、商誉"), "capital.method_prohibited", "block"),
    ("已抵押的房产", "llc", holder(1, method="已抵押的房产"), "capital.method_prohibited", "block"),
    ("promoter with 特许经营权", "jsc", holder(0, method="特许经营权"), "capital.method_prohibited", "block"),
    ("知识产权和货币", "llc", holder(1, method="知识产权和货币"), "capital.method_prohibited", NO),
    ("数据资产", "llc", holder(1, method="数据资产"), "capital.method_unrecognised", "review"),
    ("专利权出资", "llc", holder(1, method="专利权出资"), "capital.method_unrecognised", NO),
    (
        "土地使用权、股权、债权、实物",
        "llc",
        holder(1, method="土地使用权、股权、债权、实物"),
        "capital.method_unrecognised",
        NO,
    ),
    (
        "person subscribes 2亿",
        "llc",
        chain(put(registered_capital_wan=20_060), holder(1, contribution_wan=20_000)),
        "capital.capital_abnormal",
        "review",
    ),
    (
        "100亿 total",
        "llc",
        chain(
            put(registered_capital_wan=1_000_000),
            holder(0, contribution_wan=999_960, type="法人", name="广州示例集团有限公司"),
        ),
        "capital.capital_abnormal",
        "review",
    ),
    (
        "1000万",
        "llc",
        chain(put(registered_capital_wan=1_000), holder(0, contribution_wan=960)),
        "capital.capital_abnormal",
        NO,
    ),
    ("no promoters", "jsc", put(promoters=[]), "capital.promoter_count", "block"),
    (
        "201 promoters",
        "jsc",
        put(promoters=[person(i) for i in range(201)], registered_capital_wan=201),
        "capital.promoter_count",
        "block",
    ),
    ("2 promoters", "jsc", put(), "capital.promoter_count", NO),
    (
        "2 of 3 promoters foreign",
        "jsc",
        put(promoters=[JSC["promoters"][0], person(1, True), person(2, True)]),
        "capital.promoters_domicile",
        "review",
    ),
    (
        "1 of 2 foreign is half",
        "jsc",
        put(promoters=[JSC["promoters"][0], {**person(1, True), "contribution_wan": 40}]),
        "capital.promoters_domicile",
        NO,
    ),
    ("no establishment method", "jsc", put(establishment_method=None), "capital.establishment_method_missing", "block"),
    ("发起设立", "jsc", put(), "capital.establishment_method_missing", NO),
    ("募集设立 documents", "jsc", chain(put(establishment_method="募集设立")), "capital.offering_documents", "hint"),
    ("发起设立 no documents", "jsc", put(), "capital.offering_documents", NO),
    ("shares × par ≠ capital", "jsc", put(shares_issued_at_establishment=900_000), "capital.shares_mismatch", "block"),
    (
        "shares × par = capital",
        "jsc",
        put(par_value_yuan=0.5, shares_issued_at_establishment=2_000_000),
        "capital.shares_mismatch",
        NO,
    ),
    (
        "无面额股 not compared",
        "jsc",
        put(share_type="无面额股", shares_issued_at_establishment=7),
        "capital.shares_mismatch",
        NO,
    ),
    (
        "募集设立 promoters 20%",
        "jsc",
        chain(put(establishment_method="募集设立"), holder(0, contribution_wan=10), holder(1, contribution_wan=10)),
        "capital.promoter_subscription_short",
        "block",
    ),
    (
        "募集设立 promoters 35%",
        "jsc",
        chain(put(establishment_method="募集设立"), holder(0, contribution_wan=20), holder(1, contribution_wan=15)),
        "capital.promoter_subscription_short",
        NO,
    ),
    (
        "promoter pays after establishment",
        "jsc",
        holder(0, subscription_deadline="2027-06-30"),
        "capital.promoter_payment_deadline",
        "review",
    ),
    (
        "promoter paid before",
        "jsc",
        holder(0, subscription_deadline="2026-11-20"),
        "capital.promoter_payment_deadline",
        NO,
    ),
    (
        "sole investor is a company",
        "sole",
        lambda a: a["investor"].update(
            {"name": "广州示例投资有限公司", "id_type": "统一社会信用代码", "id_number": "91440300708461136T"}
        ),
        "capital.sole_investor_not_natural",
        "block",
    ),
    ("sole investor natural", "sole", put(), "capital.sole_investor_not_natural", NO),
    (
        "sole with two investors",
        "sole",
        put(shareholders=[person(1), person(2)]),
        "capital.sole_multiple_investors",
        "block",
    ),
    (
        "sole investor also listed as shareholder",
        "sole",
        put(shareholders=[{"name": "陈明", "type": "自然人"}]),
        "capital.sole_multiple_investors",
        NO,
    ),
    (
        "sole no contribution",
        "sole",
        lambda a: a["investor"].update({"contribution_wan": None}),
        "capital.sole_contribution_missing",
        "block",
    ),
    (
        "sole contribution via capital field",
        "sole",
        chain(lambda a: a["investor"].update({"contribution_wan": None}), put(registered_capital_wan=10)),
        "capital.sole_contribution_missing",
        NO,
    ),
    ("sole 10 vs 20", "sole", put(registered_capital_wan=20), "capital.sole_contribution_mismatch", "block"),
    ("sole 10 vs 10", "sole", put(registered_capital_wan=10), "capital.sole_contribution_mismatch", NO),
    ("no legal rep", "llc", put(legal_rep=None), "structure.legal_rep_missing", "block"),
    ("legal rep without name", "jsc", put(legal_rep={"id_number": "1"}), "structure.legal_rep_missing", "block"),
    ("legal rep given", "llc", put(), "structure.legal_rep_missing", NO),
    (
        "legal rep not director nor manager",
        "llc",
        put(manager="李芳", directors=[{"name": "李芳"}]),
        "structure.legal_rep_not_eligible",
        "block",
    ),
    (
        "legal rep is the manager only",
        "llc",
        put(directors=[{"name": "李芳", "position": "执行董事"}]),
        "structure.legal_rep_not_eligible",
        NO,
    ),
    ("no directors", "llc", put(directors=[]), "structure.directors_missing", "block"),
    ("jsc no directors", "jsc", put(directors=[{"name": " "}]), "structure.directors_missing", "block"),
    ("one director", "llc", put(), "structure.directors_missing", NO),
    ("two directors", "llc", put(directors=[{"name": "陈明"}, {"name": "李芳"}]), "structure.board_size", "block"),
    ("three directors", "jsc", put(), "structure.board_size", NO),
    ("jsc without manager", "jsc", put(manager=None), "structure.manager_missing", "block"),
    ("llc without manager is fine", "llc", put(manager=None), "structure.manager_missing", NO),
    ("no supervisor", "llc", put(supervisor=None), "structure.supervisor_missing", "review"),
    ("jsc no supervisor", "jsc", put(supervisor={"name": ""}), "structure.supervisor_missing", "review"),
    ("supervisor given", "llc", put(), "structure.supervisor_missing", NO),
    ("sole without investor", "sole", put(investor=None), "structure.investor_missing", "block"),
    ("sole with investor", "sole", put(), "structure.investor_missing", NO),
    ("geti without operator", "geti", put(operator=None), "structure.operator_missing", "block"),
    ("geti operator without ID", "geti", put(operator={"name": "陈明"}), "structure.operator_missing", "block"),
    ("geti with operator", "geti", put(), "structure.operator_missing", NO),
    ("geti without composition", "geti", put(composition=None), "structure.composition_missing", "block"),
    ("geti 家庭经营", "geti", put(composition="家庭经营"), "structure.composition_missing", NO),
]


@pytest.mark.parametrize(("case", "base", "mutate", "rule", "severity"), CASES, ids=[c[0] for c in CASES])
def test_rule_table(
    engine: ApprovalEngine, case: str, base: str, mutate: Mutation, rule: str, severity: str | None
) -> None:
    raw = copy.deepcopy(BASES[base])
    mutate(raw)
    found = run(engine, raw)
    if severity is None:
        assert rule not in found, f"{case}: {rule} fired ({found})"
    else:
        assert found.get(rule) == severity, f"{case}: expected {rule}={severity}, got {found}"


def test_every_rule_has_a_failing_and_a_passing_case() -> None:
    catalogue = RuleCatalogue(PROJECT_ROOT / "knowledge" / "approval" / "rules")
    ids = {r for r in catalogue.rules if r.startswith(("capital.", "structure."))}
    failing = {c[3] for c in CASES if c[4] is not None}
    passing = {c[3] for c in CASES if c[4] is None}
    assert ids == failing, ids ^ failing
    assert ids == passing, ids ^ passing
    for c in CASES:
        if c[4] is not None:
            assert catalogue.rules[c[3]].severity == c[4]


def test_base_llc_has_no_capital_finding(engine: ApprovalEngine) -> None:
    assert [f.rule for f in engine.check(Application(**BASE_RAW)).findings] == []


@pytest.mark.parametrize("name", ["jsc", "sole", "geti"])
def test_clean_bases_of_other_entity_types(engine: ApprovalEngine, name: str) -> None:
    assert run(engine, copy.deepcopy(BASES[name])) == {}


def test_prohibited_forms_are_read_from_the_law() -> None:
    prohibited, lawful = _methods(DATA_DIR)
    assert prohibited == ("劳务", "信用", "自然人姓名", "商誉", "特许经营权", "设定担保的财产")
    assert lawful == ("货币", "实物", "知识产权", "土地使用权", "股权", "债权")


def test_findings_name_the_field_and_cite_the_article(engine: ApprovalEngine) -> None:
    raw = copy.deepcopy(LLC)
    raw["shareholders"][1]["subscription_deadline"] = "2035-01-01"
    f = next(f for f in engine.check(Application(**raw), today=TODAY).findings if f.rule == "capital.deadline_over_5y")
    assert f.field == "shareholders[1].subscription_deadline"
    assert f.legal_basis.startswith("公司法 第四十七条第一款")
    assert "2031-11-23" in f.message and "2031-11-23" in f.remedy_en
    raw = copy.deepcopy(JSC)
    raw["directors"] = []
    f = next(
        f for f in engine.check(Application(**raw), today=TODAY).findings if f.rule == "structure.directors_missing"
    )
    assert f.field == "directors" and f.legal_basis == "公司法 第一百二十条、第一百二十八条"
    for d in (engine.check(Application(**copy.deepcopy(b)), today=TODAY) for b in BASES.values()):
        for f in d.findings:
            assert "{" not in f.message + f.message_en + f.remedy + f.remedy_en + f.legal_basis


def test_change_registration_is_not_checked(engine: ApprovalEngine) -> None:
    raw = copy.deepcopy(LLC)
    raw.update({"application_type": "变更登记", "shareholders": [], "legal_rep": None})
    assert run(engine, raw) == {}


def test_deadline_counts_from_application_date_or_today(engine: ApprovalEngine) -> None:
    raw = copy.deepcopy(LLC)
    raw.pop("application_date")
    raw["shareholders"][0]["subscription_deadline"] = "2031-11-24"
    assert "capital.deadline_over_5y" in run(engine, raw)  # today = 2026-11-23
    raw["application_date"] = "2026-12-01"
    assert "capital.deadline_over_5y" not in run(engine, raw)


@pytest.mark.parametrize("junk", ["", "\u200b", "劳" * 500, "💰", "货币、、，/"])
def test_odd_input_does_not_crash(engine: ApprovalEngine, junk: str) -> None:
    for base in BASES.values():
        raw = copy.deepcopy(base)
        for p in raw.get("shareholders") or raw.get("promoters") or []:
            p["method"] = junk
            p["name"] = junk[:100]
        raw["manager"] = junk
        raw["directors"] = [{"name": junk}]
        engine.check(Application(**raw), today=TODAY)


def test_partial_applications_do_not_crash(engine: ApprovalEngine) -> None:
    for et in ("有限责任公司", "股份有限公司", "个体工商户", "个人独资企业", None):
        engine.check(Application(entity_type=et), today=TODAY)
        engine.check(Application(entity_type=et, shareholders=[{}], promoters=[{}], investor={}, operator={}))


def test_dev_set(engine: ApprovalEngine) -> None:
    lines = dev_cases("capital")
    for x in lines:
        got = {f.rule for f in engine.check(Application(**x["application"])).findings}
        assert got == set(x["expect_rules"]), (x["id"], got)
