"""Document-type specs (knowledge/documents/doc_types.yaml), validated and compiled once per path."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

KINDS = frozenset({"text", "sex", "date", "period", "id_number", "uscc", "money_wan", "area", "code"})
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class FieldSpec:
    key: str
    labels: tuple[re.Pattern[str], ...]  # anchored at the start of a line, then an optional colon
    anywhere: tuple[re.Pattern[str], ...]  # the same labels, unanchored (inline labels)
    kind: str
    multiline: bool = False
    inline: bool = False


@dataclass(frozen=True)
class TypeSpec:
    name: str
    zh: str
    en: str
    keywords: tuple[tuple[re.Pattern[str], float], ...]
    fields: tuple[FieldSpec, ...]

    @property
    def anchors(self) -> tuple[re.Pattern[str], ...]:
        return tuple(f.labels[0] for f in self.fields)


@dataclass(frozen=True)
class Specs:
    types: dict[str, TypeSpec]
    min_score: float
    min_text_chars: int


class SpecError(ValueError):
    pass


@lru_cache(maxsize=1)
def _t2s() -> object:
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)  # type: ignore[attr-defined]


def norm(text: str) -> str:
    """NFKC, whitespace removed, traditional → simplified: the form labels and values are matched on."""
    return to_simplified(_SPACE.sub("", unicodedata.normalize("NFKC", text or "")))


def _field(key: str, raw: dict) -> FieldSpec:
    unknown = set(raw) - {"labels", "kind", "multiline", "inline"}
    if unknown:
        raise SpecError(f"field {key}: unknown keys {sorted(unknown)}")
    kind = raw.get("kind", "text")
    if kind not in KINDS:
        raise SpecError(f"field {key}: unknown kind {kind!r}")
    labels = raw.get("labels") or []
    if not labels:
        raise SpecError(f"field {key}: no labels")
    alt = "|".join(f"(?:{lab})" for lab in labels)
    return FieldSpec(
        key=key,
        labels=tuple(re.compile(rf"^(?:{lab})[:：]?") for lab in labels),
        anywhere=(re.compile(rf"(?:{alt})[:：]?"),),
        kind=kind,
        multiline=bool(raw.get("multiline", False)),
        inline=bool(raw.get("inline", False)),
    )


@lru_cache(maxsize=4)
def load_specs(knowledge_dir: Path) -> Specs:
    raw = yaml.safe_load((knowledge_dir / "documents" / "doc_types.yaml").read_text(encoding="utf-8"))
    types: dict[str, TypeSpec] = {}
    for name, t in raw["types"].items():
        types[name] = TypeSpec(
            name=name,
            zh=t["zh"],
            en=t["en"],
            keywords=tuple((re.compile(k), float(w)) for k, w in t["keywords"].items()),
            fields=tuple(_field(k, v or {}) for k, v in t["fields"].items()),
        )
    return Specs(types=types, min_score=float(raw["min_score"]), min_text_chars=int(raw["min_text_chars"]))
