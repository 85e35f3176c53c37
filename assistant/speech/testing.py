"""A scripted speech engine: a real implementation of the SpeechEngine port for tests of the transcribe path
(routes, CLI, normalisation) where loading Whisper is beside the point."""

from __future__ import annotations

import numpy as np

from assistant.speech.types import Recognition, Segment


class ScriptedSpeechEngine:
    def __init__(self, text: str, lang: str = "zh", *, languages: tuple[str, ...] = ("zh", "en")) -> None:
        self.name = "scripted"
        self.languages = languages
        self.text = text
        self.lang = lang
        self.calls: list[tuple[int, str | None]] = []  # (samples, lang asked for)

    def warm_up(self) -> None:
        return None

    def recognize(self, samples: np.ndarray, *, lang: str | None = None) -> Recognition:
        self.calls.append((len(samples), lang))
        seconds = round(len(samples) / 16000, 2)
        return Recognition(self.text, lang or self.lang, 0.9, (Segment(0.0, seconds, self.text),))
