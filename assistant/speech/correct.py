"""Domain-term repair by sound: Whisper base often writes a registration term with homophones (诸册资本 for
注册资本, 任缴 for 认缴). Only known domain terms are ever written in (knowledge/lexicon: user_words.txt,
asr_vocabulary.txt, domain_terms.txt); a span of the transcript is replaced by a term when

- its toneless pinyin equals the term's, and (for a two-character term) it shares a character with the term
  or has the same tones too (任脚 rèn jiǎo → 认缴 rèn jiǎo; 古董 gǔ dǒng stays, 股东 is gǔ dōng); or
- its pinyin equals the term's up to the confusions Whisper makes most on Mandarin (z/zh, c/ch, s/sh, n/l,
  -n/-ng), the term has three or more characters and all but one character are the term's own
  (稽查执照 ✗, 营业之照 → 营业执照).

A span that already is a domain term is never rewritten. Longest terms win; the engine's own text is kept as
the original transcript."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_CJK = re.compile(r"[\u4e00-\u9fff]")
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"))
_FUZZY_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))


def fuzzy_syllable(syllable: str) -> str:
    """A toneless pinyin syllable with the confusable distinctions folded (shi → si, ling → nin)."""
    for a, b in _FUZZY_INITIALS:
        if syllable.startswith(a):
            syllable = b + syllable[len(a) :]
            break
    for a, b in _FUZZY_FINALS:
        if syllable.endswith(a):
            return syllable[: -len(a)] + b
    return syllable


@dataclass(frozen=True)
class _Lexicon:
    words: frozenset[str]
    exact: dict[int, dict[tuple[str, ...], str]]  # {length: {toneless pinyin: term}}
    fuzzy: dict[int, dict[tuple[str, ...], str]]  # {length: {folded pinyin: term}}, terms of 3+ characters


def _index(words: set[str], key_of: object) -> dict[int, dict[tuple[str, ...], str]]:
    """{length: {key: term}}; a key two different terms share is dropped (ambiguous sound)."""
    by_len: dict[int, dict[tuple[str, ...], str]] = {}
    clash: set[tuple[int, tuple[str, ...]]] = set()
    for word in sorted(words):
        key = key_of(word)  # type: ignore[operator]
        table = by_len.setdefault(len(word), {})
        if key in table and table[key] != word:
            clash.add((len(word), key))
        table[key] = word
    for length, key in clash:
        del by_len[length][key]
    return by_len


@lru_cache(maxsize=4)
def _lexicon(knowledge_dir: Path) -> _Lexicon:
    from pypinyin import lazy_pinyin

    lex = knowledge_dir / "lexicon"
    words: set[str] = set()
    for name in ("user_words.txt", "asr_vocabulary.txt", "domain_terms.txt"):
        for line in (lex / name).read_text(encoding="utf-8").splitlines():
            word = line.split("#", 1)[0].split(" ", 1)[0].strip()
            if 2 <= len(word) <= 10 and all(_CJK.match(ch) for ch in word):
                words.add(word)
    exact = _index(words, lambda w: tuple(lazy_pinyin(w)))
    fuzzy = _index({w for w in words if len(w) >= 3}, lambda w: tuple(fuzzy_syllable(p) for p in lazy_pinyin(w)))
    return _Lexicon(frozenset(words), exact, fuzzy)


def _match(span: str, lex: _Lexicon) -> str | None:
    """The domain term ``span`` is a mis-hearing of, or None."""
    from pypinyin import Style, lazy_pinyin

    if span in lex.words:
        return None
    n = len(span)
    sounds = lazy_pinyin(span)
    term = lex.exact.get(n, {}).get(tuple(sounds))
    if term is not None:
        shared = sum(a == b for a, b in zip(span, term, strict=True))
        if n > 2 or shared or lazy_pinyin(span, style=Style.TONE3) == lazy_pinyin(term, style=Style.TONE3):
            return term
    if n >= 3:
        term = lex.fuzzy.get(n, {}).get(tuple(fuzzy_syllable(p) for p in sounds))
        if term is not None and sum(a == b for a, b in zip(span, term, strict=True)) >= n - 1:
            return term
    return None


def repair_terms(text: str, knowledge_dir: Path) -> str:
    """``text`` with mis-heard spellings of domain terms replaced, longest terms first."""
    lex = _lexicon(knowledge_dir)
    lengths = sorted(set(lex.exact) | set(lex.fuzzy), reverse=True)
    out: list[str] = []
    i = 0
    while i < len(text):
        for length in lengths:
            span = text[i : i + length]
            if len(span) < length or not all(_CJK.match(ch) for ch in span):
                continue
            if span in lex.words:  # already a term: keep it whole
                out.append(span)
                i += length
                break
            term = _match(span, lex)
            if term is not None:
                out.append(term)
                i += length
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)
