"""HTML pages."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..engine.surfaces import SURFACES
from ..facts import PAGE_SURFACES

router = APIRouter(include_in_schema=False)


def _other_page(request: Request, path: str) -> RedirectResponse:
    """The same address on the page that shows this landscape (a link that named a 2D surface
    on the 1D page, or the reverse): every other setting in it is kept."""
    query = request.url.query
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=307)


@router.get("/", response_class=HTMLResponse)
def roll_downhill(request: Request, surface: str = PAGE_SURFACES["roll"]) -> Response:
    """The 1D simulator; `?surface=<id>` picks another 1D landscape (a 2D one opens the
    explorer)."""
    if surface in SURFACES and SURFACES[surface].dim == 2:
        return _other_page(request, "/explore")
    if surface not in SURFACES:
        one_d = ", ".join(s.id for s in SURFACES.values() if s.dim == 1)
        raise HTTPException(404, f"unknown 1D surface {surface!r}; known: {one_d}")
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "roll_downhill.html", {"landscape": SURFACES[surface], "page": "roll"}
    )


@router.get("/explore", response_class=HTMLResponse)
def explorer(request: Request, surface: str | None = None) -> Response:
    """The 2D explorer; `?surface=<id>` picks the landscape (the page reads it; a 1D one
    opens the 1D page)."""
    if surface in SURFACES and SURFACES[surface].dim == 1:
        return _other_page(request, "/")
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "explorer.html", {"surface": PAGE_SURFACES["explore"], "page": "explore"}
    )


@router.get("/network", response_class=HTMLResponse)
def network(request: Request) -> Response:
    """A small neural network learning (the page reads every setting from the address)."""
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "network.html", {"page": "network"})
