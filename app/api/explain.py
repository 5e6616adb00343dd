"""POST /api/runs/explain: the next step of a run, with its update rule's numbers.

The page posts what it has for the ball it shows: the resume state of the last stream event
and how many steps past it the ball is (``steps``).  The server takes those steps, then
explains the next one (app/engine/run/explain.py) — the same arithmetic as a run, so the
numbers are the step's own, never re-derived in the page.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from ..engine.run import RUNNING, Run
from ..engine.run.explain import explain
from ..settings import Settings, app_settings
from .once import Flight, answer
from .schemas.explain import ExplainOut
from .schemas.runs import RunRequest
from .service import canonical, json_bytes, prepare_run
from .simulate import ERRORS, INLINE_S

router = APIRouter(prefix="/api", tags=["runs"])

CHUNK = 100  # steps between looks at the clock


def _advance(run: Run, left: int, deadline: float | None = None) -> int:
    """Take up to ``left`` steps (until ``deadline``, if given); the steps still left."""
    while left > 0 and run.status == RUNNING:
        n = min(CHUNK, left)
        run.advance(n)
        left -= n
        if deadline is not None and time.perf_counter() > deadline:
            break
    return left if run.status == RUNNING else 0


@router.post("/runs/explain", response_model=ExplainOut, responses=ERRORS)
async def explain_step(
    body: RunRequest, request: Request, settings: Annotated[Settings, Depends(app_settings)]
) -> Response:
    """Take the run's `steps` steps (from `start` or `resume`), then explain the next one:
    the learning rate, the gradient given, every state buffer before and after, the step
    taken and what the optimizer's formula names on the way, with the formula's lines
    filled in."""
    prepared = prepare_run(body, settings)

    async def produce(flight: Flight) -> bytes:
        run = prepared.start()

        def finish(left: int) -> bytes:
            _advance(run, left)
            return json_bytes(explain(run).to_json())

        left = _advance(run, body.steps, deadline=time.perf_counter() + INLINE_S)
        if left == 0:
            return finish(0)
        return await run_in_threadpool(finish, left)

    return await answer(request, "explain", canonical(body, prepared), produce)
