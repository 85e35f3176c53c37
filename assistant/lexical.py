"""BM25 over jieba tokens: the lexical half of hybrid retrieval.

Small in-memory inverted index (a few thousand articles) built at start-up from the vector store's
documents, so the store stays the single source of truth.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "么",
        "嘛",
        "是",
        "在",
        "和",
        "与",
        "或",
        "及",
        "等",
        "有",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "要",
        "会",
        "能",
        "可以",
        "可不可以",
        "怎么",
        "怎么样",
        "怎样",
        "如何",
        "什么",
        "哪些",
        "哪个",
        "多少",
        "一下",
        "请问",
        "请",
        "想",
        "就",
        "都",
        "也",
        "还",
        "又",
        "这",
        "那",
        "这个",
        "那个",
        "一个",
        "本法",
        "规定",
        "应当",
        "依照",
        "按照",
        "以及",
        "之",
        "其",
        "为",
        "对",
        "从",
        "向",
        "由",
        "被",
        "将",
        "把",
        "给",
        "让",
        "the",
        "a",
        "an",
        "of",
        "to",
        "is",
        "are",
        "and",
        "or",
        "in",
        "on",
        "for",
        "what",
        "how",
        "do",
        "does",
        "can",
        "i",
        "my",
    ]
)

_jieba_lock = threading.Lock()
_jieba_ready = False
_config: dict[str, Path | None] = {"knowledge_dir": None, "cache_dir": None}


def configure_tokenizer(knowledge_dir: Path | None, cache_dir: Path | None) -> None:
    """Set where jieba finds the project's user words and keeps its dictionary cache (before first use)."""
    _config["knowledge_dir"], _config["cache_dir"] = knowledge_dir, cache_dir


def _jieba() -> Any:
    global _jieba_ready
    import jieba

    with _jieba_lock:
        if not _jieba_ready:
            jieba.setLogLevel(60)
            cache_dir, knowledge_dir = _config["cache_dir"], _config["knowledge_dir"]
            if cache_dir is not None:
                cache_dir.mkdir(parents=True, exist_ok=True)
                jieba.dt.tmp_dir = str(cache_dir)
            jieba.initialize()
            if knowledge_dir is not None:
                words = knowledge_dir / "lexicon" / "user_words.txt"
                if words.exists():
                    jieba.load_userdict(str(words))
            _jieba_ready = True
    return jieba


def tokenize(text: str) -> list[str]:
    jb = _jieba()
    out = []
    for tok in jb.cut_for_search(text.lower()):
        tok = _PUNCT.sub("", tok)
        if tok and tok not in STOPWORDS:
            out.append(tok)
    return out


def _load_table(path: Path) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    return {str(k): [str(x) for x in v] for k, v in (data or {}).items()}


class QueryExpander:
    """Adds the formal legal terms for colloquial Chinese words (knowledge/lexicon/query_synonyms.yaml) and the
    Chinese terms for English words (knowledge/lexicon/en_zh_terms.yaml, whole words, case-insensitive)."""

    def __init__(self, knowledge_dir: Path) -> None:
        self.table = _load_table(knowledge_dir / "lexicon" / "query_synonyms.yaml")
        self.english = _load_table(knowledge_dir / "lexicon" / "en_zh_terms.yaml")
        self._en = [(re.compile(r"\b" + re.escape(k.lower()) + r"s?\b"), v) for k, v in self.english.items()]

    def expand(self, text: str) -> list[str]:
        extra: list[str] = []
        for key, terms in self.table.items():
            if key in text:
                extra.extend(t for t in terms if t not in extra)
        lowered = text.lower()
        for pattern, terms in self._en:
            if pattern.search(lowered):
                extra.extend(t for t in terms if t not in extra)
        return extra


class BM25Index:
    def __init__(self, k1: float = 1.4, b: float = 0.6) -> None:
        self.k1, self.b = k1, b
        self.ids: list[str] = []
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._lens: list[int] = []
        self._avg = 1.0
        self._idf: dict[str, float] = {}

    def build(self, docs: Iterable[tuple[str, str]]) -> BM25Index:
        for i, (doc_id, text) in enumerate(docs):
            toks = tokenize(text)
            self.ids.append(doc_id)
            self._lens.append(len(toks))
            for term, tf in Counter(toks).items():
                self._postings[term].append((i, tf))
        n = max(len(self.ids), 1)
        self._avg = (sum(self._lens) / n) or 1.0
        self._idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self._postings.items()}
        return self

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, terms: Sequence[str], k: int) -> list[tuple[str, float]]:
        scores: dict[int, float] = defaultdict(float)
        for term in dict.fromkeys(terms):
            idf = self._idf.get(term)
            if idf is None:
                continue
            for doc, tf in self._postings[term]:
                norm = tf + self.k1 * (1 - self.b + self.b * self._lens[doc] / self._avg)
                scores[doc] += idf * tf * (self.k1 + 1) / norm
        best = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:k]
        return [(self.ids[d], s) for d, s in best]
