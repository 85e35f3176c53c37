"""Language of a transcript: Mandarin, English, or Cantonese recognised from its wording (Whisper base has no
Cantonese token, so Cantonese speech comes out as Chinese text, sometimes with Cantonese words), and the
normalisation of Cantonese wording to standard written Chinese for search and form fields."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from assistant.textnorm import normalise_for_search, to_simplified

_CJK = re.compile(r"[\u3400-\u9fff\U00020000-\U0002a6df]")
_LATIN = re.compile(r"[A-Za-z]")


@lru_cache(maxsize=4)
def _markers(knowledge_dir: Path) -> dict[str, int]:
    """knowledge/lexicon/cantonese_markers.txt: ``word weight`` per line."""
    out: dict[str, int] = {}
    path = knowledge_dir / "lexicon" / "cantonese_markers.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) == 2:
            out[parts[0]] = int(parts[1])
    return out


def cantonese_score(text: str, knowledge_dir: Path) -> int:
    """Sum of the weights of the Cantonese marker words in ``text`` (after traditional → simplified)."""
    simplified = to_simplified(text)
    return sum(weight * simplified.count(word) for word, weight in _markers(knowledge_dir).items())


def is_cantonese(text: str, knowledge_dir: Path, *, threshold: int = 2) -> bool:
    return cantonese_score(text, knowledge_dir) >= threshold


def script_language(text: str) -> str:
    """zh when Chinese characters outnumber a fifth of the Latin letters, else en (a zh question may name 'LLC')."""
    cjk, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    return "zh" if cjk and cjk * 5 >= latin else ("en" if latin else "zh")


def resolve_language(text: str, engine_lang: str, knowledge_dir: Path) -> str:
    """The language reported to the caller: yue when the engine said yue or the wording is Cantonese; else the
    script of the text (the engine's guess is overruled when it wrote English for Chinese speech or the reverse)."""
    if engine_lang == "yue":
        return "yue"
    lang = script_language(text) if text.strip() else (engine_lang if engine_lang in ("zh", "en") else "zh")
    if lang == "zh" and is_cantonese(text, knowledge_dir):
        return "yue"
    return lang


def normalise_transcript(text: str, lang: str, knowledge_dir: Path) -> str:
    """Text for search and form fields: Simplified script, Cantonese wording → standard written Chinese,
    whitespace between Chinese characters removed. English is only trimmed."""
    text = " ".join(text.split())
    if lang == "en":
        return text
    text = re.sub(r"(?<=[\u3400-\u9fff，。？！、]) (?=[\u3400-\u9fff，。？！、])", "", text)
    if lang == "yue":
        return normalise_for_search(text, knowledge_dir)
    return to_simplified(text)
