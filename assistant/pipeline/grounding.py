"""Guard-rails for a small model: every [n] must point at a passage, and every number in the answer
must appear in the cited passages or the question. Otherwise the answer is replaced by the article."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.domain import Passage

_MARK = re.compile(r"\[(\d{1,2})\]")
_CN_DIGIT = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_CN_NUM = re.compile(r"[零〇一二两三四五六七八九十百千万]+")
_AR_NUM = re.compile(r"\d+(?:\.\d+)?")
# Chinese numerals that are words, not quantities
_NOT_NUMBERS = (
    "一些",
    "一般",
    "一致",
    "一同",
    "一并",
    "统一",
    "唯一",
    "之一",
    "一切",
    "一律",
    "一起",
    "万一",
    "一定",
    "一旦",
    "同一",
    "第一",
    "一人",
    "一次",
    "一项",
    "一名",
    "一个",
    "一份",
    "一方",
)


def cn_to_int(s: str) -> int | None:
    """Convert a Chinese numeral (up to 万) to an int: 四十七 → 47, 五 → 5, 一百零三 → 103."""
    if not s:
        return None
    total, section, digit = 0, 0, 0
    for ch in s:
        if ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        elif ch in _CN_UNIT:
            unit = _CN_UNIT[ch]
            if unit == 10000:
                total += (section + digit) * unit
                section, digit = 0, 0
            else:
                section += (digit or 1) * unit
                digit = 0
        else:
            return None
    return total + section + digit


def numbers_in(text: str) -> set[float]:
    text = _MARK.sub(" ", text)
    for w in _NOT_NUMBERS:
        text = text.replace(w, " ")
    out = {float(m) for m in _AR_NUM.findall(text)}
    for m in _CN_NUM.findall(text):
        v = cn_to_int(m)
        if v is not None:
            out.add(float(v))
    return out


_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def cjk_bigrams(text: str) -> set[str]:
    out: set[str] = set()
    for run in _CJK_RUN.findall(_MARK.sub(" ", text)):
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


def support_ratio(answer: str, sources: str) -> float:
    """Share of the answer's Chinese character bigrams that occur in the sources (1.0 if it has none)."""
    grams = cjk_bigrams(answer)
    if not grams:
        return 1.0
    return len(grams & cjk_bigrams(sources)) / len(grams)


@dataclass
class GroundingCheck:
    ok: bool
    cited: list[int]
    reason: str = ""


# Connective words a correct answer may add that the article itself does not contain.
ALLOWED_WORDS = "不可以 可以 不需要 需要 不用 不必 不一定 一定 应当 依据 根据 规定 条文 按照 是的 不是 也可以 即可 您"
MIN_SUPPORT = 0.6


def check_answer(answer: str, passages: list[Passage], question: str) -> GroundingCheck:
    """Citations valid, numbers found in the cited passages, wording mostly taken from them."""
    cited = sorted({int(n) for n in _MARK.findall(answer) if 1 <= int(n) <= len(passages)})
    if not cited:
        return GroundingCheck(False, [], "no valid citation marker")
    sources = f"{question} {ALLOWED_WORDS}"
    allowed = numbers_in(question)
    for n in cited:
        c = passages[n - 1].chunk
        allowed |= numbers_in(f"{c.article} {c.text}")
        sources += f" 《{c.source}》{c.article} {c.text}"
    stray = numbers_in(answer) - allowed
    if stray:
        return GroundingCheck(False, cited, f"numbers not in the cited passages: {sorted(stray)}")
    ratio = support_ratio(answer, sources)
    if ratio < MIN_SUPPORT:
        return GroundingCheck(False, cited, f"only {ratio:.0%} of the wording is found in the cited passages")
    return GroundingCheck(True, cited)


def strip_markers(text: str) -> str:
    return _MARK.sub("", text)
