"""Referral (转介): a question that belongs to another agency — tax amounts, social insurance, loans, visas,
notary fees, family property — is not answered from registration law (the nearest article would be quoted at
it, wrongly) but sent to the agency and its channel. Data: knowledge/router/referrals.yaml."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from assistant.domain import Status
from assistant.pipeline.context import TurnContext
from assistant.pipeline.router import check_patterns, compile_patterns, text_variants
from assistant.pipeline.steps import Replies

log = logging.getLogger(__name__)


class Agency(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: dict[str, str]
    channel: dict[str, str]
    patterns: list[str]
    unless: list[str] = []

    @field_validator("patterns", "unless")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        return check_patterns(patterns)

    @field_validator("name", "channel")
    @classmethod
    def _bilingual(cls, texts: dict[str, str]) -> dict[str, str]:
        if not {"zh", "en"} <= set(texts):
            raise ValueError("needs zh and en")
        return texts


@dataclass(frozen=True)
class _Compiled:
    key: str
    agency: Agency
    match: re.Pattern[str] | None
    unless: re.Pattern[str] | None


class Referrals:
    def __init__(self, agencies: dict[str, Agency], knowledge_dir: Path) -> None:
        self.knowledge_dir = knowledge_dir
        self._table = [
            _Compiled(key, a, compile_patterns(a.patterns), compile_patterns(a.unless)) for key, a in agencies.items()
        ]

    @classmethod
    def load(cls, knowledge_dir: Path) -> Referrals:
        path = knowledge_dir / "router" / "referrals.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        agencies = {k: Agency.model_validate(v) for k, v in (data or {}).get("agencies", {}).items()}
        return cls(agencies, knowledge_dir)

    def find(self, question: str) -> tuple[str, Agency] | None:
        """The agency a question belongs to, or None when it is registration's own (or matches nothing)."""
        variants = text_variants(question, self.knowledge_dir)
        for c in self._table:
            if (
                c.match is not None
                and any(c.match.search(v) for v in variants)
                and not (c.unless is not None and any(c.unless.search(v) for v in variants))
            ):
                return c.key, c.agency
        return None


@dataclass
class Referral:
    """Pipeline step after the router: a policy question for another agency ends with `referred`."""

    referrals: Referrals
    replies: Replies

    def __call__(self, ctx: TurnContext) -> None:
        with ctx.timed("referral"):
            found = self.referrals.find(ctx.question)
        if found is None:
            return
        key, agency = found
        lang = "en" if ctx.lang.startswith("en") else "zh"
        ctx.route = "out_of_scope"  # the router's label family; the agency is in the reply and the log
        log.info("referral to %s", key)
        template = self.replies.get(Status.REFERRED, ctx.lang)
        ctx.stop(Status.REFERRED, template.format(agency=agency.name[lang], channel=agency.channel[lang]))
