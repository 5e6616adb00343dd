"""POST /api/maps/*: the whole landscape at once — basin maps, learning-rate sweeps and
trainability maps — each as one JSON answer, or streamed with progress (``/stream``).

Each route checks its request into a job (map_checks.py), which the worker runs in a
thread of its own with progress and cancel (map_jobs.py), once for every identical request
and then from the result cache (once.py), answered as JSON or framed as Server-Sent Events
as every job is (jobs_http.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sse_starlette import EventSourceResponse

from ..settings import Settings, app_settings
from .jobs_http import ERRORS, answer_job, document_stream, stream_job
from .map_checks import prepare_basins, prepare_sweep, prepare_trainability, trainability_axes
from .schemas.maps import (
    BasinMapOut,
    BasinsRequest,
    SweepOut,
    SweepRequest,
    TrainabilityAxesOut,
    TrainabilityAxesRequest,
    TrainabilityOut,
    TrainabilityRequest,
)

router = APIRouter(prefix="/api/maps", tags=["maps"])


def document_events(openapi: dict[str, Any]) -> None:
    """Describe each map stream's events (progress, then the result) in the document."""
    for name, result in (
        ("basins", BasinMapOut),
        ("sweep", SweepOut),
        ("trainability", TrainabilityOut),
    ):
        document_stream(openapi, f"{router.prefix}/{name}/stream", result, "map")


# --- routes --------------------------------------------------------------------------------

SettingsDep = Annotated[Settings, Depends(app_settings)]


@router.post("/basins", response_model=BasinMapOut, responses=ERRORS)
async def basin_map(body: BasinsRequest, request: Request, settings: SettingsDep) -> Response:
    """Run a ball from every start of a grid over the surface's plotted domain and say
    where each ended: the basin-of-attraction map."""
    return await answer_job(request, "basins", prepare_basins(body, settings), settings)


@router.post("/basins/stream", response_class=EventSourceResponse, responses=ERRORS)
async def basin_map_stream(
    body: BasinsRequest, request: Request, settings: SettingsDep
) -> Response:
    """POST /api/maps/basins with progress events; the work stops once every client
    waiting for it has hung up."""
    return await stream_job(request, "basins", prepare_basins(body, settings), settings)


@router.post("/sweep", response_model=SweepOut, responses=ERRORS)
async def lr_sweep(body: SweepRequest, request: Request, settings: SettingsDep) -> Response:
    """Run one ball per learning rate (log-spaced) from one start: where each ended, its
    last positions (the bifurcation diagram), and each minimum's stability limit."""
    return await answer_job(request, "sweep", prepare_sweep(body, settings), settings)


@router.post("/sweep/stream", response_class=EventSourceResponse, responses=ERRORS)
async def lr_sweep_stream(body: SweepRequest, request: Request, settings: SettingsDep) -> Response:
    """POST /api/maps/sweep with progress events; the work stops once every client
    waiting for it has hung up."""
    return await stream_job(request, "sweep", prepare_sweep(body, settings), settings)


@router.post("/trainability", response_model=TrainabilityOut, responses=ERRORS)
async def trainability_map(
    body: TrainabilityRequest, request: Request, settings: SettingsDep
) -> Response:
    """Run one ball per cell of a grid over two hyperparameters: how each run ended and how
    many steps it took to converge."""
    return await answer_job(request, "trainability", prepare_trainability(body, settings), settings)


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


@router.post("/trainability/stream", response_class=EventSourceResponse, responses=ERRORS)
async def trainability_map_stream(
    body: TrainabilityRequest, request: Request, settings: SettingsDep
) -> Response:
    """POST /api/maps/trainability with progress events; the work stops once every client
    waiting for it has hung up."""
    return await stream_job(request, "trainability", prepare_trainability(body, settings), settings)
