"""POST /api/surfaces/formula: a typed formula's surface, with all a page needs to draw it.

The surface is the one a run, stream or map on the same ``{"expression", "domain"}`` uses
(``surface_requests.typed_surface``, cached), described by the catalog's own builders: as GET
/api/surfaces lists a surface, plus its MathML and GET /api/surfaces/{id}/grid's grid.
"""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from ..engine.surfaces.formula import FormulaError, prepare
from .catalog import grid_json, surface_out
from .errors import InputError
from .once import Flight, answer
from .schemas.common import ErrorOut
from .schemas.formulas import FormulaRequest, FormulaSurfaceOut
from .service import json_bytes
from .surface_requests import FORMULAS_KEPT, typed_surface

router = APIRouter(prefix="/api", tags=["catalog"])


@router.post(
    "/surfaces/formula",
    response_model=FormulaSurfaceOut,
    responses={422: {"model": ErrorOut, "description": "The formula or its domain is refused"}},
)
async def formula(body: FormulaRequest, request: Request) -> Response:
    """Read a typed formula: its surface (id, formula, domain, start, minima, suggested
    learning rates), f and ∂f/∂x, ∂f/∂y as MathML, and f sampled on the pages' grid.
    A refusal is a 422 naming `expression` (with the column, where there is one) or
    `domain`; every formula is prepared within the engine's time limit."""

    async def produce(flight: Flight) -> bytes:
        return await run_in_threadpool(_formula_surface, body)

    return await answer(request, "formula", body.model_dump(mode="json"), produce)


def _formula_surface(body: FormulaRequest) -> bytes:
    surface = typed_surface(body)
    try:
        math = _mathml(body.expression, ("x", "y")[: surface.dim])
    except FormulaError as exc:  # read once already, so only a busy machine's deadline
        raise InputError([("expression", str(exc))]) from None
    out = {
        **surface_out(surface).model_dump(mode="json"),
        "mathml": math,
        "grid": grid_json(surface),
    }
    return json_bytes(out)


@lru_cache(maxsize=FORMULAS_KEPT)
def _mathml(expression: str, variables: tuple[str, ...]) -> dict[str, str | None]:
    # The surface keeps f's closures, not its trees: the formula is read again to typeset it.
    parts = prepare(expression, variables).mathml()
    return {"f": parts["f"], "x": parts["x"], "y": parts.get("y")}
