"""POST /api/runs: whole runs at once (GET /api/stream, in stream.py, sends them step by step),
each computed once for identical requests (once.py)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from ..settings import Settings, app_settings
from .once import Flight, answer
from .schemas.common import ErrorOut
from .schemas.runs import RunsRequest, RunsResponse
from .service import Execution, canonical, json_bytes, prepare_runs

router = APIRouter(prefix="/api", tags=["runs"])

ERRORS: dict[int | str, dict[str, Any]] = {422: {"model": ErrorOut, "description": "Invalid input"}}


# Runs that finish within this much engine time answer straight from the event loop: a hop
# to a worker thread would cost a tenth of that. Longer ones continue in a worker thread, so
# live streams keep flowing while they compute.
INLINE_S = 0.005


@router.post("/runs", response_model=RunsResponse, responses=ERRORS)
async def create_runs(
    body: RunsRequest, request: Request, settings: Annotated[Settings, Depends(app_settings)]
) -> Response:
    """Run each optimizer on its surface and return every step at once."""
    prepared = prepare_runs(body.runs, settings)

    async def produce(flight: Flight) -> bytes:
        execution = Execution(prepared)

        def finish() -> bytes:
            execution.advance()
            # Encoded directly: the steps are trusted engine output, not worth re-validating.
            return json_bytes({"runs": execution.results()})

        if execution.advance(deadline=time.perf_counter() + INLINE_S):
            return finish()
        return await run_in_threadpool(finish)

    runs = [canonical(r, p) for r, p in zip(body.runs, prepared, strict=True)]
    return await answer(request, "runs", runs, produce)
