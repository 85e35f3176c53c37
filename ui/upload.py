"""The widget's upload path (证件上传): reading an upload and its preview. Applying the proposals to the session's
draft lives in assistant/filling/documents.py (shared with POST /v1/documents?session_id=…)."""

from __future__ import annotations

import html
import logging
from pathlib import Path

from assistant.documents import DocumentReader, ReadDocument
from assistant.documents.reader import NO_DOCUMENT
from assistant.errors import DaobanError
from assistant.filling.documents import apply_document, document_extraction, fills_form
from ui.form_panel import say

__all__ = ["apply_document", "document_extraction", "fills_form", "preview_html", "read_upload"]

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
