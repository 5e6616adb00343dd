"""The live class's HTML pages: start a class, the teacher's class home, and the join page.

The class itself (its code, key, students, questions) is the class API's (app/api/classes.py);
these routes only serve the pages, which talk to that API from the browser. The teacher's key
never reaches a page route: it travels in the address's #fragment and the page's
sessionStorage, and goes to the API in a header.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from ..lessons import LESSONS
from .lessons import lesson_out

router = APIRouter(include_in_schema=False)

# What a join code can look like on a page's address (the API decides whether it is a class):
# letters and digits, a few of them. Anything else is no class page.
CODE_SHAPE = re.compile(r"^[A-Za-z0-9]{4,12}$")

PAGE_NAMES = {"roll": "Roll Downhill", "explore": "Landscape explorer"}


def _code(code: str) -> str:
    if not CODE_SHAPE.match(code):
        raise HTTPException(404, f"no class page for code {code!r}: 4–12 letters or digits")
    return code.upper()


@router.get("/class/new", response_class=HTMLResponse)
def new_class(request: Request) -> Response:
    """A "Start a class" button: the page asks the API for a class and opens its home."""
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "class_new.html", {"page": "class"})


@router.get("/class/{code}/teach", response_class=HTMLResponse)
def teach(request: Request, code: str) -> Response:
    """The teacher's class home: the join code and QR for the projector, joined count, the
    lessons to open in teacher mode, open/close joining and end class (with the key the page
    holds)."""
    code = _code(code)
    lessons = []
    for lesson in LESSONS.values():
        out = lesson_out(lesson)
        lessons.append(
            {
                "id": out.id,
                "topic": out.topic,
                "predict": out.predict,
                # a predict-first lesson's title tells the answer, and this page is projected
                "title": out.question if out.predict else out.title,
                "page": PAGE_NAMES[out.page],
                "url": f"{out.url}&class={code}&role=teacher",
            }
        )
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "class_teach.html", {"page": "class", "code": code, "lessons": lessons}
    )


@router.get("/join", response_class=HTMLResponse)
def join(request: Request, code: str = "") -> Response:
    """The students' way in: the code (from the QR's address or typed) → the class's page."""
    shown = code.upper() if CODE_SHAPE.match(code) else ""
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "class_join.html", {"page": "join", "code": shown})
