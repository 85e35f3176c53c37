"""Scoring transcripts: character error rate (Chinese), word error rate (English).

Two views, both applied identically to the reference and the hypothesis:

- ``raw``: punctuation, symbols and spaces removed, nothing else (script, numerals and case as written).
- ``standard`` (the figure the targets are judged on), the usual ASR scoring normalisation:
  Chinese: Unicode NFKC (full-width letters, digits and punctuation → half-width), traditional → simplified
  (OpenCC t2s), Arabic numbers → Chinese numerals as read aloud (30天 → 三十天, 1.5 → 一点五, 50% → 百分之五十,
  4-digit years and long digit strings digit by digit: 2024年 → 二零二四年), the numeral 两 → 二 and 〇 → 零,
  punctuation / symbols / spaces removed, Latin letters lower-cased; CER over characters.
  English: Whisper's own ``EnglishTextNormalizer`` (openai-whisper, the normaliser of the Whisper paper and the
  Open ASR leaderboard): lower case, punctuation removed, spelled-out numbers → digits (five → 5), British →
  American spelling, common contractions expanded (won't → will not); WER over words. Without openai-whisper
  installed a simpler fallback (lower case, punctuation removed, a small number table) is used.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from assistant.textnorm import to_simplified

_DIGITS = "零一二三四五六七八九"
_UNITS = ((1000, "千"), (100, "百"), (10, "十"))


def _int_to_zh(n: int) -> str:
    if n < 10:
        return _DIGITS[n]
    if n >= 10000:
        return "".join(_DIGITS[int(d)] for d in str(n))
    out, zero = "", False
    for value, unit in _UNITS:
        q, n = divmod(n, value)
        if q:
            out += ("零" if zero else "") + ("" if (value == 10 and q == 1 and not out) else _DIGITS[q]) + unit
            zero = False
        elif out:
            zero = True
    if n:
        out += ("零" if zero else "") + _DIGITS[n]
    return out


def norm_zh(text: str) -> str:
    """The lighter normalisation the OCR harness uses (script, digits, punctuation, case)."""
    text = to_simplified(text)
    text = re.sub(r"\d+", lambda m: _int_to_zh(int(m.group(0))), text)
    return re.sub(r"[\W_]+", "", text).lower()


def _digit_by_digit(digits: str) -> str:
    return "".join(_DIGITS[int(d)] for d in digits)


def _number_zh(m: re.Match[str]) -> str:
    """One Arabic number (with optional decimals, %, and a following 年) as it is read in Mandarin."""
    import cn2an

    whole, frac, percent, year = m.group(1), m.group(2), m.group(3), m.group(4)
    if year and len(whole) == 4 and not frac:
        return _digit_by_digit(whole) + "年"
    if len(whole) > 9 or (len(whole) > 1 and whole.startswith("0")):
        spoken = _digit_by_digit(whole)
    else:
        spoken = str(cn2an.an2cn(whole, "low"))
    if frac:
        spoken += "点" + _digit_by_digit(frac)
    return ("百分之" + spoken if percent else spoken) + (year or "")


_NUMBER = re.compile(r"(\d+)(?:\.(\d+))?(%)?(年)?")
_PUNCT = re.compile(r"[\W_]+")


def normalise_zh(text: str) -> str:
    """The standard Chinese scoring normalisation (module docstring)."""
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text)
    text = _NUMBER.sub(_number_zh, text)
    text = text.replace("两", "二").replace("〇", "零")
    return _PUNCT.sub("", text).lower()


def raw_zh(text: str) -> str:
    return _PUNCT.sub("", text)


_EN_WORDS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
_EN_NUMBERS = {w: str(i) for i, w in enumerate((_EN_WORDS + " seventeen eighteen nineteen twenty").split(" "))}


def _fallback_en(text: str) -> str:
    text = text.lower().replace("-", " ")
    words = re.findall(r"[a-z0-9']+", text)
    return " ".join(_EN_NUMBERS.get(w, w) for w in words)


@lru_cache(maxsize=1)
def _english_normaliser() -> Callable[[str], str]:
    try:
        from whisper.normalizers import EnglishTextNormalizer
    except ImportError:  # openai-whisper not installed: the simpler rules
        return _fallback_en
    return EnglishTextNormalizer()


def norm_en(text: str) -> list[str]:
    """The standard English scoring normalisation, as words."""
    return _english_normaliser()(text).split()


def raw_en(text: str) -> list[str]:
    return re.findall(r"[\w']+", text)


def edit_distance(ref: list[str] | str, hyp: list[str] | str) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def errors(ref: str, hyp: str, lang: str, *, mode: str = "standard") -> tuple[int, int]:
    """(edit errors, reference length): characters for zh/yue, words for en. ``mode``: standard | raw."""
    if mode not in ("standard", "raw"):
        raise ValueError(f"unknown scoring mode {mode!r}")
    if lang == "en":
        fn_en = norm_en if mode == "standard" else raw_en
        r, h = fn_en(ref), fn_en(hyp)
        return edit_distance(r, h), len(r)
    fn_zh = normalise_zh if mode == "standard" else raw_zh
    rz, hz = fn_zh(ref), fn_zh(hyp)
    return edit_distance(rz, hz), len(rz)
