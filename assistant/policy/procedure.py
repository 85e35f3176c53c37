"""Staff-action checks (工作人员操作合规提示): a staff member's stated action is checked against the procedure.

"申请人没有提供验资报告，驳回" → a warning that 验资报告 is not a registration document, with the articles that say
so. The patterns, their legal basis and the warning texts are data (knowledge/staff/procedure.yaml), validated on
load; a rejection no pattern flags must name a reason the approval engine has a rule for, else it is flagged too.
Deterministic and fast (regular expressions, no model).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

ActionKind = Literal["reject", "request", "limit"]
_CLAUSE = re.compile(r"[，,。；;！!？?\n：:]")
_QUESTION_END = re.compile(r"(?:[？?]|[吗么呢嘛][。.！!]?)\s*$")
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_QUANTITY = re.compile(
    r"(\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百半]+)\s*"
    r"(个工作日|工作日|个月|月|周|星期|天|日|年|个汉字|个字|汉字|字|个|名|人|位)"
)
_UNIT = {
    "个工作日": ("workdays", 1.0),
    "工作日": ("workdays", 1.0),
    "天": ("days", 1.0),
    "日": ("days", 1.0),
    "周": ("days", 7.0),
    "星期": ("days", 7.0),
    "个月": ("days", 30.0),
    "月": ("days", 30.0),
    "年": ("days", 365.0),
    "个汉字": ("chars", 1.0),
    "个字": ("chars", 1.0),
    "汉字": ("chars", 1.0),
    "字": ("chars", 1.0),
    "个": ("count", 1.0),
    "名": ("count", 1.0),
    "人": ("count", 1.0),
    "位": ("count", 1.0),
}
# a number states a limit when one of these words comes right before it (or after it)
_LIMIT_BEFORE = (
    "最多", "最少", "至少", "最长", "不超过", "不能超过", "不得超过", "超过", "不少于", "不能少于", "不得少于", "上限",
    "只能", "必须", "需要", "要等", "等", "需", "要", "得", "限", "为",
)  # fmt: skip
_LIMIT_AFTER = ("以内", "之内", "内", "以上", "以下", "后", "才")


def _compiles(patterns: list[str]) -> list[str]:
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise ValueError(f"bad pattern {p!r}: {exc}") from exc
    return patterns


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LegalBasis(_Strict):
    """One provision a warning rests on; ``quote`` is found verbatim in the article (tested against the corpus)."""

    law: str
    article: str
    quote: str

    @property
    def label(self) -> str:
        return f"《{self.law}》{self.article}"


class Quantity(_Strict):
    """A number the statement sets as a limit, compared with what the law sets."""

    unit: Literal["count", "chars", "days", "workdays"]
    allowed: list[float]
    near: str = ""  # the number must lie within 12 characters of this word ("" = anywhere)
    bound: Literal["exact", "max"] = "exact"  # exact: any other value is wrong; max: only a larger one
    tolerance: float = 0.0
    extended: float | None = None  # a larger maximum allowed when one of extended_by is stated (延长)
    extended_by: list[str] = Field(default_factory=list)
    any_number: bool = False  # every number counts, not only one stated as a limit (最多 / 以内 …)


class Pattern(_Strict):
    id: str
    actions: list[ActionKind]
    any: list[str]
    all: list[str] = Field(default_factory=list)  # each entry (a regex) must also be present
    unless: list[str] = Field(default_factory=list)
    only_alone: bool = False  # fires only when no other pattern fired and no supported reason is named
    quantity: Quantity | None = None
    basis: list[LegalBasis]
    warning: str
    warning_en: str

    @field_validator("any", "all", "unless")
    @classmethod
    def _regexes(cls, v: list[str]) -> list[str]:
        return _compiles(v)


class SupportedRejection(_Strict):
    id: str
    any: list[str]
    all: list[str] = Field(default_factory=list)
    rules: list[str]  # approval rule ids (knowledge/approval/rules/*.yaml)

    @field_validator("any", "all")
    @classmethod
    def _regexes(cls, v: list[str]) -> list[str]:
        return _compiles(v)


class Fallback(_Strict):
    id: str
    basis: list[LegalBasis]
    warning: str
    warning_en: str


class ProcedureTable(_Strict):
    actions: dict[ActionKind, list[str]]
    question_words: list[str]
    negators: list[str]
    request_negators: list[str]
    patterns: list[Pattern]
    supported_rejections: list[SupportedRejection]
    fallback: Fallback

    @field_validator("actions")
    @classmethod
    def _action_regexes(cls, v: dict[ActionKind, list[str]]) -> dict[ActionKind, list[str]]:
        for patterns in v.values():
            _compiles(patterns)
        return v

    def bases(self) -> Iterable[tuple[str, LegalBasis]]:
        for p in self.patterns:
            yield from ((p.id, b) for b in p.basis)
        yield from ((self.fallback.id, b) for b in self.fallback.basis)


class ProcedureWarning(BaseModel):
    """A staff action that contradicts the procedure, with the provisions that say so."""

    id: str
    message: str
    message_en: str
    basis: list[LegalBasis]
    matched: list[str] = Field(default_factory=list)  # the words of the statement that triggered it

    def text(self, lang: str = "zh") -> str:
        return self.message_en if lang.startswith("en") else self.message


def _search_any(patterns: Iterable[str], text: str) -> list[str]:
    out = []
    for p in patterns:
        m = re.search(p, text, re.I)
        if m:
            out.append(m.group(0))
    return out


def cn_number(text: str) -> float | None:
    """'15' → 15, '十五' → 15, '两' → 2, '二十' → 20, '半' → 0.5, '一百' → 100."""
    if text[0].isdigit():
        return float(text)
    if text == "半":
        return 0.5
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return float(total + current)


class ProcedureChecker:
    def __init__(self, table: ProcedureTable) -> None:
        self.table = table
        self._actions = {k: [re.compile(p, re.I) for p in v] for k, v in table.actions.items()}

    @classmethod
    def load(cls, knowledge_dir: Path) -> ProcedureChecker:
        return _load(knowledge_dir / "staff" / "procedure.yaml")

    # --- action detection -------------------------------------------------------------------------
    def is_question(self, statement: str) -> bool:
        text = statement.strip()
        return bool(_QUESTION_END.search(text)) or any(w in text for w in self.table.question_words)

    def actions(self, statement: str) -> set[str]:
        """The action kinds stated (not negated) in a statement."""
        found: set[str] = set()
        for kind, regexes in self._actions.items():
            for rx in regexes:
                if any(not self._negated(kind, statement, m) for m in rx.finditer(statement)):
                    found.add(kind)
                    break
        return found

    def _negated(self, kind: str, text: str, m: re.Match[str]) -> bool:
        if kind == "request":
            return any(n in text[max(0, m.start() - 3) : m.end()] for n in self.table.request_negators)
        if m.start() > 0 and text[m.start() - 1] in "不无没未免勿别":  # 不需要, 无需要, 没必须
            return True
        clause_start = max((c.end() for c in _CLAUSE.finditer(text, 0, m.start())), default=0)
        before = text[clause_start : m.start()]
        return any(n in before for n in self.table.negators)

    # --- the check --------------------------------------------------------------------------------
    def check(self, statement: str) -> list[ProcedureWarning]:
        """Warnings for a staff statement; none for a question or a statement without an action."""
        text = re.sub(r"\s+", " ", statement or "").strip()
        if not text or self.is_question(text):
            return []
        acts = self.actions(text)
        if not acts:
            return []
        fired: list[tuple[Pattern, list[str]]] = []
        for p in self.table.patterns:
            hit = self._fires(p, text, acts)
            if hit:
                fired.append((p, hit))
        supported = self.supported_reasons(text) if "reject" in acts else []
        if supported or any(not p.only_alone for p, _ in fired):
            fired = [(p, h) for p, h in fired if not p.only_alone]
        out = [self._warning(p.id, p.basis, p.warning, p.warning_en, h) for p, h in fired]
        if "reject" in acts and not out and not supported:
            fb = self.table.fallback
            out.append(self._warning(fb.id, fb.basis, fb.warning, fb.warning_en, []))
        return out

    def supported_reasons(self, text: str) -> list[SupportedRejection]:
        return [
            s
            for s in self.table.supported_rejections
            if _search_any(s.any, text) and all(re.search(a, text) for a in s.all)
        ]

    def _fires(self, p: Pattern, text: str, acts: set[str]) -> list[str]:
        if not acts.intersection(p.actions):
            return []
        hit = _search_any(p.any, text)
        if not hit or not all(re.search(a, text, re.I) for a in p.all):
            return []
        if _search_any(p.unless, text):
            return []
        if p.quantity is not None:
            wrong = self._wrong_quantity(p.quantity, text)
            if not wrong:
                return []
            hit.append(wrong)
        return hit

    @staticmethod
    def _wrong_quantity(q: Quantity, text: str) -> str:
        """The first stated number that breaks the law's limit ("" when none does)."""
        anchors = [m.start() for m in re.finditer(re.escape(q.near), text)] if q.near else []
        for m in _QUANTITY.finditer(text):
            unit, factor = _UNIT[m.group(2)]
            value = cn_number(m.group(1))
            if value is None:
                continue
            if q.unit == "workdays" and unit == "days":
                value = int(value * factor * 5 / 7)  # calendar days → working days (rounded down)
            elif unit != q.unit:
                continue
            else:
                value *= factor
            if q.near and not any(abs(m.start() - a) <= 12 for a in anchors):
                continue
            before, after = text[max(0, m.start() - 4) : m.start()], text[m.end() : m.end() + 3]
            stated = any(before.endswith(w) or w in before for w in _LIMIT_BEFORE) or after.startswith(_LIMIT_AFTER)
            if not (q.any_number or stated):
                continue
            limit = max(q.allowed)
            if q.extended is not None and any(w in text for w in q.extended_by):
                limit = q.extended
            if q.bound == "max":
                if value > limit + q.tolerance:
                    return m.group(0)
            elif not any(abs(value - a) <= q.tolerance for a in q.allowed):
                return m.group(0)
        return ""

    @staticmethod
    def _warning(pid: str, basis: list[LegalBasis], zh: str, en: str, matched: list[str]) -> ProcedureWarning:
        refs = "；".join(b.label for b in basis)
        return ProcedureWarning(
            id=pid,
            message=f"{zh.strip()}（依据：{refs}）",
            message_en=f"{en.strip()} (Basis: {refs})",
            basis=basis,
            matched=list(dict.fromkeys(matched)),
        )


@cache
def _load(path: Path) -> ProcedureChecker:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    table = ProcedureTable.model_validate(data)
    ids = [p.id for p in table.patterns] + [table.fallback.id]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"{path.name}: duplicate pattern ids {sorted(dupes)}")
    return ProcedureChecker(table)
