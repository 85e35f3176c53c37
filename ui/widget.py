"""The applicant widget: a phone-sized, mini-program-style chat, mounted at /ui on the API app."""

from __future__ import annotations

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
from ui.render import render_turn
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


def build_widget(get_service: Callable[[], Assistant]) -> gr.Blocks:
    with gr.Blocks(title="导办 · 企业登记智能导办") as demo:
        session = gr.State(None)
        gr.HTML(
            '<div id="db-header"><h1>导办 · 企业登记智能导办</h1>'
            "<p>依据法律法规回答，附条文出处 · Answers cite the law</p></div>"
        )
        with gr.Tab("问答", elem_id="db-tab-chat"):
            chat = gr.Chatbot(
                elem_id="db-chat",
                height=520,
                label="对话",
                show_label=False,
                sanitize_html=False,
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
            gr.Examples(EXAMPLES, inputs=box, label="常见问题")
        with gr.Tab("审批预检", elem_id="db-tab-approval"):
            build_approval_tab(get_service)

        def respond(message: str, history: list[dict], sid: str | None):
            message = (message or "").strip()
            if not message:
                yield "", history, sid
                return
            history = [
                *history,
                {"role": "user", "content": html.escape(message)},
                {"role": "assistant", "content": "…"},
            ]
            yield "", history, sid
            partial = ""
            for kind, value in _ask_streaming(get_service(), message, sid):
                if kind == "token":
                    partial += value
                    history[-1] = {"role": "assistant", "content": html.escape(partial)}
                elif kind == "result":
                    result: TurnResult = value
                    sid = result.session_id
                    history[-1] = {"role": "assistant", "content": render_turn(result)}
                else:
                    history[-1] = {"role": "assistant", "content": html.escape(str(value))}
                yield "", history, sid

        box.submit(respond, [box, chat, session], [box, chat, session])
        send.click(respond, [box, chat, session], [box, chat, session])
    return demo


def mount_widget(app: FastAPI, get_service: Callable[[], Assistant]) -> None:
    gr.mount_gradio_app(app, build_widget(get_service), path="/ui", css=CSS, footer_links=[], ssr_mode=False)
    mount_staff(app, get_service)  # the staff law browser (法规检索) at /staff: a page of its own
