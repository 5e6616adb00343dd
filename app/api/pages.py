"""HTML pages."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from ..engine.surfaces import SURFACES

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def roll_downhill(request: Request, surface: str = "roll_downhill") -> HTMLResponse:
    """The 1D simulator; `?surface=<id>` picks another 1D landscape."""
    if surface not in SURFACES or SURFACES[surface].dim != 1:
        one_d = ", ".join(s.id for s in SURFACES.values() if s.dim == 1)
        raise HTTPException(404, f"unknown 1D surface {surface!r}; known: {one_d}")
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "roll_downhill.html", {"surface": surface, "page": "roll"}
    )


@router.get("/explore", response_class=HTMLResponse)
def explorer(request: Request) -> HTMLResponse:
    """The 2D explorer; `?surface=<id>` picks the landscape (the page reads it)."""
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "explorer.html", {"surface": "rosenbrock", "page": "explore"}
    )
