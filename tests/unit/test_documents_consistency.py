"""consistency.* approval rules: uploaded documents against the typed application; the doc-type spec agrees
with the code (every type has a label, fields are unique, proposals name real Application fields)."""

from typing import get_args

import pytest

from assistant.approval.engine import ApprovalEngine
from assistant.approval.model import Application
from assistant.documents.model import DocType
from assistant.documents.proposals import _MAP, _WITH
from assistant.documents.spec import load_specs
from assistant.settings import Settings

pytestmark = pytest.mark.unit
CARD_ID = "11010519491231002X"  # valid (GB 11643 test vector)
OTHER_ID = "440524188001010014"  # valid, another person


@pytest.fixture(scope="module")
def engine() -> ApprovalEngine:
    s = Settings()
    return ApprovalEngine.from_paths(s.data_dir, s.knowledge_dir)


def rules(engine: ApprovalEngine, **app: object) -> dict[str, str]:
    decision = engine.check(Application(**app))  # type: ignore[arg-type]
    return {f.rule: f.severity for f in decision.findings if f.rule.startswith("consistency.")}


def operator(name: str, num: str) -> dict:
    return {"name": name, "id_type": "居民身份证", "id_number": num}


def card(name: str, num: str, needs_check: list[str] | None = None) -> dict:
    return {"doc_type": "id_front", "fields": {"name": name, "id_number": num}, "needs_check": needs_check or []}


def test_card_number_differs_from_the_typed_number(engine: ApprovalEngine) -> None:
    got = rules(engine, operator=operator("王芳", OTHER_ID), documents=[card("王芳", CARD_ID)])
    assert got == {"consistency.id_number_mismatch": "review"}


def test_same_number_other_name(engine: ApprovalEngine) -> None:
    got = rules(engine, legal_rep=operator("王方", CARD_ID), documents=[card("王芳", CARD_ID)])
    assert got == {"consistency.id_name_mismatch": "review"}


def test_matching_card_and_form_give_no_finding(engine: ApprovalEngine) -> None:
    app = {"shareholders": [operator("王芳", CARD_ID) | {"type": "自然人"}], "documents": [card("王芳", CARD_ID)]}
    assert rules(engine, **app) == {}


def test_an_unconfirmed_reading_is_not_compared_but_hinted(engine: ApprovalEngine) -> None:
    got = rules(engine, operator=operator("王芳", OTHER_ID), documents=[card("王芳", CARD_ID, ["id_number"])])
    assert got == {"consistency.document_unconfirmed": "hint"}


def test_expired_id_card(engine: ApprovalEngine) -> None:
    back = {"doc_type": "id_back", "fields": {"valid_start": "2005-01-01", "valid_end": "2015-01-01"}}
    assert rules(engine, documents=[back]) == {"consistency.id_card_expired": "review"}


def lease(address: str, start: str = "2025-01-01", end: str = "2027-12-31") -> dict:
    return {"doc_type": "lease_contract", "fields": {"address": address, "term_start": start, "term_end": end}}


def test_lease_in_another_district_blocks(engine: ApprovalEngine) -> None:
    got = rules(
        engine,
        domicile="广东省广州市天河区体育西路103号",
        application_date="2026-01-10",
        documents=[lease("广东省广州市海珠区新港中路88号")],
    )
    assert got == {"consistency.premises_district_mismatch": "block"}


def test_lease_same_district_other_number_is_reviewed(engine: ApprovalEngine) -> None:
    got = rules(
        engine,
        business_premises="广州市天河区体育西路105号",
        application_date="2026-01-10",
        documents=[lease("广东省广州市天河区体育西路103号")],
    )
    assert got == {"consistency.premises_address_mismatch": "review"}


def test_same_address_written_differently_passes(engine: ApprovalEngine) -> None:
    got = rules(
        engine,
        domicile="广州市天河区体育西路103号",
        domicile_district_code="440106",
        application_date="2026-01-10",
        documents=[lease("广东省广州市天河区体育西路 103 号")],
    )
    assert got == {}


def test_district_code_against_the_lease(engine: ApprovalEngine) -> None:
    got = rules(
        engine,
        domicile_district_code="440105",
        application_date="2026-01-10",
        documents=[lease("广州市天河区体育西路1号")],
    )
    assert got == {"consistency.district_code_mismatch": "review"}


@pytest.mark.parametrize(
    ("when", "want"),
    [
        ("2028-01-02", {"consistency.lease_expired": "block"}),
        ("2024-06-01", {"consistency.lease_not_started": "review"}),
        ("2026-06-01", {}),
    ],
)
def test_lease_term_must_cover_the_date(engine: ApprovalEngine, when: str, want: dict) -> None:
    assert rules(engine, application_date=when, documents=[lease("广州市天河区体育西路1号")]) == want


def test_spec_agrees_with_the_code(settings: Settings) -> None:
    specs = load_specs(settings.knowledge_dir)
    assert set(specs.types) | {"other", "no_document"} == set(get_args(DocType))
    for spec in specs.types.values():
        assert spec.zh and spec.en and spec.fields
        assert len({f.key for f in spec.fields}) == len(spec.fields)
    top = set(Application.model_fields)
    for doc_type, pairs in _MAP.items():
        keys = {f.key for f in specs.types[doc_type].fields}
        for doc_field, path in pairs:
            assert doc_field in keys, (doc_type, doc_field)
            assert path.split(".")[0] in top | {"person", "party"}, path
    for (doc_type, doc_field), consts in _WITH.items():
        assert doc_field in {f.key for f in specs.types[doc_type].fields}
        assert all(path.split(".")[0] in {"person", "party"} for path, _ in consts)
