"""Domain-term repair by sound: Whisper base often writes a registration term with homophones (诸册资本 for
注册资本, 任缴 for 认缴). A span of the transcript whose toneless pinyin equals a term of the domain lexicon
(knowledge/lexicon: user_words.txt, asr_vocabulary.txt, domain_terms.txt) is replaced by the term; a
two-character span must already share one character with it. The engine's own text is kept as the original."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

_CJK = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=4)
def _terms(knowledge_dir: Path) -> dict[int, dict[tuple[str, ...], str]]:
    """{length: {toneless pinyin: term}}, from the lexicon files; ambiguous sounds are dropped."""
    from pypinyin import lazy_pinyin

    lex = knowledge_dir / "lexicon"
    words: set[str] = set()
    for name in ("user_words.txt", "asr_vocabulary.txt", "domain_terms.txt"):
        for line in (lex / name).read_text(encoding="utf-8").splitlines():
            word = line.split("#", 1)[0].split(" ", 1)[0].strip()
            if 2 <= len(word) <= 10 and all(_CJK.match(ch) for ch in word):
                words.add(word)
    by_len: dict[int, dict[tuple[str, ...], str]] = {}
    clash: set[tuple[str, ...]] = set()
    for word in sorted(words):
        key = tuple(lazy_pinyin(word))
        table = by_len.setdefault(len(word), {})
        if key in table and table[key] != word:
            clash.add(key)
        table[key] = word
    for table in by_len.values():
        for key in clash & table.keys():
            del table[key]
    return by_len


def repair_terms(text: str, knowledge_dir: Path) -> str:
    """``text`` with homophone spellings of domain terms replaced, longest terms first."""
    from pypinyin import lazy_pinyin

    terms = _terms(knowledge_dir)
    lengths = sorted(terms, reverse=True)
    out: list[str] = []
    i = 0
    while i < len(text):
        for length in lengths:
            span = text[i : i + length]
            if len(span) < length or not all(_CJK.match(ch) for ch in span):
                continue
            term = terms[length].get(tuple(lazy_pinyin(span)))
            if term is not None and (length > 2 or any(a == b for a, b in zip(span, term, strict=True))):
                out.append(term)
                i += length
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)
