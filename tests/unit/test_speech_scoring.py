"""Scoring of transcripts (eval/asr_metrics.py), the term repair's sound rules, the prompt styles, the
benchmark's set split and the English test voices (eval/tts.py)."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import pytest
import yaml

from assistant.settings import PROJECT_ROOT
from assistant.speech.correct import fuzzy_syllable, repair_terms
from assistant.speech.prompt import initial_prompt
from eval import bench_asr, tts
from eval.asr_metrics import errors, norm_en, normalise_zh, raw_zh

K = PROJECT_ROOT / "knowledge"


@pytest.mark.parametrize(
    ("ref", "hyp"),
    [
        ("成立后三十天内要备案", "成立后30天内要备案。"),  # Arabic numerals
        ("注册资本减少百分之五十", "注冊資本減少50%"),  # traditional script, percent
        ("两个股东", "二个股东？"),  # 两 / 二
        ("二零二四年的年报", "2024年的年报"),  # a year is read digit by digit
        ("一点五万元", "１.５万元"),  # full-width digits
        ("有限公司股东人数上限是多少", "有限公司股东人数上限是多少?"),  # punctuation
    ],
)
def test_standard_chinese_normalisation_removes_scoring_artefacts(ref: str, hyp: str) -> None:
    assert normalise_zh(ref) == normalise_zh(hyp)
    assert errors(ref, hyp, "zh") == (0, len(normalise_zh(ref)))


def test_raw_chinese_scoring_counts_what_the_standard_one_forgives() -> None:
    assert raw_zh("两个股东，30天") == "两个股东30天"
    assert errors("两个股东三十天", "两个股东30天", "zh", mode="raw")[0] == 2  # 三→3, 十→0
    assert errors("两个股东三十天", "两个股东30天", "zh")[0] == 0
    assert errors("注册资本", "诸册资本", "zh") == (1, 4)  # a real error stays an error


def test_english_normalisation_is_whispers_standard_one() -> None:
    assert norm_en("I won't pay FIVE thousand yuan; it's the colour.") == norm_en(
        "i will not pay 5000 yuan it is the color"
    )
    assert errors("How many days' notice?", "how many days notice", "en") == (0, 4)
    assert errors("How many days' notice?", "how many days notice", "en", mode="raw")[0] == 2  # case, apostrophe
    assert errors("Where must the license be displayed?", "Where must a license be displayed?", "en") == (1, 6)
    with pytest.raises(ValueError, match="scoring mode"):
        errors("a", "b", "en", mode="loose")


def test_fuzzy_syllables_fold_the_usual_mandarin_confusions() -> None:
    assert [fuzzy_syllable(s) for s in ("zhi", "chu", "shi", "ling", "zheng", "ma")] == [
        "zi", "cu", "si", "nin", "zen", "ma"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("股东到期没把任脚的钱交上会怎么样", "股东到期没把认缴的钱交上会怎么样"),  # same tones, nothing shared
        ("营业之照丢了怎么办", "营业执照丢了怎么办"),  # zh/z, three of four characters shared
        ("食品经营许可正", "食品经营许可证"),  # same sound
        ("卖古董", "卖古董"),  # 古董 gǔdǒng ≠ 股东 gǔdōng and shares nothing
        ("要去公司吗", "要去公司吗"),  # already a domain term: never rewritten
        ("新闻只招聘", "新闻只招聘"),  # zhi zhao pin: no term of that sound
    ],
)
def test_term_repair_by_sound_writes_only_domain_terms(heard: str, meant: str) -> None:
    assert repair_terms(heard, K) == meant


def test_prompt_styles() -> None:
    full = initial_prompt("zh", K)
    assert full == initial_prompt("zh", K, "full") and "注册资本" in full and full.startswith("以下是")
    assert initial_prompt("zh", K, "preamble") == "以下是关于企业登记的普通话提问，用简体中文书写。"
    terms = initial_prompt("zh", K, "terms")
    assert terms.startswith("注册资本、") and "以下是" not in terms
    assert initial_prompt("en", K, "terms").startswith("registered capital, ")
    with pytest.raises(ValueError, match="prompt style"):
        initial_prompt("zh", K, "long")


def test_held_out_scripts_are_new_sentences() -> None:
    held = yaml.safe_load(bench_asr.HELDOUT.read_text(encoding="utf-8"))
    for lang in ("zh", "en"):
        dev = set(bench_asr.scripts(lang, 1000, "dev"))
        new = bench_asr.scripts(lang, 1000, "heldout")
        assert len(new) >= 30 and len(set(new)) == len(new) == len(held[lang])
        assert not dev & set(new), dev & set(new)
    assert all(not any(ch.isdigit() for ch in s) for s in held["zh"])  # TTS reads numerals as written


def test_every_bench_preset_names_real_engine_settings() -> None:
    from assistant.speech.faster_whisper_engine import FasterWhisperEngine

    engine = FasterWhisperEngine(Path("/nonexistent"), knowledge_dir=K)
    for name, preset in bench_asr.PRESETS.items():
        assert all(hasattr(engine, key) for key in preset), name


def test_unknown_english_voice_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown English voice"):
        tts.english(["hello"], "mbrola")


@pytest.mark.skipif(not tts.festival_available(), reason="festival + festvox-us-slt-hts not installed")
def test_festival_speaks_english_clips_and_caches_them(tmp_path: Path) -> None:
    (path,) = tts.english(["Can I register a company without an office?"], cache=tmp_path)
    with wave.open(io.BytesIO(path.read_bytes())) as w:
        seconds = w.getnframes() / w.getframerate()
    assert 1.5 < seconds < 8, seconds
    mtime = path.stat().st_mtime_ns
    assert tts.english(["Can I register a company without an office?"], cache=tmp_path) == [path]
    assert path.stat().st_mtime_ns == mtime  # cached: not spoken again
