"""POST /api/maps/*: the whole landscape at once — basin maps, learning-rate sweeps and
trainability maps — each as one JSON answer, or streamed with progress (``/stream``).

Each route checks its request into a job (map_checks.py), which the worker runs in a
thread of its own with progress and cancel (map_jobs.py); here it is answered as JSON or
framed as Server-Sent Events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sse_starlette import EventSourceResponse

from ..settings import Settings, app_settings
from .errors import InputError, error_body, retry_later
from .map_checks import prepare_basins, prepare_sweep, prepare_trainability, trainability_axes
from .map_jobs import MapJob, admit, follow
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


async def _answer(request: Request, job: MapJob, settings: Settings) -> Response:
    """The JSON form: the answer once it is ready; a hang-up in the meantime cancels it."""
    metrics: dict[str, int] = request.app.state.metrics
    admit(metrics, settings)
    updates = follow(job, metrics, settings)
    try:
        async for update in updates:
            if not isinstance(update, MapProgressEvent):
                return Response(json_bytes(update), media_type="application/json")
            if await request.is_disconnected():
                break
    finally:
        await updates.aclose()
    return Response(status_code=499)  # nobody is listening any more


def _event(kind: str, data: bytes) -> bytes:
    return b"event: %s\ndata: %s\n\n" % (kind.encode(), data)


async def _events(job: MapJob, metrics: dict[str, int], settings: Settings) -> AsyncIterator[bytes]:
    updates = follow(job, metrics, settings)
    try:
        async for update in updates:
            if isinstance(update, MapProgressEvent):
                yield _event("progress", update.model_dump_json().encode())
            else:
                yield _event("result", json_bytes(update))
    except InputError as exc:  # too long: the stream has started, so it ends with the error
        yield _event("error", json_bytes(error_body(exc.status, "Invalid input", exc.errors)))
    finally:
        await updates.aclose()


def _stream(request: Request, job: MapJob, settings: Settings) -> EventSourceResponse:
    metrics: dict[str, int] = request.app.state.metrics
    admit(metrics, settings)
    return EventSourceResponse(_events(job, metrics, settings), sep="\n")


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
    return await _answer(request, prepare_basins(body, settings), settings)


@router.post("/basins/stream", response_class=EventSourceResponse, responses=STREAM_RESPONSES)
async def basin_map_stream(
    body: BasinsRequest, request: Request, settings: SettingsDep
) -> EventSourceResponse:
    """POST /api/maps/basins with progress events; hanging up cancels the work."""
    return _stream(request, prepare_basins(body, settings), settings)


@router.post("/sweep", response_model=SweepOut, responses=ERRORS)
async def lr_sweep(body: SweepRequest, request: Request, settings: SettingsDep) -> Response:
    """Run one ball per learning rate (log-spaced) from one start: where each ended, its
    last positions (the bifurcation diagram), and each minimum's stability limit."""
    return await _answer(request, prepare_sweep(body, settings), settings)


@router.post("/sweep/stream", response_class=EventSourceResponse, responses=STREAM_RESPONSES)
async def lr_sweep_stream(
    body: SweepRequest, request: Request, settings: SettingsDep
) -> EventSourceResponse:
    """POST /api/maps/sweep with progress events; hanging up cancels the work."""
    return _stream(request, prepare_sweep(body, settings), settings)


@router.post("/trainability", response_model=TrainabilityOut, responses=ERRORS)
async def trainability_map(
    body: TrainabilityRequest, request: Request, settings: SettingsDep
) -> Response:
    """Run one ball per cell of a grid over two hyperparameters: how each run ended and how
    many steps it took to converge."""
    return await _answer(request, prepare_trainability(body, settings), settings)


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
) -> EventSourceResponse:
    """POST /api/maps/trainability with progress events; hanging up cancels the work."""
    return _stream(request, prepare_trainability(body, settings), settings)
