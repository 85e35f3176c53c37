"""The Transcriber: upload bytes → checked, decoded audio → speech engine → language and normalised text.

Transports (POST /v1/transcribe, ``daoban transcribe``) call :meth:`SpeechService.transcribe` only.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from assistant.ports import SpeechEngine
from assistant.speech import activity
from assistant.speech.audio import AudioLimits, decode
from assistant.speech.correct import repair_terms
from assistant.speech.language import normalise_transcript, resolve_language
from assistant.speech.prompt import echoes_prompt
from assistant.speech.types import Transcript

# Whisper's well-known inventions on silence or music (subtitle credits, video outros): a transcript that is
# only one of these is treated as no speech.
_HALLUCINATION_PREFIXES = ("字幕", "请不吝点赞", "明镜与点点", "subtitles by", "thank you for watching")
_HALLUCINATION_WHOLE = frozenset({"you", "谢谢观看", "thanks for watching", "bye"})


def clean_text(original: str, lang: str, knowledge_dir: Path, *, repair: bool = True) -> str:
    """The transcript for search and form fields: normalised (script, Cantonese wording) and, for Chinese,
    domain terms repaired by sound."""
    text = normalise_transcript(original, lang, knowledge_dir)
    return repair_terms(text, knowledge_dir) if repair and lang != "en" else text


def is_hallucination(text: str) -> bool:
    bare = re.sub(r"[\s\W_]+", " ", text).strip().lower()
    return not bare or bare in _HALLUCINATION_WHOLE or bare.startswith(_HALLUCINATION_PREFIXES)


NO_SPEECH = {  # reason: (Chinese, English)
    "too_short": (
        "录音太短，没有听到问题。请按住按钮说完整的问题。",
        "The recording is too short; hold the button and say your question.",
    ),
    "silent": ("没有听到声音：请检查麦克风后重新录音。", "No sound was heard: check the microphone and record again."),
    "no_voice": (
        "录音里没有听到说话声，请在安静处重新录音或直接输入问题。",
        "No speech was heard in the recording; record again somewhere quiet or type your question.",
    ),
    "empty": (
        "没有识别出文字，请再说一遍或直接输入问题。",
        "Nothing could be recognised; please say it again or type your question.",
    ),
}


class SpeechService:
    """Implements the Transcriber port over one :class:`SpeechEngine`."""

    def __init__(
        self,
        engine: SpeechEngine,
        *,
        knowledge_dir: Path,
        limits: AudioLimits | None = None,
        use_vad: bool = True,
        repair: bool = True,
    ) -> None:
        self.engine = engine
        self.knowledge_dir = knowledge_dir
        self.limits = limits or AudioLimits()
        self.use_vad = use_vad
        self.repair = repair

    def warm_up(self) -> None:
        self.engine.warm_up()

    def transcribe(self, audio: bytes, *, lang: str | None = None, filename: str | None = None) -> Transcript:
        """``lang``: zh | en | yue to skip language identification, None (or auto) to detect it."""
        t0 = time.perf_counter()
        decoded = decode(audio, filename=filename, limits=self.limits)
        t1 = time.perf_counter()
        found = activity.detect(decoded.samples, use_vad=self.use_vad)
        t2 = time.perf_counter()
        timings = {"decode": (t1 - t0) * 1e3, "vad": (t2 - t1) * 1e3}
        duration = round(decoded.duration_s, 2)
        if not found.speech:
            return self._no_speech(found.reason, duration, timings)
        hint = None if lang in (None, "", "auto") else lang
        engine_lang = "zh" if hint == "yue" and "yue" not in getattr(self.engine, "languages", ()) else hint
        heard = self.engine.recognize(decoded.samples, lang=engine_lang)
        timings["asr"] = (time.perf_counter() - t2) * 1e3
        timings["total"] = (time.perf_counter() - t0) * 1e3
        original = heard.text
        if is_hallucination(original) or echoes_prompt(original, self.knowledge_dir):
            return self._no_speech("empty", duration, timings)
        resolved = "yue" if hint == "yue" else resolve_language(original, heard.lang, self.knowledge_dir)
        text = clean_text(original, resolved, self.knowledge_dir, repair=self.repair)
        return Transcript(
            text=text,
            original_text=original,
            lang=resolved,
            duration_s=duration,
            language_probability=round(heard.language_probability, 3),
            segments=heard.segments,
            model=self.engine.name,
            timings_ms={k: round(v, 1) for k, v in timings.items()},
        )

    def _no_speech(self, reason: str, duration: float, timings: dict[str, float]) -> Transcript:
        zh, en = NO_SPEECH[reason]
        return Transcript(
            text="",
            original_text="",
            lang="",
            duration_s=duration,
            status="no_speech",
            model=self.engine.name,
            message_zh=zh,
            message_en=en,
            timings_ms={k: round(v, 1) for k, v in timings.items()},
        )
