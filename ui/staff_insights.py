"""Two tabs of the staff page: 知识缺口 (unanswered and down-voted questions, grouped) and 内部问答 (the staff chat:
answers with every retrieved passage, 12345 tickets included, and procedure warnings on a stated action, with the
recorded warnings below). Gradio builders called inside the page's Blocks; no business logic here."""

from __future__ import annotations

import html
from collections.abc import Callable

import gradio as gr

from assistant.errors import DaobanError
from assistant.policy.staff_chat import StaffTurnResult
from assistant.service import Assistant
from assistant.store.feedback import KnowledgeGap, RecordedWarning

GAP_FILTERS = [("全部", "all"), ("未答出", "unanswered"), ("差评", "downvoted")]
STATUS_LABEL = {
    "no_answer": "未找到依据",
    "answered_extractive": "仅引用原文",
    "out_of_scope": "超出范围",
    "answered": "已回答",
}
KIND_LABEL = {"law": "法条", "guide": "办事指南", "faq": "常见问题", "complaint": "12345 工单"}
ANSWER_CHARS = 160
ServiceLike = Assistant | Callable[[], Assistant]


def _getter(svc: ServiceLike) -> Callable[[], Assistant]:
    if isinstance(svc, Assistant):
        return lambda: svc
    return svc


def _esc(text: str) -> str:
    return html.escape(text or "").replace("\n", "<br>")


def _error(exc: Exception) -> str:
    msg = exc.message("zh") if isinstance(exc, DaobanError) else "服务暂时出现问题，请稍后再试。"
    return f'<p class="db-error">{html.escape(msg)}</p>'


def _staff_name(request: gr.Request | None) -> str:
    return str(getattr(request, "username", "") or "") if request is not None else ""


# --- 知识缺口 -------------------------------------------------------------------------------------------
def gaps_html(gaps: list[KnowledgeGap]) -> str:
    if not gaps:
        return "<p>暂无未答出或差评的问题。</p>"
    rows = []
    for g in gaps:
        statuses = "、".join(f"{STATUS_LABEL.get(s, s)} {n}" for s, n in g.statuses.items())
        reasons = "、".join(f"{html.escape(r)} {n}" for r, n in g.reasons.items())
        examples = "".join(
            f'<li><span class="db-meta">{html.escape(e.at[:16].replace("T", " "))} · '
            f"{STATUS_LABEL.get(e.status, e.status)}"
            f"{' · 👎 ' + html.escape(e.reason_label) if e.vote == 'down' else ''}"
            f"</span><br>问：{_esc(e.question)}<br>答：{_esc(e.answer[:ANSWER_CHARS])}"
            f"{'……' if len(e.answer) > ANSWER_CHARS else ''}"
            f"{'<br>说明：' + _esc(e.comment) if e.comment else ''}</li>"
            for e in g.examples
        )
        rows.append(
            f'<div class="db-hit"><b>{_esc(g.question)}</b> <span class="db-meta">×{g.count} · 未答出 {g.unanswered}'
            f" · 差评 {g.downvoted} · 最近 {html.escape(g.last_seen[:16].replace('T', ' '))}</span>"
            f'<div class="db-meta">{statuses}{"；差评原因：" + reasons if reasons else ""}</div>'
            f"<details><summary>示例（{len(g.examples)}）</summary><ul>{examples}</ul></details></div>"
        )
    return "".join(rows)


def build_gaps_tab(svc: ServiceLike, page: gr.Blocks | None = None) -> None:
    """知识缺口: questions the assistant could not answer, or answered with a 👎, grouped by similar wording."""
    get_service = _getter(svc)
    with gr.Row():
        which = gr.Radio(GAP_FILTERS, value="all", label="类别", elem_id="db-gap-filter", scale=4)
        refresh = gr.Button("刷新", elem_id="db-gap-refresh", scale=1)
    view = gr.HTML(elem_id="db-gap-view")

    def load(only: str) -> str:
        try:
            return gaps_html(get_service().knowledge_gaps(only=only))
        except Exception as exc:  # shown to staff as a message, never a traceback
            return _error(exc)

    refresh.click(load, which, view)
    which.change(load, which, view)
    if page is not None:
        page.load(load, which, view)


# --- 内部问答 -------------------------------------------------------------------------------------------
def warnings_html(result: StaffTurnResult) -> str:
    if not result.warnings:
        return ""
    items = "".join(
        f"<li>{_esc(w.message)}"
        + "".join(f'<div class="db-meta">{html.escape(b.label)}：“{html.escape(b.quote)}”</div>' for b in w.basis)
        + "</li>"
        for w in result.warnings
    )
    return f'<div class="db-notice" style="display:block"><b>⚠ 操作合规提示（已记录）</b><ul>{items}</ul></div>'


def sources_html(result: StaffTurnResult) -> str:
    if not result.sources:
        return ""
    items = "".join(
        f'<details class="db-hit"><summary>[{s.n}] {KIND_LABEL.get(s.kind, s.kind)} · 《{html.escape(s.source)}》'
        f"{html.escape(s.article)}"
        f' <span class="db-meta">{html.escape(s.title)}{" · " + html.escape(s.version) if s.version else ""}'
        f"{' · 已失效' if s.status != 'current' else ''}</span></summary>"
        f'<div class="db-law-text">{_esc(s.quote)}</div></details>'
        for s in result.sources
    )
    return f"<h4>检索到的全部依据（{len(result.sources)}）</h4>{items}"


def recorded_html(rows: list[RecordedWarning]) -> str:
    if not rows:
        return "<p>暂无记录。</p>"
    return "".join(
        f'<div class="db-hit"><span class="db-meta">{html.escape(r.at[:16].replace("T", " "))} · '
        f"{html.escape(r.staff or '—')} · {html.escape(r.warning_id)}</span><br>"
        f"操作：{_esc(r.statement)}<br>{_esc(r.message)}</div>"
        for r in rows
    )


def build_staff_chat_tab(svc: ServiceLike, page: gr.Blocks | None = None) -> None:
    """内部问答: policy questions with full citations; a stated action is checked against the procedure."""
    get_service = _getter(svc)
    session = gr.State(None)
    chat = gr.Chatbot(elem_id="db-staff-chat", height=380, label="内部问答", sanitize_html=True)
    with gr.Row():
        box = gr.Textbox(
            elem_id="db-staff-input",
            placeholder="政策问题，或拟办操作，例如：申请人没有提供验资报告，驳回",
            show_label=False,
            scale=5,
            max_lines=4,
            max_length=2000,
        )
        send = gr.Button("发送", elem_id="db-staff-send", variant="primary", scale=1, min_width=64)
    alerts = gr.HTML(elem_id="db-staff-warnings")
    sources = gr.HTML(elem_id="db-staff-sources")
    with gr.Accordion("操作合规提示记录", open=False):
        recorded = gr.HTML(elem_id="db-staff-recorded")
        reload_recorded = gr.Button("刷新记录", size="sm", elem_id="db-staff-recorded-refresh")

    def list_recorded() -> str:
        try:
            return recorded_html(get_service().procedure_warnings(limit=50))
        except Exception as exc:  # shown as a message
            return _error(exc)

    def respond(message: str, history: list[dict], sid: str | None, request: gr.Request):
        message = (message or "").strip()
        if not message:
            return "", history, sid, gr.update(), gr.update(), gr.update()
        try:
            r = get_service().staff_ask(message, sid, staff=_staff_name(request))
        except DaobanError as exc:
            return message, history, sid, _error(exc), gr.update(), gr.update()
        history = [*history, {"role": "user", "content": message}, {"role": "assistant", "content": r.answer}]
        return "", history, r.session_id, warnings_html(r), sources_html(r), list_recorded()

    outs = [box, chat, session, alerts, sources, recorded]
    send.click(respond, [box, chat, session], outs)
    box.submit(respond, [box, chat, session], outs)
    reload_recorded.click(list_recorded, None, recorded)
    if page is not None:
        page.load(list_recorded, None, recorded)
