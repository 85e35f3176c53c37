"""Silence and non-speech are told apart from speech before the recogniser runs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from assistant.speech import activity
from assistant.speech.audio import decode
from tests.unit.speech_media import tone


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed (scripts/setup.sh --dev installs it)")
    path = Path(tmp_path_factory.mktemp("speech")) / "q.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), "Do I need a business license?"], check=True)
    return decode(path.read_bytes(), filename="q.wav").samples


def test_digital_silence_and_a_muted_microphone_are_silent() -> None:
    assert activity.detect(np.zeros(32000, np.float32)).reason == "silent"
    hiss = np.random.default_rng(0).normal(0, 0.0005, 32000).astype(np.float32)  # about -66 dBFS
    found = activity.detect(hiss)
    assert not found.speech and found.reason == "silent" and found.peak_dbfs < -50


def test_a_click_is_too_short() -> None:
    assert activity.detect(tone(0.1)).reason == "too_short"


def test_loud_noise_is_not_speech() -> None:
    noise = np.random.default_rng(1).normal(0, 0.1, 48000).astype(np.float32)
    found = activity.detect(noise)
    assert not found.speech and found.reason == "no_voice" and found.speech_seconds is not None


def test_speech_is_speech(spoken: np.ndarray) -> None:
    found = activity.detect(spoken)
    assert found.speech and found.reason == "ok"
    assert found.speech_seconds is not None and found.speech_seconds > 0.8


def test_without_the_detector_energy_alone_decides(spoken: np.ndarray) -> None:
    noise = np.random.default_rng(1).normal(0, 0.1, 48000).astype(np.float32)
    assert activity.detect(noise, use_vad=False).speech  # energy cannot tell noise from speech
    assert activity.detect(spoken, use_vad=False).speech_seconds is None


def test_frame_levels_in_dbfs() -> None:
    levels = activity.frame_dbfs(tone(1.0, level=1.0))
    assert levels.shape == (33,) and np.allclose(levels, -3.0, atol=0.1)  # a full-scale sine's RMS is -3 dBFS
