"""Language of a transcript, Cantonese recognised from its wording and normalised, the initial prompt."""

from __future__ import annotations

import pytest

from assistant.settings import PROJECT_ROOT
from assistant.speech.correct import repair_terms
from assistant.speech.language import (
    cantonese_score,
    is_cantonese,
    normalise_transcript,
    resolve_language,
    script_language,
)
from assistant.speech.prompt import echoes_prompt, initial_prompt
from assistant.speech.service import is_hallucination

K = PROJECT_ROOT / "knowledge"


@pytest.mark.parametrize(
    "text",
    ["注册资本系咪要一次過畀晒", "我一個人可唔可以開有限公司", "營業執照唔見咗點算", "公司搬咗地址幾多日內要去變更登記",
     "搵中介幫我辦營業執照得唔得", "个体户点样登记嘅"],
)  # fmt: skip
def test_cantonese_wording_is_recognised(text: str) -> None:
    assert is_cantonese(text, K) and resolve_language(text, "zh", K) == "yue"


@pytest.mark.parametrize(
    "text",
    ["注册资本是不是要一次交齐", "我一个人可以开有限公司吗", "营业执照丢了怎么办", "联系登记机关需要多久",
     "好啦，那个体工商户呢", "几时能拿到营业执照"],
)  # fmt: skip
def test_mandarin_is_not_taken_for_cantonese(text: str) -> None:
    assert cantonese_score(text, K) < 2 and resolve_language(text, "zh", K) == "zh"


def test_cantonese_is_normalised_to_standard_written_chinese_and_simplified() -> None:
    original = "營業執照唔見咗點算"
    text = normalise_transcript(original, "yue", K)
    assert text == "营业执照丢了怎么办"
    assert normalise_transcript("我一個人可唔可以開有限公司", "yue", K) == "我一个人可不可以开有限公司"


def test_mandarin_is_only_simplified_and_spaces_between_characters_dropped() -> None:
    assert normalise_transcript("註冊資本 要一次 交齊嗎?", "zh", K) == "注册资本要一次交齐吗?"
    assert normalise_transcript("  Do I need  a licence? ", "en", K) == "Do I need a licence?"


def test_script_decides_between_chinese_and_english() -> None:
    assert script_language("Do I need a business license?") == "en"
    assert script_language("LLC 和个体工商户有什么区别") == "zh"
    # the engine's guess is overruled by what it wrote
    assert resolve_language("营业执照丢了怎么办", "en", K) == "zh"
    assert resolve_language("How long does it take?", "zh", K) == "en"
    assert resolve_language("任何文字", "yue", K) == "yue"  # a model with a Cantonese token said so


def test_initial_prompt_carries_the_domain_vocabulary_in_simplified_script() -> None:
    zh = initial_prompt("zh", K)
    for term in ("注册资本", "经营范围", "个体工商户"):
        assert term in zh
    assert "註" not in zh and "資" not in zh
    assert "registered capital" in initial_prompt("en", K)
    assert len(zh) < 220  # Whisper keeps at most ~223 prompt tokens


@pytest.mark.parametrize(
    "text", ["字幕by索兰娅", "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目", " you", "Thanks for watching!", ""]
)
def test_whisper_inventions_on_silence_count_as_no_speech(text: str) -> None:
    assert is_hallucination(text)


@pytest.mark.parametrize("text", ["You need a licence for that?", "谢谢，营业执照怎么办", "订阅号可以当公司名称吗"])
def test_real_questions_are_not_taken_for_inventions(text: str) -> None:
    assert not is_hallucination(text)


def test_markers_file_is_well_formed() -> None:
    lines = [ln.split("#")[0].split() for ln in (K / "lexicon" / "cantonese_markers.txt").read_text().splitlines()]
    entries = [p for p in lines if p]
    assert len(entries) > 20 and all(len(p) == 2 and p[1] in {"1", "2"} for p in entries)


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("诸册资本用什么货币登记", "注册资本用什么货币登记"),
        ("任缴的钱多少年内要是缴到位", "认缴的钱多少年内要实缴到位"),
        ("股东需假出资会被罚多少钱", "股东虚假出资会被罚多少钱"),
        ("个体工商户可以雇人吗", "个体工商户可以雇人吗"),  # already right: unchanged
        ("我想问一下天气", "我想问一下天气"),  # nothing that sounds like a term
    ],
)
def test_homophone_spellings_of_domain_terms_are_repaired(heard: str, meant: str) -> None:
    assert repair_terms(heard, K) == meant


def test_a_two_character_repair_needs_one_shared_character() -> None:
    """公式 sounds like 公示 and shares 公: repaired; 古董 sounds like 股东 but shares nothing: kept."""
    assert repair_terms("要公式吗", K) == "要公示吗"
    assert repair_terms("卖古董", K) == "卖古董"


def test_an_echo_of_the_prompt_is_not_a_question() -> None:
    assert echoes_prompt("有限公司、个体工商户、营业执照、有限公司、个体工商户、营业执照", K)  # seen on noise
    assert echoes_prompt("注册资本、经营范围、个体工商户。", K)
    assert echoes_prompt("以下是关于企业登记的普通话提问", K)
    assert not echoes_prompt("注册资本和经营范围怎么填，个体工商户要营业执照吗", K)
    assert not echoes_prompt("注册资本、经营范围、住所要填什么", K)
