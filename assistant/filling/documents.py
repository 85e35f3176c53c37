"""A read document's proposals put into a session's draft (证件 → 申请表), for the widget and the API alike.

The proposals go through the filling policy like a chat turn: what the applicant already said is never
overwritten (a conflict is asked about), people are matched by name or role, addresses get their county code,
and values the OCR read unsure stay ``needs_check`` so the applicant confirms them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from assistant.documents import ReadDocument
from assistant.domain import Status
from assistant.errors import UserError
from assistant.filling import parsers
from assistant.filling.draft import FormDraft
from assistant.filling.extract import Extraction
from assistant.store.db import NewMessage
from assistant.store.drafts import DraftStore

if TYPE_CHECKING:
    from assistant.service import Assistant

DIRECT = ("proposed_name", "domicile", "domicile_district_code", "phone", "business_premises")
SINGLE_ROLE = {"个体工商户": "operator", "个人独资企业": "investor"}
UNSURE_NOTE = ("证件识别可能有误，请核对。", "The reading may be wrong; please check it.")


def _say(zh: str, en: str, lang: str) -> str:
    return f"{zh} / {en}" if lang.startswith("en") else zh


def usable(path: str) -> bool:
    """Whether a proposal's field goes into the applicant's form (a licence's other party does not)."""
    return path in DIRECT or path in ("person.name", "person.id_number")


def fills_form(doc: ReadDocument) -> bool:
    """Whether any of the document's proposals goes into the applicant's form."""
    return any(usable(p.field) for p in doc.proposals)


def _person_for(draft: FormDraft, name: str | None) -> str:
    """The draft person an ID card belongs to: the one with that name, else the unnamed holder of the single
    role, else the applicant (我) while unnamed, else the first unnamed person with a role, else a new person."""
    if name:
        found = draft.find_person(name)
        if found is not None:
            return found.key
    role = SINGLE_ROLE.get(str(draft.get("entity_type") or ""))
    held = draft.get(role) if role else None
    if held and not draft.name_of(held):
        return str(held)
    me = draft.self_person()
    if me is not None and not draft.name_of(me.key):
        return me.key
    unnamed = [p for p in draft.involved() if not draft.name_of(p.key)]  # 我老婆当监事: the card names her
    if unnamed:
        return unnamed[0].key
    if me is None:
        return draft.add_person(alias="我", is_self=True).key
    return draft.add_person().key


def _address(raw: str, data_dir: Path | None) -> tuple[str, str | None]:
    """The address written as the chat parser writes it (province first) and its county code."""
    if data_dir is None:
        return raw, None
    place = parsers.address(raw, data_dir, asked=True)
    if place is None or not place.full:
        return raw, None
    return place.full, place.code


def document_extraction(
    draft: FormDraft, doc: ReadDocument, data_dir: Path | None = None
) -> tuple[Extraction, list[str]]:
    """The document's proposals as draft keys (people created as needed); also the keys read unsure."""
    ex = Extraction()
    unsure: list[str] = []
    props = {p.field: p for p in doc.proposals if usable(p.field)}
    et = draft.get("entity_type")
    person_props = [props[k] for k in ("person.name", "person.id_number") if k in props]
    if person_props:
        key = _person_for(draft, str(props["person.name"].value) if "person.name" in props else None)
        role = SINGLE_ROLE.get(str(et or ""))
        if role and not draft.get(role):
            ex.add(role, key, 0.9)
        for p in person_props:
            ex.add(f"people.{key}.{p.field.split('.', 1)[1]}", p.value, p.confidence)
            if p.state == "needs_check":
                unsure.append(f"people.{key}.{p.field.split('.', 1)[1]}")
    address = props.get("domicile") or props.get("business_premises")
    if address is not None:  # one premises: 个体工商户 keep it as 经营场所, the others as 住所
        key = "business_premises" if et == "个体工商户" else "domicile"
        value, code = _address(str(address.value), data_dir)
        ex.add(key, value, address.confidence)
        if code:
            ex.add("domicile_district_code", code, address.confidence)
        if address.state == "needs_check":
            unsure.append(key)
    for path in ("proposed_name", "phone"):
        found = props.get(path)
        if found is not None:
            ex.add(path, found.value, found.confidence)
            if found.state == "needs_check":
                unsure.append(path)
    return ex, unsure


def apply_document(
    svc: Assistant, session_id: str | None, doc: ReadDocument, lang: str = "zh", *, new_if_unknown: bool = False
) -> tuple[str, str]:
    """Put a read document's proposals into the session's draft; returns (session id, the assistant's reply).

    No session id starts a new session; an unknown one is a 404 (never someone else's draft), or a new session
    with ``new_if_unknown`` (the widget, whose stored session may have been purged). A confirmed application is
    not changed. Both the upload and the reply are stored as the session's messages."""
    if session_id and new_if_unknown and not svc.store.exists(session_id):
        session_id = None
    sid = svc.store.open_session(session_id or None, lang)
    filling = svc.filling
    draft = filling.drafts.get(sid) or filling.start(sid, lang)
    if draft.status == "confirmed":
        raise UserError(
            "申请已确认提交，不能再修改。如需办理新的申请，请刷新页面开始新的会话。",
            "The application is already submitted; reload the page to start a new one.",
            field="draft",
        )
    ex, unsure = document_extraction(draft, doc, filling.policy.data_dir)
    if ex.empty:
        raise UserError(
            "这份材料没有可以填入申请表的信息。", "Nothing in this document goes into the form.", field="file"
        )
    source = f"document:{doc.doc_type}"
    outcome = filling.run(draft, "", {}, draft.lang or lang, source, extraction=ex, save=False)
    for key in unsure:
        fv = draft.fields.get(key)
        if fv is not None and fv.state == "filled" and fv.source == source:
            draft.fields[key] = fv.model_copy(
                update={"state": "needs_check", "note": UNSURE_NOTE[0], "note_en": UNSURE_NOTE[1]}
            )
    kind = doc.doc_type_zh or doc.doc_type
    reply = outcome.reply or _say("已填入申请表。", "Added to your form.", lang)
    status = Status.FORM_COMPLETE if outcome.complete else Status.FORM_FILLING

    def write_draft(db: Session, _ids: list[int]) -> None:
        DraftStore.write(db, draft)

    # the upload, the reply and the draft in ONE transaction: a crash leaves the whole step or none of it
    svc.store.add_messages(
        sid,
        [NewMessage("user", f"📎 {kind}"), NewMessage("assistant", reply, status.value)],
        then=write_draft,
    )
    return sid, reply
