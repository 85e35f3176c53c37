"""Enterprise-name rules (assistant/approval/rules/name.py): every rule fires and stays quiet where it should."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.approval.context import ReferenceData
from assistant.approval.engine import ApprovalEngine
from assistant.approval.model import Application
from assistant.approval.rules.name import check
from assistant.settings import PROJECT_ROOT
from tests.conftest import DATA_DIR
from tests.unit.approval.support import base_llc

pytestmark = pytest.mark.unit

BASE = base_llc()
RULES = yaml.safe_load((PROJECT_ROOT / "knowledge" / "approval" / "rules" / "name.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def engine() -> ApprovalEngine:
    data = ReferenceData(data_dir=Path(DATA_DIR), knowledge_dir=PROJECT_ROOT / "knowledge")
    return ApprovalEngine(data, modules=[("name", check)])


def app_with(name: str | None, entity_type: str = "有限责任公司", keep_parts: bool = False, **extra: Any) -> dict:
    d = copy.deepcopy(BASE)
    d["proposed_name"] = name
    d["entity_type"] = entity_type
    if not keep_parts:
        d.pop("name_parts", None)
    d.update(extra)
    return d


def findings(engine: ApprovalEngine, app: dict) -> list[tuple[str, str]]:
    return [(f.rule, f.severity) for f in engine.check(Application(**app)).findings]


GZ = {"domicile_district_code": "440106"}

# (case id, application, rule, severity)
FIRING = [
    ("missing-llc", app_with(None), "name.missing", "block"),
    ("missing-sole", app_with("", "个人独资企业"), "name.missing", "block"),
    ("charset-letters", app_with("广州ABC软件有限公司"), "name.charset", "block"),
    ("charset-digits", app_with("广州青禾123软件有限公司"), "name.charset", "block"),
    (
        "parts-mismatch",
        app_with(
            "广州青禾软件有限公司",
            keep_parts=True,
            name_parts={"region": "广州", "trade": "青苗", "industry": "软件", "form": "有限公司"},
        ),
        "name.parts_mismatch",
        "review",
    ),
    ("no-trade", app_with("广州有限公司"), "name.no_trade", "block"),
    ("no-region", app_with("青禾软件有限公司"), "name.no_region", "review"),
    ("no-region-ib-hint", app_with("青禾小吃店", "个体工商户"), "name.no_region", "hint"),
    ("no-industry", app_with("广州青禾有限公司"), "name.no_industry", "hint"),
    ("region-position", app_with("青禾广州市软件有限公司"), "name.region_position", "review"),
    ("district-alone", app_with("天河区青禾软件有限公司"), "name.district_without_city", "block"),
    ("region-not-local", app_with("北京青禾软件有限公司", **GZ), "name.region_not_local", "block"),
    ("trade-one-char", app_with("广州禾有限公司"), "name.trade_too_short", "block"),
    ("trade-is-city-full", app_with("广州深圳市软件有限公司"), "name.trade_is_region", "block"),
    ("trade-is-city-short", app_with("广州深圳软件有限公司"), "name.trade_is_region", "review"),
    ("trade-is-local-district", app_with("广州天河软件有限公司", **GZ), "name.trade_is_region", "hint"),
    ("trade-is-industry", app_with("广州软件科技有限公司"), "name.trade_is_industry", "review"),
    ("foreign-country", app_with("广州美国青禾贸易有限公司"), "name.foreign_name", "review"),
    ("prefix-zhongguo", app_with("中国青禾软件有限公司"), "name.restricted_prefix", "block"),
    ("prefix-guoji", app_with("国际青禾软件有限公司"), "name.restricted_prefix", "review"),
    ("middle-zhonghua", app_with("广州青禾中华文化传播有限公司"), "name.restricted_middle", "review"),
    ("llc-with-jsc-form", app_with("广州青禾软件股份有限公司"), "name.form_mismatch", "block"),
    ("jsc-with-llc-form", app_with("广州青禾软件有限公司", "股份有限公司"), "name.form_mismatch", "block"),
    ("llc-bare-gongsi", app_with("广州青禾软件公司"), "name.form_mismatch", "block"),
    ("sole-with-youxian", app_with("广州青禾软件有限公司", "个人独资企业"), "name.form_mismatch", "block"),
    ("ib-with-gongsi", app_with("广州青禾商贸公司", "个体工商户"), "name.form_mismatch", "block"),
    ("ib-with-qiye", app_with("广州市天河区青禾贸易企业", "个体工商户"), "name.form_mismatch", "block"),
    ("llc-no-form", app_with("广州青禾软件"), "name.no_form", "block"),
    ("sole-no-form", app_with("广州青禾软件", "个人独资企业"), "name.no_form", "review"),
    ("prohibited-cult", app_with("广州青禾法轮科技有限公司"), "name.prohibited_word", "block"),
    ("prohibited-army", app_with("广州解放军青禾贸易有限公司"), "name.prohibited_word", "block"),
    ("prohibited-gambling", app_with("广州青禾博彩娱乐有限公司"), "name.prohibited_word", "block"),
    ("prohibited-religion", app_with("广州阿弥陀佛文化传播有限公司"), "name.prohibited_word", "block"),
    ("misleading-best", app_with("广州最佳青禾贸易有限公司"), "name.misleading_word", "review"),
    ("misleading-national", app_with("广州青禾国家级科技有限公司"), "name.misleading_word", "review"),
    ("ideological", app_with("广州青禾战略研究有限公司"), "name.ideological_word", "review"),
]

# (case id, application, rule that must NOT fire)
QUIET = [
    ("missing-ib-may-have-no-name", app_with(None, "个体工商户"), "name.missing"),
    ("charset-brackets-ok", app_with("青禾（广州）软件有限公司"), "name.charset"),
    ("parts-agree", app_with("广州青禾软件有限公司", keep_parts=True), "name.parts_mismatch"),
    (
        "parts-agree-bracket",
        app_with("青禾（广州）软件有限公司", keep_parts=True),
        "name.parts_mismatch",
    ),
    ("trade-present", app_with("广州青禾软件有限公司"), "name.no_trade"),
    ("bracket-region", app_with("青禾（广州）软件有限公司"), "name.no_region"),
    ("industry-present", app_with("广州青禾餐饮管理有限公司"), "name.no_industry"),
    ("region-first", app_with("广州市青禾软件有限公司"), "name.region_position"),
    ("district-with-city", app_with("广州市天河区青禾软件有限公司"), "name.district_without_city"),
    ("region-local-district", app_with("广州市天河区青禾软件有限公司", **GZ), "name.region_not_local"),
    ("region-local-province", app_with("广东青禾软件有限公司", **GZ), "name.region_not_local"),
    ("trade-two-chars", app_with("广州青禾软件有限公司"), "name.trade_too_short"),
    ("trade-ordinary", app_with("广州青禾软件有限公司"), "name.trade_is_region"),
    ("county-name-elsewhere", app_with("广州和平大药房有限公司", **GZ), "name.trade_is_region"),
    ("trade-not-industry", app_with("广州青禾软件科技有限公司"), "name.trade_is_industry"),
    ("foreign-in-industry-ok", app_with("广州完美国际贸易有限公司"), "name.foreign_name"),
    ("foreign-substring-ok", app_with("广州精英国际贸易有限公司"), "name.foreign_name"),
    ("prefix-none", app_with("广州青禾软件有限公司"), "name.restricted_prefix"),
    ("guoji-in-industry-ok", app_with("广州青禾国际物流有限公司"), "name.restricted_middle"),
    ("llc-ok", app_with("广州青禾软件有限责任公司"), "name.form_mismatch"),
    ("jsc-ok", app_with("广州青禾软件股份公司", "股份有限公司"), "name.form_mismatch"),
    ("sole-ok", app_with("广州市番禺区青禾贸易商行", "个人独资企业"), "name.form_mismatch"),
    ("ib-ok", app_with("广州市天河区青禾小吃店", "个体工商户"), "name.form_mismatch"),
    ("group-ok", app_with("广州青禾软件集团有限公司"), "name.no_form"),
    ("ib-form-ok", app_with("广州市天河区青禾小吃店", "个体工商户"), "name.no_form"),
    ("safe-tieguanyin", app_with("广州市天河区铁观音茶叶店", "个体工商户"), "name.prohibited_word"),
    ("safe-recycling", app_with("广州青禾危险废物处理有限公司"), "name.prohibited_word"),
    ("not-misleading", app_with("广州青禾软件有限公司"), "name.misleading_word"),
    ("not-ideological", app_with("广州青禾管理咨询有限公司"), "name.ideological_word"),
]


def test_every_rule_has_a_firing_and_a_quiet_case() -> None:
    assert {r for _, _, r, _ in FIRING} == set(RULES)
    assert {r for _, _, r in QUIET} == set(RULES)


@pytest.mark.parametrize(("case", "app", "rule", "severity"), FIRING, ids=[c[0] for c in FIRING])
def test_rule_fires(engine: ApprovalEngine, case: str, app: dict, rule: str, severity: str) -> None:
    got = findings(engine, app)
    assert (rule, severity) in got, got


@pytest.mark.parametrize(("case", "app", "rule"), QUIET, ids=[c[0] for c in QUIET])
def test_rule_quiet(engine: ApprovalEngine, case: str, app: dict, rule: str) -> None:
    got = findings(engine, app)
    assert rule not in {r for r, _ in got}, got


def test_base_application_has_no_name_finding(engine: ApprovalEngine) -> None:
    assert findings(engine, copy.deepcopy(BASE)) == []


def test_message_names_the_matched_word(engine: ApprovalEngine) -> None:
    dec = engine.check(Application(**app_with("广州青禾法轮科技有限公司")))
    f = next(f for f in dec.findings if f.rule == "name.prohibited_word")
    assert "法轮" in f.message and "第十一条" in f.legal_basis and f.remedy


def test_parts_output(engine: ApprovalEngine) -> None:
    from assistant.approval.context import RuleContext

    ctx = RuleContext(
        app=Application(**app_with("广州市天河区青禾餐饮管理有限公司")),
        data=engine.data,
        catalogue=engine.catalogue,
        today=__import__("datetime").date(2026, 1, 1),
    )
    check(ctx)
    assert ctx.outputs["name_parts"] == {
        "region": "广州市天河区",
        "trade": "青禾",
        "industry": "餐饮管理",
        "form": "有限公司",
    }


# Ordinary names (SSE-listed companies and typical small-business names): no word screen may fire on them.
ORDINARY = [
    ("上海浦东发展银行股份有限公司", "股份有限公司"),
    ("广州白云国际机场股份有限公司", "股份有限公司"),
    ("东风汽车股份有限公司", "股份有限公司"),
    ("华能国际电力股份有限公司", "股份有限公司"),
    ("中信证券股份有限公司", "股份有限公司"),
    ("北京同仁堂股份有限公司", "股份有限公司"),
    ("贵州茅台酒股份有限公司", "股份有限公司"),
    ("上海国际港务（集团）股份有限公司", "股份有限公司"),
    ("西藏旅游股份有限公司", "股份有限公司"),
    ("重庆长安汽车股份有限公司", "股份有限公司"),
    ("浙江医药股份有限公司", "股份有限公司"),
    ("上海电影股份有限公司", "股份有限公司"),
    ("深圳市腾跃网络科技有限公司", "有限责任公司"),
    ("杭州绿源环保科技有限公司", "有限责任公司"),
    ("北京华夏天成文化传媒有限公司", "有限责任公司"),
    ("上海锦程国际物流有限公司", "有限责任公司"),
    ("成都川味坊餐饮管理有限公司", "有限责任公司"),
    ("武汉长江建筑工程有限公司", "有限责任公司"),
    ("东莞市宏达五金制品有限公司", "有限责任公司"),
    ("佛山市顺德区美家家具有限公司", "有限责任公司"),
    ("重庆山城火锅餐饮有限公司", "有限责任公司"),
    ("青岛海洋生物科技有限公司", "有限责任公司"),
    ("天津滨海供应链管理有限公司", "有限责任公司"),
    ("昆明云岭茶业有限公司", "有限责任公司"),
    ("哈尔滨冰城保洁服务有限公司", "有限责任公司"),
    ("广州市白云区金鹰保安服务有限公司", "有限责任公司"),
    ("广州青禾武术文化传播有限公司", "有限责任公司"),
    ("广州青禾再生资源回收有限公司", "有限责任公司"),
    ("广州和平大药房有限公司", "有限责任公司"),
    ("广州民生电器有限公司", "有限责任公司"),
    ("广州新时代教育科技有限公司", "有限责任公司"),
    ("广州金盾安防科技有限公司", "有限责任公司"),
    ("广州神州数码科技有限公司", "有限责任公司"),
    ("深圳帝王蟹海鲜餐饮有限公司", "有限责任公司"),
    ("深圳市南山区阿芳美甲店", "个体工商户"),
    ("杭州市西湖区老张面馆", "个体工商户"),
    ("北京市朝阳区小林手机维修部", "个体工商户"),
    ("广州市越秀区顺发五金商行", "个体工商户"),
    ("东莞市明辉电子厂", "个人独资企业"),
    ("深圳市福田区嘉诚企业管理咨询中心", "个人独资企业"),
]
SCREENS = {"name.prohibited_word", "name.misleading_word", "name.ideological_word", "name.foreign_name", "name.charset"}


@pytest.mark.parametrize(("name", "entity_type"), ORDINARY, ids=[n for n, _ in ORDINARY])
def test_ordinary_names_no_false_positive(engine: ApprovalEngine, name: str, entity_type: str) -> None:
    d = app_with(name, entity_type, domicile_district_code=None)
    got = findings(engine, d)
    assert not SCREENS & {r for r, _ in got}, got
    assert "name.form_mismatch" not in {r for r, _ in got}, got


@pytest.mark.parametrize(
    "name",
    ["", "   ", "（）", "有限公司", "公司", "𠀀𠀁" * 40, "\u200b\u0301广州", "广州" * 50, "A" * 100, "（（（广州）"],
)
def test_odd_input_never_raises(engine: ApprovalEngine, name: str) -> None:
    for et in ("有限责任公司", "股份有限公司", "个体工商户", "个人独资企业", None):
        findings(engine, app_with(name, et))  # type: ignore[arg-type]


def test_partial_application(engine: ApprovalEngine) -> None:
    assert findings(engine, {"proposed_name": "广州青禾软件有限公司"}) == []
    findings(engine, {"name_parts": {"trade": "青禾"}})
    findings(engine, {"proposed_name": "广州青禾软件有限公司", "name_parts": {}})


DEV = [
    json.loads(line)
    for line in (PROJECT_ROOT / "eval" / "datasets" / "approval" / "dev_name.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip()
]


@pytest.mark.parametrize("row", DEV, ids=[r["id"] for r in DEV])
def test_dev_set(engine: ApprovalEngine, row: dict) -> None:
    got = {r for r, _ in findings(engine, row["application"])}
    assert got == {r for r in row["expect_rules"] if r.startswith("name.")}  # this module's share of the case
