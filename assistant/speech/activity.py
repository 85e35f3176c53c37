"""Is there speech in a recording? Energy first (silence, a muted microphone), then a voice-activity
detector where a packaged one loads (Silero VAD, the ONNX model inside faster-whisper) for noise and music."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from assistant.speech.audio import SAMPLE_RATE

log = logging.getLogger("daoban.speech")
FRAME = SAMPLE_RATE * 30 // 1000  # 30 ms


@dataclass(frozen=True)
class Activity:
    speech: bool
    reason: str  # ok | too_short | silent | no_voice
    peak_dbfs: float
    speech_seconds: float | None  # None: no VAD available, energy only


def frame_dbfs(samples: np.ndarray) -> np.ndarray:
    """RMS level of each 30 ms frame in dBFS (full scale = 0 dB)."""
    n = len(samples) // FRAME
    if n == 0:
        return np.array([-120.0])
    frames = samples[: n * FRAME].reshape(n, FRAME).astype(np.float64)
    rms = np.sqrt((frames**2).mean(axis=1))
    return np.asarray(20 * np.log10(np.maximum(rms, 1e-6)))


@lru_cache(maxsize=1)
def _vad() -> Any:
    """faster-whisper's Silero VAD, or None when it does not load (energy detection alone then)."""
    try:
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        get_speech_timestamps(np.zeros(SAMPLE_RATE, np.float32), VadOptions())  # loads the ONNX model once
        return get_speech_timestamps, VadOptions
    except Exception as exc:  # an optional component: its absence is logged, not fatal
        log.warning("voice-activity detector unavailable, energy detection only: %s", exc)
        return None


def detect(
    samples: np.ndarray,
    *,
    min_seconds: float = 0.3,
    silence_dbfs: float = -50.0,
    min_speech_seconds: float = 0.25,
    use_vad: bool = True,
) -> Activity:
    """Decide whether ``samples`` (16 kHz mono float32) hold speech worth transcribing."""
    levels = frame_dbfs(samples)
    peak = float(np.percentile(levels, 95)) if levels.size else -120.0
    if len(samples) < min_seconds * SAMPLE_RATE:
        return Activity(False, "too_short", peak, 0.0)
    if peak < silence_dbfs:
        return Activity(False, "silent", peak, 0.0)
    vad = _vad() if use_vad else None
    if vad is None:
        return Activity(True, "ok", peak, None)
    get_speech_timestamps, options = vad
    spans = get_speech_timestamps(
        samples, options(min_silence_duration_ms=300, speech_pad_ms=0, min_speech_duration_ms=100)
    )
    seconds = sum(s["end"] - s["start"] for s in spans) / SAMPLE_RATE
    if seconds < min_speech_seconds:
        return Activity(False, "no_voice", peak, seconds)
    return Activity(True, "ok", peak, seconds)
