"""Deterministic key points (要点) of an article or guide section, without a model.

The text is split into its 款 (paragraphs), 项 (（一）… items) and sentences; in each point the numbers,
amounts and time limits, the duties (应当 / 必须), prohibitions (不得 / 禁止), permissions (可以) with who
must act, definitions (……是指……) and cross-references (第X条) are marked with their offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

from assistant.policy.refs import int_to_cn

MarkKind = Literal[
    "time_limit", "date", "amount", "number", "obligation", "prohibition", "permission", "definition", "reference"
]

_CN = "零〇一二两三四五六七八九十百千万亿"
_Q = rf"(?:\d+(?:\.\d+)?|[{_CN}]+|半)"
_D = "一二三四五六七八九十"
_DATE = re.compile(rf"\d{{4}}年\d{{1,2}}月\d{{1,2}}日|[一二〇零三四五六七八九]{{4}}年[{_D}]{{1,2}}月[{_D}]{{1,3}}日")
_TIME = re.compile(rf"{_Q}(?:个)?(?:工作日|日|天|个月|月|年|周|小时)(?:以内|以上|以下|内)?|(?:次日|当日|当场|即时)")
_AMOUNT = re.compile(rf"(?:人民币)?{_Q}(?:万|亿)?元(?:以上|以下)?|百分之{_Q}|{_Q}%|{_Q}倍(?:以上|以下)?")
_COUNT = re.compile(rf"{_Q}(?:个|名|人|家|项|份|次)?(?:以上|以下)")
_MODALS: tuple[tuple[str, MarkKind], ...] = (
    ("应当", "obligation"),
    ("必须", "obligation"),
    ("不得", "prohibition"),
    ("禁止", "prohibition"),
    ("严禁", "prohibition"),
    ("可以", "permission"),
)
_MODAL_RE = re.compile("|".join(m for m, _ in _MODALS))
_MODAL_KIND = dict(_MODALS)
_DEFINITION = re.compile(
    r"(?:(?:本法|本条例|本规定|本细则|本办法|本决定)(?:所)?称(?:的)?)?(?P<term>[^，。；：、（）\s]{1,30}?)，?(?:是指|系指)"
    r"(?P<meaning>[^。；]+)"
)
_REFERENCE = re.compile(
    r"(?:本法|本条例|本规定|本细则|本办法|《[^》]+》)?第[一二三四五六七八九十百千零〇两]+条(?:之[一二三四五六七八九十]+)?"
)
_ITEM = re.compile(r"^[（(][一二三四五六七八九十]+[)）]")
_HEADING = re.compile(r"^第[一二三四五六七八九十百千零〇两]+条(?:之[一二三四五六七八九十]+)?[\s　]*")
_BASIS_LINE = re.compile(r"^依据[:：].*$", re.MULTILINE)
_BY_RE = re.compile(r"由([\u4e00-\u9fff]{2,14})")
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")


class Mark(BaseModel):
    kind: MarkKind
    text: str
    start: int = Field(description="Offset in the key point's text")
    end: int


class Duty(BaseModel):
    """应当 / 必须 / 不得 / 可以, and who must act (the nearest actor named before it, if any)."""

    kind: Literal["obligation", "prohibition", "permission"]
    modal: str
    actor: str | None = None


class Definition(BaseModel):
    term: str
    meaning: str


class KeyPoint(BaseModel):
    ref: str = Field(description="Where in the article: 第一款, 第二款第（三）项")
    text: str
    marks: list[Mark] = Field(default_factory=list)
    duties: list[Duty] = Field(default_factory=list)
    definitions: list[Definition] = Field(default_factory=list)

    @property
    def kinds(self) -> set[str]:
        return {m.kind for m in self.marks}


@dataclass(frozen=True)
class Actors:
    """Who may be told to act (policy.yaml ``actors``); ``not_actors`` are longer words that merely contain
    one (公司章程) and are matched only to be skipped."""

    names: frozenset[str]
    pattern: re.Pattern[str] | None

    def find(self, text: str) -> list[str]:
        if self.pattern is None:
            return []
        return [
            m.group(0)
            for m in self.pattern.finditer(text)
            if m.group(0) in self.names and not text[max(0, m.start() - 2) : m.start()].endswith(_NOT_AGENT)
        ]


_NOT_AGENT = ("设立", "成立", "发现", "向", "对", "给", "与", "和", "及", "为", "根据", "依照", "按照")


@lru_cache(maxsize=4)
def load_actors(knowledge_dir: Path) -> Actors:
    path = knowledge_dir / "policy.yaml"
    cfg = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    names = {str(a) for a in cfg.get("actors") or ()}
    words = sorted(names | {str(a) for a in cfg.get("not_actors") or ()}, key=len, reverse=True)
    return Actors(frozenset(names), re.compile("|".join(map(re.escape, words))) if words else None)


def split_points(text: str, unit: str = "款") -> list[tuple[str, str]]:
    """(ref, sentence) pairs: 款 by line, 项 for lines opening with （一）, sentences by 。 (``unit`` 段 for
    a guide section, whose paragraphs are not 款)."""
    body = _BASIS_LINE.sub("", _HEADING.sub("", text.strip(), count=1)).strip()
    out: list[tuple[str, str]] = []
    para = 0
    for line in (ln.strip() for ln in body.splitlines()):
        if not line:
            continue
        item = _ITEM.match(line)
        if item and para:
            ref = f"第{int_to_cn(para)}{unit}第{item.group(0)}项"
            out.append((ref, line))  # an item is one point, however many sentences it has
            continue
        para += 1
        ref = f"第{int_to_cn(para)}{unit}"
        out.extend((ref, s.strip()) for s in _SENTENCE.findall(line) if s.strip(" 。"))
    return out


def _marks(text: str) -> list[Mark]:
    found: list[Mark] = []
    taken: list[tuple[int, int]] = []

    def add(kind: MarkKind, m: re.Match[str]) -> None:
        s, e = m.span()
        if any(s < te and ts < e for ts, te in taken):
            return
        taken.append((s, e))
        found.append(Mark(kind=kind, text=m.group(0), start=s, end=e))

    for m in _REFERENCE.finditer(text):
        add("reference", m)
    for kind, pattern in (("date", _DATE), ("time_limit", _TIME), ("amount", _AMOUNT), ("number", _COUNT)):
        for m in pattern.finditer(text):
            add(kind, m)  # type: ignore[arg-type]
    for m in _MODAL_RE.finditer(text):
        add(_MODAL_KIND[m.group(0)], m)
    for m in _DEFINITION.finditer(text):
        s = m.start("meaning") - 2  # the 是指 / 系指 before the meaning
        found.append(Mark(kind="definition", text=text[s : s + 2], start=s, end=s + 2))
    return sorted(found, key=lambda mk: mk.start)


def _duties(text: str, actors: Actors, fallback: str | None) -> tuple[list[Duty], str | None]:
    """The duties in a sentence and the subject carried to the next one (Chinese drops repeated subjects)."""
    duties: list[Duty] = []
    last = fallback
    pos = 0
    for m in _MODAL_RE.finditer(text):
        segment = text[pos : m.start()].rsplit("；", 1)[-1]  # this clause only
        after = _BY_RE.match(text, m.end())  # 应当由公司……: the one after 由
        named = actors.find(after.group(1))[:1] if after else []
        named = named or actors.find(segment)
        if named:
            last = named[-1]
        duties.append(Duty(kind=_MODAL_KIND[m.group(0)], modal=m.group(0), actor=last))  # type: ignore[arg-type]
        pos = m.end()
    if not duties:
        for m in _BY_RE.finditer(text):  # 由股东……缴足: the one named after 由 must act
            named = actors.find(m.group(1))
            if named and named[0] == m.group(1)[: len(named[0])]:
                duties.append(Duty(kind="obligation", modal="由", actor=named[0]))
        rest = actors.find(text)
        if rest and not duties:
            last = rest[0]
    return duties, last


def _definitions(text: str) -> list[Definition]:
    out = []
    for m in _DEFINITION.finditer(_ITEM.sub("", text)):
        term = m.group("term").strip('“”"')
        out.append(Definition(term=term, meaning=m.group("meaning").strip()))
    return out


def key_points(text: str, knowledge_dir: Path, *, unit: str = "款") -> list[KeyPoint]:
    """The key points of an article (or a guide / FAQ section, whose 依据 line is left out)."""
    actors = load_actors(knowledge_dir)
    points: list[KeyPoint] = []
    actor: str | None = None
    para = ""
    for ref, sentence in split_points(text, unit):
        base = ref.split("第（")[0]
        if base != para:  # a new paragraph forgets the previous subject
            para, actor = base, None
        duties, actor = _duties(sentence, actors, actor)
        points.append(
            KeyPoint(
                ref=ref,
                text=sentence,
                marks=_marks(sentence),
                duties=duties,
                definitions=_definitions(sentence),
            )
        )
    return points
