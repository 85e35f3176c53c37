"""The widget's upload path (证件上传): a read document's preview, and its proposals applied to the session's
draft through the filling policy (conflicts with what the applicant said are asked about, never overwritten)."""

from __future__ import annotations

import html
import logging
from pathlib import Path

from assistant.documents import DocumentReader, ReadDocument
from assistant.documents.reader import NO_DOCUMENT
from assistant.domain import Status
from assistant.errors import DaobanError, UserError
from assistant.filling import parsers
from assistant.filling.draft import FormDraft
from assistant.filling.extract import Extraction
from assistant.service import Assistant
from ui.form_panel import say

log = logging.getLogger("daoban.ui.upload")
FIELD_LABELS = {  # document field → (zh, en)
    "name": ("名称/姓名", "name"),
    "sex": ("性别", "sex"),
    "ethnicity": ("民族", "ethnicity"),
    "birth_date": ("出生", "birth date"),
    "address": ("地址", "address"),
    "id_number": ("公民身份号码", "ID number"),
    "issuing_authority": ("签发机关", "issued by"),
    "valid": ("有效期限", "valid"),
    "credit_code": ("统一社会信用代码", "credit code"),
    "entity_type": ("类型", "type"),
    "legal_rep": ("法定代表人", "legal representative"),
    "registered_capital": ("注册资本", "capital"),
    "established": ("成立日期", "established"),
    "operating_period": ("营业期限", "operating period"),
    "domicile": ("住所", "domicile"),
    "scope": ("经营范围", "business scope"),
    "phone": ("电话", "phone"),
}
DIRECT = ("proposed_name", "domicile", "domicile_district_code", "phone", "business_premises")
SINGLE_ROLE = {"个体工商户": "operator", "个人独资企业": "investor"}


def read_upload(
    reader: DocumentReader, path: str | Path, max_bytes: int, lang: str = "zh"
) -> tuple[ReadDocument | None, str]:
    """Read an uploaded file: (the document, "") or (None, a bilingual message). Never raises."""
    try:
        data = Path(path).read_bytes()
        if len(data) > max_bytes:
            mb = max_bytes // (1024 * 1024)
            return None, say(f"文件过大（上限 {mb} MB）。", f"File too large (limit {mb} MB).", lang)
        doc = reader.read(data)
    except DaobanError as exc:
        return None, say(exc.message("zh"), exc.message("en"), lang)
    except Exception:  # a decoder or engine surprise: a message, never a traceback
        log.exception("reading an upload failed")
        return None, say(
            "无法读取该文件，请换一张清晰的图片或 PDF 重新上传。",
            "The file could not be read; upload a clear image or PDF instead.",
            lang,
        )
    if doc.doc_type == "no_document":
        return None, say(*NO_DOCUMENT, lang)
    return doc, ""


def preview_html(doc: ReadDocument, lang: str = "zh") -> str:
    """The document type and each field found, with its confidence and a needs-check mark."""
    kind = html.escape(doc.doc_type_zh or doc.doc_type)
    rows = []
    for key, f in doc.fields.items():
        zh, en = FIELD_LABELS.get(key, (key, key))
        check = (
            f'<span class="db-badge">{say("需核对", "check", lang)}</span>'
            f'<div class="db-f-note">{html.escape(f.note)}</div>'
            if f.state == "needs_check"
            else ""
        )
        css = "db-f-check" if f.state == "needs_check" else "db-f-ok"
        rows.append(
            f'<tr class="{css}"><td class="db-f-label">{html.escape(say(zh, en, lang))}</td>'
            f'<td><span class="db-f-value">{html.escape(f.value)}</span>'
            f'<span class="db-f-src"> {round(f.confidence * 100)}%</span>{check}</td></tr>'
        )
    hint = (
        say("点击“填入申请表”把这些信息填进申请表。", "Tap “填入申请表” to put these into your form.", lang)
        if fills_form(doc)
        else say("这份材料没有可以直接填入申请表的信息。", "Nothing in this document goes into the form.", lang)
    )
    warn = "".join(f'<div class="db-f-note">{html.escape(w)}</div>' for w in doc.warnings)
    return (
        f'<div class="db-form db-doc-preview"><b>{say("识别结果", "Document", lang)}：{kind}</b>{warn}'
        f'<table>{"".join(rows)}</table><p class="db-ms">{html.escape(hint)}</p></div>'
    )


def fills_form(doc: ReadDocument) -> bool:
    """Whether any of the document's proposals goes into the applicant's form (a licence's party does not)."""
    return any(_usable(p.field) for p in doc.proposals)


def _usable(path: str) -> bool:
    return path in DIRECT or path in ("person.name", "person.id_number")


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
    props = {p.field: p for p in doc.proposals if _usable(p.field)}
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


def apply_document(svc: Assistant, session_id: str | None, doc: ReadDocument, lang: str = "zh") -> tuple[str, str]:
    """Put a read document's proposals into the session's draft; returns (session id, the assistant's reply)."""
    sid = session_id if session_id and svc.store.exists(session_id) else svc.store.open_session(None, lang)
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
    outcome = filling.run(draft, "", {}, draft.lang or lang, source, extraction=ex)
    note, note_en = "证件识别可能有误，请核对。", "The reading may be wrong; please check it."
    for key in unsure:
        fv = draft.fields.get(key)
        if fv is not None and fv.state == "filled" and fv.source == source:
            draft.fields[key] = fv.model_copy(update={"state": "needs_check", "note": note, "note_en": note_en})
    filling.drafts.save(draft)
    kind = doc.doc_type_zh or doc.doc_type
    svc.store.add_message(sid, "user", f"📎 {kind}")
    reply = outcome.reply or say("已填入申请表。", "Added to your form.", lang)
    status = Status.FORM_COMPLETE if outcome.complete else Status.FORM_FILLING
    svc.store.add_message(sid, "assistant", reply, status.value)
    return sid, reply
