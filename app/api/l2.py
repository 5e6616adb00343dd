"""POST /api/surfaces/l2: the lowest point of a surface's L2 landscape f + (λ/2)·‖x‖².

The surface is the one a run on the same ``surface`` and ``surface_parameters`` uses
(``surface_requests.request_surface``); the engine finds the point
(app/engine/surfaces/regularized.py), once for identical requests (once.py), and the pages
word it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from ..engine.surfaces.regularized import l2_lowest
from .errors import InputError
from .once import Flight, answer
from .schemas.common import ErrorOut, minimum_json
from .schemas.l2 import L2Out, L2Request
from .service import json_bytes
from .surface_requests import request_surface

router = APIRouter(prefix="/api", tags=["catalog"])


@router.post(
    "/surfaces/l2",
    response_model=L2Out,
    responses={422: {"model": ErrorOut, "description": "The surface or weight_decay is refused"}},
)
async def l2_lowest_point(body: L2Request, request: Request) -> Response:
    """Where an optimizer with coupled weight decay λ (added to the gradient, as SGD, RMSprop
    or Adam take `weight_decay`) would come to rest: the global minimum of
    f + (λ/2)·‖x‖², found by the engine's minima search."""
    errors: list[tuple[str, str]] = []
    surface = request_surface(body, errors)
    if errors or surface is None:
        raise InputError(errors)
    found = surface  # (narrowed, for the closure)

    def lowest_json() -> bytes:
        lowest = l2_lowest(found, body.weight_decay)
        return json_bytes(
            {
                "weight_decay": body.weight_decay,
                "lowest": None if lowest is None else minimum_json(lowest),
            }
        )

    async def produce(flight: Flight) -> bytes:
        return await run_in_threadpool(lowest_json)

    canonical = body.model_dump(mode="json")
    if isinstance(body.surface, str):
        canonical["surface_parameters"] = dict(surface.parameter_values)
    return await answer(request, "l2", canonical, produce)
