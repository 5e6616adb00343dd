"""POST /api/runs (whole runs at once) and GET /api/stream (the same runs, step by step, as SSE)."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import TypeAdapter, ValidationError

from ..engine.run import RUNNING, Run, Trace
from ..settings import Settings, get_settings
from .errors import InputError, pydantic_errors
from .schemas import EndEvent, ErrorOut, RunRequest, RunsRequest, RunsResponse, StepEvent
from .service import PreparedRun, end_json, execute, json_bytes, prepare_runs

router = APIRouter(prefix="/api", tags=["runs"])

ERRORS: dict[int | str, dict[str, Any]] = {422: {"model": ErrorOut, "description": "Invalid input"}}
STREAM_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    503: {
        "model": ErrorOut,
        "description": "Too many live streams: try again after Retry-After",
        "headers": {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        },
    },
}


@router.post("/runs", response_model=RunsResponse, responses=ERRORS)
def create_runs(
    body: RunsRequest, settings: Annotated[Settings, Depends(get_settings)]
) -> Response:
    """Run each optimizer on its surface and return every step at once."""
    prepared = prepare_runs(body.runs, settings)
    # Encoded directly: a thousand steps are trusted engine output, not worth re-validating.
    return Response(
        json_bytes({"runs": [execute(p) for p in prepared]}), media_type="application/json"
    )


_RUN_LIST = TypeAdapter(list[RunRequest])


@dataclass
class StreamPlan:
    runs: list[PreparedRun]
    batch: int  # steps per event
    interval: float  # seconds between events (0: as fast as the client reads)


def stream_plan(
    settings: Annotated[Settings, Depends(get_settings)],
    runs: Annotated[str, Query(description="URL-encoded JSON list of RunRequest objects.")],
    speed: Annotated[
        float, Query(ge=0, allow_inf_nan=False, description="Steps per second; 0 = unpaced.")
    ] = 20.0,
) -> StreamPlan:
    """Validate the stream's parameters before the response starts, so errors are real 4xx."""
    if speed > settings.max_speed:
        raise InputError([("speed", f"at most {settings.max_speed} steps per second, got {speed}")])
    try:
        raw = json.loads(runs)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
        raise InputError([("runs", f"malformed JSON: {exc}")]) from None
    try:
        requests = _RUN_LIST.validate_python(raw)
    except ValidationError as exc:
        raise InputError(pydantic_errors(exc.errors(), prefix=("runs",))) from None
    if not requests:
        raise InputError([("runs", "give at least one run")])
    prepared = prepare_runs(requests, settings)
    if speed == 0:
        return StreamPlan(prepared, settings.unpaced_batch, 0.0)
    batch = max(1, math.ceil(speed / settings.events_per_second))
    return StreamPlan(prepared, batch, batch / speed)


RETRY_AFTER_S = 2  # what a refused stream is told to wait before trying again


def count_stream(
    request: Request, settings: Annotated[Settings, Depends(get_settings)]
) -> Iterator[dict[str, int]]:
    """Count the stream as active for as long as its response lives, and refuse it (503,
    Retry-After) when the worker already serves ``max_streams`` (the page waits and tries
    again).

    A request-scoped dependency (``scope="request"`` where it is used): its teardown runs
    when the response is over, also after a client goes away while the generator waits on a
    full buffer, where a ``finally`` in the generator itself would wait for garbage
    collection; a function-scoped one would end before the stream flows.
    """
    metrics: dict[str, int] = request.app.state.metrics
    if metrics["streams_active"] >= settings.max_streams:
        raise HTTPException(
            503,
            f"the server is serving its limit of {settings.max_streams} live streams; "
            f"try again in {RETRY_AFTER_S} s",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    metrics["streams_active"] += 1
    try:
        yield metrics
    finally:
        metrics["streams_active"] -= 1


@router.get("/stream", response_class=EventSourceResponse, responses=STREAM_ERRORS)
async def stream_runs(
    plan: Annotated[StreamPlan, Depends(stream_plan)],
    metrics: Annotated[dict[str, int], Depends(count_stream, scope="request")],
) -> AsyncIterable[StepEvent | EndEvent]:
    """Stream runs as Server-Sent Events.

    `step` events (StepEvent) carry one or more consecutive steps of one run — the step
    record of a RunResult — plus `run` and `state`, the state after the event's last step,
    ready to resume from; each run ends with an `end` event (EndEvent: `run`, `status`,
    `outcome`, `minimum`, `state`).  The numbers equal POST /api/runs for the same runs.
    """
    # The annotation documents the events' data in OpenAPI; they are yielded as
    # ServerSentEvents with the data encoded once here (trusted engine output).
    runs = [p.start() for p in plan.runs]
    left = [p.steps for p in plan.runs]
    for i, run in enumerate(runs):
        yield _step_event(i, run, run.current())
    next_at = time.monotonic()
    live = set(range(len(runs)))
    while live:
        if plan.interval:
            next_at += plan.interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        else:
            await asyncio.sleep(0)
        for i in sorted(live):
            run = runs[i]
            trace = run.advance(min(plan.batch, left[i]))
            left[i] -= len(trace)
            metrics["steps_streamed"] += len(trace)
            if len(trace):
                yield _step_event(i, run, trace)
            if run.status != RUNNING or left[i] == 0:
                run.finish()
                live.discard(i)
                yield _event("end", {"run": i, **end_json(run)})


def _step_event(index: int, run: Run, trace: Trace) -> ServerSentEvent:
    state = run.state().to_json()
    return _event("step", {"run": index, **trace.to_json(run.nulls()), "state": state})


def _event(kind: str, data: dict[str, Any]) -> ServerSentEvent:
    return ServerSentEvent(event=kind, raw_data=json_bytes(data).decode())
