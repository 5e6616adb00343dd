"""GET /api/stream: the runs of POST /api/runs, step by step, as Server-Sent Events.

Built for a lecture hall — hundreds of viewers on one worker — so a stream costs little per
second: one `step` event per tick carries the next steps of every run (a race's racers move
together), at most ``events_per_second`` ticks a second, each run's resume state once per
event, encoded once by pydantic-core. The page plays the steps at the pace it asked for.

sse-starlette's EventSourceResponse does the transport: keep-alive pings, a send timeout that
drops a reader who stopped reading, and a shutdown signal, on which every stream gets a last
`closing` event telling the page to come back and resume.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import TypeAdapter, ValidationError
from sse_starlette import EventSourceResponse
from sse_starlette.sse import SendTimeoutError
from starlette.types import Receive, Scope, Send

from ..engine.run import RUNNING, Run, Trace
from ..settings import Settings, app_settings
from .errors import InputError, pydantic_errors, retry_later
from .openapi import document_sse
from .schemas.runs import RunRequest
from .schemas.stream import ClosingEvent, EndEvent, StepEvent
from .service import PreparedRun, end_json, json_bytes, prepare_runs
from .simulate import ERRORS

router = APIRouter(prefix="/api", tags=["runs"])
logger = logging.getLogger(__name__)

PATH = "/api/stream"
RETRY_AFTER_S = 2  # what a refused or closed stream is told to wait before trying again
SHUTDOWN_GRACE_S = 1.0  # time a stream has to send its `closing` event when the server stops
EVENTS = {"step": StepEvent, "end": EndEvent, "closing": ClosingEvent}  # SSE name -> data


class StepStream(EventSourceResponse):
    """An SSE response that drops a stalled reader quietly: when a send has waited
    ``send_timeout`` on full buffers, the stream ends (its worker and its slot are free
    again), logged on one line instead of as an error."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except SendTimeoutError:
            logger.info("dropped a stream whose reader stopped reading (%s)", scope.get("client"))


@dataclass
class StreamPlan:
    runs: list[PreparedRun]
    batch: int  # steps per event
    interval: float  # seconds between events (0: as fast as the client reads)


_RUN_LIST = TypeAdapter(list[RunRequest])


def stream_plan(settings: Settings, runs: str, speed: float) -> StreamPlan:
    """Check the stream's parameters before the response starts, so errors are real 4xx."""
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


async def count_stream(request: Request) -> AsyncIterator[dict[str, int]]:
    """Count the stream as active for as long as its response lives, and refuse it (503,
    Retry-After) when the worker already serves ``max_streams`` (the page waits and tries
    again).

    A request-scoped dependency (``scope="request"`` where it is used): its teardown runs
    when the response is over, however it ends; a function-scoped one would end before the
    stream flows.
    """
    metrics: dict[str, int] = request.app.state.metrics
    settings = await app_settings(request)
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


@router.get(
    "/stream",
    response_class=StepStream,
    responses={
        **ERRORS,
        503: retry_later("Too many live streams: try again after Retry-After"),
    },
)
async def stream_runs(
    settings: Annotated[Settings, Depends(app_settings)],
    metrics: Annotated[dict[str, int], Depends(count_stream, scope="request")],
    runs: Annotated[str, Query(description="URL-encoded JSON list of RunRequest objects.")],
    speed: Annotated[
        float, Query(ge=0, allow_inf_nan=False, description="Steps per second; 0 = unpaced.")
    ] = 20.0,
) -> StepStream:
    """Stream runs as Server-Sent Events.

    The first `step` event (StepEvent) holds every run's starting point; each later one the
    next steps of every run still going — the step record of a RunResult, with `run`,
    `state`, the state after the event's last step, ready to resume from, and `verdict`, the
    outcome the engine decides on the steps so far (null while too early to tell). Each run
    ends with an `end` event (EndEvent: `run`, `status`, `outcome`, `minimum`, `state`). The numbers
    equal POST /api/runs for the same runs. If the server shuts down mid-stream, a `closing`
    event (ClosingEvent) is the last: resume from the states after `retry_after` seconds.
    """
    # Plain calls, not nested dependencies: a lecture hall opens hundreds of streams at once,
    # and each level of dependency solving costs every one of them.
    plan = stream_plan(settings, runs, speed)
    closing = anyio.Event()
    return StepStream(
        _events(plan, metrics, closing),
        sep="\n",
        send_timeout=settings.send_timeout,
        shutdown_event=closing,
        shutdown_grace_period=SHUTDOWN_GRACE_S,
    )


async def _events(
    plan: StreamPlan, metrics: dict[str, int], closing: anyio.Event
) -> AsyncIterator[bytes]:
    runs = [p.start() for p in plan.runs]
    left = [p.steps for p in plan.runs]
    yield _step_event([(i, run, run.current()) for i, run in enumerate(runs)])
    next_at = time.monotonic()
    live = list(range(len(runs)))
    while live:
        next_at += plan.interval
        await _sleep_until(next_at, closing)
        if closing.is_set():
            reason = "the server is shutting down"
            yield _event("closing", {"reason": reason, "retry_after": RETRY_AFTER_S})
            return
        moved, ended = [], []
        for i in live:
            run = runs[i]
            trace = run.advance(min(plan.batch, left[i]))
            left[i] -= len(trace)
            metrics["steps_streamed"] += len(trace)
            if len(trace):
                moved.append((i, run, trace))
            if run.status != RUNNING or left[i] == 0:
                run.finish()
                ended.append(i)
        if moved:
            yield _step_event(moved)
        for i in ended:
            live.remove(i)
            yield _event("end", {"run": i, **end_json(runs[i])})


async def _sleep_until(deadline: float, closing: anyio.Event) -> None:
    """Sleep until `deadline` (monotonic) or shortly after `closing` is set. Plain sleeps, in
    slices shorter than the shutdown grace period: a timeout scope around `closing.wait()`
    would cost more than the whole tick, and fires on every one."""
    slept = False
    while not closing.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            break
        await anyio.sleep(min(left, SHUTDOWN_GRACE_S / 4))
        slept = True
    if not slept:  # an unpaced stream still lets the others run between its events
        await anyio.sleep(0)


def _step_event(moved: list[tuple[int, Run, Trace]]) -> bytes:
    records = [
        {
            "run": i,
            **trace.to_json(run.nulls()),
            "state": run.state().to_json(),
            "verdict": _verdict(run),
        }
        for i, run, trace in moved
    ]
    return _event("step", {"runs": records})


def _verdict(run: Run) -> dict[str, Any] | None:
    verdict = run.verdict()
    return None if verdict is None else {"kind": verdict.kind, "minimum": verdict.minimum}


def _event(kind: str, data: dict[str, Any]) -> bytes:
    # One event, encoded here once: compact JSON has no line breaks, so it is one `data:`
    # line (sse-starlette's ServerSentEvent would split and re-join it on every event).
    return b"event: %s\ndata: %s\n\n" % (kind.encode(), json_bytes(data))


def document_events(openapi: dict[str, Any]) -> None:
    """Describe the stream's events in the OpenAPI document."""
    document_sse(
        openapi,
        PATH,
        "get",
        EVENTS,
        "Server-Sent Events: `step`, `end` and, on shutdown, `closing`.",
    )
