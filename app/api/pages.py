"""HTML pages."""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..engine.surfaces import SURFACES
from ..facts import PAGE_SURFACES
from ..lessons import LESSONS
from ..lessons.network_lessons import NETWORK_LESSONS
from .urlstate import PATHS, lesson_link, short_link_target

router = APIRouter(include_in_schema=False)


def _page(request: Request, page: str, template: str, context: dict[str, Any]) -> Response:
    """The page ``page`` (its key in :data:`PATHS`), or the redirect its lesson link asks for
    (:func:`short_link_target`).  A lesson id no catalog has is said above the page
    (``_lesson_unknown.html``), with the nearest id when one is close, and answered 404: the
    page opens with its own settings, not as if the lesson had opened."""
    templates = request.app.state.templates
    lesson = request.query_params.get("lesson")
    if not lesson:
        return templates.TemplateResponse(request, template, context)
    here = PATHS[page]
    target = short_link_target(here, request.url.query)
    if target is not None:
        return RedirectResponse(target, status_code=307)
    if lesson_link(lesson, here) is not None:
        return templates.TemplateResponse(request, template, context)
    unknown: dict[str, str] = {"id": lesson}
    for near in get_close_matches(lesson, [*LESSONS, *NETWORK_LESSONS], n=1):
        unknown |= {"near": near, "url": lesson_link(near, here) or ""}
    context = {**context, "unknown_lesson": unknown}
    return templates.TemplateResponse(request, template, context, status_code=404)


def _other_page(request: Request, path: str) -> RedirectResponse:
    """The same address on the page that shows this landscape (a link that named a 2D surface
    on the 1D page, or the reverse): every other setting in it is kept."""
    query = request.url.query
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=307)


@router.get("/", response_class=HTMLResponse)
def roll_downhill(request: Request, surface: str = PAGE_SURFACES["roll"]) -> Response:
    """The 1D simulator; `?surface=<id>` picks another 1D landscape (a 2D one opens the
    explorer); `?lesson=<id>` alone opens the lesson's full link (:func:`_page`)."""
    if surface in SURFACES and SURFACES[surface].dim == 2:
        return _other_page(request, "/explore")
    if surface not in SURFACES:
        one_d = ", ".join(s.id for s in SURFACES.values() if s.dim == 1)
        raise HTTPException(404, f"unknown 1D surface {surface!r}; known: {one_d}")
    return _page(
        request, "roll", "roll_downhill.html", {"landscape": SURFACES[surface], "page": "roll"}
    )


@router.get("/explore", response_class=HTMLResponse)
def explorer(request: Request, surface: str | None = None) -> Response:
    """The 2D explorer; `?surface=<id>` picks the landscape (the page reads it; a 1D one
    opens the 1D page)."""
    if surface in SURFACES and SURFACES[surface].dim == 1:
        return _other_page(request, "/")
    return _page(
        request,
        "explore",
        "explorer.html",
        {"surface": PAGE_SURFACES["explore"], "page": "explore"},
    )


@router.get("/network", response_class=HTMLResponse)
def network(request: Request) -> Response:
    """A small neural network learning (the page reads every setting from the address)."""
    return _page(request, "network", "network.html", {"page": "network"})
