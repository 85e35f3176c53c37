"""Scoring transcripts: character error rate (Chinese), word error rate (English), both after normalising
script, punctuation, case and Arabic numerals (Whisper writes 30天 for 三十天)."""

from __future__ import annotations

import re

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
    text = to_simplified(text)
    text = re.sub(r"\d+", lambda m: _int_to_zh(int(m.group(0))), text)
    return re.sub(r"[\W_]+", "", text).lower()


def norm_en(text: str) -> list[str]:
    text = text.lower().replace("'s", " 's").replace("-", " ")
    return re.findall(r"[a-z0-9']+", text)


def edit_distance(ref: list[str] | str, hyp: list[str] | str) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def errors(ref: str, hyp: str, lang: str) -> tuple[int, int]:
    """(edit errors, reference length): characters for zh/yue, words for en."""
    if lang == "en":
        r, h = norm_en(ref), norm_en(hyp)
        return edit_distance(r, h), len(r)
    rz, hz = norm_zh(ref), norm_zh(hyp)
    return edit_distance(rz, hz), len(rz)
