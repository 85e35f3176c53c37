"""The staff console at /staff, behind a login (staff accounts): 工单, the hand-off queue (list, open, claim,
reply into the applicant's chat, close); and 法规检索, the law browser: pick a law and an article, read it with
its key points and the service steps that rest on it, ask for the plain-language summary (一键获取政策要点),
and search laws, guides, FAQ and complaint records with kind / in-force filters.

It is a page of its own, not a tab of the applicant widget: tickets and complaint records are internal. No
business logic here: every callback calls the Assistant or the KnowledgeBase and renders its models.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable

import gradio as gr
from fastapi import FastAPI

from assistant.errors import DaobanError
from assistant.policy import KnowledgeBase, knowledge_for
from assistant.policy.keypoints import KeyPoint
from assistant.policy.models import Digest, SearchResults
from assistant.service import Assistant
from assistant.store.staff import AuthError
from assistant.store.tickets import TicketDetail, TicketSummary
from ui.eval_dashboard import build_eval_tab
from ui.staff_insights import build_gaps_tab, build_staff_chat_tab

KIND_CHOICES = [("法条", "law"), ("办事指南", "guide"), ("常见问题", "faq"), ("12345 工单", "complaint")]
MARK_CLASS = {"time_limit": "t", "date": "t", "amount": "a", "number": "a", "definition": "d", "reference": "r"}
DUTY_CLASS = {"obligation": "o", "prohibition": "p", "permission": "m"}
CSS = """
.gradio-container {max-width: 1100px !important; margin: 0 auto !important;}
.db-notice {background: #fdecea; color: #b42318; padding: 4px 8px; border-radius: 6px; display: inline-block;}
.db-law-text {white-space: pre-wrap; background: #f6f8fa; padding: 8px 10px; border-left: 3px solid #1f6feb;}
.db-kp li {margin: 4px 0;} .db-ref {color: #6b7280; font-size: 12px; margin-right: 6px;}
mark.db-t {background: #dbeafe;} mark.db-a {background: #fef3c7;} mark.db-d {background: #ede9fe;}
mark.db-r {background: #e5e7eb;} mark.db-o, mark.db-p, mark.db-m {background: none; font-weight: 600;}
mark.db-o {color: #1f6feb;} mark.db-p {color: #b42318;} mark.db-m {color: #15803d;}
.db-hit {margin: 8px 0; padding-bottom: 6px; border-bottom: 1px solid #e5e7eb;}
.db-hit mark {background: #fef08a;} .db-meta {color: #6b7280; font-size: 12px;} .db-error {color: #b42318;}
.db-summary {background: #e7f6ec; padding: 8px 10px; border-radius: 8px;}
footer {display: none !important;}
"""


def _esc(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def _notice(notice: str) -> str:
    return f'<p class="db-notice">{html.escape(notice)}</p>' if notice else ""


def key_point_html(p: KeyPoint) -> str:
    """The point's text with numbers, time limits, duties and definitions marked."""
    out, pos = [], 0
    for m in sorted(p.marks, key=lambda mk: mk.start):
        if m.start < pos:
            continue
        cls = MARK_CLASS.get(m.kind) or DUTY_CLASS.get(m.kind, "")
        out += [html.escape(p.text[pos : m.start]), f'<mark class="db-{cls}">{html.escape(m.text)}</mark>']
        pos = m.end
    out.append(html.escape(p.text[pos:]))
    who = "、".join(dict.fromkeys(f"{d.actor}" for d in p.duties if d.actor))
    extra = f'<span class="db-meta">（义务主体：{html.escape(who)}）</span>' if who else ""
    return f'<li><span class="db-ref">{html.escape(p.ref)}</span>{"".join(out)}{extra}</li>'


def digest_html(d: Digest) -> str:
    head = f"《{d.law}》{d.article}" if d.kind == "law" else f"{d.title}：{d.article}"
    parts = [
        f"<h3>{html.escape(head)}</h3>",
        f'<p class="db-meta">{html.escape(d.title)} {d.version} · {d.status_label}</p>',
    ]
    parts.append(_notice(d.notice))
    if d.summary:
        parts.append(f'<div class="db-summary"><b>政策要点：</b>{html.escape(d.summary)}</div>')
    elif d.summary_status == "rejected":
        parts.append('<p class="db-meta">模型概要含条文中没有的内容，已舍弃；请以下列要点和原文为准。</p>')
    elif d.summary_status == "model_unavailable":
        parts.append('<p class="db-meta">模型暂不可用，请以下列要点和原文为准。</p>')
    parts.append(f'<div class="db-law-text">{_esc(d.text)}</div>')
    parts.append('<h4>要点</h4><ul class="db-kp">' + "".join(key_point_html(p) for p in d.key_points) + "</ul>")
    if d.service_steps:
        steps = "".join(
            f"<li>{html.escape(s.title)}：<b>{html.escape(s.section)}</b> "
            f'<span class="db-meta">{html.escape(s.id)}</span></li>'
            for s in d.service_steps
        )
        parts.append(f"<h4>办事指引（以本条为依据）</h4><ul>{steps}</ul>")
    if d.basis:
        rows = "".join(
            f"<li>《{html.escape(b.law)}》{html.escape(b.article)}{'' if b.id else '（未收录）'}</li>" for b in d.basis
        )
        parts.append(f"<h4>依据条文</h4><ul>{rows}</ul>")
    return "".join(parts)


def search_html(res: SearchResults) -> str:
    if not res.hits:
        return "<p>没有找到相关内容。</p>"
    out = []
    for h in res.hits:
        text, pos = [], 0
        for s, e in h.spans:
            text += [html.escape(h.snippet[pos:s]), f"<mark>{html.escape(h.snippet[s:e])}</mark>"]
            pos = e
        text.append(html.escape(h.snippet[pos:]))
        where = f"《{h.law}》{h.article}" if h.kind == "law" else f"{h.title}：{h.article}"
        tag = " · 条号直达" if h.match == "reference" else ""
        out.append(
            f'<div class="db-hit"><b>{h.rank}. {html.escape(where)}</b>'
            f'<span class="db-meta"> [{h.kind}] {h.status_label}{tag}</span>{_notice(h.notice)}'
            f"<div>{''.join(text)}</div></div>"
        )
    return "".join(out)


def _error(exc: DaobanError) -> str:
    return f'<p class="db-error">{html.escape(exc.message("zh"))}</p>'


def build_staff_tab(get_service: Callable[[], Assistant], page: gr.Blocks) -> None:
    def kb() -> KnowledgeBase:
        return knowledge_for(get_service())

    with gr.Row():
        with gr.Column(scale=2):
            history = gr.Checkbox(label="含已失效版本", value=False, elem_id="db-staff-history")
            law = gr.Dropdown(label="法规", choices=[], elem_id="db-staff-law", allow_custom_value=True)
            article = gr.Dropdown(label="条文", choices=[], elem_id="db-staff-article", allow_custom_value=True)
            summarise = gr.Button("一键获取政策要点", elem_id="db-staff-summary", variant="primary")
            gr.Markdown("要点即时显示；概要由本地模型生成，CPU 上约需数十秒，生成后缓存。")
        with gr.Column(scale=5):
            view = gr.HTML(elem_id="db-staff-view")
    with gr.Row():
        query = gr.Textbox(
            label="检索", placeholder="例如：注册资本 认缴期限，或 公司法第47条", scale=4, elem_id="db-staff-q"
        )
        go = gr.Button("检索", scale=1, elem_id="db-staff-go")
    with gr.Row():
        kinds = gr.CheckboxGroup(KIND_CHOICES, value=["law", "guide", "faq"], label="类型", elem_id="db-staff-kinds")
        status = gr.Radio([("现行有效", "current"), ("含已失效", "all")], value="current", label="效力")
        only_law = gr.Checkbox(label="仅限所选法规", value=False)
    opened = gr.Dropdown(label="打开结果", choices=[], elem_id="db-staff-open")
    current = gr.State(None)  # the chunk id on show
    results = gr.HTML(elem_id="db-staff-results")

    def load_laws(include_old: bool):
        laws = kb().laws(include_superseded=include_old)
        choices = [
            (f"{x.law}（{x.version or '—'}{'，已失效' if x.status != 'current' else ''}）", x.edition) for x in laws
        ]
        return gr.update(choices=choices, value=None), gr.update(choices=[], value=None), ""

    def load_articles(edition: str | None, include_old: bool):
        if not edition:
            return gr.update(choices=[], value=None), ""
        try:
            arts = kb().law_articles(edition, include_superseded=include_old)
        except DaobanError as exc:
            return gr.update(choices=[], value=None), _error(exc)
        choices = [(f"{a.article} {a.preview[:24]}", a.id) for g in arts.chapters for a in g.articles]
        chapters = "".join(f"<li>{html.escape(g.chapter)}（{len(g.articles)} 条）</li>" for g in arts.chapters)
        head = f"<h3>{html.escape(arts.law.title)}</h3>{_notice(arts.law.notice)}<ul>{chapters}</ul>"
        return gr.update(choices=choices, value=None), head

    def show(chunk_id: str | None, with_summary: bool = False):
        """The digest of the chosen article or result (and remember it for the summary button)."""
        if not chunk_id:  # a list was cleared: keep what is shown
            return gr.update(), gr.update()
        try:
            return digest_html(kb().digest(chunk_id=chunk_id, summary=with_summary)), chunk_id
        except DaobanError as exc:
            return _error(exc), None

    def summarise_current(chunk_id: str | None):
        if not chunk_id:
            return "<p>请先选择条文或检索结果。</p>", None
        return show(chunk_id, True)

    def run_search(q: str, wanted: list[str], st: str, restrict: bool, edition: str | None):
        try:
            res = kb().search(q, kinds=wanted or None, status=st, law=edition if restrict and edition else None)
        except DaobanError as exc:
            return gr.update(choices=[], value=None), _error(exc)
        choices = [(f"{h.rank}. {h.law} {h.article}"[:60], h.id) for h in res.hits]
        return gr.update(choices=choices, value=None), search_html(res)

    history.change(load_laws, history, [law, article, view])
    law.change(load_articles, [law, history], [article, view])
    article.change(show, article, [view, current])
    opened.change(show, opened, [view, current])
    summarise.click(summarise_current, current, [view, current])
    query.submit(run_search, [query, kinds, status, only_law, law], [opened, results])
    go.click(run_search, [query, kinds, status, only_law, law], [opened, results])
    page.load(load_laws, history, [law, article, view])


TICKET_FILTERS = [("全部未关闭", "active"), ("待处理", "open"), ("处理中", "claimed"), ("已关闭", "closed")]
KIND_LABEL = {"handoff": "转人工", "complaint": "投诉建议"}
STATE_LABEL = {"open": "待处理", "claimed": "处理中", "closed": "已关闭"}
ROLE_LABEL = {"user": "申请人", "assistant": "导办助手", "staff": "工作人员"}


def _when(t: object) -> str:
    return t.strftime("%m-%d %H:%M") if hasattr(t, "strftime") else str(t or "")


def ticket_html(t: TicketDetail) -> str:
    """One ticket for the console: state, reasons, failed checks, draft and the conversation."""
    head = (
        f"<h3>工单 {t.id} · {KIND_LABEL.get(t.kind, t.kind)} · {STATE_LABEL.get(t.status, t.status)}</h3>"
        f'<p class="db-meta">会话 {html.escape(t.session_id)} · 建立 {_when(t.created_at)} · 更新 {_when(t.updated_at)}'
        f" · 处理人 {html.escape(t.assignee or '—')} · 已回复 {t.replies} 次</p>"
    )
    reasons = "".join(
        f"<li>{_when(r.at)} [{KIND_LABEL.get(r.kind, r.kind)}] {html.escape(r.text) or '（点击了转人工）'}</li>"
        for r in t.reasons
    )
    parts = [head, f"<h4>求助原因</h4><ul>{reasons}</ul>"]
    if t.failed_checks:
        checks = "".join(
            f"<li><b>[{html.escape(c.severity)}]</b> {html.escape(c.rule)} {html.escape(c.field or '')}："
            f"{html.escape(c.message)}</li>"
            for c in t.failed_checks
        )
        parts.append(f"<h4>未通过的检查</h4><ul>{checks}</ul>")
    if t.draft:
        draft = html.escape(json.dumps(t.draft, ensure_ascii=False, indent=1))
        parts.append(f'<details><summary>当前申请草稿</summary><pre class="db-law-text">{draft}</pre></details>')
    rows = "".join(
        f'<div class="db-hit"><b>{ROLE_LABEL.get(m.get("role", ""), m.get("role", ""))}</b>'
        f'<span class="db-meta"> {html.escape(str(m.get("created_at", "")))} {html.escape(m.get("status") or "")}'
        f"</span><div>{_esc(str(m.get('content', '')))}</div></div>"
        for m in t.transcript
    )
    parts.append(f"<h4>对话记录（已脱敏）</h4>{rows or '<p>（无）</p>'}")
    if t.note:
        parts.append(f"<p><b>关闭说明：</b>{html.escape(t.note)}</p>")
    return "".join(parts)


def build_ticket_tab(get_service: Callable[[], Assistant], page: gr.Blocks) -> None:
    """工单: the hand-off queue. List, open, claim, reply into the applicant's chat, close."""
    with gr.Row():
        which = gr.Radio(TICKET_FILTERS, value="active", label="状态", elem_id="db-tk-filter", scale=4)
        refresh = gr.Button("刷新", elem_id="db-tk-refresh", scale=1)
    picked = gr.Dropdown(label="工单", choices=[], elem_id="db-tk-pick", allow_custom_value=False)
    notice = gr.HTML(elem_id="db-tk-notice")
    view = gr.HTML(elem_id="db-tk-view")
    with gr.Row():
        claim = gr.Button("认领", elem_id="db-tk-claim", scale=1)
        reply_text = gr.Textbox(
            label="回复申请人（显示在其对话中）", lines=3, max_lines=8, elem_id="db-tk-reply", scale=4
        )
        send = gr.Button("发送回复", elem_id="db-tk-send", variant="primary", scale=1)
    with gr.Row():
        note = gr.Textbox(label="关闭说明（内部）", elem_id="db-tk-note", scale=4)
        close = gr.Button("关闭工单", elem_id="db-tk-close", variant="stop", scale=1)

    def staff_name(request: gr.Request | None) -> str:
        name = getattr(request, "username", None) if request is not None else None
        if not name:
            raise AuthError("请先登录工作人员账号。", "Please log in as staff.")
        return str(name)

    def load(status: str, keep: int | None = None, acted: TicketSummary | None = None):
        """The queue for the filter; the ticket just acted on stays listed and selected."""
        tickets = get_service().tickets.find(status)
        if acted is not None and acted.id not in {t.id for t in tickets}:
            tickets = [acted, *tickets]
        choices = [
            (f"{t.id} · {KIND_LABEL.get(t.kind, t.kind)} · {STATE_LABEL[t.status]} · {t.reason[:24] or '转人工'}", t.id)
            for t in tickets
        ]
        value = keep if keep in {t.id for t in tickets} else None
        empty = "" if tickets else "<p>没有此状态的工单。</p>"
        return gr.update(choices=choices, value=value), empty

    def show(ticket_id: int | None):
        if not ticket_id:
            return gr.update(), ""
        try:
            return ticket_html(get_service().ticket(int(ticket_id))), ""
        except DaobanError as exc:
            return "", _error(exc)

    def act(action: str, ticket_id: int | None, text: str, status: str, request: gr.Request):
        """Claim, reply or close; then refresh the view and the list. Errors show, inputs are kept."""
        if not ticket_id:
            return gr.update(), gr.update(), '<p class="db-error">请先选择工单。</p>', gr.update(), gr.update()
        svc = get_service()
        try:
            who = staff_name(request)
            if action == "claim":
                t, done = svc.claim_ticket(int(ticket_id), who), "已认领。"
            elif action == "reply":
                t, done = svc.reply_ticket(int(ticket_id), who, text)[0], "回复已发送到申请人的对话。"
            else:
                t, done = svc.close_ticket(int(ticket_id), who, text), "工单已关闭。"
        except DaobanError as exc:
            return gr.update(), gr.update(), _error(exc), gr.update(), gr.update()
        picks, _ = load(status, t.id, t)
        cleared = "" if action in ("reply", "close") else gr.update()
        return (
            ticket_html(t),
            picks,
            f"<p>{done}</p>",
            cleared if action == "reply" else gr.update(),
            cleared if action == "close" else gr.update(),
        )

    outs = [view, picked, notice, reply_text, note]
    which.change(load, which, [picked, notice])
    refresh.click(load, [which, picked], [picked, notice])
    picked.change(show, picked, [view, notice])

    def do_claim(ticket_id: int | None, status: str, request: gr.Request):
        return act("claim", ticket_id, "", status, request)

    def do_reply(ticket_id: int | None, text: str, status: str, request: gr.Request):
        return act("reply", ticket_id, text, status, request)

    def do_close(ticket_id: int | None, text: str, status: str, request: gr.Request):
        return act("close", ticket_id, text, status, request)

    claim.click(do_claim, [picked, which], outs)
    send.click(do_reply, [picked, reply_text, which], outs)
    close.click(do_close, [picked, note, which], outs)
    page.load(load, which, [picked, notice])


def build_staff_app(get_service: Callable[[], Assistant]) -> gr.Blocks:
    with gr.Blocks(title="导办 · 工作人员") as demo:
        gr.Markdown("## 导办 · 工作人员\n转人工工单、法规检索、内部问答（含程序提醒）、知识缺口。")
        with gr.Tab("工单", elem_id="db-staff-tab-tickets"):
            build_ticket_tab(get_service, demo)
        with gr.Tab("法规检索", elem_id="db-staff-tab-laws"):
            build_staff_tab(get_service, demo)
        with gr.Tab("内部问答", elem_id="db-staff-tab-chat"):
            build_staff_chat_tab(get_service, demo)
        with gr.Tab("知识缺口", elem_id="db-staff-tab-gaps"):
            build_gaps_tab(get_service, demo)
        with gr.Tab("评测", elem_id="db-staff-tab-eval"):
            build_eval_tab()
    return demo


def mount_staff(app: FastAPI, get_service: Callable[[], Assistant]) -> None:
    """/staff behind gradio's login form, checked against the staff accounts (daoban staff create)."""

    def check(name: str, password: str) -> bool:
        try:
            get_service().authenticate_staff(name, password, via="console")
        except DaobanError:
            return False
        return True

    gr.mount_gradio_app(
        app,
        build_staff_app(get_service),
        path="/staff",
        css=CSS,
        footer_links=[],
        ssr_mode=False,
        auth=check,
        auth_message="导办工作人员登录（账号由 daoban staff create 创建）· Staff login",
    )
