"""The applicant widget: a phone-sized, mini-program-style chat, mounted at /ui on the API app."""

from __future__ import annotations

import contextlib
import html
import queue
import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI

from assistant.documents import DocumentReader, ReadDocument
from assistant.domain import TurnResult
from assistant.errors import DaobanError
from assistant.filling.step import DraftView
from assistant.ports import Transcriber
from assistant.service import Assistant
from ui.approval_tab import build_approval_tab
from ui.form_panel import PANEL_CSS, can_confirm, edit_choices, panel_html, panel_title, receipt_html, say
from ui.render import render_answer, render_stored, render_turn
from ui.staff_tab import mount_staff
from ui.upload import apply_document, fills_form, preview_html, read_upload
from ui.voice import notice_html, transcribe_file

EXAMPLES = ["注册资本要一次交齐吗", "个体户可以起什么名字", "开公司需要准备哪些材料", "营业执照丢了怎么办"]

CSS = (
    """
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
#db-upload {max-width: 48px; min-width: 44px !important; padding: 0 !important;}
#db-voice {min-height: 0;}
#db-talk {touch-action: none; user-select: none; -webkit-user-select: none;}
#db-talk.db-talking {background: #1f6feb; color: #fff;}
"""
    + PANEL_CSS
)


# 按住说话: pressing #db-talk starts the recorder of #db-voice, releasing it stops it (the transcript follows)
HOLD_TO_TALK = """<script>
(() => {
  const q = (sel) => document.querySelector(sel);
  document.addEventListener("pointerdown", (e) => {
    const talk = e.target.closest && e.target.closest("#db-talk");
    const rec = q("#db-voice .record-button");
    if (!talk || !rec) return;
    e.preventDefault();
    talk.classList.add("db-talking");
    rec.click();
  });
  const stop = () => {
    const talk = q("#db-talk");
    if (!talk || !talk.classList.contains("db-talking")) return;
    talk.classList.remove("db-talking");
    const button = q("#db-voice .stop-button");
    if (button) button.click();
  };
  document.addEventListener("pointerup", stop);
  document.addEventListener("pointercancel", stop);
})();
</script>"""


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


def _err(exc: Exception, lang: str = "zh") -> str:
    """A bilingual message for the UI: Chinese, with English beside it in an English session."""
    if isinstance(exc, DaobanError):
        return say(exc.message("zh"), exc.message("en"), lang)
    return say("服务暂时出现问题，请稍后再试。", "Something went wrong; please try again.", lang)


def _lang(svc: Assistant, sid: str | None) -> str:
    draft = svc.filling.drafts.get(sid) if sid else None
    return draft.lang if draft is not None else "zh"


def _view(svc: Assistant, sid: str | None) -> DraftView | None:
    if not sid or svc.filling.drafts.get(sid) is None:
        return None
    return svc.draft(sid, _lang(svc, sid))


def _stored_history(svc: Assistant, sid: str) -> tuple[list[dict], list, int]:
    """A stored session as chat rows, message ids and the last staff reply (resuming after a reload)."""
    history: list[dict] = []
    rows: list = []
    seen = 0
    for m in svc.store.messages(sid):
        if m["role"] == "user":
            history.append({"role": "user", "content": html.escape(str(m["content"]))})
        else:
            history.append({"role": "assistant", "content": render_stored(m)})
            seen = m["id"] if m["role"] == "staff" else seen
        rows.append((m["id"], "assistant" if m["role"] == "assistant" else m["role"]))
    return history, rows, seen


def _lazy(build: Callable[[], Any]) -> Callable[[], Any]:
    """Build a heavy component (OCR, speech) once, on first use, under a lock."""
    lock = threading.Lock()
    held: list[Any] = []

    def get() -> Any:
        with lock:
            if not held:
                held.append(build())
            return held[0]

    return get


def browser_secret(state_dir: Path | None) -> str | None:
    """The key the browser's stored session id is encrypted with, kept in the state folder so that a reload
    after a server restart still finds the conversation (None: gradio's random per-process key)."""
    if state_dir is None:
        return None
    path = Path(state_dir) / "widget_browser.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(16), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def build_widget(
    get_service: Callable[[], Assistant],
    transcriber: Callable[[], Transcriber] | None = None,
    reader: Callable[[], DocumentReader] | None = None,
    state_dir: Path | None = None,
) -> gr.Blocks:
    from assistant import wiring

    get_transcriber = transcriber or _lazy(lambda: wiring.build_transcriber(get_service().settings))
    get_reader = reader or _lazy(lambda: wiring.build_document_reader(get_service().settings))
    with gr.Blocks(title="导办 · 企业登记智能导办") as demo:
        session = gr.State(None)
        saved = gr.BrowserState(None, storage_key="daoban-session", secret=browser_secret(state_dir))  # reloads
        ids = gr.State([])  # per chat row: (stored message id | None, role); feedback refers to the id
        last_staff = gr.State(0)  # the last staff reply shown
        busy = gr.State(False)  # a turn is streaming: the poll waits
        opened_state = gr.State(False)  # the form panel was unfolded once (after that the applicant decides)
        doc_state = gr.State(None)  # the uploaded document, read, waiting for 填入申请表
        gr.HTML(
            '<div id="db-header"><h1>导办 · 企业登记智能导办</h1>'
            "<p>依据法律法规回答，附条文出处 · Answers cite the law</p></div>"
        )
        with gr.Tab("问答", elem_id="db-tab-chat"):
            chat = gr.Chatbot(
                elem_id="db-chat",
                height=460,
                label="对话",
                show_label=False,
                sanitize_html=False,
                feedback_options=FEEDBACK_OPTIONS,
                group_consecutive_messages=False,  # a staff reply is its own bubble, with its own label
                placeholder="您好！我是导办助手，可以回答开公司、办个体户的问题，也可以边聊边帮您填申请表。",
            )
            with gr.Row(equal_height=True):
                upload = gr.UploadButton(
                    "上传", elem_id="db-upload", file_types=["image", ".pdf"], type="filepath", scale=0, min_width=44
                )
                box = gr.Textbox(
                    elem_id="db-input",
                    placeholder="请输入您的问题，例如：注册资本要一次交齐吗",
                    show_label=False,
                    scale=5,
                    max_lines=4,
                    max_length=2000,
                )
                send = gr.Button("发送", elem_id="db-send", variant="primary", scale=1, min_width=64)
            voice_note = gr.HTML("", elem_id="db-voice-note")
            with gr.Group(visible=False, elem_id="db-doc") as doc_box:
                doc_image = gr.Image(show_label=False, height=160, interactive=False, elem_id="db-doc-image")
                doc_view = gr.HTML(elem_id="db-doc-view")
                with gr.Row():
                    accept = gr.Button("填入申请表", elem_id="db-doc-accept", variant="primary", size="sm")
                    dismiss = gr.Button("取消", elem_id="db-doc-dismiss", size="sm")
            with gr.Row():
                voice = gr.Audio(
                    sources=["microphone", "upload"],
                    type="filepath",
                    label="语音提问",
                    elem_id="db-voice",
                    scale=4,
                )
                with gr.Column(scale=1, min_width=88):
                    gr.Button("按住说话", elem_id="db-talk", size="sm")  # HOLD_TO_TALK drives the recorder
                    handoff = gr.Button("转人工", elem_id="db-handoff", size="sm", variant="secondary")
            with gr.Accordion(panel_title(None), open=False, elem_id="db-form-panel") as form_box:
                panel = gr.HTML(panel_html(None), elem_id="db-form")
                with gr.Row(visible=False) as edit_row:
                    pick = gr.Dropdown([], label="修改字段", elem_id="db-edit-field", scale=2, allow_custom_value=False)
                    new_value = gr.Textbox(label="新的值", elem_id="db-edit-value", scale=2, max_length=300)
                    edit = gr.Button("修改", elem_id="db-edit", size="sm", scale=1, min_width=56)
                confirm = gr.Button("确认提交", elem_id="db-confirm", variant="primary", visible=False)
                form_note = gr.HTML("", elem_id="db-form-note")
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

        def refresh(sid: str | None, opened: bool = False):
            """The form panel after a turn, an upload, an edit or a reload; also keeps the session id."""
            try:
                view = _view(get_service(), sid)
            except Exception as exc:
                return gr.skip(), notice_html(_err(exc), error=True), gr.skip(), gr.skip(), gr.skip(), sid, opened
            lang = _lang(get_service(), sid)
            if view is None:
                box_update = gr.skip()
            elif opened:  # the applicant may have folded it: keep it as it is
                box_update = gr.update(label=panel_title(view, lang))
            else:  # the first draft: unfold the panel once
                box_update = gr.update(label=panel_title(view, lang), open=True)
            return (
                box_update,
                panel_html(view, lang),
                gr.update(choices=edit_choices(view), value=None, label=say("修改字段", "Field", lang)),
                gr.update(visible=bool(edit_choices(view))),
                gr.update(visible=can_confirm(view), value=say("确认提交", "Confirm", lang)),
                sid,
                opened or view is not None,
            )

        panel_io = [form_box, panel, pick, edit_row, confirm, saved, opened_state]

        def restore(sid: str | None):
            """After a reload: the stored conversation and its form, when the session still exists."""
            svc = get_service()
            if not sid or not svc.store.exists(sid):
                return None, [], [], 0, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), None, False
            history, rows, seen = _stored_history(svc, sid)
            return sid, history, rows, seen, *refresh(sid)

        def edit_field(sid: str | None, field: str | None, value: str):
            svc = get_service()
            lang = _lang(svc, sid)
            if not sid or not field:
                msg = say("请先选择要修改的字段。", "Pick a field to change first.", lang)
                return notice_html(msg, error=True), gr.skip()
            try:
                svc.edit_draft(sid, field, value, lang)
            except Exception as exc:
                return notice_html(_err(exc, lang), error=True), gr.skip()
            return notice_html(say("已修改。", "Changed.", lang)), ""

        def confirm_draft(history: list[dict], sid: str | None):
            svc = get_service()
            lang = _lang(svc, sid)
            try:
                receipt = svc.confirm(sid or "", lang)
            except Exception as exc:
                return notice_html(_err(exc, lang), error=True), history
            done = notice_html(say("已确认提交，回执见申请表。", "Submitted; the receipt is in the form.", lang))
            return done, [*history, {"role": "assistant", "content": receipt_html(receipt, lang)}]

        def read_file(path: str | None, sid: str | None):
            svc = get_service()
            lang = _lang(svc, sid)
            hidden = (gr.update(visible=False), None, "", gr.update(visible=False), None)
            if not path:
                return (*hidden, "")
            doc, problem = read_upload(get_reader(), path, svc.settings.document_max_bytes, lang)
            if doc is None:
                return (*hidden, notice_html(problem, error=True))
            usable = fills_form(doc)
            image = path if Path(path).suffix.lower() != ".pdf" else None
            return (
                gr.update(visible=True),
                gr.update(value=image, visible=image is not None),
                preview_html(doc, lang),
                gr.update(visible=usable),
                doc.model_dump(mode="json"),
                "",
            )

        def accept_document(doc: dict | None, history: list[dict], sid: str | None, rows: list):
            svc = get_service()
            lang = _lang(svc, sid)
            if not doc:
                return gr.skip(), history, sid, rows, None, ""
            read = ReadDocument.model_validate(doc)
            try:
                sid, reply = apply_document(svc, sid, read, lang, new_if_unknown=True)
            except Exception as exc:
                return gr.skip(), history, sid, rows, doc, notice_html(_err(exc, lang), error=True)
            kind = html.escape(read.doc_type_zh or read.doc_type)
            history = [
                *history,
                {"role": "user", "content": f"📎 {kind}"},
                {"role": "assistant", "content": render_answer(reply, [])},
            ]
            rows = [*rows, (None, "user"), (None, "assistant")]
            return gr.update(visible=False), history, sid, rows, None, ""

        def hear(path: str | None, sid: str | None, current: str):
            heard = transcribe_file(get_transcriber(), path, _lang(get_service(), sid))
            return (heard.text if heard.ok else current), heard.notice

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
        for trigger in (box.submit, send.click):
            trigger(respond, turn_io, [*turn_io, busy]).then(
                refresh, [session, opened_state], panel_io, show_progress="hidden"
            )
        handoff.click(ask_for_person, [chat, session, ids, last_staff], [chat, session, ids, last_staff])
        chat.like(feedback, [session, ids], None)
        demo.load(restore, [saved], [session, chat, ids, last_staff, *panel_io])
        edit.click(edit_field, [session, pick, new_value], [form_note, new_value]).then(
            refresh, [session, opened_state], panel_io
        )
        confirm.click(confirm_draft, [chat, session], [form_note, chat]).then(
            refresh, [session, opened_state], panel_io
        )
        upload.upload(read_file, [upload, session], [doc_box, doc_image, doc_view, accept, doc_state, voice_note])
        accept.click(
            accept_document, [doc_state, chat, session, ids], [doc_box, chat, session, ids, doc_state, voice_note]
        ).then(refresh, [session, opened_state], panel_io)
        dismiss.click(lambda: (gr.update(visible=False), None), None, [doc_box, doc_state])
        for event in (voice.stop_recording, voice.upload):
            event(hear, [voice, session, box], [box, voice_note])
        timer = gr.Timer(POLL_SECONDS)
        timer.tick(poll, [chat, session, ids, last_staff, busy], [chat, ids, last_staff], show_progress="hidden")
    return demo


def mount_widget(
    app: FastAPI,
    get_service: Callable[[], Assistant],
    *,
    transcriber: Callable[[], Transcriber] | None = None,
    reader: Callable[[], DocumentReader] | None = None,
    state_dir: Path | None = None,
) -> None:
    demo = build_widget(get_service, transcriber, reader, state_dir)
    gr.mount_gradio_app(app, demo, path="/ui", css=CSS, head=HOLD_TO_TALK, footer_links=[], ssr_mode=False)
    mount_staff(app, get_service)  # the staff law browser (法规检索) at /staff: a page of its own
