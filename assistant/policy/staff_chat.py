"""Staff-mode chat (内部问答): the applicant pipeline with ctx.staff=True, retrieval over every kind (12345
complaint tickets included), no router (staff statements are not applicant intents), and every retrieved passage
listed as a source with its law title and version. Procedure warnings come with the answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import Field

from assistant.domain import Citation, Passage, TurnResult
from assistant.pipeline import steps
from assistant.pipeline.context import TurnContext
from assistant.pipeline.runner import Step
from assistant.policy.procedure import ProcedureWarning
from assistant.retrieval import KINDS, HybridRetriever

STAFF_TOP_K = 5  # staff see more passages than applicants
_SKIPPED_MODULES = ("assistant.pipeline.router",)  # intent routing is for applicants


class StaffSource(Citation):
    """One retrieved passage, listed whether or not the answer cites it."""

    kind: str = "law"
    status: str = "current"
    chunk_id: str = ""
    score: float = 0.0


class StaffTurnResult(TurnResult):
    sources: list[StaffSource] = Field(default_factory=list)
    warnings: list[ProcedureWarning] = Field(default_factory=list)


@dataclass
class StaffRetrieve:
    """Retrieve over every kind of passage, complaint tickets included (staff only)."""

    retriever: HybridRetriever
    top_k: int

    def __call__(self, ctx: TurnContext) -> None:
        with ctx.timed("retrieve"):
            res = self.retriever.retrieve(ctx.question, self.top_k, kinds=KINDS if ctx.staff else None)
        ctx.passages, ctx.best_dense, ctx.best_lexical = res.passages, res.best_dense, res.best_lexical


def staff_steps(pipeline: Sequence[Step]) -> list[Step]:
    """The applicant's steps with the router left out and retrieval widened to every kind."""
    out: list[Step] = []
    for step in pipeline:
        if type(step).__module__ in _SKIPPED_MODULES:
            continue
        if isinstance(step, steps.Retrieve):
            out.append(StaffRetrieve(step.retriever, max(step.top_k, STAFF_TOP_K)))
        else:
            out.append(step)
    return out


def sources_of(passages: Sequence[Passage]) -> list[StaffSource]:
    return [
        StaffSource(
            n=i,
            source=p.chunk.source,
            article=p.chunk.article,
            quote=p.chunk.text,
            title=p.chunk.title,
            version=p.chunk.version,
            kind=p.chunk.kind,
            status=p.chunk.status,
            chunk_id=p.chunk.id,
            score=round(p.score, 4),
        )
        for i, p in enumerate(passages, 1)
    ]
