"""Evidence selection (依据): the one to three sentences of the retrieved law articles that best answer the
question, picked deterministically in a few milliseconds. The selected basis is both the opening of the answer
and the whole prompt budget of the model's conclusion; it also decides when the corpus cannot answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.domain import Passage
from assistant.lexical import STOPWORDS, QueryExpander, tokenize
from assistant.pipeline.grounding import cjk_bigrams, cn_to_int

# The shown basis; the model gets at most answer.PROMPT_BASIS_CHARS of it. Measured with eval's key facts and
# expected articles found in the basis alone (dev 127 / held-out 128 answerable): 120 chars 98/95, 160 chars
# 102/98, 200 chars 101/98. Letting guide / FAQ answers steer the sentence choice lost 7 on each set: removed.
BASIS_CHARS = 160
MAX_SENTENCES = 3
RANK_DECAY = 0.25  # a sentence's score is divided by 1 + RANK_DECAY x its passage's retrieval rank
_ITEM = re.compile(r"(?=（[一二三四五六七八九十]+）)")
_SENTENCE_END = re.compile(r"(?<=[。；！？])")
_HEADING = re.compile(r"^第[一二三四五六七八九十百千零〇两]+条(?:之[一二三四五六七八九十]+)?\s*")
_HAS_NUMBER = re.compile(
    r"\d|[一二三四五六七八九十百千两]+(?:个|日|天|年|月|人|万|元|名|项|次|分之)|以上|以下|以内|之日起"
)
_MODAL = re.compile(r"可以|不得|应当|无需|不需|不予|不能|必须|禁止|有权|不具有|具有|不设|也可以")
_NUMERIC_Q = re.compile(
    r"多少|几|多久|多长|期限|最多|最少|上限|下限|何时|什么时候|哪天|罚|how (?:many|long|much)|when|fine", re.I
)
_YESNO_Q = re.compile(
    r"能不能|可不可以|可以吗|能吗|要不要|需不需要|是不是|必须|一定|吗"
    r"|\bcan\b|\bmust\b|\bdo(?:es)? \w+ (?:have|need)|\bis\b",
    re.I,
)
_ARTICLE_Q = re.compile(r"第\s*([一二三四五六七八九十百千零〇两\d]+)\s*条|article\s+(\d+)", re.I)
_LAW_Q = re.compile(r"《((?:[^《》]|《[^《》]*》)+)》")


def split_sentences(text: str) -> list[str]:
    """Sentences of an article: split on 。；！？ and before the （一）（二） items; the article heading is dropped."""
    out: list[str] = []
    for line in text.splitlines():
        line = _HEADING.sub("", line.strip())
        for part in _ITEM.split(line):
            out.extend(s.strip() for s in _SENTENCE_END.split(part) if len(s.strip()) >= 4)
    return out


def question_kind(question: str) -> str:
    """numeric (多少/几/多久 …), yesno (能不能/可以吗/要不要 …) or other."""
    if _NUMERIC_Q.search(question):
        return "numeric"
    if _YESNO_Q.search(question):
        return "yesno"
    return "other"


@dataclass(frozen=True)
class BasisSentence:
    n: int  # 1-based index of the cited law passage in the turn's passages
    text: str
    score: float
    pos: int = 0  # sentence position in the article


@dataclass
class Evidence:
    sentences: list[BasisSentence] = field(default_factory=list)
    supplied_by: list[int] = field(default_factory=list)  # guide / FAQ passages that pointed at the articles

    @property
    def cited(self) -> list[int]:
        return list(dict.fromkeys(s.n for s in self.sentences))

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.sentences)


@dataclass
class _Terms:
    weights: dict[str, float]
    bigrams: set[str]


def _query_terms(question: str, expander: QueryExpander) -> _Terms:
    weights: dict[str, float] = {}
    for t in tokenize(question):
        if t not in STOPWORDS and len(t) >= 2:
            weights[t] = max(weights.get(t, 0.0), 1.0 + 0.5 * min(len(t), 4))
    for t in expander.expand(question):
        weights.setdefault(t, 2.0)
    return _Terms(weights, cjk_bigrams(question))


def _rank_of(passages: list[Passage]) -> list[int]:
    """Primary retrieval rank of each passage (an article brought along by a guide takes the guide's rank)."""
    ranks, rank, by_id = [], -1, {}
    for p in passages:
        if p.basis_of is None:
            rank += 1
            by_id[p.chunk.id] = rank
            ranks.append(rank)
        else:
            ranks.append(by_id.get(p.basis_of, rank))
    return ranks


def _score(sentence: str, terms: _Terms, kind: str) -> float:
    found = [t for t in terms.weights if t in sentence]
    # a term counts once: 注册 and 资本 add nothing when 注册资本 itself matched
    s = sum(terms.weights[t] for t in found if not any(t != u and t in u for u in found))
    grams = cjk_bigrams(sentence)
    s += 0.4 * len(grams & terms.bigrams)
    numbers, modal = bool(_HAS_NUMBER.search(sentence)), bool(_MODAL.search(sentence))
    if kind == "numeric" and numbers:
        s += 3.0
    elif kind == "yesno":
        s += 2.0 * modal + 1.5 * numbers  # 要不要一次交清 is answered by a time limit as often as by 可以/不得
    return s / (1.0 + len(sentence) / 200)  # a long sentence matches more terms by length alone


def _trim(sentence: str, terms: _Terms, budget: int) -> str:
    """A sentence over the budget keeps its best-matching run of clauses (split on ，：), marked with ……."""
    if len(sentence) <= budget:
        return sentence
    clauses = [c for c in re.split(r"(?<=[，：、])", sentence) if c]
    best, best_score = "", -1.0
    for i in range(len(clauses)):
        run = ""
        for c in clauses[i:]:
            if len(run) + len(c) > budget:
                break
            run += c
            sc = _score(run, terms, "other")
            if sc > best_score:
                best, best_score = run, sc
    best = best or sentence[:budget]
    best = best.rstrip("，：、")
    lead = "……" if not sentence.startswith(best) else ""
    return f"{lead}{best}……"


def select_evidence(
    question: str, passages: list[Passage], expander: QueryExpander, budget: int = BASIS_CHARS
) -> Evidence | None:
    """The best-matching sentences of the retrieved law articles (a guide or FAQ passage counts through the
    articles it brought along). None when no law article was retrieved."""
    terms = _query_terms(question, expander)
    kind = question_kind(question)
    ranks = _rank_of(passages)
    scored: list[tuple[float, int, int, str]] = []  # (score, n, position, sentence)
    for n, (p, rank) in enumerate(zip(passages, ranks, strict=True), 1):
        if p.chunk.kind != "law":
            continue
        for pos, sent in enumerate(split_sentences(p.chunk.text)):
            scored.append((_score(sent, terms, kind) / (1.0 + RANK_DECAY * rank), n, pos, sent))
    if not scored:
        return None
    scored.sort(key=lambda x: -x[0])
    top, n0, pos0, sent0 = scored[0]
    chosen = [BasisSentence(n0, _trim(sent0, terms, budget), top, pos0)]
    used = len(chosen[0].text)
    for sc, n, pos, sent in scored[1:]:
        if len(chosen) >= MAX_SENTENCES or sc < 0.6 * top:
            break
        if used + len(sent) > budget or any(c.n == n and n != n0 for c in chosen):
            continue
        chosen.append(BasisSentence(n, sent, sc, pos))
        used += len(sent)
    chosen.sort(key=lambda b: (b.n != n0, b.n, b.pos))  # the best article first, sentences in text order
    supplied = [
        i
        for i, p in enumerate(passages, 1)
        if p.chunk.kind != "law" and any(passages[b.n - 1].basis_of == p.chunk.id for b in chosen)
    ]
    return Evidence(chosen, supplied)


# --- when the corpus cannot answer ---------------------------------------------------------------
def _article_number(token: str) -> int | None:
    return int(token) if token.isdigit() else cn_to_int(token)


def unsupported_reference(question: str, passages: list[Passage], knows_law: Callable[[str], bool]) -> str:
    """A named law the catalogue does not hold, or an article number no retrieved article has → the reason."""
    for name in _LAW_Q.findall(question):
        if not knows_law(name):
            return f"unknown law {name}"
    wanted = {_article_number(a or b) for a, b in _ARTICLE_Q.findall(question)}
    wanted.discard(None)
    if wanted:
        have = {_article_number(p.chunk.article.removeprefix("第").removesuffix("条")) for p in passages}
        if not wanted & have:
            return f"article {sorted(n for n in wanted if n is not None)} not retrieved"
    return ""


# The most common Chinese surnames (about 85 % of the population): a two- or three-character word the tagger
# calls a person name counts as one only when it starts with one of these (沾边, 冰城 are not people).
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_REGIONS = ("香港", "澳门", "台湾")


def place_names(data_dir: Path) -> Callable[[str], bool]:
    """Whether a word is a place: a province, city or county of the division tables (full or short name), or a
    city or province followed by one of its counties (上海浦东新区), or 香港 / 澳门 / 台湾."""
    from assistant.approval.address import load_divisions

    d = load_divisions(data_dir)
    names = {*d.province_by_name, *d.city_by_name, *d.city_by_short, *d.county_by_name, *_REGIONS}
    heads = sorted({*d.province_by_name, *d.city_by_name, *d.city_by_short}, key=len, reverse=True)

    def known(word: str) -> bool:
        if word in names:
            return True
        return any(word.startswith(h) and word[len(h) :] in d.county_by_name for h in heads if len(h) < len(word))

    return known


def unmatched_names(question: str, passages: list[Passage], is_place: Callable[[str], bool] | None = None) -> list[str]:
    """Place and person names in the question (深圳市南山区, 张三) that no retrieved passage mentions: the question
    is about a locality or a person the corpus does not cover (local fees, office hours, case status).
    ``is_place`` keeps only real places (the tagger also calls 高新区 or 沾边 names)."""
    import jieba.posseg as pseg

    tokenize("")  # loads jieba with the project's user words
    text = "".join(p.chunk.text for p in passages)
    names = []
    for w in pseg.cut(question):
        word, flag = w.word, w.flag
        if len(word) < 2:
            continue
        place = flag == "ns" and (is_place is None or is_place(word))
        person = flag in ("nr", "nrfg") and len(word) <= 3 and word[0] in _SURNAMES and word[-1] not in "区市县省镇乡村"
        if place or person:
            names.append(word)
    return [n for n in names if n not in text and n.rstrip("市省区县") not in text]
