"""GET /api/surfaces and /api/optimizers: what the page builds its controls from."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, HTTPException, Query

from ..engine.backend import NUMPY
from ..engine.optimizers import OPTIMIZERS
from ..engine.surfaces import SURFACES
from .schemas import ErrorOut, GridOut, OptimizerOut, SurfaceOut

router = APIRouter(prefix="/api", tags=["catalog"])


@router.get("/surfaces")
def list_surfaces() -> list[SurfaceOut]:
    return [
        SurfaceOut(
            id=s.id,
            name=s.name,
            dim=s.dim,
            formula=s.formula,
            description=s.description,
            domain=[list(d) for d in s.domain],
            start=list(s.start),
            minima=[
                {"position": list(m.position), "value": m.value, "kind": m.kind} for m in s.minima
            ],
        )
        for s in SURFACES.values()
    ]


@router.get("/optimizers")
def list_optimizers() -> list[OptimizerOut]:
    return [
        OptimizerOut(
            id=o.id,
            name=o.name,
            formula=o.formula,
            hyperparameters=[
                {
                    "name": h.name,
                    "label": h.label,
                    "default": list(h.default) if isinstance(h.default, tuple) else h.default,
                    "min": h.min,
                    "max": h.max,
                    "scale": h.scale,
                    "help": h.help,
                }
                for h in o.hyperparameters
            ],
            presets=[
                {"id": p.id, "name": p.name, "hyperparameters": dict(p.hyperparameters)}
                for p in o.presets
            ],
        )
        for o in OPTIMIZERS.values()
    ]


@router.get("/surfaces/{surface_id}/grid", responses={404: {"model": ErrorOut}})
def surface_grid(
    surface_id: str,
    points: Annotated[int, Query(ge=2, le=5000, description="Samples across the domain.")] = 800,
) -> GridOut:
    """The surface sampled on an even grid over its domain, for drawing it."""
    surface = SURFACES.get(surface_id)
    if surface is None:
        raise HTTPException(404, f"unknown surface {surface_id!r}")
    ((lo, hi),) = surface.domain
    x = np.linspace(lo, hi, points)
    with np.errstate(all="ignore"):
        f = surface.value(NUMPY, x)
    return GridOut(x=x.tolist(), f=f.tolist())
