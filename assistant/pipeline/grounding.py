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


# --- the conclusion after the basis (answer.py) ----------------------------------------------------
_EN_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90,
    "hundred": 100, "thousand": 1000,
}  # fmt: skip
_EN_NUM = re.compile(r"\b(" + "|".join(_EN_NUMBERS) + r")\b", re.I)
_ARTICLE_REF = re.compile(r"第[一二三四五六七八九十百千零〇两\d]+条")
_LAW_REF = re.compile(r"《([^《》]+)》")
_PROHIBIT = re.compile(r"不得|禁止|不能|不可以|不予|不允许")
_PERMIT = re.compile(r"可以|有权|允许|自愿")
# what a "no" may rest on: an explicit prohibition or restriction in the basis (不设股东会 or 一个以上 are not)
_RESTRICTS = re.compile(r"不得|禁止|不能|不可以|不予|不允许|只能|仅|限于|不具有|不属于|无权")
# a conclusion that grants what the basis forbids, or forbids what it grants
_SAYS_YES = re.compile(r"(?<![不没无])(?:可以|能够|允许)|\bcan\b|\bmay\b|\ballowed\b", re.I)
_SAYS_NO = re.compile(r"不可以|不能|不得|禁止|不允许|cannot|can't|may not|not allowed|must not|prohibited", re.I)
_CONDITION = re.compile(r"但|除外|如果|的，|经.{0,12}(?:批准|同意)|unless|if |except|provided", re.I)
CONCLUSION_WORDS = ALLOWED_WORDS + " 因此 所以 综上 即 不能 不得 可以 不可以 也 不 没有 必须 无需 只要 只能 就"
MIN_CONCLUSION_SUPPORT = 0.5
MAX_ECHO = 0.0


def numbers_with_words(text: str) -> set[float]:
    """numbers_in plus English number words (five years → 5)."""
    return numbers_in(text) | {float(_EN_NUMBERS[m.lower()]) for m in _EN_NUM.findall(text)}


def polarity_conflict(conclusion: str, basis: str) -> str:
    """A yes/no conclusion whose polarity contradicts the basis: the basis only forbids and the conclusion
    grants without a condition, or the basis only grants and the conclusion forbids."""
    forbids, grants = bool(_PROHIBIT.search(basis)), bool(_PERMIT.search(basis))
    says_no, says_yes = bool(_SAYS_NO.search(conclusion)), bool(_SAYS_YES.search(_SAYS_NO.sub("", conclusion)))
    if forbids and not grants and says_yes and not says_no and not _CONDITION.search(conclusion):
        return "the basis forbids; the conclusion grants"
    if grants and not forbids and says_no and not says_yes:
        return "the basis grants; the conclusion forbids"
    if says_no and not says_yes and not _RESTRICTS.search(basis):
        return "the conclusion forbids; the basis restricts nothing"
    return ""


def check_conclusion(conclusion: str, basis: str, cited: list[Passage], question: str) -> GroundingCheck:
    """The model's conclusion after the basis: non-empty, every number and article in the basis, the cited
    articles or the question, no law or article the basis does not cite, most of its wording from them (Chinese),
    and no polarity contradicting the basis."""
    n = list(range(1, len(cited) + 1))
    if len(conclusion.strip()) < 2:
        return GroundingCheck(False, n, "empty conclusion")
    articles = " ".join(f"《{p.chunk.source}》{p.chunk.article} {p.chunk.text}" for p in cited)
    sources = f"{basis} {articles} {question}"
    stray = numbers_with_words(_ARTICLE_REF.sub(" ", conclusion)) - numbers_with_words(sources)
    if stray:
        return GroundingCheck(False, n, f"numbers not in the basis: {sorted(stray)}")
    labels = {p.chunk.article for p in cited}
    foreign = [a for a in _ARTICLE_REF.findall(conclusion) if a not in labels]
    foreign += [law for law in _LAW_REF.findall(conclusion) if law not in sources]
    if foreign:
        return GroundingCheck(False, n, f"cites what the basis does not: {foreign}")
    if "吗" in conclusion or "?" in conclusion or "？" in conclusion:
        return GroundingCheck(False, n, "the conclusion echoes the question")
    if _CJK_RUN.search(conclusion):
        ratio = support_ratio(conclusion, f"{sources} {CONCLUSION_WORDS}")
        if ratio < MIN_CONCLUSION_SUPPORT:
            return GroundingCheck(False, n, f"only {ratio:.0%} of the wording is in the basis")
        echoed = support_ratio(conclusion, question) - support_ratio(conclusion, f"{basis} {articles}")
        if echoed > MAX_ECHO:  # mostly the question's wording, not the article's: a guess
            return GroundingCheck(False, n, "the conclusion restates the question rather than the basis")
    conflict = polarity_conflict(conclusion, basis)
    if conflict:
        return GroundingCheck(False, n, conflict)
    return GroundingCheck(True, n)
