"""Prompt-injection and jailbreak screen (提示词注入 / 越狱): weighted patterns from knowledge/guardrails/injection.yaml
over a normalised view of the text, so full-width letters, zero-width characters, spaced-out letters, base64 and
\\uXXXX escapes do not hide an instruction."""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_NOT_WORD = re.compile(rf"[^0-9a-z{_CJK}]+")
_SPACED = re.compile(r"(?<![0-9a-z])(?:[0-9a-z] ){2,}[0-9a-z](?![0-9a-z])")  # "i g n o r e"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}]) +(?=[{_CJK}])")
_B64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_UESC = re.compile(r"(?:\\u[0-9a-fA-F]{4}){2,}")
_ENDS = "。！？!?；;.\n"
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])|(?<=\.)(?= )")
NEUTRALISED = "〔已移除疑似指令〕"


class GuardrailConfigError(ValueError):
    """A guardrail table is malformed (bad regex, missing key)."""


@dataclass(frozen=True)
class Rule:
    id: str
    weight: float
    pattern: re.Pattern[str]
    view: Literal["norm", "raw"] = "norm"


@dataclass
class Verdict:
    """allow / block, with the ids of the rules that matched and the summed score."""

    action: Literal["allow", "block"]
    score: float = 0.0
    rules: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return self.action == "block"


@dataclass
class DocumentScreen:
    """Uploaded / OCR'd text with instruction-like sentences replaced by a marker, and what was found."""

    text: str
    findings: list[tuple[str, list[str]]] = field(default_factory=list)  # (sentence, rule ids)


def _strip_format(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")  # zero-width, bidi marks, soft hyphen


def raw_view(text: str) -> str:
    return _strip_format(text).lower()


def norm_view(text: str) -> str:
    """Lower case, punctuation → space, spaced-out letters joined, no gaps between Chinese characters."""
    # punctuation first, so dotted letters (i.g.n.o.r.e) count as spaced letters; a wider gap stays wider
    s = _NOT_WORD.sub(lambda m: " " if len(m.group(0)) == 1 else "  ", raw_view(text))
    s = _SPACED.sub(lambda m: m.group(0).replace(" ", ""), s)
    s = re.sub(" +", " ", s).strip()
    return _CJK_GAP.sub("", s)


def decoded_payloads(text: str) -> list[str]:
    """Base64 runs and \\uXXXX escapes that decode to readable text."""
    out: list[str] = []
    for m in _UESC.finditer(text):
        out.append(m.group(0).encode("ascii").decode("unicode_escape", "ignore"))
    for m in _B64.finditer(text):
        run = m.group(0)
        try:
            raw = base64.b64decode(run + "=" * (-len(run) % 4), validate=True)
            decoded = raw.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if decoded and sum(ch.isprintable() for ch in decoded) / len(decoded) > 0.9:
            out.append(decoded)
    return out


class InjectionScreen:
    def __init__(self, rules: list[Rule], threshold: float = 1.0, document_threshold: float = 0.6) -> None:
        self.rules = rules
        self.threshold = threshold
        self.document_threshold = document_threshold

    @classmethod
    def from_file(cls, path: Path) -> InjectionScreen:
        return _load(path)

    def score(self, text: str) -> tuple[float, list[str]]:
        views = {"norm": norm_view(text), "raw": raw_view(text)}
        hits = [r for r in self.rules if r.pattern.search(views[r.view])]
        return sum(r.weight for r in hits), [r.id for r in hits]

    def check(self, text: str) -> Verdict:
        total, ids = self.score(text)
        for payload in decoded_payloads(text):  # a hidden instruction counts in full
            sub, sub_ids = self.score(payload)
            if sub > 0:
                total += sub
                ids += ["obfuscated." + i for i in sub_ids]
        return Verdict("block" if total >= self.threshold else "allow", round(total, 2), ids)

    def screen_document_text(self, text: str) -> DocumentScreen:
        """Neutralise instruction-like sentences so the text can be quoted in a prompt as data."""
        parts: list[str] = []
        findings: list[tuple[str, list[str]]] = []
        for sentence in _SENTENCE_END.split(text):
            v = self.check(sentence) if sentence.strip() else Verdict("allow")
            if v.rules and v.score >= self.document_threshold:
                findings.append((sentence.strip(), v.rules))
                body = sentence.rstrip(_ENDS)
                parts.append(NEUTRALISED + sentence[len(body) :])
            else:
                parts.append(sentence)
        return DocumentScreen("".join(parts), findings)


@lru_cache(maxsize=4)
def _load(path: Path) -> InjectionScreen:
    try:
        cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise GuardrailConfigError(f"cannot read {path}: {exc}") from exc
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, r in enumerate(cfg.get("rules") or []):
        try:
            rid, weight, pattern = str(r["id"]), float(r["weight"]), str(r["pattern"])
        except (KeyError, TypeError, ValueError) as exc:
            raise GuardrailConfigError(f"{path.name}: rule {i} needs id, weight and pattern") from exc
        view = r.get("view", "norm")
        if view not in ("norm", "raw") or rid in seen:
            raise GuardrailConfigError(f"{path.name}: rule {rid}: bad view {view!r} or duplicate id")
        try:
            compiled = re.compile(pattern, re.I | re.M)
        except re.error as exc:
            raise GuardrailConfigError(f"{path.name}: rule {rid}: {exc}") from exc
        seen.add(rid)
        rules.append(Rule(rid, weight, compiled, view))
    return InjectionScreen(rules, float(cfg.get("threshold", 1.0)), float(cfg.get("document_threshold", 0.6)))


def screen_document_text(text: str, screen: InjectionScreen | None = None) -> DocumentScreen:
    """Uploaded / OCR'd text made safe to quote in a prompt (the project's own table unless one is given)."""
    from assistant.settings import PROJECT_ROOT

    screen = screen or InjectionScreen.from_file(PROJECT_ROOT / "knowledge" / "guardrails" / "injection.yaml")
    return screen.screen_document_text(text)
