"""scope.*: standard wordings, sections, 前置 / 后置 licences, licences_required, and map_description."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.approval import Application, ApprovalEngine
from assistant.approval.context import ReferenceData
from assistant.approval.rules.scope import (
    CATALOGUE_REL,
    approval_held,
    check,
    load_catalogue,
    map_description,
    normalise,
    split_items,
)
from assistant.settings import PROJECT_ROOT
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.unit
KNOWLEDGE = PROJECT_ROOT / "knowledge"
BASE = json.loads((PROJECT_ROOT / "eval" / "datasets" / "approval" / "base_llc.json").read_text(encoding="utf-8"))
RULES = yaml.safe_load((KNOWLEDGE / "approval" / "rules" / "scope.yaml").read_text(encoding="utf-8"))
CATALOGUE = yaml.safe_load((KNOWLEDGE / CATALOGUE_REL).read_text(encoding="utf-8"))
DEV = PROJECT_ROOT / "eval" / "datasets" / "approval" / "dev_scope.jsonl"


@pytest.fixture(scope="module")
def engine() -> ApprovalEngine:
    return ApprovalEngine(ReferenceData(data_dir=DATA_DIR, knowledge_dir=KNOWLEDGE), modules=[("scope", check)])


def app_with(general: list[str] | None = None, licensed: list[str] | None = None, **changes: Any) -> Application:
    d = copy.deepcopy(BASE)
    if general is not None or licensed is not None:
        d["business_scope"] = {"一般项目": general or [], "许可项目": licensed or []}
    d.update(changes)
    return Application.model_validate(d)


def rules_of(engine: ApprovalEngine, app: Application) -> dict[str, str]:
    return {f.rule: f.severity for f in engine.check(app).findings}


# (rule id, failing application, passing application) — every rule in scope.yaml has one of each.
CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("scope.missing", {"general": [], "licensed": []}, {"general": ["软件开发"]}),
    ("scope.missing", {"general": ["  ", "；"], "licensed": [""]}, {"licensed": ["餐饮服务"]}),
    ("scope.unknown_item", {"general": ["奶茶研究与品鉴"]}, {"general": ["软件开发", "企业管理咨询"]}),
    ("scope.nonstandard_wording", {"general": ["美容美发"]}, {"general": ["理发服务"]}),
    ("scope.duplicate_item", {"general": ["软件开发", "软件开发 "]}, {"general": ["软件开发", "软件销售"]}),
    (
        "scope.licensed_in_general",
        {"general": ["软件开发", "餐饮服务"]},
        {"general": ["软件开发"], "licensed": ["餐饮服务"]},
    ),
    (
        "scope.general_in_licensed",
        {"general": ["软件开发"], "licensed": ["软件销售"]},
        {"general": ["软件开发", "软件销售"]},
    ),
    ("scope.pre_approval_required", {"licensed": ["危险化学品经营"]}, {"licensed": ["第二类增值电信业务"]}),
    (
        "scope.pre_approval_held",
        {"licensed": ["保安服务"], "special_approval_status": "已取得保安服务许可证，批准文号公保服〔2026〕12号"},
        {"licensed": ["保安服务"], "special_approval_status": "保安服务许可证正在办理中"},
    ),
    ("scope.licence_required", {"licensed": ["餐饮服务"]}, {"general": ["食品销售（仅销售预包装食品）"]}),
]


def _build(spec: dict[str, Any]) -> Application:
    spec = dict(spec)
    return app_with(spec.pop("general", None), spec.pop("licensed", None), **spec)


@pytest.mark.parametrize(("rule", "failing", "passing"), CASES, ids=[c[0] for c in CASES])
def test_rule_fires_and_passes(engine: ApprovalEngine, rule: str, failing: dict, passing: dict) -> None:
    got = rules_of(engine, _build(failing))
    assert got.get(rule) == RULES[rule]["severity"], got
    assert rule not in rules_of(engine, _build(passing))


def test_every_rule_is_tested() -> None:
    assert {c[0] for c in CASES} == set(RULES)


def test_base_application_has_no_scope_finding(engine: ApprovalEngine) -> None:
    decision = engine.check(Application.model_validate(BASE))
    assert decision.findings == [] and decision.licences_required == []


def test_licences_required_output(engine: ApprovalEngine) -> None:
    app = app_with(["软件开发", "烟草制品零售"], ["餐饮服务", "食品销售", "餐饮服务"])
    d = engine.check(app)
    got = {x["item"]: x for x in d.licences_required}
    assert set(got) == {"烟草制品零售", "餐饮服务", "食品销售"}
    assert got["餐饮服务"] == {
        "item": "餐饮服务",
        "licence": "食品经营许可证",
        "authority": "市场监督管理部门",
        "timing": "后置",
    }
    assert got["烟草制品零售"]["authority"] == "烟草专卖局"
    rules = rules_of(engine, app)
    assert rules["scope.licensed_in_general"] == "block" and rules["scope.duplicate_item"] == "hint"


def test_licence_hint_cites_the_sector_law(engine: ApprovalEngine) -> None:
    f = next(f for f in engine.check(app_with([], ["药品零售"])).findings if f.rule == "scope.licence_required")
    assert "药品管理法 第五十一条" in f.legal_basis and "市场主体登记管理条例 第十四条" in f.legal_basis
    assert "药品经营许可证" in f.message and "药品监督管理部门" in f.remedy and "{" not in f.message + f.remedy


def test_pre_approval_block_names_licence_and_authority(engine: ApprovalEngine) -> None:
    d = engine.check(app_with(["化工产品销售（不含许可类化工产品）"], ["危险化学品经营"]))
    f = next(f for f in d.findings if f.rule == "scope.pre_approval_required")
    assert d.decision == "block" and "危险化学品经营许可证" in f.message and "应急管理部门" in f.remedy
    assert d.licences_required[0]["timing"] == "前置"


def test_unknown_item_suggests_closest_wordings(engine: ApprovalEngine) -> None:
    f = next(f for f in engine.check(app_with(["奶茶饮品制售"])).findings if f.rule == "scope.unknown_item")
    assert "餐饮服务" in f.remedy


def test_normalised_matching_accepts_variants(engine: ApprovalEngine) -> None:
    app = app_with(
        [
            "食品销售(仅销售预包装食品)",  # half-width brackets
            "软件开发；信息技术咨询服务（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
            "一般项目：软件销售。",
        ],
        [
            "第二类增值电信业务（依法须经批准的项目，经相关部门批准后方可开展经营活动，具体经营项目以相关部门批准文件或许可证件为准）"
        ],
    )
    assert rules_of(engine, app) == {"scope.licence_required": "hint"}


def test_either_section_items_accepted_in_both(engine: ApprovalEngine) -> None:
    assert rules_of(engine, app_with(["货物进出口", "技术进出口"])) == {}
    assert rules_of(engine, app_with(["软件开发"], ["货物进出口"])) == {}


def test_missing_scope_object_and_other_application_types(engine: ApprovalEngine) -> None:
    d = copy.deepcopy(BASE)
    del d["business_scope"]
    assert rules_of(engine, Application.model_validate(d)) == {"scope.missing": "block"}
    assert rules_of(engine, Application.model_validate({**d, "application_type": "变更登记"})) == {}
    assert rules_of(engine, Application.model_validate({**d, "application_type": "注销登记"})) == {}
    assert engine.check(Application()).decision == "block"  # empty application: only scope.missing


@pytest.mark.parametrize(
    "items",
    [
        ["\u200b\u200b", "\ufeff软件开发"],
        ["x" * 100_000],
        ["；" * 5000],
        ["软件开发"] * 1000,
        ["🍵奶茶🍰", "ｓｏｆｔｗａｒｅ", "\x00\x01", "（）", "("],
    ],
)
def test_odd_input_does_not_crash_and_stays_fast(engine: ApprovalEngine, items: list[str]) -> None:
    d = engine.check(app_with(items, items[:3]))
    assert d.decision in ("pass", "review", "block")
    assert all(len(f.message) < 2000 for f in d.findings)


@pytest.mark.parametrize(
    ("status", "held"),
    [
        ("已取得危险化学品经营许可证", True),
        ("持有保安服务许可证，编号123", True),
        ("批准文号：某某〔2026〕1号", True),
        ("尚未取得许可证", False),
        ("许可证正在办理", False),
        ("没有批准文件", False),
        ("", False),
        (None, False),
        ("待审批", False),
    ],
)
def test_approval_held(status: str | None, held: bool) -> None:
    assert approval_held(status) is held


def test_normalise_and_split() -> None:
    assert normalise(" 食品销售（仅销售预包装食品） ") == "食品销售(仅销售预包装食品)"
    assert split_items(["软件开发；软件销售;", "", "信息技术咨询服务\n"]) == [
        "软件开发",
        "软件销售",
        "信息技术咨询服务",
    ]


# ---- the catalogue ---------------------------------------------------------------------------------------------


def test_catalogue_shape_and_codes() -> None:
    import csv

    items = CATALOGUE["items"]
    assert len(items) >= 300 and CATALOGUE["meta"]["official"] is False
    codes = {
        r["code"]
        for r in csv.DictReader((DATA_DIR / "industry_gbt4754" / "gbt4754_2017.csv").open(encoding="utf-8"))
        if r["level"] == "4"
    }
    wordings = [it["wording"] for it in items]
    assert len(wordings) == len(set(wordings))
    for it in items:
        assert it["kind"] in ("一般项目", "许可项目"), it
        assert it["industry_codes"] and set(it["industry_codes"]) <= codes, it
        assert it["source"] in ("observed", "project")
        if it["kind"] == "许可项目":
            assert it["licence"] and it["authority"] and it["basis"] and it["timing"] in ("前置", "后置"), it
        else:
            assert "licence" not in it and "timing" not in it, it


def test_catalogue_includes_the_observed_partial_list() -> None:
    partial = json.loads(
        (DATA_DIR / "business_scope" / "business_scope_items_partial.json").read_text(encoding="utf-8")
    )
    wordings = {it["wording"]: it for it in CATALOGUE["items"]}
    for w in partial["general_items_一般项目"]:
        assert wordings[w]["kind"] == "一般项目" and wordings[w]["source"] == "observed"
    for d in partial["licensed_items_许可项目"]:
        assert wordings[d["item"]]["kind"] == "许可项目"


def test_cited_article_numbers_exist_in_shared_laws() -> None:
    """Every '<law> 第X条' cited for a law present in the shared data must exist there."""
    import re

    laws = {p.stem.split("(")[0]: p.read_text(encoding="utf-8") for p in (DATA_DIR / "laws").glob("*.md")}
    cited = [it.get("basis", "") for it in CATALOGUE["items"]] + [r["legal_basis"] for r in RULES.values()]
    for basis in cited:
        for law, art in re.findall(r"([\u4e00-\u9fff]+?) (第[一二三四五六七八九十百]+条)", basis):
            if law in laws:
                assert f"\n{art} " in "\n" + laws[law], (law, art)


def test_catalogue_loaded_once() -> None:
    path = str(KNOWLEDGE / CATALOGUE_REL)
    assert load_catalogue(path) is load_catalogue(path)


# ---- map_description ----------------------------------------------------------------------------------------------

DESCRIPTIONS = [
    ("我想开个奶茶店，顺便卖点面包", ["餐饮服务", "食品销售"]),
    ("开个理发店，也做烫发染发", ["理发服务"]),
    ("在小区开个小超市，卖点烟酒", ["烟草制品零售", "日用百货销售", "酒类经营"]),
    ("开网店卖衣服", ["互联网销售（除销售需要许可的商品）", "服装服饰零售"]),
    ("开一家社区药店", ["药品零售"]),
    ("买两辆大货车跑物流", ["道路货物运输（不含危险货物）"]),
    ("在古镇开个民宿", ["住宿服务"]),
    ("开个美甲店", ["美甲服务"]),
    ("搞个装修公司做家装", ["住宅室内装饰装修"]),
    ("开一家KTV", ["歌舞娱乐活动"]),
    ("开个网吧", ["互联网上网服务"]),
    ("给初中生补课的辅导班", ["学科类校外培训"]),
    ("开个小书店，卖绘本", ["出版物零售"]),
    ("做劳务派遣", ["劳务派遣服务"]),
    ("开快递驿站", ["快递服务"]),
    ("开宠物店，给猫狗洗澡美容", ["宠物服务（不含动物诊疗）"]),
    ("开个宠物医院", ["动物诊疗"]),
    ("做软件开发和小程序", ["软件开发"]),
    ("开个火锅店", ["餐饮服务"]),
    ("在菜市场卖菜卖水果", ["食用农产品零售", "新鲜蔬菜零售", "新鲜水果零售"]),
    ("开足疗店做按摩", ["足浴服务"]),
    ("开家汽修店，顺便洗车", ["机动车修理和维护", "洗车服务"]),
    ("开个健身房", ["健身休闲活动"]),
    ("开个电影院", ["电影放映"]),
    ("做房产中介，帮人卖二手房", ["房地产经纪"]),
    ("开个卖液化气的店", ["燃气经营"]),
    ("开个花店", ["礼品花卉销售"]),
    ("开个打印店，也刻章", ["打字复印", "公章刻制"]),
    ("开家澡堂子", ["洗浴服务"]),
    ("开个眼镜店，也卖隐形眼镜", ["眼镜销售（不含隐形眼镜）", "第三类医疗器械经营"]),
]


@pytest.mark.parametrize(("text", "expected"), DESCRIPTIONS, ids=[d[0] for d in DESCRIPTIONS])
def test_map_description(text: str, expected: list[str]) -> None:
    got = [w for w, _ in map_description(text, k=5)]
    for e in expected:
        assert e in got, (text, got)
    assert got[0] in expected, (text, got)


def test_map_description_negation_and_edges() -> None:
    got = [w for w, _ in map_description("我们不卖烟，只卖零食和饮料", k=5)]
    assert "烟草制品零售" not in got and got[0] == "食品销售（仅销售预包装食品）"
    assert map_description("") == [] and map_description("   ") == []
    assert map_description("奶茶" * 5000, k=3)[0][0] == "餐饮服务"
    scores = [s for _, s in map_description("开个奶茶店卖面包", k=5)]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    assert map_description("开个奶茶店", k=0) == []


def test_map_description_custom_knowledge_dir(tmp_path: Path) -> None:
    (tmp_path / "business_scope").mkdir()
    (tmp_path / "business_scope" / "catalogue.yaml").write_text(
        "items:\n  - {wording: 测试服务, kind: 一般项目, industry_codes: ['7299'], keywords: [测一测]}\n",
        encoding="utf-8",
    )
    assert map_description("想测一测", knowledge_dir=tmp_path)[0][0] == "测试服务"


# ---- development set --------------------------------------------------------------------------------------------


def _dev() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_dev_set_shape() -> None:
    rows = _dev()
    assert len(rows) >= 12 and len({r["id"] for r in rows}) == len(rows)
    assert {r["application"]["entity_type"] for r in rows} == {
        "有限责任公司",
        "股份有限公司",
        "个体工商户",
        "个人独资企业",
    }
    assert sum(1 for r in rows if not r["expect_rules"]) >= 3


@pytest.mark.parametrize("row", _dev(), ids=lambda r: r["id"])
def test_dev_set(engine: ApprovalEngine, row: dict[str, Any]) -> None:
    got = set(rules_of(engine, Application.model_validate(row["application"])))
    assert got == set(row["expect_rules"]), (row["id"], got)
