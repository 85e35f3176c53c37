"""Article numbers (条号) and law references as staff type them.

``第四十七条`` ↔ 47, ``第四十七条之一`` sorts right after ``第四十七条``; a reference such as "公司法 47",
"公司法第47条", "《公司法》第四十七条" or "company law art 47" splits into (law name, article).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from assistant.pipeline.grounding import cn_to_int

_DIGITS = "零一二三四五六七八九"
_CN = "零〇一二两三四五六七八九十百千"
_NUM = rf"(?:\d+|[{_CN}]+)"
_SUB = rf"(?:\s*(?:之\s*(?:\d+|[{_CN}]+)|-\d+))?"  # 之一 / -1, uncaptured inside a reference
_ARTICLE = re.compile(
    rf"^\s*(?:(?:art(?:icle)?s?|no)\.?\s*|§\s*)?第?\s*(?P<n>{_NUM})\s*条?"
    rf"(?:\s*(?:之\s*(?P<sub>\d+|[{_CN}]+)|-(?P<dash>\d+)))?\s*$",
    re.IGNORECASE,
)
# 《…》 may nest one level: 《国务院关于实施《公司法》注册资本登记管理制度的规定》第三条
_BRACKETED = re.compile(rf"《(?P<law>(?:[^《》]|《[^《》]*》)+)》\s*(?P<art>第?\s*{_NUM}\s*条?{_SUB})")
_CJK_LAW = re.compile(
    rf"(?P<law>[\u4e00-\u9fff（）()]{{2,60}}?(?:法|条例|规定|细则|办法|决定|解释|总则))\s*"
    rf"(?P<art>第\s*{_NUM}\s*条{_SUB}|第?\s*\d+\s*条?{_SUB})"
)
_LATIN_LAW = re.compile(
    rf"^(?P<law>[a-z][a-z'\- ]*?[a-z])\s*,?\s*(?P<art>(?:art(?:icle)?s?\.?|§|no\.?)\s*\d+{_SUB})\s*$",
    re.IGNORECASE,
)
_TRAILING_NUMBER = re.compile(rf"^(?P<law>.*?[^\d\s])\s*(?P<art>\d+{_SUB})\s*$")


def int_to_cn(n: int) -> str:
    """47 → 四十七, 10 → 十, 110 → 一百一十, 101 → 一百零一 (the numerals law texts use)."""
    if n < 0 or n >= 100000:
        raise ValueError(n)
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    out, pending_zero, started = "", False, False
    for value, unit in ((10000, "万"), (1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            out += ("零" if pending_zero else "") + _DIGITS[d] + unit
            started, pending_zero = True, False
        elif started:
            pending_zero = True
    return out


def _to_int(s: str) -> int | None:
    s = s.strip()
    if s.isdigit():
        return int(s)
    return cn_to_int(s)


@total_ordering
@dataclass(frozen=True)
class ArticleNo:
    """An article number: 第四十七条 = ArticleNo(47); 第四十七条之一 = ArticleNo(47, 1)."""

    n: int
    sub: int = 0

    @property
    def label(self) -> str:
        return f"第{int_to_cn(self.n)}条" + (f"之{int_to_cn(self.sub)}" if self.sub else "")

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ArticleNo):
            return NotImplemented
        return (self.n, self.sub) < (other.n, other.sub)

    def __str__(self) -> str:
        return self.label


def parse_article(text: str) -> ArticleNo | None:
    """ "47", "第47条", "第四十七条", "四十七", "art. 47", "47之1", "47-1", "第四十七条之一" → ArticleNo; else None."""
    m = _ARTICLE.match(text or "")
    if not m:
        return None
    n = _to_int(m.group("n"))
    sub_text = m.group("sub") or m.group("dash")
    sub = _to_int(sub_text) if sub_text else 0
    if not n or sub is None or n > 9999:
        return None
    return ArticleNo(n, sub)


@dataclass(frozen=True)
class Reference:
    """A law name as typed (not yet resolved) and the article it names."""

    law: str
    article: ArticleNo
    span: tuple[int, int] = (0, 0)  # where it stands in the text

    def rest(self, text: str) -> str:
        """The text around the reference (what else the user asked)."""
        return (text[: self.span[0]] + " " + text[self.span[1] :]).strip()


def parse_reference(text: str) -> Reference | None:
    """The first law + article reference in free text, or None."""
    text = (text or "").strip()
    for pattern in (_BRACKETED, _CJK_LAW):
        for m in pattern.finditer(text):
            art = parse_article(m.group("art"))
            if art is not None:
                return Reference(m.group("law").strip(), art, m.span())
    for pattern in (_LATIN_LAW, _TRAILING_NUMBER):
        whole = pattern.match(text)
        if whole:
            art = parse_article(whole.group("art"))
            law = whole.group("law").strip(" 《》,，")
            if art is not None and law:
                return Reference(law, art, whole.span())
    return None


_NORM_DROP = re.compile(r"[\s《》<>\"'“”‘’·]+")


def normalise_law_name(name: str) -> str:
    """Compare law names ignoring 《》, spaces, case, bracket width and the 中华人民共和国 prefix."""
    n = _NORM_DROP.sub("", name or "").lower().replace("（", "(").replace("）", ")")
    return n.removeprefix("中华人民共和国")
