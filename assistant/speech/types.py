"""Value types of the speech path (语音提问): what an engine recognises and what a transcription returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SpeechStatus = Literal["ok", "no_speech"]


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Recognition:
    """What a speech engine heard in 16 kHz mono audio: raw text, the language it decoded in, its confidence."""

    text: str
    lang: str
    language_probability: float
    segments: tuple[Segment, ...] = ()
    no_speech_probability: float = 0.0


@dataclass(frozen=True)
class Transcript:
    """A transcribed voice question. ``text`` is normalised for search and form fields (Simplified script,
    Cantonese wording mapped to standard written Chinese); ``original_text`` is what the engine wrote."""

    text: str
    original_text: str
    lang: str  # zh | en | yue (yue: Cantonese recognised from the transcript's wording)
    duration_s: float
    status: SpeechStatus = "ok"
    language_probability: float = 0.0
    segments: tuple[Segment, ...] = ()
    model: str = ""
    message_zh: str = ""
    message_en: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang.startswith("en") else self.message_zh
