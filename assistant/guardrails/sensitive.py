"""Sensitive-word screen (敏感词) for chat input and model output.

Words come from the shared sensitive-word lists named in knowledge/guardrails/sensitive.yaml, read with the
approval engine's loader. Chinese words are found by substring look-ups bounded by the longest word (like the
enterprise-name screen), two-character ones only where jieba makes them a token; Latin words only as whole
tokens, so "bt" never fires inside "debt". A hit inside an allowed registration word (sensitive_allow.txt) is ignored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from assistant.approval.rules.name import _read_words
from assistant.guardrails.injection import GuardrailConfigError
from assistant.lexical import tokenize

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_TOKEN = re.compile(r"[0-9a-z]+")
_DROP = re.compile(r"[\s\u200b-\u200f\u2060\ufeff*＊_\-·.。,，、|/\\]+")  # separators used to split a word up
_MAX_SCAN = 4000


@dataclass(frozen=True)
class WordHit:
    word: str
    category: str


class SensitiveScreen:
    def __init__(self, words: dict[str, str], allow: set[str]) -> None:
        self.cjk = {w: c for w, c in words.items() if _CJK.search(w)}
        self.latin = {w: c for w, c in words.items() if not _CJK.search(w)}
        self.allow = {a for a in allow if a}
        self.starts: dict[str, int] = {}  # first character → longest word starting with it
        for w in (*self.cjk, *self.allow):
            self.starts[w[0]] = max(self.starts.get(w[0], 0), len(w))

    @classmethod
    def from_files(cls, knowledge_dir: Path, data_dir: Path) -> SensitiveScreen:
        return _load(knowledge_dir / "guardrails", data_dir / "sensitive_words")

    def find(self, text: str) -> list[WordHit]:
        """Listed words in ``text`` (each once, longest first where they overlap)."""
        s = unicodedata.normalize("NFKC", text or "").lower()[:_MAX_SCAN]
        hits: list[WordHit] = [WordHit(t, self.latin[t]) for t in dict.fromkeys(_TOKEN.findall(s)) if t in self.latin]
        dense = _DROP.sub("", s)
        spans: list[tuple[int, int, str]] = []
        allowed: list[tuple[int, int]] = []
        n = len(dense)
        for i in range(n):
            for length in range(2, min(self.starts.get(dense[i], 0), n - i) + 1):
                w = dense[i : i + length]
                if w in self.allow:
                    allowed.append((i, i + length))
                if w in self.cjk:
                    spans.append((i, i + length, w))
        seen: set[str] = set()
        tokens: set[str] | None = None
        for i, j, w in sorted(spans, key=lambda x: x[0] - x[1]):
            if w in seen or any(a <= i and j <= b for a, b in allowed):
                continue
            if j - i == 2:  # two characters are a word only where the segmenter says so (一次性交清 ≠ 性交)
                tokens = set(tokenize(dense)) if tokens is None else tokens
                if w not in tokens:
                    continue
            if any(w in h.word for h in hits):
                continue
            seen.add(w)
            hits.append(WordHit(w, self.cjk[w]))
        return hits

    def unsupported(self, answer: str, sources: str) -> list[WordHit]:
        """Words in a model answer that the cited passages do not contain themselves."""
        src = unicodedata.normalize("NFKC", sources).lower()
        return [h for h in self.find(answer) if h.word not in src]


@lru_cache(maxsize=4)
def _load(cfg_dir: Path, words_dir: Path) -> SensitiveScreen:
    try:
        cfg = yaml.safe_load((cfg_dir / "sensitive.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise GuardrailConfigError(f"cannot read sensitive.yaml: {exc}") from exc
    words: dict[str, str] = {}
    for src in cfg.get("sources") or []:
        path, min_len = words_dir / str(src["path"]), int(src.get("min_len", 2))
        try:
            if "tags" in src:
                for line in path.read_text(encoding="utf-8").splitlines():
                    word, _, tags = line.strip().rpartition(" ")
                    cats = [src["tags"][t] for t in tags.split(",") if t in src["tags"]]
                    if cats and len(word) >= min_len:
                        words.setdefault(word.lower(), cats[0])
            else:
                for w in _read_words(path):
                    if len(w) >= min_len:
                        words.setdefault(unicodedata.normalize("NFKC", w).lower(), str(src["category"]))
        except OSError:
            continue  # a missing list weakens the screen; the data dir's absence is reported elsewhere
    allow: set[str] = set()
    if cfg.get("allow"):
        try:
            lines = (cfg_dir / str(cfg["allow"])).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise GuardrailConfigError(f"cannot read {cfg['allow']}: {exc}") from exc
        allow = {ln.strip().lower() for ln in lines if ln.strip() and not ln.startswith("#")}
    for a in allow:  # an allowed word is never itself a hit
        words.pop(a, None)
    return SensitiveScreen(words, allow)
