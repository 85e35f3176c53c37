"""identity.*: ID numbers, unified social credit codes, ages, barred persons, incompatible offices."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from assistant.approval.catalogue import RuleCatalogue
from assistant.approval.context import ReferenceData
from assistant.approval.engine import ApprovalEngine
from assistant.approval.model import Application
from assistant.approval.rules.identity import check, ric_problem, uscc_problem
from assistant.settings import PROJECT_ROOT
from tests.conftest import DATA_DIR
from tests.unit.approval.support import base_llc, dev_cases, module_engine, severities

pytestmark = pytest.mark.unit

APPROVAL = PROJECT_ROOT / "eval" / "datasets" / "approval"
BASE_RAW = base_llc()
DEV = APPROVAL / "dev_identity.jsonl"
TODAY = date(2026, 11, 23)
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CH = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_UW = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def ric(region: str, birth: str, seq: str = "123") -> str:
    body = region + birth + seq
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _W, strict=True)) % 11]


def uscc(body17: str) -> str:
    r = 31 - sum(_CH.index(c) * w for c, w in zip(body17, _UW, strict=True)) % 31
    return body17 + _CH[0 if r == 31 else r]


def org_check(body8: str) -> str:
    r = (
        11
        - sum(
            (int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
        )
        % 11
    )
    return "X" if r == 10 else ("0" if r == 11 else str(r))


# base_llc.json as committed may carry ID numbers whose GB 11643 check digit is wrong; the cases below start
# from a copy with valid numbers for the same people (a no-op once the base file is corrected).
CHEN = ric("440106", "19880312", "123")
LI = ric("440104", "19900705", "246")
WANG = ric("440111", "19750120", "317")
_FIX = {"440106198803121238": CHEN, "440104199007052469": LI, "440111197501203178": WANG}
BASE = copy.deepcopy(BASE_RAW)
for _holder in (*BASE["shareholders"], BASE["legal_rep"], BASE["supervisor"]):
    _holder["id_number"] = _FIX.get(_holder["id_number"], _holder["id_number"])

CORP = "91440300708461136T"  # valid code (test vector in shared data)


@pytest.fixture(scope="module")
def engine() -> ApprovalEngine:
    return module_engine("identity", check)


def run(engine: ApprovalEngine, raw: dict[str, Any]) -> dict[str, str]:
    return severities(engine.check(Application(**raw), today=TODAY))


Mutation = Callable[[dict[str, Any]], None]


def set_id(path: str, value: str | None) -> Mutation:
    def apply(a: dict[str, Any]) -> None:
        key, _, idx = path.partition(":")
        target = a[key][int(idx)] if idx else a[key]
        target["id_number"] = value
        if key == "shareholders" and idx == "0":
            a["legal_rep"]["id_number"] = value  # 陈明 is both

    return apply


def chain(*muts: Mutation) -> Mutation:
    def apply(a: dict[str, Any]) -> None:
        for m in muts:
            m(a)

    return apply


def put(key: str, value: Any) -> Mutation:
    def apply(a: dict[str, Any]) -> None:
        a[key] = value

    return apply


def corp_holder(code: str, id_type: str | None = "统一社会信用代码") -> Mutation:
    def apply(a: dict[str, Any]) -> None:
        s = a["shareholders"][1]
        s.update({"name": "广州示例投资有限公司", "type": "法人", "id_type": id_type, "id_number": code})

    return apply


def credit(path: str, flag: bool, reason: str = "") -> Mutation:
    def apply(a: dict[str, Any]) -> None:
        key, _, idx = path.partition(":")
        target = a[key][int(idx)] if idx else a[key]
        target["credit_check"] = {"失信被执行人": flag, "原因": reason}

    return apply


def org_bad_code() -> str:
    body = "91440300" + "70846113"
    wrong = "0" if org_check("70846113") != "0" else "1"
    return uscc(body + wrong)


SUPERVISOR_IS_DIRECTOR = put("supervisor", {"name": "陈明", "id_number": CHEN})

# (case, mutation, rule, expected severity or None for "must not fire")
CASES: list[tuple[str, Mutation, str, str | None]] = [
    ("legal rep without ID", set_id("legal_rep", None), "identity.id_missing", "block"),
    ("legal rep with ID", set_id("legal_rep", CHEN), "identity.id_missing", None),
    (
        "directors need no ID number",
        put("directors", [{"name": "陈明", "position": "董事"}]),
        "identity.id_missing",
        None,
    ),
    (
        "natural person with a USCC type",
        lambda a: a["shareholders"][1].update({"id_type": "统一社会信用代码"}),
        "identity.id_type_mismatch",
        "block",
    ),
    (
        "corporate shareholder with 居民身份证 type",
        corp_holder(CORP, "居民身份证"),
        "identity.id_type_mismatch",
        "block",
    ),
    ("corporate shareholder with USCC", corp_holder(CORP), "identity.id_type_mismatch", None),
    (
        "party type left out, USCC given",
        lambda a: a["shareholders"][1].update({"type": None, "id_type": "统一社会信用代码", "id_number": CORP}),
        "identity.id_type_mismatch",
        None,
    ),
    ("17 characters", set_id("shareholders:1", LI[:-1]), "identity.id_format", "block"),
    ("letter inside", set_id("shareholders:1", LI[:8] + "A" + LI[9:]), "identity.id_format", "block"),
    ("15-digit old number", set_id("shareholders:1", "440104900705246"), "identity.id_format", "block"),
    ("spaces inside are removed", set_id("shareholders:1", " ".join(LI)), "identity.id_format", None),
    (
        "full-width digits",
        set_id("shareholders:1", LI.translate(str.maketrans("0123456789", "０１２３４５６７８９"))),
        "identity.id_format",
        None,
    ),
    (
        "lower-case x accepted",
        set_id("shareholders:1", ric("110105", "19491231", "002").lower()),
        "identity.id_format",
        None,
    ),
    (
        "passport not checked as an ID card",
        lambda a: a["shareholders"][1].update({"id_type": "护照", "id_number": "E12345678"}),
        "identity.id_format",
        None,
    ),
    ("wrong check digit", set_id("shareholders:1", "440104199007052469"), "identity.id_checksum", "block"),
    ("right check digit", set_id("shareholders:1", LI), "identity.id_checksum", None),
    ("month 13", set_id("shareholders:1", ric("440104", "19901305")), "identity.id_birth_date", "block"),
    ("born after today", set_id("shareholders:1", ric("440104", "20270101")), "identity.id_birth_date", "block"),
    ("real birth date", set_id("shareholders:1", ric("440104", "19900228")), "identity.id_birth_date", None),
    (
        "province 99 does not exist",
        set_id("shareholders:1", ric("990104", "19900705")),
        "identity.id_region_invalid",
        "block",
    ),
    ("Guangdong county", set_id("shareholders:1", ric("440104", "19900705")), "identity.id_region_invalid", None),
    (
        "unknown county in a real province",
        set_id("shareholders:1", ric("449999", "19900705")),
        "identity.id_region_unknown",
        "review",
    ),
    (
        "abolished 东山区 (1983-2005) code",
        set_id("shareholders:1", ric("440102", "19800101")),
        "identity.id_region_unknown",
        None,
    ),
    ("current county", set_id("shareholders:1", ric("440106", "19800101")), "identity.id_region_unknown", None),
    ("USCC of 17 characters", corp_holder(CORP[:-1]), "identity.uscc_format", "block"),
    ("USCC with letter O", corp_holder("91440300O08461136T"), "identity.uscc_format", "block"),
    ("USCC with unknown category 97", corp_holder(uscc("97440300708461136")), "identity.uscc_format", "block"),
    ("valid USCC", corp_holder(CORP), "identity.uscc_format", None),
    ("embedded organization code wrong", corp_holder(org_bad_code()), "identity.uscc_org_code", "block"),
    ("embedded organization code right", corp_holder("91110117MABWGRQU85"), "identity.uscc_org_code", None),
    ("USCC check character wrong", corp_holder(CORP[:-1] + "U"), "identity.uscc_checksum", "block"),
    ("USCC check character right", corp_holder("91330502796478519M"), "identity.uscc_checksum", None),
    (
        "USCC region 449999",
        corp_holder(uscc("91449999" + "70846113" + org_check("70846113"))),
        "identity.uscc_region_unknown",
        "review",
    ),
    ("USCC national level 110000", corp_holder("91110000802100433B"), "identity.uscc_region_unknown", None),
    (
        "same ID, two names",
        lambda a: a["supervisor"].update({"id_number": LI}),
        "identity.id_name_conflict",
        "block",
    ),
    ("same person same name twice", set_id("legal_rep", CHEN), "identity.id_name_conflict", None),
    ("legal rep aged 11", set_id("shareholders:0", ric("440106", "20150101")), "identity.officer_minor", "block"),
    ("legal rep aged 38", set_id("shareholders:0", CHEN), "identity.officer_minor", None),
    (
        "manager resolved by name is 15",
        chain(
            put("manager", "赵小"),
            lambda a: a["shareholders"][1].update({"name": "赵小", "id_number": ric("440104", "20110301")}),
        ),
        "identity.officer_minor",
        "block",
    ),
    ("supervisor aged 17", set_id("supervisor", ric("440111", "20090601")), "identity.officer_minor_16_17", "review"),
    (
        "supervisor turned 18 today",
        set_id("supervisor", ric("440111", "20081123")),
        "identity.officer_minor_16_17",
        None,
    ),
    ("shareholder aged 10", set_id("shareholders:1", ric("440104", "20160705")), "identity.minor_party", "review"),
    ("shareholder adult", set_id("shareholders:1", LI), "identity.minor_party", None),
    ("born 1880", set_id("shareholders:1", ric("440524", "18800101", "001")), "identity.age_implausible", "review"),
    ("born 1930", set_id("shareholders:1", ric("440104", "19300101")), "identity.age_implausible", None),
    ("legal rep 失信被执行人", credit("legal_rep", True, "（2025）粤0106执1234号"), "identity.barred_person", "block"),
    ("director flagged via shareholder record", credit("shareholders:0", True), "identity.barred_person", "block"),
    ("supervisor in the example CSV", set_id("supervisor", "110105198506159991"), "identity.barred_person", "block"),
    ("credit check clean", credit("legal_rep", False), "identity.barred_person", None),
    ("flagged person is only a shareholder", credit("shareholders:1", True), "identity.barred_person", None),
    ("supervisor is a director", SUPERVISOR_IS_DIRECTOR, "identity.supervisor_conflict", "block"),
    ("supervisor is the manager (name only)", chain(put("manager", "王强")), "identity.supervisor_conflict", "block"),
    (
        "supervisor distinct",
        put("supervisor", {"name": "王强", "id_number": WANG}),
        "identity.supervisor_conflict",
        None,
    ),
    (
        "same name, different ID numbers are two people",
        lambda a: a["supervisor"].update({"name": "陈明", "id_number": WANG}),
        "identity.supervisor_conflict",
        None,
    ),
]


@pytest.mark.parametrize(("case", "mutate", "rule", "severity"), CASES, ids=[c[0] for c in CASES])
def test_rule_table(engine: ApprovalEngine, case: str, mutate: Mutation, rule: str, severity: str | None) -> None:
    raw = copy.deepcopy(BASE)
    mutate(raw)
    found = run(engine, raw)
    if severity is None:
        assert rule not in found, f"{case}: {rule} fired"
    else:
        assert found.get(rule) == severity, f"{case}: expected {rule}={severity}, got {found}"


def test_every_rule_has_a_failing_and_a_passing_case() -> None:
    catalogue = RuleCatalogue(PROJECT_ROOT / "knowledge" / "approval" / "rules")
    ids = {r for r in catalogue.rules if r.startswith("identity.")}
    failing = {c[2] for c in CASES if c[3] is not None}
    passing = {c[2] for c in CASES if c[3] is None}
    assert ids == failing, ids ^ failing
    assert ids == passing, ids ^ passing
    for c in CASES:
        if c[3] is not None:
            assert catalogue.rules[c[2]].severity == c[3]


def test_base_llc_has_no_identity_finding(engine: ApprovalEngine) -> None:
    decision = engine.check(Application(**BASE_RAW))
    assert [f.rule for f in decision.findings] == []


def test_clean_base_copy_passes(engine: ApprovalEngine) -> None:
    assert run(engine, copy.deepcopy(BASE)) == {}


def test_barred_persons_from_reference_data() -> None:
    data = ReferenceData(
        data_dir=DATA_DIR, knowledge_dir=PROJECT_ROOT / "knowledge", barred_persons=frozenset({WANG.lower()})
    )
    engine = ApprovalEngine(data, modules=[("identity", check)])
    decision = engine.check(Application(**BASE), today=TODAY)
    barred = [f for f in decision.findings if f.rule == "identity.barred_person"]
    assert len(barred) == 1 and "王强" in barred[0].message and barred[0].field == "supervisor.id_number"


def test_messages_mask_id_numbers_and_cite_the_article(engine: ApprovalEngine) -> None:
    raw = copy.deepcopy(BASE)
    raw["shareholders"][1]["id_number"] = "440104199007052469"
    finding = next(
        f for f in engine.check(Application(**raw), today=TODAY).findings if f.rule == "identity.id_checksum"
    )
    assert "440104********2469" in finding.message and "199007" not in finding.message
    assert finding.field == "shareholders[1].id_number"
    raw = copy.deepcopy(BASE)
    raw["entity_type"] = "股份有限公司"
    raw["supervisor"] = {"name": "陈明", "id_number": CHEN}
    finding = next(f for f in engine.check(Application(**raw), today=TODAY).findings if f.rule.endswith("conflict"))
    assert finding.legal_basis == "公司法 第一百三十条第四款"
    assert "{" not in finding.message_en + finding.remedy_en


def test_agrees_with_python_stdnum() -> None:
    for num in (CHEN, LI, WANG, "11010519491231002X", "440104199007052469", ric("360426", "19910101", "007")):
        if stdnum_ric.is_valid(num):
            assert ric_problem(num) is None
        if ric_problem(num) is not None:
            assert not stdnum_ric.is_valid(num)
    assert stdnum_ric.is_valid(CHEN) and ric_problem("440104199007052469") is not None
    for code in ("91110000802100433B", "91440300708461136T", "913400007117030788", CORP[:-1] + "U"):
        assert (uscc_problem(code, DATA_DIR) is None) == stdnum_uscc.is_valid(code)


@pytest.mark.parametrize(
    "junk",
    ["", " ", "\u200b\u200b", "Ⅸ" * 60, "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨", "440104１９９００７０５２４６５", "X" * 64],
)
def test_odd_input_does_not_crash(engine: ApprovalEngine, junk: str) -> None:
    raw = copy.deepcopy(BASE)
    raw["shareholders"][1]["id_number"] = junk
    raw["supervisor"]["name"] = junk or None
    raw["directors"].append({"name": junk * 50, "id_number": junk})
    raw["manager"] = junk
    engine.check(Application(**raw), today=TODAY)


def test_partial_applications_do_not_crash(engine: ApprovalEngine) -> None:
    for raw in (
        {},
        {"entity_type": "个体工商户", "operator": {"name": "张三"}},
        {"entity_type": "个人独资企业", "investor": {"id_number": CHEN}},
        {"shareholders": [{}], "directors": [{}], "legal_rep": {}, "supervisor": {}},
    ):
        engine.check(Application(**raw), today=TODAY)


def test_dev_set(engine: ApprovalEngine) -> None:
    lines = dev_cases("identity")
    for x in lines:
        decision = engine.check(Application(**x["application"]))
        got = {f.rule for f in decision.findings}
        assert got == set(x["expect_rules"]), (x["id"], got)
