"""Read document → proposals for Application fields (a pure function; the draft decides what to accept).

Paths are Application keys (shared/contracts §1). ``person.*`` is the natural person the card belongs to and
``party.*`` the legal-person party of a licence: the draft assigns them (operator, legal_rep, a shareholder).
``person.address`` is informational (the form has no personal address). A field in ``needs_check`` state
stays ``needs_check`` in its proposal: the confirmation sheet must show it.
"""

from __future__ import annotations

from pathlib import Path

from assistant.documents.model import DocField, Proposal, ReadDocument

# doc type → [(document field, Application path)]
_MAP: dict[str, list[tuple[str, str]]] = {
    "id_front": [("name", "person.name"), ("id_number", "person.id_number"), ("address", "person.address")],
    "business_licence": [("name", "party.name"), ("credit_code", "party.id_number")],
    "lease_contract": [("address", "domicile"), ("address", "business_premises")],
    "property_certificate": [("address", "domicile"), ("address", "business_premises")],
    "application_form": [("name", "proposed_name"), ("domicile", "domicile"), ("phone", "phone")],
}
# constants that come with a document field: (doc type, when this field is present) → [(path, value)]
_WITH: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("id_front", "id_number"): [("person.id_type", "居民身份证")],
    ("business_licence", "credit_code"): [("party.id_type", "统一社会信用代码"), ("party.type", "法人")],
}


def _proposal(path: str, value: str | float, src: str, f: DocField) -> Proposal:
    return Proposal(field=path, value=value, confidence=f.confidence, state=f.state, source=src, box=f.box)


def proposals_for(doc: ReadDocument, data_dir: Path | None = None) -> list[Proposal]:
    out: list[Proposal] = []
    for key, path in _MAP.get(doc.doc_type, []):
        f = doc.fields.get(key)
        if f is None or not f.value:
            continue
        src = f"{doc.doc_type}.{key}"
        out.append(_proposal(path, f.value, src, f))
        for extra_path, const in _WITH.get((doc.doc_type, key), []):
            out.append(_proposal(extra_path, const, src, f))
        if path == "domicile":
            code = _district_code(f.value, data_dir)
            if code:
                out.append(_proposal("domicile_district_code", code, src, f))
    return out


def _district_code(address: str, data_dir: Path | None) -> str | None:
    from assistant.approval.address import parse_address

    code = parse_address(address, data_dir).get("district_code")
    return str(code) if code else None


def facts_of(doc: ReadDocument) -> dict[str, object]:
    """The document as the approval engine's consistency rules take it (Application.documents[])."""
    return {
        "doc_type": doc.doc_type,
        "fields": {k: f.value for k, f in doc.fields.items()},
        "needs_check": sorted(k for k, f in doc.fields.items() if f.state == "needs_check"),
    }
