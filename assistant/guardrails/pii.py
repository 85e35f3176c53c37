"""PII masking (个人信息脱敏) before any text reaches an LLM, and restoration only into form fields.

Recognised: 居民身份证号 (18 digits with the GB 11643 check digit; 15-digit old numbers with a valid birth date),
手机号 (1[3-9] + 9 digits, spaces/dashes allowed, optional +86), 固定电话 (area code 0xx(x)), 统一社会信用代码
(GB 32100 check digits, the approval engine's validator), 银行卡号 (16-19 digits, Luhn), 电子邮箱, 护照号.

Each value becomes a typed placeholder ([手机号1]); the per-turn ``Vault`` maps placeholder → original. Decision
(documented in the report and the README): the LLM prompt, retrieval, the stored transcript and logs all get the
masked text; the original lives only in the turn's vault. ``restore`` puts originals back only into form fields;
anywhere else (a chat answer) a placeholder is shown partly masked, e.g. 110***********1234.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from assistant.approval.rules.identity import ric_problem, uscc_problem

KINDS = {
    "id": "身份证号",
    "mobile": "手机号",
    "landline": "固定电话",
    "credit_code": "信用代码",
    "bank_card": "银行卡号",
    "email": "邮箱",
    "passport": "护照号",
}
_LABEL_KIND = {v: k for k, v in KINDS.items()}
PLACEHOLDER = re.compile(r"\[(" + "|".join(KINDS.values()) + r")(\d{1,3})\]")

_HALF = {c: c - 0xFEE0 for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))}
_HALF |= {0xFF0B: ord("+"), 0xFF20: ord("@"), 0x3000: ord(" ")}
_SEP = r"[ \-－‐]?"
# Order matters: earlier patterns claim their span first.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}(?![\w])")),
    ("id18", re.compile(r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d{2}[01]\d[0-3]\d\d{3}[\dXx](?![0-9A-Za-z])")),
    ("code18", re.compile(r"(?<![0-9A-Za-z])[0-9A-Z]{2}\d{6}[0-9A-Z]{10}(?![0-9A-Za-z])")),
    ("card", re.compile(r"(?<![0-9A-Za-z])(?:\d{4}[ \-]?){3}\d{4}(?:[ \-]?\d{1,3})?(?![0-9A-Za-z])")),
    ("mobile", re.compile(rf"(?<![\d+])(?:(?:\+|00)?86{_SEP})?1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}(?![\d])")),
    ("landline", re.compile(r"(?<![\d])(?:[(（]0\d{2,3}[)）]|0\d{2,3}[ \-－]?)[2-9]\d{6,7}(?:[-转]\d{1,5})?(?![\d])")),
    ("id15", re.compile(r"(?<![0-9A-Za-z])\d{6}\d{2}[01]\d[0-3]\d\d{3}(?![0-9A-Za-z])")),
    ("passport", re.compile(r"(?<![0-9A-Za-z])(?:[EGDSPHK]\d{8}|E[A-HJ-NP-Z]\d{7})(?![0-9A-Za-z])")),
]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _valid_date(y: int, m: int, d: int) -> bool:
    try:
        return date(y, m, d) <= date.today()
    except ValueError:
        return False


def id18_ok(num: str) -> bool:
    """GB 11643 check digit (and a real birth date)."""
    num = num.upper()
    return ric_problem(num) is None and _valid_date(int(num[6:10]), int(num[10:12]), int(num[12:14]))


def id15_ok(num: str) -> bool:
    return _valid_date(1900 + int(num[6:8]), int(num[8:10]), int(num[10:12]))


def _kind_of(tag: str, value: str, data_dir: Path | None) -> str | None:
    compact = re.sub(r"[^0-9A-Za-z]", "", value)
    if tag == "id18":
        if id18_ok(compact):
            return "id"
        return "bank_card" if compact.isdigit() and luhn_ok(compact) else None
    if tag == "code18":
        return "credit_code" if data_dir is not None and uscc_problem(compact, data_dir) is None else None
    if tag == "card":
        return "bank_card" if 16 <= len(compact) <= 19 and luhn_ok(compact) else None
    if tag == "id15":
        return "id" if id15_ok(compact) else None
    return {"email": "email", "mobile": "mobile", "landline": "landline", "passport": "passport"}[tag]


@dataclass
class Vault:
    """One turn's placeholder → original map. Never logged, never stored."""

    entries: dict[str, str] = field(default_factory=dict)

    def put(self, kind: str, value: str) -> str:
        for ph, v in self.entries.items():
            if v == value and ph.startswith("[" + KINDS[kind]):
                return ph
        n = 1 + sum(1 for ph in self.entries if ph.startswith("[" + KINDS[kind]))
        ph = f"[{KINDS[kind]}{n}]"
        self.entries[ph] = value
        return ph

    def __repr__(self) -> str:  # a vault in a log line or traceback shows no originals
        return f"Vault({len(self.entries)} entries)"

    def __bool__(self) -> bool:
        return bool(self.entries)


def mask(text: str, vault: Vault | None = None, data_dir: Path | None = None) -> tuple[str, Vault]:
    """Replace every recognised value with a typed placeholder; returns (masked text, vault)."""
    vault = vault if vault is not None else Vault()
    text = text.translate(_HALF)  # full-width digits and letters count (１３８…); lengths stay the same
    taken: list[tuple[int, int, str]] = []
    for tag, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b, _ in taken):
                continue
            kind = _kind_of(tag, m.group(0), data_dir)
            if kind:
                taken.append((m.start(), m.end(), kind))
    out, pos = [], 0
    for a, b, kind in sorted(taken):
        value = text[a:b]
        out.append(text[pos:a] + vault.put(kind, value))
        pos = b
    return "".join(out) + text[pos:], vault


def partial(kind: str, value: str) -> str:
    """A value shown partly masked: 110***********1234, 138****5678, z***@example.com."""
    if kind == "email":
        user, _, domain = value.partition("@")
        return (user[:1] + "***@" + domain) if user else value
    compact = re.sub(r"[^0-9A-Za-z]", "", value)
    keep_head = {"id": 3, "mobile": 3, "credit_code": 2, "bank_card": 0, "passport": 1, "landline": 4}.get(kind, 0)
    keep_tail = 2 if kind == "passport" else 4
    if len(compact) <= keep_head + keep_tail:
        return "*" * len(compact)
    return compact[:keep_head] + "*" * (len(compact) - keep_head - keep_tail) + compact[-keep_tail:]


def display(text: str, vault: Vault) -> str:
    """Placeholders shown partly masked (for chat answers); unknown placeholders stay as they are."""

    def sub(m: re.Match[str]) -> str:
        value = vault.entries.get(m.group(0))
        return partial(_LABEL_KIND[m.group(1)], value) if value is not None else m.group(0)

    return PLACEHOLDER.sub(sub, text)


def restore(text: str, vault: Vault, *, into: str = "chat", allowed: tuple[str, ...] = ("form",)) -> str:
    """Originals back in place of placeholders, only when ``into`` (where the text goes) is allowed: a form
    field. Anywhere else the value is shown partly masked."""
    if into not in allowed:
        return display(text, vault)
    return PLACEHOLDER.sub(lambda m: vault.entries.get(m.group(0), m.group(0)), text)
