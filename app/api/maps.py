"""POST /api/maps/*: the whole landscape at once — basin maps, learning-rate sweeps and
trainability maps — each as one JSON answer, or streamed with progress (``/stream``).

Each route checks its request into a job (map_checks.py), which the worker runs in a
thread of its own with progress and cancel (map_jobs.py), once for every identical request
and then from the result cache (once.py); here it is answered as JSON or framed as
Server-Sent Events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sse_starlette import EventSourceResponse

from ..settings import Settings, app_settings
from .errors import retry_later
from .map_checks import prepare_basins, prepare_sweep, prepare_trainability, trainability_axes
from .map_jobs import TICK_S, MapJob, admit, compute
from .once import Answer, Flight, Once, Produce, answer
from .openapi import document_sse
from .schemas.common import ErrorOut
from .schemas.maps import (
    BasinMapOut,
    BasinsRequest,
    MapProgressEvent,
    SweepOut,
    SweepRequest,
    TrainabilityAxesOut,
    TrainabilityAxesRequest,
    TrainabilityOut,
    TrainabilityRequest,
)
from .service import json_bytes

router = APIRouter(prefix="/api/maps", tags=["maps"])

ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorOut, "description": "Invalid input"},
    503: retry_later("The worker's map queue is full: try again after Retry-After"),
}
STREAM_DOC = (
    "Server-Sent Events: `progress` events (MapProgressEvent) about five times a second, "
    "then one `result` event whose data is the JSON answer of the endpoint without `/stream` "
    "— or, for a map still computing after twice DESCENT_LAB_MAP_MAX_SECONDS, an `error` "
    "event with the 422 error body."
)


# --- answering: JSON once ready, or a stream of events -------------------------------------


def _produce(job: MapJob, metrics: dict[str, int], settings: Settings) -> Produce:
    """The map's computation, for its flight: progress reported, the answer's bytes."""

    async def produce(flight: Flight) -> bytes:
        def report(done: int, waiting: bool) -> None:
            flight.report(done=done, waiting=waiting)

        return json_bytes(await compute(job, metrics, settings, report))

    return produce


def _admit(metrics: dict[str, int], settings: Settings) -> Callable[[], None]:
    return lambda: admit(metrics, settings)


async def _answer(request: Request, kind: str, job: MapJob, settings: Settings) -> Response:
    """The JSON form: the answer once it is ready (see once.py)."""
    metrics: dict[str, int] = request.app.state.metrics
    produce, admitting = _produce(job, metrics, settings), _admit(metrics, settings)
    return await answer(request, kind, job.canonical, produce, admitting)


def _event(kind: str, data: bytes) -> bytes:
    return b"event: %s\ndata: %s\n\n" % (kind.encode(), data)


def _last(done: Answer) -> bytes:
    """The stream's last event: the result, or (too long) the 422 error body."""
    return _event("result" if done.status == 200 else "error", done.body)


async def _events(once: Once, flight: Flight, total: int) -> AsyncIterator[bytes]:
    try:
        while True:
            progress = MapProgressEvent(
                done=flight.progress.get("done", 0),
                total=total,
                waiting=flight.progress.get("waiting", False),
            )
            yield _event("progress", progress.model_dump_json().encode())
            if await flight.wait(TICK_S):
                break
        yield _last(flight.result())
    finally:
        once.leave(flight)


async def _stream(request: Request, kind: str, job: MapJob, settings: Settings) -> Response:
    """The streamed form: progress (the shared computation's), then the result."""
    metrics: dict[str, int] = request.app.state.metrics
    once: Once = request.app.state.once
    key = once.key(kind, job.canonical)
    if (cached := await once.cached(key)) is not None:  # the whole stream at once
        return Response(_last(cached), media_type="text/event-stream")
    flight = once.join(key, _produce(job, metrics, settings), _admit(metrics, settings))
    return EventSourceResponse(_events(once, flight, job.total), sep="\n")


def document_events(openapi: dict[str, Any]) -> None:
    """Describe each map stream's events (progress, then the result) in the document."""
    for name, result in (
        ("basins", BasinMapOut),
        ("sweep", SweepOut),
        ("trainability", TrainabilityOut),
    ):
        document_sse(
            openapi,
            f"{router.prefix}/{name}/stream",
            "post",
            {"progress": MapProgressEvent, "result": result, "error": ErrorOut},
            STREAM_DOC,
        )


# --- routes --------------------------------------------------------------------------------

SettingsDep = Annotated[Settings, Depends(app_settings)]
STREAM_RESPONSES = ERRORS


@router.post("/basins", response_model=BasinMapOut, responses=ERRORS)
async def basin_map(body: BasinsRequest, request: Request, settings: SettingsDep) -> Response:
    """Run a ball from every start of a grid over the surface's plotted domain and say
    where each ended: the basin-of-attraction map."""
    return await _answer(request, "basins", prepare_basins(body, settings), settings)


@router.post("/basins/stream", response_class=EventSourceResponse, responses=STREAM_RESPONSES)
async def basin_map_stream(
    body: BasinsRequest, request: Request, settings: SettingsDep
) -> Response:
    """POST /api/maps/basins with progress events; the work stops once every client
    waiting for it has hung up."""
    return await _stream(request, "basins", prepare_basins(body, settings), settings)


@router.post("/sweep", response_model=SweepOut, responses=ERRORS)
async def lr_sweep(body: SweepRequest, request: Request, settings: SettingsDep) -> Response:
    """Run one ball per learning rate (log-spaced) from one start: where each ended, its
    last positions (the bifurcation diagram), and each minimum's stability limit."""
    return await _answer(request, "sweep", prepare_sweep(body, settings), settings)


@router.post("/sweep/stream", response_class=EventSourceResponse, responses=STREAM_RESPONSES)
async def lr_sweep_stream(body: SweepRequest, request: Request, settings: SettingsDep) -> Response:
    """POST /api/maps/sweep with progress events; the work stops once every client
    waiting for it has hung up."""
    return await _stream(request, "sweep", prepare_sweep(body, settings), settings)


@router.post("/trainability", response_model=TrainabilityOut, responses=ERRORS)
async def trainability_map(
    body: TrainabilityRequest, request: Request, settings: SettingsDep
) -> Response:
    """Run one ball per cell of a grid over two hyperparameters: how each run ended and how
    many steps it took to converge."""
    return await _answer(request, "trainability", prepare_trainability(body, settings), settings)


@router.post(
    "/trainability/axes",
    response_model=TrainabilityAxesOut,
    responses={422: ERRORS[422]},
)
async def trainability_axes_for(body: TrainabilityAxesRequest, settings: SettingsDep) -> Any:
    """Each axis's default range for this landscape and run (nothing is rolled): for a
    gradient-scaled learning rate, up to a little above the largest rate that settles at a
    minimum; otherwise around the suggested rate or the run's own value."""
    return trainability_axes(body, settings)


@router.post("/trainability/stream", response_class=EventSourceResponse, responses=STREAM_RESPONSES)
async def trainability_map_stream(
    body: TrainabilityRequest, request: Request, settings: SettingsDep
) -> Response:
    """POST /api/maps/trainability with progress events; the work stops once every client
    waiting for it has hung up."""
    return await _stream(request, "trainability", prepare_trainability(body, settings), settings)
