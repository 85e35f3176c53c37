"""name_conflict: 企业名称相同相近比对 (企业名称登记管理规定 第十七条; 2017 相同相近比对规则)."""

from __future__ import annotations

import copy
import itertools
import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.approval.context import ReferenceData
from assistant.approval.engine import ApprovalEngine
from assistant.approval.model import Application, Decision
from assistant.approval.rules import name_conflict
from assistant.approval.rules.name_conflict import check, load_seed_registry, split, status_conflicts
from assistant.settings import PROJECT_ROOT
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.unit

KNOWLEDGE = PROJECT_ROOT / "knowledge"
BASE = json.loads((PROJECT_ROOT / "eval" / "datasets" / "approval" / "base_llc.json").read_text(encoding="utf-8"))
RULES = yaml.safe_load((KNOWLEDGE / "approval" / "rules" / "name_conflict.yaml").read_text(encoding="utf-8"))
TODAY = date(2026, 11, 23)


def engine(registry: tuple[tuple[str, str, str], ...] = ()) -> ApprovalEngine:
    data = ReferenceData(data_dir=DATA_DIR, knowledge_dir=KNOWLEDGE, name_registry=registry)
    return ApprovalEngine(data, modules=[("name_conflict", check)])


ENGINE = engine()


def app(name: str | None = None, existing: list[tuple[str, str]] | None = None, **changes: Any) -> Application:
    data = copy.deepcopy(BASE)
    if name is not None:
        data["proposed_name"] = name
        data.pop("name_parts", None)
    if existing is not None:
        data["existing_names_same_authority"] = [{"name": n, "status": s} for n, s in existing]
    data.update(changes)
    return Application(**data)


def run(a: Application, eng: ApprovalEngine = ENGINE) -> Decision:
    return eng.check(a, today=TODAY)


def rules(d: Decision) -> list[str]:
    return [f.rule for f in d.findings]


# (rule id, proposed name, existing names) — the rule must fire with the YAML severity.
FAILING = [
    ("name_conflict.identical", "广州青禾软件有限公司", [("青禾（广州）软件有限公司", "存续")]),
    ("name_conflict.identical", "广州青禾软件有限公司", [("青禾软件有限公司", "存续")]),
    ("name_conflict.identical", "广州青禾软件有限公司", [("广州青禾实业有限公司", "存续")]),
    ("name_conflict.identical", "广州青禾软件有限公司", [("广州青禾软件有限公司", "注销未满1年")]),
    ("name_conflict.identical", "广州青禾软件有限公司", [("广州青禾软件有限公司", "保留期内")]),
    ("name_conflict.identical", "广州青禾软件有限公司", [("广州青禾软件有限公司", "注销 2026-03-01")]),
    ("name_conflict.identical", "北京红光酒业有限公司", [("北京红光酒厂", "存续")]),
    ("name_conflict.traditional_variant", "广州青龙软件有限公司", [("广州青龍软件有限公司", "存续")]),
    ("name_conflict.homophone", "广州清禾软件有限公司", [("广州青禾软件有限公司", "存续")]),
    ("name_conflict.synonym_industry", "广州万青地产有限公司", [("广州万青置业有限公司", "存续")]),
    ("name_conflict.synonym_industry", "广州万青地产有限公司", [("万青房地产有限公司", "保留期内")]),
    ("name_conflict.added_words", "广州青禾软件有限公司", [("广州青禾软件开发有限公司", "存续")]),
    ("name_conflict.added_words", "广州青禾网络科技有限公司", [("广州青禾科技有限公司", "存续")]),
    ("name_conflict.added_words", "广州青禾天河软件有限公司", [("广州青禾软件有限公司", "存续")]),
    ("name_conflict.added_words", "广州青禾实业有限公司", [("广州青禾软件有限公司", "存续")]),
    ("name_conflict.trade_contains", "广州青禾田软件有限公司", [("广州青禾软件有限公司", "存续")]),
    ("name_conflict.trade_contains", "广州青禾软件有限公司", [("广州大青禾软件有限公司", "存续")]),
    ("name_conflict.well_known_trade", "广州同仁堂餐饮有限公司", []),
    ("name_conflict.well_known_trade", "广州华泰证券咨询有限公司", []),
]

# (rule id, proposed name, existing names) — the rule must NOT fire.
PASSING = [
    ("name_conflict.identical", "广州青禾软件有限公司", [("广州青禾餐饮有限公司", "存续")]),
    ("name_conflict.identical", "广州青禾软件有限公司", [("广州青禾软件有限公司", "注销")]),
    ("name_conflict.identical", "广州青禾软件有限公司", [("广州青禾软件有限公司", "注销已满1年")]),
    ("name_conflict.identical", "广州青禾软件有限公司", [("广州青禾软件有限公司", "注销 2025-06-30")]),
    ("name_conflict.identical", "广州青禾软件有限公司", [("广州青禾软件有限公司", "保留期至2026-10-31")]),
    ("name_conflict.identical", "广州青禾软件有限公司", [("广州禾青软件有限公司", "存续")]),
    ("name_conflict.traditional_variant", "广州青龙软件有限公司", [("广州青龍餐饮有限公司", "存续")]),
    ("name_conflict.homophone", "广州清禾软件有限公司", [("广州青禾餐饮有限公司", "存续")]),
    ("name_conflict.homophone", "广州青禾软件有限公司", [("广州晴朗软件有限公司", "存续")]),
    ("name_conflict.synonym_industry", "广州万青地产有限公司", [("广州万青物业管理有限公司", "存续")]),
    ("name_conflict.added_words", "广州青禾软件有限公司", [("广州青禾餐饮管理有限公司", "存续")]),
    ("name_conflict.trade_contains", "广州青禾田软件有限公司", [("广州青禾餐饮有限公司", "存续")]),
    ("name_conflict.trade_contains", "广州青禾软件有限公司", [("广州青苗软件有限公司", "存续")]),
    ("name_conflict.well_known_trade", "广州华泰软件有限公司", []),
    ("name_conflict.well_known_trade", "广州青禾软件有限公司", []),
]


@pytest.mark.parametrize(("rule", "name", "existing"), FAILING)
def test_rule_fires(rule: str, name: str, existing: list[tuple[str, str]]) -> None:
    d = run(app(name, existing))
    hits = [f for f in d.findings if f.rule == rule]
    assert hits, (rule, name, existing, rules(d))
    assert hits[0].severity == RULES[rule]["severity"]
    assert hits[0].legal_basis == RULES[rule]["legal_basis"]
    if existing:  # says which existing name conflicts and why
        assert any(n.replace("（", "(").replace("）", ")") in hits[0].message for n, _ in existing)
        assert "{" not in hits[0].message and "{" not in hits[0].remedy


@pytest.mark.parametrize(("rule", "name", "existing"), PASSING)
def test_rule_does_not_fire(rule: str, name: str, existing: list[tuple[str, str]]) -> None:
    assert rule not in rules(run(app(name, existing)))


def test_every_rule_has_a_failing_and_a_passing_case() -> None:
    assert {r for r, _, _ in FAILING} == set(RULES)
    assert {r for r, _, _ in PASSING} == set(RULES)


def test_base_application_has_no_finding() -> None:
    assert run(Application(**BASE)).findings == []


def test_one_finding_per_existing_name_strongest_first() -> None:
    d = run(app("广州青禾软件有限公司", [("青禾软件有限公司", "存续"), ("广州青禾软件开发有限公司", "存续")]))
    assert rules(d) == ["name_conflict.identical", "name_conflict.added_words"]
    assert d.decision == "block"


def test_variant_of_the_2017_examples_is_identical() -> None:
    for proposed, existing in [
        ("北京红光酒业发展有限公司", "红光（北京）酒业发展有限公司"),
        ("北京红光酒业有限公司", "红光酒业有限公司"),
    ]:
        a = app(proposed, [(existing, "存续")], domicile_district_code="110105")
        assert rules(run(a)) == ["name_conflict.identical"]


@pytest.mark.parametrize(
    ("name", "region", "trade", "industry", "form"),
    [
        ("北京红光酒业发展有限公司", "北京", "红光", ("酒业", "发展"), "有限公司"),
        ("红光（北京）酒业发展有限公司", "北京", "红光", ("酒业", "发展"), "有限公司"),
        ("北京红光酒厂", "北京", "红光", ("酒",), "厂"),
        ("广州市天河区青禾小吃店", "广州市天河区", "青禾", ("小吃",), "店"),
        ("朝阳科技有限公司", "", "朝阳", ("科技",), "有限公司"),
        ("成都锦江宾馆有限责任公司", "成都", "锦江", ("宾馆",), "有限责任公司"),
        ("紅光酒業有限公司", "", "紅光", ("酒业",), "有限公司"),
        ("新疆天山毛纺织股份有限公司", "新疆", "天山", ("毛纺织",), "股份有限公司"),
    ],
)
def test_split(name: str, region: str, trade: str, industry: tuple[str, ...], form: str) -> None:
    s = split(name, DATA_DIR, KNOWLEDGE)
    assert (s.region, s.trade, s.industry, s.form) == (region, trade, industry, form)


@pytest.mark.parametrize(
    ("status", "conflicts"),
    [
        ("存续", True),
        ("吊销", True),
        ("", True),
        ("保留期内", True),
        ("保留期至2026-12-31", True),
        ("保留期至2026-11-01", False),
        ("注销未满1年", True),
        ("变更未满一年", True),
        ("注销", False),
        ("注销已满1年", False),
        ("注销 2025-11-24", True),
        ("注销于2025年11月23日", False),
        ("撤销 2026-02-01", True),
    ],
)
def test_status(status: str, conflicts: bool) -> None:
    lex = name_conflict._lexicon(DATA_DIR, KNOWLEDGE)
    assert status_conflicts(status, TODAY, lex) is conflicts


def test_registry_same_authority_only() -> None:
    registry = (
        ("广州青禾软件有限公司", "440105", "存续"),  # another district's authority: no conflict
        ("广州清禾软件有限公司", "440106", "注销"),  # cancelled long ago
    )
    assert run(app(), engine(registry)).findings == []
    registry += (("青禾（广州）软件有限公司", "440106", "存续"),)
    d = run(app(), engine(registry))
    assert rules(d) == ["name_conflict.identical"] and "青禾(广州)软件有限公司" in d.findings[0].message


def test_registry_without_district_code_reviews_instead_of_blocking() -> None:
    registry = (("广州青禾软件有限公司", "440105", "存续"),)
    d = run(app(domicile_district_code=None), engine(registry))
    assert [(f.rule, f.severity) for f in d.findings] == [("name_conflict.identical", "review")]
    assert "登记机关未能确定" in d.findings[0].message


def test_seed_registry_is_synthetic_and_loads() -> None:
    path = KNOWLEDGE / "approval" / "name_registry_seed.csv"
    assert "SYNTHETIC" in path.read_text(encoding="utf-8").splitlines()[0]
    registry = load_seed_registry(path)
    assert len(registry) >= 20 and all(len(r) == 3 for r in registry)
    eng = engine(registry)
    assert run(Application(**BASE), eng).findings == []
    d = run(app("广州红光软件有限公司"), eng)
    assert "name_conflict.identical" in rules(d)
    d = run(app("广州云帆物流有限公司"), eng)  # 雲帆物流 is the traditional form
    assert "name_conflict.traditional_variant" in rules(d)
    d = run(app("广州金穗商贸有限公司"), eng)  # cancelled 2026-06-30, less than a year ago
    assert "name_conflict.identical" in rules(d)
    d = run(app("广州金穗科技有限公司"), eng)  # cancelled 2024-03-01
    assert rules(d) == []


def test_name_parts_trade_is_also_checked() -> None:
    """The applicant's declared 字号 (青禾) is compared too, not only the one split from the name (青禾云)."""
    data = copy.deepcopy(BASE)
    data["proposed_name"] = "广州青禾云软件有限公司"
    data["name_parts"] = {"region": "广州", "trade": "青禾", "industry": "云软件", "form": "有限公司"}
    data["existing_names_same_authority"] = [{"name": "广州青禾软件有限公司", "status": "存续"}]
    assert rules(run(Application(**data))) == ["name_conflict.identical"]


def test_change_registration_skips_own_name() -> None:
    a = app("广州青禾软件有限公司", [("广州青禾软件有限公司", "存续")], application_type="变更登记")
    assert run(a).findings == []


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "有限公司",
        "公司",
        "（）",
        "青",
        "x" * 100,
        "广州\u200b青禾\x00软件有限公司",
        "🙂🙂科技有限公司",
        "((((((",
    ],
)
def test_odd_names_do_not_crash(name: str) -> None:
    data = copy.deepcopy(BASE)
    data["proposed_name"] = name
    data["existing_names_same_authority"] = [{"name": name or "空", "status": "存续"}, {"name": "（", "status": ""}]
    run(Application(**data), engine((("", "", ""), ("（）", "440106", "存续"))))


def test_partial_application() -> None:
    assert run(Application()).findings == []
    assert run(Application(proposed_name="广州青禾软件有限公司")).findings == []


def test_large_registry_is_indexed_correctly() -> None:
    """10,000 synthetic registry names: planted conflicts are found, nothing else is reported."""
    rnd = random.Random(7)
    chars = "华盛鑫源达兴恒信宏泰金德祥瑞嘉丰富安康顺通汇创中天龙昌隆海博荣晟远成美星月辉腾飞跃锦绣"
    industries = ["贸易", "餐饮", "咨询", "建筑工程", "文化传媒", "食品", "服装", "物流", "装饰工程", "医药"]
    registry = [
        (
            f"广州{''.join(rnd.sample(chars, 3))}{rnd.choice(industries)}有限公司",
            rnd.choice(["440106", "440105"]),
            "存续",
        )
        for _ in range(10_000)
    ]
    planted = [
        ("青禾（广州）软件有限公司", "440106", "存续"),  # identical
        ("广州清禾软件有限公司", "440106", "存续"),  # homophone
        ("广州青禾软件开发有限公司", "440106", "变更未满1年"),  # added words
        ("广州青禾软件有限公司", "440105", "存续"),  # other authority
        ("广州青禾餐饮有限公司", "440106", "存续"),  # other industry
        ("广州大青禾软件有限公司", "440106", "注销"),  # cancelled long ago
    ]
    registry[1234:1234] = planted
    eng = engine(tuple(registry))
    d = run(app(), eng)
    got = sorted((f.rule, f.message.split("“")[1].split("”")[0]) for f in d.findings)
    assert got == [
        ("name_conflict.added_words", "广州青禾软件开发有限公司"),
        ("name_conflict.homophone", "广州清禾软件有限公司"),
        ("name_conflict.identical", "青禾(广州)软件有限公司"),
    ]
    # Every registry name conflicts with itself (same authority); index look-ups must find it.
    for name, code, _ in registry[:300:7]:
        a = app(name, domicile_district_code=code)
        assert "name_conflict.identical" in rules(run(a, eng)), name


def test_well_known_hint_rarely_fires_on_ordinary_names() -> None:
    """Measured false positives: ordinary auspicious two-character 字号 × common industries."""
    lex = name_conflict._lexicon(DATA_DIR, KNOWLEDGE)
    famous = name_conflict._famous(DATA_DIR, KNOWLEDGE)
    chars = "华盛鑫源达兴恒信宏泰金德祥瑞嘉丰富安康和顺通汇创新中天龙昌隆海博发荣晟远成禾美"
    industries = ["软件", "贸易", "餐饮", "咨询", "建筑工程", "文化传媒", "电子商务", "服装", "装饰工程"]
    total = hits = 0
    for a, b in itertools.permutations(chars, 2):
        for ind in industries:
            key = name_conflict._key(f"广州{a}{b}{ind}有限公司", "", "", lex)
            total += 1
            hits += bool(key and name_conflict._famous_hit(key, famous))
    assert total > 10_000
    assert hits / total < 0.005


def test_catalogue_templates_are_filled() -> None:
    d = run(app("广州青禾软件有限公司", [("广州青禾软件有限公司", "存续")]))
    f = d.findings[0]
    for text in (f.message, f.message_en, f.remedy, f.remedy_en, f.legal_basis):
        assert text and "{" not in text


def test_data_files_exist() -> None:
    assert (KNOWLEDGE / "approval" / "name_conflict_terms.yaml").is_file()
    assert Path(DATA_DIR / "admin_divisions" / "modood_areas.csv").is_file()


def test_dev_set() -> None:
    lines = (PROJECT_ROOT / "eval" / "datasets" / "approval" / "dev_name_conflict.jsonl").read_text(encoding="utf-8")
    cases = [json.loads(line) for line in lines.splitlines() if line.strip()]
    assert len(cases) >= 12
    assert {c["application"].get("entity_type") for c in cases} >= {
        "有限责任公司",
        "股份有限公司",
        "个体工商户",
        "个人独资企业",
    }
    assert sum(not c["expect_rules"] for c in cases) >= 3
    for c in cases:
        d = ENGINE.check(Application(**c["application"]))
        assert sorted({f.rule for f in d.findings}) == sorted(c["expect_rules"]), c["id"]
