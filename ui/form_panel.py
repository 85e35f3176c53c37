"""The widget's live form panel (申请表): each draft field as filled / missing / needs-check with the check's
note, the approval decision once complete, links to the rendered form and the confirmation sheet (简明信息核对表),
and the submission record. Pure rendering from a DraftView; the callbacks live in ui/widget.py."""

from __future__ import annotations

import html
from typing import Any

from assistant.approval.model import Finding
from assistant.filling.step import DraftView
from ui.approval_tab import decision_html

STATES = {  # state → (badge zh, badge en, css class)
    "filled": ("已填", "filled", "db-f-ok"),
    "missing": ("待补充", "missing", "db-f-missing"),
    "needs_check": ("需核对", "check", "db-f-check"),
}
DOC_LABELS = {
    "form": ("申请书", "application form"),
    "confirmation": ("简明信息核对表", "confirmation sheet"),
    "articles": ("公司章程", "articles of association"),
}
SOURCES = (("document", "证件识别", "from a document"), ("edit", "在线修改", "edited"))

PANEL_CSS = """
.db-form {font-size: 14px;}
.db-form table {width: 100%; border-collapse: collapse;}
.db-form td {padding: 5px 4px; border-bottom: 1px solid #eef0f2; vertical-align: top;}
.db-form td.db-f-label {color: #6b7280; width: 38%;}
.db-badge {display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 6px; margin-left: 4px;}
.db-f-ok .db-badge {background: #e7f6ec; color: #15803d;}
.db-f-missing .db-badge {background: #f3f4f6; color: #6b7280;}
.db-f-check .db-badge {background: #fff6e0; color: #b45309;}
.db-f-note {color: #b45309; font-size: 12px;} .db-f-missing .db-f-note {color: #6b7280;}
.db-f-src {color: #9ca3af; font-size: 11px;}
.db-form-docs a {margin-right: 12px;}
.db-receipt {background: #e7f6ec; padding: 8px 10px; border-radius: 8px; margin: 6px 0; word-break: break-all;}
"""


def say(zh: str, en: str, lang: str) -> str:
    """Chinese first; English beside it when the session language is English."""
    return f"{zh} / {en}" if lang.startswith("en") else zh


def progress(view: DraftView) -> tuple[int, int]:
    """(fields filled, fields in all) for the panel's title."""
    done = sum(1 for f in view.fields if f["state"] != "missing")
    return done, len(view.fields)


def panel_title(view: DraftView | None, lang: str = "zh") -> str:
    if view is None:
        return say("申请表（尚未开始）", "Application (not started)", lang)
    done, total = progress(view)
    if view.status == "confirmed":
        return say(f"申请表 · 已提交（{done}/{total}）", f"Application · submitted ({done}/{total})", lang)
    if view.status == "complete" and not view.missing:
        return say(f"申请表 · 已填完（{done}/{total}）", f"Application · complete ({done}/{total})", lang)
    return say(f"申请表 · 已填 {done}/{total}", f"Application · {done}/{total} filled", lang)


def _source(src: str, lang: str) -> str:
    for prefix, zh, en in SOURCES:
        if src.startswith(prefix):
            return f'<div class="db-f-src">{html.escape(say(zh, en, lang))}</div>'
    return ""


def finding_text(f: Finding, lang: str) -> str:
    """A field check as the applicant reads it: what is wrong, then the remedy."""
    en = lang.startswith("en")
    message = f.message_en if en and f.message_en else f.message
    remedy = f.remedy_en if en and f.remedy_en else f.remedy
    if not remedy:
        return message
    return f"{message} Fix: {remedy}" if en else f"{message}建议：{remedy}"


def field_findings(view: DraftView) -> tuple[dict[str, list[Finding]], list[Finding]]:
    """The engine's findings on filled values (not the "still missing" ones): by form field, and the rest."""
    if view.decision is None:
        return {}, []
    shown = {f["field"] for f in view.fields}
    by_field: dict[str, list[Finding]] = {}
    rest: list[Finding] = []
    for finding in view.decision.findings:
        if finding.rule.endswith("_missing") or finding.severity == "hint":
            continue
        key = (finding.field or "").split(".")[0].split("[")[0]
        if key in shown:
            by_field.setdefault(key, []).append(finding)
        else:
            rest.append(finding)
    return by_field, rest


def field_row(f: dict[str, Any], lang: str, findings: list[Finding] | None = None) -> str:
    state = "needs_check" if findings and f["state"] == "filled" else f["state"]
    zh, en, css = STATES.get(state, STATES["filled"])
    value = html.escape(str(f.get("display") or "")) or "—"
    notes = [str(f["note"])] if f.get("note") else []
    notes += [finding_text(x, lang) for x in findings or []]
    note = "".join(f'<div class="db-f-note">{html.escape(n)}</div>' for n in notes)
    return (
        f'<tr class="{css}" data-field="{html.escape(f["field"])}">'
        f'<td class="db-f-label">{html.escape(f["label"])}</td>'
        f'<td><span class="db-f-value">{value}</span><span class="db-badge">{say(zh, en, lang)}</span>'
        f"{note}{_source(str(f.get('source') or ''), lang)}</td></tr>"
    )


def doc_links(view: DraftView, lang: str) -> str:
    kinds = ["form", "confirmation"] + (["articles"] if view.application.entity_type == "有限责任公司" else [])
    base = f"/v1/sessions/{html.escape(view.session_id)}/documents"
    links = "".join(
        f'<a href="{base}/{k}?format=html" target="_blank" rel="noopener" class="db-doc-{k}">'
        f"{html.escape(say(*DOC_LABELS[k], lang))}</a>"
        for k in kinds
    )
    return f'<div class="db-form-docs">{links}</div>'


SUBMITTED = {
    "submitted": ("已提交", "submitted"),
    "submitted_for_review": ("已提交，待人工复核", "submitted for review"),
}


def receipt_html(submission: dict[str, Any], lang: str) -> str:
    raw = str(submission.get("status", ""))
    status = html.escape(say(*SUBMITTED[raw], lang) if raw in SUBMITTED else raw)
    receipt = html.escape(str(submission.get("receipt", "")))
    return (
        f'<div class="db-receipt"><b>{say("已确认提交", "Submitted", lang)}</b>（{status}）<br>'
        f'<span class="db-ms">{say("回执", "receipt", lang)}：{receipt}</span></div>'
    )


def panel_html(view: DraftView | None, lang: str = "zh") -> str:
    if view is None:
        hint = say(
            "说一句“我要注册公司”或“我想开个体户”，助手会边聊边帮您填表；也可以上传身份证、租赁合同自动填写。",
            "Say “I want to register a company” and the assistant fills the form as you talk; "
            "or upload an ID card or a lease.",
            lang,
        )
        return f'<div class="db-form db-form-empty">{html.escape(hint)}</div>'
    by_field, rest = field_findings(view)
    rows = "".join(field_row(f, lang, by_field.get(f["field"])) for f in view.fields)
    parts = [f'<div class="db-form"><table>{rows}</table>']
    if rest and view.missing:  # once complete, the decision below lists every finding
        items = "".join(f'<div class="db-f-note">⚠ {html.escape(finding_text(x, lang))}</div>' for x in rest)
        parts.append(f'<div class="db-f-check">{items}</div>')
    if view.submission:
        parts.append(receipt_html(view.submission, lang))
    if view.decision is not None and not view.missing:
        parts.append(decision_html(view.decision))
    if view.application.entity_type and not view.missing:
        parts.append(doc_links(view, lang))
        if not view.submission:
            hint = say(
                "请打开“简明信息核对表”逐项核对，无误后点击“确认提交”。",
                "Check the confirmation sheet, then tap 确认提交 / Confirm.",
                lang,
            )
            parts.append(f'<p class="db-ms">{html.escape(hint)}</p>')
    parts.append("</div>")
    return "".join(parts)


def edit_choices(view: DraftView | None) -> list[tuple[str, str]]:
    """(label, field) pairs for the inline-edit picker: every field shown, missing ones first."""
    if view is None or view.status == "confirmed":
        return []
    ordered = sorted(view.fields, key=lambda f: {"missing": 0, "needs_check": 1}.get(f["state"], 2))
    return [(f["label"], f["field"]) for f in ordered]


def can_confirm(view: DraftView | None) -> bool:
    return bool(view and view.status == "complete" and not view.missing and not view.submission)
