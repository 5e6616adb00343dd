"""GET /api/surfaces, /api/optimizers and surface grids: what the pages build from.

The three catalogs never change while the server runs, and every page load asks for them (a
lecture hall: hundreds at once); each is built and encoded once, on first use.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ..engine.backend import NUMPY
from ..engine.errors import HyperparameterError
from ..engine.hyperparameters import Hyperparameter
from ..engine.optimizers import OPTIMIZERS
from ..engine.run.options import OPTIONS
from ..engine.run.schedules import SCHEDULES
from ..engine.suggest import suggested_lrs
from ..engine.surfaces import SURFACES, Surface
from .errors import InputError
from .once import Flight, answer
from .schemas.catalog import (
    GridOut,
    HyperparameterOut,
    OptimizerOut,
    OptionsOut,
    ScheduleOut,
    SurfaceOut,
    SymbolOut,
)
from .schemas.common import ErrorOut, minimum_json
from .service import json_bytes

router = APIRouter(prefix="/api", tags=["catalog"])

GRID_POINTS = {1: 800, 2: 121}  # default samples per axis
GRID_MAX = {1: 5000, 2: 400}  # 400² values are about 3 MB of JSON
# Colour f on a log scale when the median point sits below this fraction of the range.
LOG_COLOURS_BELOW = 0.1


def _symbols_out(symbols: tuple[tuple[str, str], ...]) -> list[SymbolOut]:
    return [SymbolOut(symbol=symbol, meaning=meaning) for symbol, meaning in symbols]


def _hyperparameter_out(h: Hyperparameter) -> HyperparameterOut:
    return HyperparameterOut(
        name=h.name,
        label=h.label,
        default=list(h.default) if isinstance(h.default, tuple) else h.default,
        min=h.min,
        max=h.max,
        scale=h.scale,
        help=h.help,
        integer=h.integer,
        powers_of_two=h.powers_of_two,
        choices=list(h.choices) if h.scale == "choice" else None,
    )


@router.get("/surfaces", response_model=list[SurfaceOut])
async def list_surfaces() -> Response:
    return Response(_surfaces_json(), media_type="application/json")


@cache
def _surfaces_json() -> bytes:
    # suggested_lrs takes exact Hessians at every minimum: some 70 ms for the catalog
    return _encoded([surface_out(s) for s in SURFACES.values()])


def surface_out(s: Surface) -> SurfaceOut:
    """A surface as GET /api/surfaces lists it (a typed formula's too)."""
    return SurfaceOut(
        id=s.id,
        name=s.name,
        dim=s.dim,
        formula=s.formula,
        description=s.description,
        domain=[list(d) for d in s.domain],
        start=list(s.start),
        minima=[minimum_json(m) for m in s.minima],
        parameters=[_hyperparameter_out(h) for h in s.parameters],
        suggested_lr=suggested_lrs(s),
        no_minimum=s.no_minimum,
    )


@router.get("/optimizers", response_model=list[OptimizerOut])
async def list_optimizers() -> Response:
    return Response(_optimizers_json(), media_type="application/json")


@cache
def _optimizers_json() -> bytes:
    return _encoded(
        [
            OptimizerOut(
                id=o.id,
                name=o.name,
                formula=o.formula,
                symbols=_symbols_out(o.symbols),
                hyperparameters=[_hyperparameter_out(h) for h in o.hyperparameters],
                presets=[
                    {"id": p.id, "name": p.name, "hyperparameters": dict(p.hyperparameters)}
                    for p in o.presets
                ],
                weight_decay=o.weight_decay,
                decoupled_by=o.decoupled_by,
                group=o.group,
            )
            for o in OPTIMIZERS.values()
        ]
    )


@router.get("/options", response_model=OptionsOut)
async def list_options() -> Response:
    """Options every optimizer takes (noise, clipping, precision) and the LR schedules."""
    return Response(_options_json(), media_type="application/json")


@cache
def _options_json() -> bytes:
    return _encoded(
        OptionsOut(
            options=[_hyperparameter_out(h) for h in OPTIONS],
            schedules=[
                ScheduleOut(
                    id=s.id,
                    name=s.name,
                    formula=s.formula,
                    symbols=_symbols_out(s.symbols),
                    help=s.help,
                    parameters=[_hyperparameter_out(h) for h in s.parameters],
                )
                for s in SCHEDULES.values()
            ],
        )
    )


def _encoded(models: BaseModel | list[Any]) -> bytes:
    if isinstance(models, BaseModel):
        return models.model_dump_json().encode()
    return json_bytes([m.model_dump(mode="json") for m in models])


def _with_query_parameters(surface: Surface, query: dict[str, str]) -> Surface:
    """The surface bound to parameters given in the query string (e.g. ``?kappa=50``)."""
    values: dict[str, Any] = {}
    for name, raw in query.items():
        try:
            values[name] = float(raw)
        except ValueError:
            raise InputError([(name, f"must be a number, not {raw!r}")]) from None
    try:
        return surface.with_parameters(values)
    except HyperparameterError as exc:
        raise InputError([(exc.field, exc.reason)]) from None


def colour_scale(f: np.ndarray) -> str:
    """``log`` when most of the sampled surface is far below its peaks."""
    finite = f[np.isfinite(f)]
    if finite.size == 0:
        return "linear"
    gap = finite - finite.min()
    top = gap.max()
    return "log" if top > 0 and np.median(gap) < LOG_COLOURS_BELOW * top else "linear"


@router.get(
    "/surfaces/{surface_id}/grid",
    response_model=GridOut,
    responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
async def surface_grid(
    surface_id: str,
    request: Request,
    points: Annotated[
        int | None,
        Query(
            ge=2,
            le=GRID_MAX[1],
            description="Samples per axis (default 800 for 1D, 121 for 2D; at most "
            f"{GRID_MAX[1]} for 1D, {GRID_MAX[2]} for 2D). Other query parameters set "
            "the surface's parameters, e.g. `kappa=50`.",
        ),
    ] = None,
) -> Response:
    """The surface sampled on an even grid over its domain, for drawing it (computed once,
    then from the result cache)."""
    surface = SURFACES.get(surface_id)
    if surface is None:
        raise HTTPException(404, f"unknown surface {surface_id!r}")
    n = GRID_POINTS[surface.dim] if points is None else points
    if n > GRID_MAX[surface.dim]:
        raise InputError(
            [("points", f"at most {GRID_MAX[surface.dim]} per axis for a {surface.dim}D surface")]
        )
    params = {k: v for k, v in request.query_params.items() if k != "points"}
    bound = _with_query_parameters(surface, params)

    async def produce(flight: Flight) -> bytes:
        # Non-finite samples (overflow far out) encode as null: a gap in the drawing.
        return await run_in_threadpool(lambda: json_bytes(grid_json(bound, n)))

    grid = {"surface": bound.id, "points": n, "parameters": dict(bound.parameter_values)}
    return await answer(request, "grid", grid, produce)


def grid_json(surface: Surface, n: int | None = None) -> dict[str, Any]:
    """The grid endpoint's answer (GridOut): f on ``n`` points per axis (default: the
    pages' own), with its colour-scale hint."""
    axes, f = sample(surface, GRID_POINTS[surface.dim] if n is None else n)
    grid: dict[str, Any] = {"x": axes[0].tolist(), "f": f.tolist(), "colour_scale": colour_scale(f)}
    if surface.dim == 2:
        grid["y"] = axes[1].tolist()
    return grid


def sample(surface: Surface, n: int) -> tuple[list[np.ndarray], np.ndarray]:
    """f on an even grid of ``n`` points per axis: the axes, and f (2D: rows follow y, as
    contour plots expect)."""
    axes = [np.linspace(lo, hi, n) for lo, hi in surface.domain]
    with np.errstate(all="ignore"):
        if surface.dim == 1:
            return axes, surface.value(NUMPY, axes[0])
        xs, ys = np.meshgrid(axes[0], axes[1])
        return axes, surface.value(NUMPY, xs, ys)
