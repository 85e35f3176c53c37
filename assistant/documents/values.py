"""Value post-processing per field kind: dates → YYYY-MM-DD, periods, ID / credit-code check digits, money.

Each parser returns ``(value, problem)``; a problem (bilingual, short) marks the field ``needs_check``.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.approval.rules.identity import ric_birth, ric_problem, uscc_problem

_EDGE = " :：,，;；。.、|_-—"
_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "|": "1", "Z": "2", "B": "8"})
_DATE = re.compile(r"(\d{4})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*日?")
_DATE8 = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")
_UPPER_DIGITS = {"零": 0, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9,
                 "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "两": 2}  # fmt: skip
_UPPER_UNITS = {"拾": 10, "十": 10, "佰": 100, "百": 100, "仟": 1000, "千": 1000}
Problem = str | None


def clean(text: str) -> str:
    return text.strip(_EDGE).strip()


_FULL = {",": "，", ";": "；", ":": "：", "(": "（", ")": "）"}


def _is_cjk(ch: str) -> bool:
    """A Chinese character or CJK / full-width punctuation (、。，（ …)."""
    o = ord(ch)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF


def cjk_punctuation(text: str) -> str:
    """Half-width , ; : ( ) that the recogniser reads in Chinese text → full-width ，；：（）, as printed.

    Only where Chinese is next to them: a bracket pair around or after Chinese, a separator with Chinese on one
    side and not between two digits, so numbers, codes and times (1,000 / 12:30 / a lone (A)) are kept."""
    if not any(c in text for c in _FULL):
        return text
    out = list(text)
    stack: list[int] = []
    for i, ch in enumerate(out):  # bracket pairs, nested ones too
        if ch in "(（":
            stack.append(i)
        elif ch in ")）" and stack:
            o = stack.pop()
            before = out[o - 1] if o else ""
            if any(_is_cjk(c) for c in out[o + 1 : i]) or (before and _is_cjk(before)):
                out[o], out[i] = "（", "）"
    for i, ch in enumerate(out):
        if ch not in _FULL:
            continue
        a = next((c for c in reversed(out[:i]) if c != " "), "")
        b = next((c for c in out[i + 1 :] if c != " "), "")
        if ch in ",;:" and a.isdigit() and b.isdigit():
            continue
        if (a and _is_cjk(a)) or (b and _is_cjk(b)):
            out[i] = _FULL[ch]
    return "".join(out)


def _date_of(y: str, m: str, d: str) -> str | None:
    from datetime import date

    try:
        return date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


def dates_in(text: str) -> list[str]:
    fixed = text.translate(_DIGIT_FIX)
    found = [(m.start(), _date_of(*m.groups())) for m in _DATE.finditer(fixed)]
    if not found:
        found = [(m.start(), _date_of(*m.groups())) for m in _DATE8.finditer(fixed)]
    return [d for _, d in sorted(found) if d]


def parse_date(text: str) -> tuple[str, Problem]:
    got = dates_in(text)
    if got:
        return got[0], None
    return clean(text), "日期无法识别 / date not recognised"


def parse_period(text: str) -> tuple[tuple[str, str], Problem]:
    """(start, end) of a validity or lease term; end may be 长期 (no end date)."""
    got = dates_in(text)
    open_ended = "长期" in text or "永久" in text or "不约定" in text
    if len(got) >= 2:
        return (got[0], got[1]), None
    if open_ended and len(got) <= 1:
        return (got[0] if got else "", "长期"), None
    return (got[0] if got else "", ""), "期限无法完整识别 / term not fully recognised"


def parse_sex(text: str) -> tuple[str, Problem]:
    m = re.search("[男女]", text)
    return (m.group(0), None) if m else (clean(text), "性别无法识别 / sex not recognised")


def _id_chars(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", text).upper().translate(_DIGIT_FIX)


def parse_id_number(text: str) -> tuple[str, Problem]:
    """18-character resident ID; a failed check digit means a misread character: confirm it on the card."""
    raw = _id_chars(text)
    m = re.search(r"\d{17}[\dX]", raw)
    num = m.group(0) if m else raw[:18]
    problem = ric_problem(num)
    if problem is None:
        return num, None
    if problem[0] == "identity.id_checksum":
        return num, "校验码不符，可能有数字识别错误 / check digit fails: a digit may be misread"
    return num, f"号码格式不正确 / malformed number ({problem[2] or problem[1]})"


def parse_uscc(text: str, data_dir: Path) -> tuple[str, Problem]:
    raw = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    m = re.search(r"[0-9A-Z]{18}", raw)
    num = m.group(0) if m else raw[:18]
    problem = uscc_problem(num, data_dir)
    if problem is None:
        return num, None
    if problem[0] in ("identity.uscc_checksum", "identity.uscc_org_code"):
        return num, "校验码不符，可能有字符识别错误 / check digit fails: a character may be misread"
    return num, f"代码格式不正确 / malformed code ({problem[2] or problem[1]})"


def _upper_number(text: str) -> float | None:
    """壹佰伍拾万 → 1500000; None when the text holds no Chinese numeral."""
    total, section, digit = 0, 0, 0
    seen = False
    for ch in text:
        if ch in _UPPER_DIGITS:
            digit, seen = _UPPER_DIGITS[ch], True
        elif ch in _UPPER_UNITS:
            section += (digit or 1) * _UPPER_UNITS[ch]
            digit, seen = 0, True
        elif ch == "万":
            total += (section + digit) * 10_000
            section = digit = 0
        elif ch == "亿":
            total += (section + digit) * 100_000_000
            section = digit = 0
    return float(total + section + digit) if seen else None


def parse_money_wan(text: str) -> tuple[str, Problem]:
    """注册资本 → amount in 万元 as a plain number string ("100", "50.5")."""
    t = text.replace(",", "").replace("，", "")
    m = re.search(r"(\d+(?:\.\d+)?)\s*(万|亿)?元?", t)
    if m:
        n = float(m.group(1)) * (10_000 if m.group(2) == "亿" else 1 if m.group(2) == "万" else 1e-4)
        return f"{n:g}", None
    n2 = _upper_number(t)
    if n2:
        return f"{n2 / 10_000:g}", None
    return clean(text), "金额无法识别 / amount not recognised"


def parse_area(text: str) -> tuple[str, Problem]:
    m = re.search(r"(\d+(?:\.\d+)?)", text.translate(_DIGIT_FIX))
    return (m.group(1), None) if m else (clean(text), "面积无法识别 / area not recognised")


def id_consistency(id_number: str, birth: str | None, sex: str | None) -> Problem:
    """The birth date and sex printed on the card must agree with the ID number (GB 11643)."""
    if len(id_number) != 18 or ric_problem(id_number):
        return None
    b = ric_birth(id_number)
    if birth and b and b.isoformat() != birth:
        return "与身份号码中的出生日期不一致 / differs from the birth date in the ID number"
    if sex and id_number[16].isdigit() and sex != ("男" if int(id_number[16]) % 2 else "女"):
        return "与身份号码中的性别不一致 / differs from the sex in the ID number"
    return None
