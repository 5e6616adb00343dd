"""HTML pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def roll_downhill(request: Request) -> HTMLResponse:
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "roll_downhill.html", {"surface": "roll_downhill", "page": "roll"}
    )


@router.get("/explore", response_class=HTMLResponse)
def explorer(request: Request) -> HTMLResponse:
    """The 2D explorer; `?surface=<id>` picks the landscape (the page reads it)."""
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "explorer.html", {"surface": "rosenbrock", "page": "explore"}
    )
