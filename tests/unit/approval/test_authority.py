"""authority.*: address, county-level division code and the registration authority (登记管辖)."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.approval.engine import ApprovalEngine
from assistant.approval.model import Application
from assistant.approval.rules.authority import check
from tests.unit.approval.support import app_with, assert_module_share, base_llc, dev_cases, module_engine, severities

pytestmark = pytest.mark.unit

BASE = base_llc()


@pytest.fixture(scope="module")
def engine() -> ApprovalEngine:
    return module_engine("authority", check)


rules = severities


GETI = {"entity_type": "个体工商户", "domicile": None, "business_premises": "广东省广州市天河区石牌东路12号"}

CASES: list[tuple[str, dict[str, Any], str, str | None]] = [
    ("no domicile", {"domicile": None}, "authority.address_missing", "block"),
    ("个体工商户 without premises", {**GETI, "business_premises": None}, "authority.address_missing", "block"),
    ("个体工商户 with premises", GETI, "authority.address_missing", None),
    (
        "no code, bare ambiguous district",
        {"domicile_district_code": None, "domicile": "朝阳区建国路88号"},
        "authority.district_code_missing",
        "block",
    ),
    (
        "no code, nor any address",
        {"domicile_district_code": None, "domicile": None},
        "authority.district_code_missing",
        "block",
    ),
    ("no code, derivable", {"domicile_district_code": None}, "authority.district_code_missing", None),
    ("prefecture code", {"domicile_district_code": "440100"}, "authority.district_code_invalid", "block"),
    ("unknown code", {"domicile_district_code": "449999"}, "authority.district_code_invalid", "block"),
    ("valid code", {}, "authority.district_code_invalid", None),
    ("derived code", {"domicile_district_code": None}, "authority.district_code_derived", "hint"),
    ("given code", {}, "authority.district_code_derived", None),
    (
        "address in another district",
        {"domicile_district_code": "440104"},
        "authority.address_district_mismatch",
        "review",
    ),
    (
        "address in another province",
        {"domicile": "上海市浦东新区张江镇科苑路88号"},
        "authority.address_district_mismatch",
        "review",
    ),
    (
        "ambiguous district outside the code's city",
        {"domicile": "朝阳区建国路88号"},
        "authority.address_district_mismatch",
        "review",
    ),
    (
        "ambiguous district resolved by the code",
        {"domicile": "朝阳区建国路88号", "domicile_district_code": "110105"},
        "authority.address_district_mismatch",
        None,
    ),
    (
        "address without province",
        {"domicile": "广州市天河区体育西路103号"},
        "authority.address_district_mismatch",
        None,
    ),
    ("street only", {"domicile": "体育西路103号维多利广场A座2001房"}, "authority.address_incomplete", "hint"),
    ("full address", {}, "authority.address_incomplete", None),
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
    declared = {r for r in engine.catalogue.rules if r.startswith("authority.")}
    assert declared == {r for _, _, r, s in CASES if s} == {r for _, _, r, s in CASES if s is None}


def test_base_application_is_clean(engine: ApprovalEngine) -> None:
    decision = engine.check(Application(**BASE))
    assert decision.findings == []
    assert decision.registration_authority is not None
    assert decision.registration_authority.model_dump() == {
        "code": "440106",
        "name": "广州市天河区市场监督管理局",
        "level": "county",
        "basis": decision.registration_authority.basis,
    }
    assert "第十条" in decision.registration_authority.basis


@pytest.mark.parametrize(
    ("changes", "code", "name", "level"),
    [
        (
            {"domicile": "北京市朝阳区建国路88号", "domicile_district_code": "110105"},
            "110105",
            "北京市朝阳区市场监督管理局",
            "county",
        ),
        (
            {"domicile": "江苏省昆山市玉山镇前进西路18号", "domicile_district_code": "320583"},
            "320583",
            "昆山市市场监督管理局",
            "county",
        ),
        (
            {"domicile": "重庆市云阳县青龙街道滨江大道3号", "domicile_district_code": "500235"},
            "500235",
            "云阳县市场监督管理局",
            "county",
        ),
        (
            {"domicile": "广东省东莞市南城街道鸿福路1号", "domicile_district_code": "441900"},
            "441900",
            "东莞市市场监督管理局",
            "prefecture",
        ),
        ({"entity_type": "股份有限公司"}, "440100", "广州市市场监督管理局", "prefecture"),
        (
            {
                "entity_type": "股份有限公司",
                "domicile": "上海市浦东新区张江镇科苑路88号",
                "domicile_district_code": "310115",
            },
            "310000",
            "上海市市场监督管理局",
            "province",
        ),
        (
            {
                "shareholders": [
                    {"name": "广东省人民政府国有资产监督管理委员会", "type": "法人", "contribution_wan": 60},
                    {"name": "陈明", "type": "自然人", "contribution_wan": 40},
                ]
            },
            "440000",
            "广东省市场监督管理局",
            "province",
        ),
        (
            {
                "shareholders": [
                    {"name": "广州市人民政府国有资产监督管理委员会", "type": "法人", "contribution_wan": 100}
                ]
            },
            "440106",
            "广州市天河区市场监督管理局",
            "county",
        ),
        (
            {
                "shareholders": [
                    {"name": "广东省人民政府国有资产监督管理委员会", "type": "法人", "contribution_wan": 10},
                    {"name": "陈明", "type": "自然人", "contribution_wan": 90},
                ]
            },
            "440106",
            "广州市天河区市场监督管理局",
            "county",
        ),
        ({"domicile_district_code": None}, "440106", "广州市天河区市场监督管理局", "county"),
    ],
)
def test_registration_authority(
    engine: ApprovalEngine, changes: dict[str, Any], code: str, name: str, level: str
) -> None:
    auth = engine.check(app_with(**changes)).registration_authority
    assert auth is not None
    assert (auth.code, auth.name, auth.level) == (code, name, level)


def test_no_authority_without_a_valid_code(engine: ApprovalEngine) -> None:
    assert engine.check(app_with(domicile_district_code="449999")).registration_authority is None
    assert engine.check(app_with(domicile_district_code=None, domicile=None)).registration_authority is None


def test_mismatch_names_both_places(engine: ApprovalEngine) -> None:
    f = next(f for f in engine.check(app_with(domicile_district_code="440104")).findings)
    assert "天河区" in f.message and "越秀区" in f.message and f.field == "domicile"


def test_invalid_code_suggests_the_address_code(engine: ApprovalEngine) -> None:
    f = next(f for f in engine.check(app_with(domicile_district_code="440100")).findings)
    assert "440106" in f.remedy


def test_geti_checks_premises_not_domicile(engine: ApprovalEngine) -> None:
    found = engine.check(app_with(**{**GETI, "domicile": "上海市浦东新区张江镇1号"})).findings
    assert found == []


@pytest.mark.parametrize(
    "changes",
    [
        {"domicile": ""},
        {"domicile": "\u200b" * 150},
        {"domicile": "𠀀🙂" * 60, "domicile_district_code": None},
        {"entity_type": None},
        {"shareholders": [], "promoters": []},
    ],
)
def test_odd_input_does_not_crash(engine: ApprovalEngine, changes: dict[str, Any]) -> None:
    engine.check(app_with(**changes))


def test_dev_set(engine: ApprovalEngine) -> None:
    assert_module_share(engine, dev_cases("authority"), "authority.")
