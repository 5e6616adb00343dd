"""/api/networks: a small neural network trained on 2D (or 1D) data by the engine's own
optimizers — the catalog, a CSV file's points, whole runs (computed once for identical
requests, once.py) and the same runs streamed as Server-Sent Events, paced, with the picture
of what the network predicts a few times a second.

Up to three racers train the same network from the same initial weights; every number the
stream sends equals POST /api/networks/runs for the same request.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ..engine.networks.data import NetworkError
from ..engine.networks.explain import explain_weight, weight_index
from ..engine.networks.model import layers_of
from ..engine.networks.train import NetTrace, NetworkRun
from ..limits import PathLimit
from ..settings import Settings, app_settings
from .errors import InputError, retry_later
from .network_service import (
    NetworkPlan,
    Training,
    catalog_json,
    csv_points,
    csv_too_large,
    end_json,
    pictures,
    prepare_network,
    start_json,
    steps_json,
)
from .once import Flight, answer
from .openapi import document_sse
from .schemas.common import ErrorOut
from .schemas.explain import ExplainOut
from .schemas.networks import (
    CsvPointsOut,
    CsvRequest,
    NetCatalogOut,
    NetClosingEvent,
    NetEndEvent,
    NetFrameEvent,
    NetStartEvent,
    NetStepsEvent,
    NetworkExplainRequest,
    NetworkRequest,
    NetworkRunOut,
)
from .service import json_bytes
from .stream import RETRY_AFTER_S, SHUTDOWN_GRACE_S, StepStream, _sleep_until, count_stream

router = APIRouter(prefix="/api/networks", tags=["networks"])

CSV_PATH = f"{router.prefix}/datasets/csv"
STREAM_PATH = f"{router.prefix}/runs/stream"
ERRORS: dict[int | str, dict[str, Any]] = {422: {"model": ErrorOut, "description": "Invalid input"}}
EVENTS = {
    "start": NetStartEvent,
    "steps": NetStepsEvent,
    "frame": NetFrameEvent,
    "end": NetEndEvent,
    "closing": NetClosingEvent,
}
FRAME_SLACK_S = 1e-6  # a tick due with the next frame is on time, whatever the float sums say
SLICE_S = 0.05  # a whole run computes in slices this long, each in a worker thread
SettingsDep = Annotated[Settings, Depends(app_settings)]


def csv_body_limit(settings: Settings) -> PathLimit:
    """The CSV upload's body limit (app/limits.py): the file, with room for its JSON escapes
    (a line break is two characters there), refused unread past it — never past the limit
    of every body; the file's own size is checked once decoded."""
    limit = min(2 * settings.network_csv_bytes + 1024, settings.max_body_bytes)
    return PathLimit(limit, "data.csv", csv_too_large(settings))


@router.get("/catalog", response_model=NetCatalogOut)
async def network_catalog(settings: SettingsDep) -> Response:
    """The data sets, input features, activations, initialisations, each task's output and
    loss, the outcomes the engine decides, and this server's limits."""
    return Response(json_bytes(catalog_json(settings)), media_type="application/json")


@router.post(
    "/datasets/csv",
    response_model=CsvPointsOut,
    responses={
        **ERRORS,
        413: {"model": ErrorOut, "description": "The file is too large (field `data.csv`)"},
    },
)
async def read_csv(body: CsvRequest, settings: SettingsDep) -> Response:
    """A CSV file's points, as `data.own` takes them: columns `x1,x2,label` (classes 0–9) or
    `x,y` (regression), a header row optional. Every refusal names `data.csv` and the row (as
    a spreadsheet counts them) and why; nothing is half-loaded."""
    points = await run_in_threadpool(csv_points, body.csv, settings)  # up to 1,000 rows
    return Response(json_bytes(points), media_type="application/json")


@router.post("/runs", response_model=NetworkRunOut, responses=ERRORS)
async def train_network(body: NetworkRequest, request: Request, settings: SettingsDep) -> Response:
    """Train the network with each racer's optimizer and answer every step at once: the
    points and their split, the shared initial weights (torch's nn.Linear layout, per layer
    `weight` [out × in] and `bias` [out]), and per racer the losses and accuracies of every
    step, the outcome, the final weights, the prediction grid, each hidden unit's output and
    the state to resume from."""
    plan = prepare_network(body, settings)

    async def produce(flight: Flight) -> bytes:
        training = await run_in_threadpool(Training, plan)
        # each slice in a worker thread; between them a cancelled flight stops the work
        while not await run_in_threadpool(training.advance, SLICE_S):
            pass
        return await run_in_threadpool(lambda: json_bytes(training.result()))

    return await answer(request, "networks", plan.canonical, produce)


@router.post("/explain", response_model=ExplainOut, responses=ERRORS)
async def explain_weight_step(
    body: NetworkExplainRequest, request: Request, settings: SettingsDep
) -> Response:
    """The Update rule panel for one weight: racer `racer` takes `steps` steps (from the start
    or its `resume` state), then its next step is explained for `weight` — the weight's
    value, the gradient along it, the optimizer's buffers for it before and after, and the
    formula's lines with its numbers put in (a whole-vector rule, L-BFGS or Newton: the
    weight's share of the step). The run itself does not move."""
    if body.racer >= len(body.optimizers):
        raise InputError(
            [("racer", f"there are {len(body.optimizers)} racers: 0 to {len(body.optimizers) - 1}")]
        )
    plan = prepare_network(body, settings)

    def explained() -> bytes:
        run = plan.start()[body.racer]
        run.advance(0)  # the start's record (a resumed run has it): the loss before the step
        goal = run.step + plan.steps
        while run.step < goal and run.status == "running":
            run.advance(min(goal - run.step, Training.CHUNK))
        w = body.weight
        try:
            j = weight_index(run, w.layer, w.kind, w.row, w.col)
        except NetworkError as exc:
            raise InputError([(exc.field, exc.reason)]) from None
        return json_bytes(explain_weight(run, j).to_json())

    async def produce(flight: Flight) -> bytes:
        return await run_in_threadpool(explained)

    return await answer(request, "network-explain", plan.canonical, produce)


@router.post(
    "/runs/stream",
    response_class=StepStream,
    responses={**ERRORS, 503: retry_later("Too many live streams: try again after Retry-After")},
)
async def stream_network(
    body: NetworkRequest,
    settings: SettingsDep,
    metrics: Annotated[dict[str, int], Depends(count_stream, scope="request")],
    speed: Annotated[
        float, Query(ge=0, allow_inf_nan=False, description="Steps per second; 0 = unpaced.")
    ] = 60.0,
) -> StepStream:
    """POST /api/networks/runs as Server-Sent Events: `start` (the data, the initial weights,
    each racer's starting picture), `steps` (the next steps of every racer, paced to `speed`,
    with the outcome decided so far), `frame` (each racer's prediction grid, unit outputs and
    weights, at most DESCENT_LAB_NETWORK_GRID_PER_SECOND a second), `end` (outcomes, final
    weights, states). The numbers equal POST /api/networks/runs for the same request; a
    stream sent `resume` continues each racer from its state as if never stopped. Hanging up
    stops the training; on shutdown a `closing` event carries each racer's state."""
    if speed > settings.max_speed:
        raise InputError([("speed", f"at most {settings.max_speed} steps per second, got {speed}")])
    plan = prepare_network(body, settings)
    if speed == 0:
        batch, interval = settings.unpaced_batch, 0.0
    else:
        batch = max(1, math.ceil(speed / settings.events_per_second))
        interval = batch / speed
    closing = anyio.Event()
    frame_gap = 1.0 / settings.network_grid_per_second
    return StepStream(
        _events(plan, batch, interval, frame_gap, metrics, closing),
        sep="\n",
        send_timeout=settings.send_timeout,
        shutdown_event=closing,
        shutdown_grace_period=SHUTDOWN_GRACE_S,
    )


async def _events(
    plan: NetworkPlan,
    batch: int,
    interval: float,
    frame_gap: float,
    metrics: dict[str, int],
    closing: anyio.Event,
) -> AsyncIterator[bytes]:
    runs, start, first = await run_in_threadpool(_begin, plan)
    yield _event("start", start)
    if first is not None:
        yield _event("steps", first)
    left = [plan.steps if run.status == "running" else 0 for run in runs]
    next_at = time.monotonic()
    next_frame = next_at + frame_gap  # `start` held the first picture
    while any(left):
        next_at += interval
        await _sleep_until(next_at, closing)
        if closing.is_set():
            yield _event("closing", _closing(runs))
            return
        taken, steps = await run_in_threadpool(_tick, plan, runs, left, batch)
        metrics["steps_streamed"] += taken
        yield _event("steps", steps)
        # frames on the ticks' own schedule (the clock, unpaced), so a frame rate equal to
        # the event rate sends one with every event; and the last picture before the end
        tick = next_at if interval else time.monotonic()
        if tick >= next_frame - FRAME_SLACK_S or not any(left):
            yield _event("frame", await run_in_threadpool(_frame, plan, runs))
            next_frame = tick + frame_gap
    yield _event("end", await run_in_threadpool(_end, plan, runs))


def _begin(plan: NetworkPlan) -> tuple[list[NetworkRun], dict[str, Any], dict[str, Any] | None]:
    """The racers' runs, the `start` event's data, and the `steps` event of their start
    point (step 0; None when every racer resumes)."""
    runs = plan.start()
    first = [run.advance(0) for run in runs]
    return (
        runs,
        start_json(plan, runs),
        _steps(plan, runs, first) if any(t.step for t in first) else None,
    )


def _tick(
    plan: NetworkPlan, runs: Sequence[NetworkRun], left: list[int], batch: int
) -> tuple[int, dict[str, Any]]:
    """Each racer's next steps (none for one that has stopped; ``left`` counts down): how
    many were taken, and the `steps` event's data."""
    traces = []
    for i, run in enumerate(runs):
        trace = run.advance(min(batch, left[i])) if left[i] else NetTrace()
        left[i] = 0 if run.status != "running" else left[i] - len(trace.step)
        traces.append(trace)
    return sum(len(t.step) for t in traces), _steps(plan, runs, traces)


def _steps(
    plan: NetworkPlan, runs: Sequence[NetworkRun], traces: Sequence[NetTrace]
) -> dict[str, Any]:
    return {
        "racers": [
            {
                "steps": steps_json(plan, trace),
                "verdict": run.outcome().code if run.step else None,
            }
            for run, trace in zip(runs, traces, strict=True)
        ]
    }


def _end(plan: NetworkPlan, runs: Sequence[NetworkRun]) -> dict[str, Any]:
    return {"racers": [end_json(plan, run) for run in runs]}


def _frame(plan: NetworkPlan, runs: Sequence[NetworkRun]) -> dict[str, Any]:
    spec = plan.scenario.setup.spec
    return {
        "racers": [
            {"step": run.step, **pictures(plan, run.theta), "weights": layers_of(spec, run.theta)}
            for run in runs
        ]
    }


def _closing(runs: Sequence[NetworkRun]) -> dict[str, Any]:
    return {
        "reason": "the server is shutting down",
        "retry_after": RETRY_AFTER_S,
        "racers": [{"state": run.state_json()} for run in runs],
    }


def _event(kind: str, data: dict[str, Any]) -> bytes:
    return b"event: %s\ndata: %s\n\n" % (kind.encode(), json_bytes(data))


def document_events(openapi: dict[str, Any]) -> None:
    """Describe the network stream's events in the OpenAPI document."""
    document_sse(
        openapi,
        STREAM_PATH,
        "post",
        EVENTS,
        "Server-Sent Events: `start`, `steps`, `frame`, `end` and, on shutdown, `closing`.",
    )
