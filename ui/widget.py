"""The applicant widget: a phone-sized, mini-program-style chat, mounted at /ui on the API app."""

from __future__ import annotations

import contextlib
import html
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
from fastapi import FastAPI

from assistant.domain import TurnResult
from assistant.errors import DaobanError
from assistant.service import Assistant
from ui.approval_tab import build_approval_tab
from ui.render import render_stored, render_turn
from ui.staff_tab import mount_staff

EXAMPLES = ["注册资本要一次交齐吗", "个体户可以起什么名字", "开公司需要准备哪些材料", "营业执照丢了怎么办"]

CSS = """
.gradio-container {max-width: 430px !important; margin: 0 auto !important; padding: 0 8px !important;}
#db-header {background: #1f6feb; color: #fff; padding: 10px 14px; border-radius: 0 0 12px 12px;}
#db-header h1 {font-size: 18px; margin: 0; color: #fff;}
#db-header p {font-size: 12px; margin: 2px 0 0; opacity: .9; color: #fff;}
.db-cites {margin-top: 8px; border-top: 1px solid #e5e7eb; padding-top: 6px; font-size: 13px;}
.db-cites-h {color: #6b7280; font-size: 12px; margin-bottom: 4px;}
.db-cite summary {cursor: pointer; color: #1f6feb;}
.db-cite blockquote {margin: 4px 0 8px; padding: 6px 8px; background: #f6f8fa;
  border-left: 3px solid #1f6feb;}
.db-cite-title {color: #6b7280; font-size: 12px;}
footer {display: none !important;}
.db-decision {padding: 8px 10px; border-radius: 8px; margin: 6px 0;}
.db-pass {background: #e7f6ec;} .db-review {background: #fff6e0;} .db-block {background: #fdecea;}
.db-ms, .db-rule {color: #6b7280; font-size: 12px;}
.db-finding summary {cursor: pointer;} .db-error {color: #b42318;}
.db-staff-tag {display: inline-block; background: #15803d; color: #fff; font-size: 11px; padding: 1px 6px;
  border-radius: 6px; margin-bottom: 4px;}
#db-handoff {max-width: 120px;}
"""


def _ask_streaming(svc: Assistant, message: str, session_id: str | None) -> Iterator[tuple[str, Any]]:
    q: queue.Queue[tuple[str, Any]] = queue.Queue()

    def work() -> None:
        try:
            q.put(("result", svc.ask(message, session_id=session_id, on_token=lambda t: q.put(("token", t)))))
        except DaobanError as exc:
            q.put(("error", exc.message("zh")))
        except Exception:
            q.put(("error", "服务暂时出现问题，请稍后再试。"))

    threading.Thread(target=work, daemon=True).start()
    while True:
        kind, value = q.get()
        yield kind, value
        if kind != "token":
            return


FEEDBACK_OPTIONS = ("Like", "Dislike", "答非所问", "信息有误", "看不懂", "没有依据")  # knowledge/feedback.yaml
POLL_SECONDS = 4  # how often an open widget looks for staff replies


def _error_text(exc: Exception) -> str:
    return exc.message("zh") if isinstance(exc, DaobanError) else "服务暂时出现问题，请稍后再试。"


def _staff_since(svc: Assistant, sid: str | None, after: int) -> list[dict]:
    """Staff replies stored in the session after message ``after`` (the applicant's poll)."""
    if not sid:
        return []
    return [m for m in svc.store.messages(sid, after_id=after) if m["role"] == "staff"]


def _with_staff(svc: Assistant, sid: str | None, history: list, ids: list, after: int) -> tuple[list, list, int]:
    """Append the staff replies not yet shown; returns (history, ids, last staff message id)."""
    for m in _staff_since(svc, sid, after):
        history = [*history, {"role": "assistant", "content": render_stored(m)}]
        ids = [*ids, (m["id"], "staff")]
        after = m["id"]
    return history, ids, after


def build_widget(get_service: Callable[[], Assistant]) -> gr.Blocks:
    with gr.Blocks(title="导办 · 企业登记智能导办") as demo:
        session = gr.State(None)
        ids = gr.State([])  # per chat row: (stored message id | None, role); feedback refers to the id
        last_staff = gr.State(0)  # the last staff reply shown
        busy = gr.State(False)  # a turn is streaming: the poll waits
        gr.HTML(
            '<div id="db-header"><h1>导办 · 企业登记智能导办</h1>'
            "<p>依据法律法规回答，附条文出处 · Answers cite the law</p></div>"
        )
        with gr.Tab("问答", elem_id="db-tab-chat"):
            chat = gr.Chatbot(
                elem_id="db-chat",
                height=500,
                label="对话",
                show_label=False,
                sanitize_html=False,
                feedback_options=FEEDBACK_OPTIONS,
                group_consecutive_messages=False,  # a staff reply is its own bubble, with its own label
                placeholder="您好！我是导办助手，可以回答开公司、办个体户的问题。",
            )
            with gr.Row():
                box = gr.Textbox(
                    elem_id="db-input",
                    placeholder="请输入您的问题，例如：注册资本要一次交齐吗",
                    show_label=False,
                    scale=5,
                    max_lines=4,
                    max_length=2000,
                )
                send = gr.Button("发送", elem_id="db-send", variant="primary", scale=1, min_width=64)
            with gr.Row():
                handoff = gr.Button("转人工", elem_id="db-handoff", size="sm", variant="secondary")
            gr.Examples(EXAMPLES, inputs=box, label="常见问题")
        with gr.Tab("审批预检", elem_id="db-tab-approval"):
            build_approval_tab(get_service)

        def respond(message: str, history: list[dict], sid: str | None, rows: list, seen: int):
            message = (message or "").strip()
            if not message:
                yield "", history, sid, rows, seen, False
                return
            history = [
                *history,
                {"role": "user", "content": html.escape(message)},
                {"role": "assistant", "content": "…"},
            ]
            rows = [*rows, (None, "user"), (None, "assistant")]
            yield "", history, sid, rows, seen, True
            partial = ""
            for kind, value in _ask_streaming(get_service(), message, sid):
                if kind == "token":
                    partial += value
                    history[-1] = {"role": "assistant", "content": html.escape(partial)}
                elif kind == "result":
                    result: TurnResult = value
                    sid = result.session_id
                    history[-1] = {"role": "assistant", "content": render_turn(result)}
                    rows[-1] = (result.message_id, "assistant")
                else:
                    history[-1] = {"role": "assistant", "content": html.escape(str(value))}
                if kind == "token":
                    yield "", history, sid, rows, seen, True
            with contextlib.suppress(Exception):  # the poll shows them later
                history, rows, seen = _with_staff(get_service(), sid, history, rows, seen)
            yield "", history, sid, rows, seen, False

        def ask_for_person(history: list[dict], sid: str | None, rows: list, seen: int):
            """转人工: a ticket for this session; the reply names it. Staff answers arrive by the poll."""
            svc = get_service()
            try:
                r = svc.handoff(sid)
            except Exception as exc:  # shown as a message, never a traceback
                return [*history, {"role": "assistant", "content": html.escape(_error_text(exc))}], sid, rows, seen
            history = [*history, {"role": "assistant", "content": render_turn(r)}]
            rows = [*rows, (r.message_id, "assistant")]
            history, rows, seen = _with_staff(svc, r.session_id, history, rows, seen)
            return history, r.session_id, rows, seen

        def poll(history: list[dict], sid: str | None, rows: list, seen: int, streaming: bool):
            if streaming or not sid:
                return gr.skip(), gr.skip(), gr.skip()
            try:
                new_history, new_rows, new_seen = _with_staff(get_service(), sid, history, rows, seen)
            except Exception:  # the next tick tries again
                return gr.skip(), gr.skip(), gr.skip()
            if new_seen == seen:
                return gr.skip(), gr.skip(), gr.skip()
            return new_history, new_rows, new_seen

        def feedback(sid: str | None, rows: list, like: gr.LikeData):
            """Thumbs up/down (with an optional reason) on a stored answer."""
            index = like.index if isinstance(like.index, int) else like.index[0]
            mid, role = rows[index] if 0 <= index < len(rows) else (None, "")
            svc = get_service()
            if not sid or mid is None or role != "assistant" or like.liked in (None, ""):  # "": the vote was undone
                return
            vote = "up" if like.liked is True or like.liked == "Like" else "down"
            reason = like.liked if isinstance(like.liked, str) and like.liked not in ("Like", "Dislike") else None
            if hasattr(svc, "feedback"):  # Assistant.feedback lands with the knowledge-gap view
                try:
                    svc.feedback(sid, mid, vote, reason)
                except DaobanError as exc:
                    gr.Warning(exc.message("zh"))
                    return
            gr.Info("感谢您的反馈！")

        turn_io = [box, chat, session, ids, last_staff]
        box.submit(respond, turn_io, [*turn_io, busy])
        send.click(respond, turn_io, [*turn_io, busy])
        handoff.click(ask_for_person, [chat, session, ids, last_staff], [chat, session, ids, last_staff])
        chat.like(feedback, [session, ids], None)
        timer = gr.Timer(POLL_SECONDS)
        timer.tick(poll, [chat, session, ids, last_staff, busy], [chat, ids, last_staff], show_progress="hidden")
    return demo


def mount_widget(app: FastAPI, get_service: Callable[[], Assistant]) -> None:
    gr.mount_gradio_app(app, build_widget(get_service), path="/ui", css=CSS, footer_links=[], ssr_mode=False)
    mount_staff(app, get_service)  # the staff law browser (法规检索) at /staff: a page of its own
