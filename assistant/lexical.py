"""BM25 over jieba tokens: the lexical half of hybrid retrieval.

Small in-memory inverted index (a few thousand articles) built at start-up from the vector store's
documents, so the store stays the single source of truth.
"""

from __future__ import annotations

import math
import re
import threading
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
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
    """BM25 (k1, b) over jieba tokens, postings in numpy arrays (CSR by term).

    Per posting: doc number (int32) and term frequency (uint16); per doc: the length normaliser
    ``k1 * (1 - b + b * len / avg)`` (float64). Scores are computed at query time in float64 in the
    textbook operation order, so they equal a plain-Python BM25 bit for bit; ties rank in the order a
    plain implementation first meets the doc (query-term order, then doc order).
    About 6 bytes per posting plus 8 per doc and the id strings.
    """

    def __init__(self, k1: float = 1.4, b: float = 0.6) -> None:
        self.k1, self.b = k1, b
        self.ids: list[str] = []
        self._terms: dict[str, int] = {}  # term -> row in the CSR arrays
        self._idf = np.zeros(0, dtype=np.float64)
        self._ptr = np.zeros(1, dtype=np.int64)  # postings of term t: [ptr[t], ptr[t + 1])
        self._docs = np.zeros(0, dtype=np.int32)
        self._tfs = np.zeros(0, dtype=np.uint16)
        self._norm = np.zeros(0, dtype=np.float64)  # k1 * (1 - b + b * len / avg), per doc

    def build(self, docs: Iterable[tuple[str, str]]) -> BM25Index:
        terms: dict[str, int] = {}
        term_ids = array("q")  # one entry per (doc, distinct term), docs in order (compact while building)
        tfs = array("q")
        counts = array("q")  # distinct terms per doc
        lens = array("q")
        for doc_id, text in docs:
            toks = tokenize(text)
            self.ids.append(doc_id)
            lens.append(len(toks))
            tf = Counter(toks)
            counts.append(len(tf))
            for term, n in tf.items():
                term_ids.append(terms.setdefault(term, len(terms)))
                tfs.append(n)
        self._terms = terms
        n_docs = len(self.ids)
        t_arr = np.frombuffer(term_ids, dtype=np.int64)
        d_arr = np.repeat(np.arange(n_docs, dtype=np.int32), np.frombuffer(counts, dtype=np.int64))
        order = np.argsort(t_arr, kind="stable")  # by term, docs ascending within a term
        df = np.bincount(t_arr, minlength=len(terms))
        self._ptr = np.concatenate(([0], np.cumsum(df))).astype(np.int64)
        self._docs = d_arr[order]
        tf_arr = np.frombuffer(tfs, dtype=np.int64)[order]
        self._tfs = tf_arr.astype(np.uint16 if tf_arr.size == 0 or tf_arr.max() < 2**16 else np.uint32)
        n = max(n_docs, 1)
        avg = (sum(lens) / n) or 1.0
        len_arr = np.frombuffer(lens, dtype=np.int64).astype(np.float64)
        self._norm = self.k1 * (1 - self.b + self.b * len_arr / avg)
        # math.log, not np.log: the same libm result as a plain implementation, to the last bit
        self._idf = np.array([math.log(1 + (n - d + 0.5) / (d + 0.5)) for d in df.tolist()], dtype=np.float64)
        return self

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        """Bytes held by the numpy arrays (ids and the term dict not included)."""
        arrays = (self._idf, self._ptr, self._docs, self._tfs, self._norm)
        return int(sum(a.nbytes for a in arrays))

    def search(self, terms: Sequence[str], k: int) -> list[tuple[str, float]]:
        rows = [r for r in (self._terms.get(t) for t in dict.fromkeys(terms)) if r is not None]
        if not rows or k <= 0:
            return []
        parts_doc, parts_w = [], []
        for r in rows:
            docs = self._docs[self._ptr[r] : self._ptr[r + 1]]
            tf = self._tfs[self._ptr[r] : self._ptr[r + 1]].astype(np.float64)
            parts_doc.append(docs)
            parts_w.append(self._idf[r] * tf * (self.k1 + 1) / (tf + self._norm[docs]))
        docs = np.concatenate(parts_doc)
        # bincount adds in array order, i.e. in query-term order per doc, like a plain accumulation
        scores = np.bincount(docs, weights=np.concatenate(parts_w), minlength=len(self.ids))
        hit = np.flatnonzero(scores)
        if hit.size > k:  # keep every doc tied with the k-th score, then order exactly
            kth = np.partition(scores[hit], hit.size - k)[hit.size - k]
            hit = hit[scores[hit] >= kth]
        first = np.full(hit.size, len(rows), dtype=np.int64)  # first query term that touched the doc
        for i in range(len(rows) - 1, -1, -1):
            docs_i = self._docs[self._ptr[rows[i]] : self._ptr[rows[i] + 1]]
            pos = np.searchsorted(docs_i, hit)
            found = (pos < docs_i.size) & (docs_i[np.minimum(pos, docs_i.size - 1)] == hit)
            first[found] = i
        best = np.lexsort((hit, first, -scores[hit]))[:k]
        return [(self.ids[hit[j]], float(scores[hit[j]])) for j in best]
