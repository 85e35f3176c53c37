"""Runs the steps of a turn in order until one stops it."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from assistant.domain import Status
from assistant.pipeline.context import TurnContext

Step = Callable[[TurnContext], None]


def run_steps(ctx: TurnContext, steps: Sequence[Step]) -> TurnContext:
    t0 = time.perf_counter()
    for step in steps:
        step(ctx)
        if ctx.stopped:
            break
    if ctx.status is None:  # every turn ends with a named status
        ctx.status = Status.NO_ANSWER
    ctx.timings_ms["total"] = round((time.perf_counter() - t0) * 1000, 1)
    return ctx
