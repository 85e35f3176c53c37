"""consistency.*: uploaded documents (Application.documents) against what the applicant typed.

- ID card front (id_front): the number on the card versus the number typed for the person of the same name
  (consistency.id_number_mismatch), the name on the card versus the name typed for the same number
  (consistency.id_name_mismatch); ID card back: validity end before the date (consistency.id_card_expired).
- Lease contract / property certificate: its address versus the domicile / business premises — another county
  (consistency.premises_district_mismatch), the same county but another address
  (consistency.premises_address_mismatch), its county versus domicile_district_code
  (consistency.district_code_mismatch); the lease term must cover the date (application_date, else today):
  ended before it (consistency.lease_expired), begins after it (consistency.lease_not_started).
- A document value that failed its own check digit is a hint to confirm it (consistency.document_unconfirmed).
A value whose reading failed its check is not compared (the hint says so instead).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date

from assistant.approval.address import parse_address
from assistant.approval.context import RuleContext
from assistant.approval.model import DocumentFacts
from assistant.approval.rules.identity import mask, normalise_id

DOC_ZH = {
    "id_front": "居民身份证",
    "id_back": "居民身份证",
    "business_licence": "营业执照",
    "lease_contract": "租赁合同",
    "property_certificate": "不动产权证书",
    "application_form": "申请书",
}
DOC_EN = {
    "id_front": "ID card",
    "id_back": "ID card",
    "business_licence": "business licence",
    "lease_contract": "lease",
    "property_certificate": "property certificate",
    "application_form": "application form",
}
FIELD_ZH = {"id_number": "身份证号码", "credit_code": "统一社会信用代码", "birth_date": "出生日期", "sex": "性别"}
PREMISES_DOCS = ("lease_contract", "property_certificate")
_PUNCT = re.compile(r"[\s,，.。;；:：、()（）\-—_#]+")


def _people(ctx: RuleContext) -> Iterator[tuple[str, str, str, str | None, str | None]]:
    """(role, role_en, field path, name, id_number) of every natural person in the application."""
    app = ctx.app
    groups: list[tuple[str, str, str, list]] = [
        ("股东", "shareholder", "shareholders", list(app.shareholders)),
        ("发起人", "promoter", "promoters", list(app.promoters)),
        ("董事", "director", "directors", list(app.directors)),
    ]
    for role, role_en, path, items in groups:
        for i, p in enumerate(items):
            if getattr(p, "type", None) == "法人":
                continue
            yield role, role_en, f"{path}[{i}]", p.name, p.id_number
    for role, role_en, path in (
        ("投资人", "investor", "investor"),
        ("经营者", "operator", "operator"),
        ("法定代表人", "legal representative", "legal_rep"),
        ("监事", "supervisor", "supervisor"),
    ):
        p = getattr(app, path)
        if p is not None:
            yield role, role_en, path, p.name, p.id_number


def _name(text: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def _check_id_card(ctx: RuleContext, doc: DocumentFacts) -> None:
    card_name = _name(doc.fields.get("name"))
    card_id = normalise_id(doc.fields.get("id_number", ""))
    if not card_id or "id_number" in doc.needs_check:
        return
    for role, role_en, path, name, typed in _people(ctx):
        typed_id = normalise_id(typed or "")
        if not typed_id:
            continue
        same_name = bool(card_name) and _name(name) == card_name
        if same_name and typed_id != card_id:
            ctx.hit(
                "consistency.id_number_mismatch",
                field=f"{path}.id_number",
                name=card_name,
                role=role,
                role_en=role_en,
                card_id=mask(card_id),
                typed_id=mask(typed_id),
            )
        elif typed_id == card_id and card_name and "name" not in doc.needs_check and not same_name:
            ctx.hit(
                "consistency.id_name_mismatch",
                field=f"{path}.name",
                name=_name(name),
                card_name=card_name,
                role=role,
                role_en=role_en,
                card_id=mask(card_id),
            )


def _iso(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def _when(ctx: RuleContext) -> dict[str, str]:
    if ctx.app.application_date:
        return {"when": "申请日期", "when_en": "application date", "date": ctx.app.application_date}
    return {"when": "今天", "when_en": "date of the check", "date": ctx.today.isoformat()}


def _check_premises(ctx: RuleContext, doc: DocumentFacts) -> None:
    app = ctx.app
    names = {"doc": DOC_ZH[doc.doc_type], "doc_en": DOC_EN[doc.doc_type]}
    doc_address = doc.fields.get("address", "")
    if doc_address and "address" not in doc.needs_check:
        parsed_doc = parse_address(doc_address, ctx.data.data_dir)
        doc_code = parsed_doc.get("district_code")
        for place, place_en, path in (
            ("住所", "domicile", "domicile"),
            ("经营场所", "business premises", "business_premises"),
        ):
            typed = getattr(app, path)
            if not typed:
                continue
            parsed = parse_address(typed, ctx.data.data_dir)
            code = parsed.get("district_code")
            params = names | {"doc_address": doc_address, "address": typed, "place": place, "place_en": place_en}
            if doc_code and code and doc_code != code:
                ctx.hit(
                    "consistency.premises_district_mismatch",
                    field=path,
                    doc_district=f"{parsed_doc['city']}{parsed_doc['district']}",
                    district=f"{parsed['city']}{parsed['district']}",
                    **params,
                )
            elif _PUNCT.sub("", str(parsed_doc["detail"])) != _PUNCT.sub("", str(parsed["detail"])):
                ctx.hit("consistency.premises_address_mismatch", field=path, **params)
        if doc_code and app.domicile_district_code and doc_code != app.domicile_district_code:
            ctx.hit(
                "consistency.district_code_mismatch",
                field="domicile_district_code",
                doc_code=doc_code,
                code=app.domicile_district_code,
                **names,
            )
    if doc.doc_type != "lease_contract":
        return
    when = _when(ctx)
    day = date.fromisoformat(when["date"])
    end_text = doc.fields.get("term_end", "")
    end, start = _iso(end_text), _iso(doc.fields.get("term_start"))
    if end and end < day and "term_end" not in doc.needs_check:
        ctx.hit("consistency.lease_expired", field="documents", term_end=end.isoformat(), **when)
    elif start and start > day and "term_start" not in doc.needs_check:
        ctx.hit("consistency.lease_not_started", field="documents", term_start=start.isoformat(), **when)


def _check_expiry(ctx: RuleContext, doc: DocumentFacts) -> None:
    end = _iso(doc.fields.get("valid_end"))
    if end and end < ctx.today and "valid_end" not in doc.needs_check:
        ctx.hit("consistency.id_card_expired", field="documents", valid_end=end.isoformat())


def check(ctx: RuleContext) -> None:
    for doc in ctx.app.documents:
        if doc.doc_type == "id_front":
            _check_id_card(ctx, doc)
        elif doc.doc_type == "id_back":
            _check_expiry(ctx, doc)
        elif doc.doc_type in PREMISES_DOCS:
            _check_premises(ctx, doc)
        for key in doc.needs_check:
            if key in FIELD_ZH:
                ctx.hit(
                    "consistency.document_unconfirmed",
                    field="documents",
                    doc=DOC_ZH.get(doc.doc_type, doc.doc_type),
                    doc_en=DOC_EN.get(doc.doc_type, doc.doc_type),
                    field_zh=FIELD_ZH[key],
                    field_en=key.replace("_", " "),
                    value=mask(doc.fields.get(key, "")),
                )
