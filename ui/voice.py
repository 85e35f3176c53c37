"""The widget's voice path (语音提问): a recording → its transcript in the message box for correction, or a clear
message for silence, a recording that is too long or a file that is not audio. Never a traceback."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import DaobanError
from assistant.ports import Transcriber
from ui.form_panel import say

log = logging.getLogger("daoban.ui.voice")
LANG_NAMES = {"zh": ("普通话", "Mandarin"), "yue": ("粤语", "Cantonese"), "en": ("英语", "English")}


@dataclass
class Heard:
    text: str  # what goes into the message box ("" when nothing was heard)
    notice: str  # HTML shown under the box: what was heard, or what to do instead
    ok: bool


def notice_html(text: str, *, error: bool = False) -> str:
    css = "db-voice-note db-error" if error else "db-voice-note db-ms"
    return f'<div class="{css}">{html.escape(text)}</div>'


def transcribe_file(transcriber: Transcriber, path: str | Path | None, lang: str = "zh") -> Heard:
    """Transcribe one recorded (or uploaded) file for the message box."""
    if not path:
        return Heard("", "", False)
    try:
        data = Path(path).read_bytes()
        t = transcriber.transcribe(data, filename=Path(path).name)
    except DaobanError as exc:
        return Heard("", notice_html(exc.message("en" if lang.startswith("en") else "zh"), error=True), False)
    except Exception:  # a decoder or model surprise: a message, never a traceback
        log.exception("transcribing a recording failed")
        msg = say(
            "无法识别这段录音，请重新录音或改用文字输入。", "The recording could not be read; try again or type.", lang
        )
        return Heard("", notice_html(msg, error=True), False)
    if t.status != "ok" or not t.text.strip():
        msg = t.message(lang) or say(
            "没有听到说话声，请靠近麦克风再说一次。", "No speech heard; please try again.", lang
        )
        return Heard("", notice_html(msg, error=True), False)
    zh, en = LANG_NAMES.get(t.lang, (t.lang, t.lang))
    heard = say(
        f"已识别（{zh}，{t.duration_s:.1f} 秒），请核对文字后点“发送”。",
        f"Recognised ({en}, {t.duration_s:.1f} s): check the text, then tap 发送 / Send.",
        lang,
    )
    return Heard(t.text.strip(), notice_html(heard), True)
