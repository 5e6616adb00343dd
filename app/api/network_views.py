"""POST /api/networks/views: the landscape of a network — the line from the start, a random
plane, the paths' plane, sharpness along each run and two seeds — as one JSON answer, or
streamed with progress (``/stream``).

A view is a job as a map is (jobs_http.py): checked up front (the network's limits, then
its size — the engine's sizes for the ``detail`` asked for, within this server's — and its
work), computed in a thread of its own with progress and cancel in the worker's map queue
(map_jobs.py), once for every identical request and then from the result cache (once.py).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sse_starlette import EventSourceResponse

from ..engine.networks.data import NetworkError
from ..engine.networks.scenario import Scenario
from ..engine.networks.views import DETAIL, Sizes, ViewRequest, compute, work
from ..settings import Settings, app_settings
from .errors import InputError
from .jobs_http import ERRORS, answer_job, document_stream, stream_job
from .map_jobs import MapJob
from .network_service import build_scenario, canonical_network, network_limits
from .schemas.network_views import NetworkViewOut, NetworkViewRequest

router = APIRouter(prefix="/api/networks", tags=["networks"])

VIEWS_PATH = f"{router.prefix}/views"
KIND = "network-view"  # its answers' key (once.py)
# What each view reads besides the comparison: the rest is left out of its key, so a view
# asked for with another racer or seed it does not use shares the same answer.
READS: dict[str, tuple[str, ...]] = {
    "line": (),
    "plane": ("racer", "seed", "span"),
    "pca": (),
    "sharpness": (),
    "seeds": ("racer", "second_seed"),
}
COMPARISON = ("data", "model", "optimizers", "options", "steps")  # what a view trains
# About how long a view's work takes on one core (bench/network_views.py prints the estimate
# beside the time measured; it errs long).  For a network of P weights on n training
# points, a training step takes STEP_S + STEP_N_P_S·n·P (the step, and the trace's losses
# of every point), the loss of one weight vector EVAL_N_S·n + N_P_S·n·P and half a
# Hessian-vector product HVP_S + HVP_N_S·n + N_P_S·n·P; L-BFGS evaluates the loss about
# LBFGS_EVALS times per iteration of its `max_iter`, and Newton takes P Hessian-vector
# products a step.
STEP_S = 2.2e-4
STEP_N_P_S = 9e-10
EVAL_N_S = 4e-7
HVP_S = 7e-5
HVP_N_S = 2.5e-7
N_P_S = 6e-10
LBFGS_EVALS = 3


def sizes_for(detail: str, settings: Settings) -> Sizes:
    """The engine's sizes for ``detail``, within this server's limits."""
    sizes = DETAIL[detail]
    side, points = settings.network_view_max_side, settings.network_view_max_points
    return dataclasses.replace(
        sizes,
        side=min(sizes.side, side),
        points=min(sizes.points, points),
        path=min(sizes.path, points),
    )


def seconds_of(scenario: Scenario, view: ViewRequest, total: int) -> float:
    """About how long ``total`` units of the view's work take on one core."""
    s = scenario.setup
    n, p = len(s.y_train), s.spec.size
    half_hvp = HVP_S + HVP_N_S * n + N_P_S * n * p
    trained = [view.racer, view.racer] if view.kind == "seeds" else range(len(scenario.racers))
    training, steps = 0.0, 0
    for i in trained:
        racer = scenario.racers[i]
        step = STEP_S + STEP_N_P_S * n * p
        if racer.optimizer.id == "lbfgs":
            step *= LBFGS_EVALS * int(racer.hyperparameters["max_iter"])
        elif racer.optimizer.id == "newton":
            step += 2 * p * half_hvp
        training += scenario.steps * step
        steps += scenario.steps
    unit = half_hvp if view.kind == "sharpness" else EVAL_N_S * n + N_P_S * n * p
    return training + max(total - steps, 0) * unit


def prepare_view(req: NetworkViewRequest, settings: Settings) -> MapJob:
    """A view request checked into its job: the network's limits first (all at once, before
    anything is built), then the racer it names, then its work; a refusal names its field."""
    errors = network_limits(req, settings)
    if req.resume is not None:
        errors.append(
            ("resume", "a view trains every racer from the initial weights: leave it out")
        )
    racers = len(req.optimizers)
    if "racer" in READS[req.view] and req.racer >= racers:
        errors.append(("racer", f"there are {racers} racers: 0 to {racers - 1}"))
    if errors:
        raise InputError(errors)
    scenario = build_scenario(req)
    second = req.model.init_seed + 1 if req.second_seed is None else req.second_seed
    sizes = sizes_for(req.detail, settings)
    view = ViewRequest(req.view, sizes, req.racer, req.seed, req.span, second)
    total = work(scenario, view)
    seconds = seconds_of(scenario, view, total)
    if total > settings.network_view_max_work or seconds > settings.map_max_seconds:
        raise InputError([("detail", _too_big(req, total, seconds, settings))])
    chosen = {"racer": req.racer, "seed": req.seed, "span": req.span, "second_seed": second}
    canonical = {
        **{k: v for k, v in canonical_network(req, scenario).items() if k in COMPARISON},
        "view": req.view,
        **{k: chosen[k] for k in READS[req.view]},
        "sizes": dataclasses.asdict(sizes),
    }

    def computed(progress: Any) -> dict[str, Any]:
        try:
            return compute(scenario, view, progress)
        except NetworkError as exc:
            raise InputError([(exc.field, exc.reason)]) from None

    return MapJob(
        compute=computed,
        total=total,
        answer=lambda answer: answer,
        canonical=canonical,
        size_field="detail",
        estimate=seconds,
        name="view",
        unit="units of work",
        counter="network_view_work",
    )


def _too_big(req: NetworkViewRequest, total: int, seconds: float, settings: Settings) -> str:
    """Why a view is refused for its size, and what to lower."""
    order = list(DETAIL)  # coarse first
    coarser = order[: order.index(req.detail)]
    lower = f"a coarser detail ({' or '.join(coarser)}), " if coarser else ""
    limit = (
        f"{settings.network_view_max_work:,} units"
        if total > settings.network_view_max_work
        else f"{settings.map_max_seconds:g} s"
    )
    return (
        f"the {req.view} view at detail {req.detail} is {total:,} units of work (about "
        f"{seconds:,.1f} s), more than this server's {limit} for one view: choose {lower}"
        "fewer steps, fewer racers, fewer points or a smaller network"
    )


def document_events(openapi: dict[str, Any]) -> None:
    """Describe the view stream's events (progress, then the result) in the document."""
    document_stream(openapi, f"{VIEWS_PATH}/stream", NetworkViewOut, "view")


# --- routes --------------------------------------------------------------------------------

SettingsDep = Annotated[Settings, Depends(app_settings)]


@router.post("/views", response_model=NetworkViewOut, responses=ERRORS)
async def network_view(
    body: NetworkViewRequest, request: Request, settings: SettingsDep
) -> Response:
    """One view of the network's loss landscape, for the comparison as it is after `steps`
    steps (every racer trained from the same initial weights): `line`, `plane`, `pca`,
    `sharpness` or `seeds`, sized by `detail`; every loss is the mean data loss (no L1/L2
    term), every number finite or null."""
    return await answer_job(request, KIND, prepare_view(body, settings), settings)


@router.post("/views/stream", response_class=EventSourceResponse, responses=ERRORS)
async def network_view_stream(
    body: NetworkViewRequest, request: Request, settings: SettingsDep
) -> Response:
    """POST /api/networks/views with progress events (units of work); the work stops once
    every client waiting for it has hung up."""
    return await stream_job(request, KIND, prepare_view(body, settings), settings)
