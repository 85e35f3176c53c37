"""The widget's approval tab (审批预检): paste or upload an Application, see the engine's decision with the
legal basis and remedy of every finding, and download the standard form, the confirmation sheet and the
articles of association. No business logic: it calls the service's engine and the document renderer."""

from __future__ import annotations

import html
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import gradio as gr
from pydantic import ValidationError

from assistant.approval import Application, Decision
from assistant.errors import DaobanError
from assistant.service import Assistant

LABELS = {"pass": "通过", "review": "需人工复核", "block": "不予通过"}
SEVERITY = {"block": "⛔ 不予通过", "review": "⚠️ 需复核", "hint": "ℹ️ 提示"}
DOCS = (("form", "申请书"), ("confirmation", "简明信息核对表"), ("articles", "公司章程"))


def decision_html(d: Decision) -> str:
    parts = [
        f'<div class="db-decision db-{d.decision}"><b>审查结论：{LABELS[d.decision]}</b>'
        f'<span class="db-ms">（{d.elapsed_ms} ms）</span></div>'
    ]
    if d.registration_authority:
        parts.append(f"<p>登记机关：{html.escape(d.registration_authority.name)}</p>")
    for f in d.findings:
        parts.append(
            f'<details class="db-finding"><summary>{SEVERITY[f.severity]} {html.escape(f.message)}</summary>'
            f"<p>依据：{html.escape(f.legal_basis)}</p><p>建议：{html.escape(f.remedy)}</p>"
            f'<p class="db-rule">{html.escape(f.rule)}</p></details>'
        )
    for lic in d.licences_required:
        licence, authority = html.escape(str(lic.get("licence", ""))), html.escape(str(lic.get("authority", "")))
        parts.append(f"<p>需办理许可：{licence}（{authority}）</p>")
    return "".join(parts)


def parse_application(text: str) -> Application:
    try:
        return Application.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise DaobanError(f"不是有效的 JSON（第 {exc.lineno} 行）", "Not valid JSON") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DaobanError(f"字段 {where} 有误：{first['msg']}", f"Field {where}: {first['msg']}") from exc


def build_approval_tab(get_service: Callable[[], Assistant]) -> None:
    gr.Markdown("粘贴或上传申请信息（JSON），系统按规则逐项审查，并生成申请书、核对表和章程。")
    source = gr.Textbox(elem_id="db-app-json", label="申请信息 JSON", lines=8, max_lines=20)
    upload = gr.File(label="或上传 JSON 文件", file_types=[".json"], type="filepath")
    run = gr.Button("审查", elem_id="db-check", variant="primary")
    result = gr.HTML(elem_id="db-decision")
    files = gr.File(label="下载文书", file_count="multiple", elem_id="db-docs")

    def load(path: str | None) -> str:
        if not path:
            return ""
        return Path(path).read_text(encoding="utf-8", errors="replace")[:200_000]

    def check(text: str):
        from assistant.forms import render_document

        if not (text or "").strip():
            return "<p>请先粘贴或上传申请信息。</p>", None
        try:
            app = parse_application(text)
            d = get_service().approval.check(app)
        except DaobanError as exc:
            return f'<p class="db-error">{html.escape(exc.message("zh"))}</p>', None
        out_dir = Path(tempfile.mkdtemp(prefix="daoban-docs-"))
        paths = []
        for kind, label in DOCS:
            try:
                for fmt in ("html", "pdf"):
                    p = out_dir / f"{label}.{fmt}"
                    p.write_bytes(render_document(kind, app, d, fmt=fmt))  # type: ignore[arg-type]
                    paths.append(str(p))
            except DaobanError:
                continue  # e.g. no articles for a 个体工商户
        return decision_html(d), paths

    upload.change(load, upload, source)
    run.click(check, source, [result, files])
