"""GET /api/lessons and the /lessons gallery: the course's ready-made scenarios.

The catalog is data in the engine (:mod:`app.engine.lessons`); here each lesson gets the
URL that opens it, in the query format both pages read:

* common: ``surface=<id>``, the surface's parameters by name (``kappa=100``) — or, for
  a model on a built-in data set, ``model=<id>&loss=<id>&data=<id>`` (the page's
  dimension gives its weights: one on Roll Downhill, two on the explorer) —
  ``start=3.5`` (1D) or ``start=-2.5,1`` (2D), ``lesson=<id>``, ``predict=1`` for
  predict-first lessons (no ``steps``: a lesson opens ready at its start);
* Roll Downhill ``/``: ``optimizer=<choice>`` (optimizer id or SGD preset id), its
  hyperparameters by torch name (``lr=0.1``; tuples comma-separated, booleans
  ``true``/``false``), training options by name (``noise=4``), ``schedule=<id>`` and
  ``schedule.<parameter>=<value>``;
* explorer ``/explore``: the same per racer behind ``r1``…``r6``: ``r1=<choice>``,
  ``r1.lr=0.06``, ``r1.noise=0.5``, ``r1.schedule=cosine``, ``r1.schedule.T_max=100``.

Only values that differ from the defaults are written — the choice's own (torch's, then
its preset's), the options', the schedule's, the surface's — except ``lr``, which is
always written because the pages start from their own rate (the slider, the suggested
rate), not torch's default.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..engine.lessons import LESSONS, Lesson, LessonSchedule, Racer, prepare, resolve
from ..engine.run.options import OPTIONS, validate_options
from ..engine.surfaces import SURFACES
from ..engine.surfaces.models import ModelSpec
from .schemas.lessons import LessonOut, LessonRacerOut, LessonScheduleOut

router = APIRouter(tags=["lessons"])

PATHS = {"roll": "/", "explore": "/explore"}
ALWAYS = frozenset({"lr"})  # written even at its default: the pages pick their own rate


def format_value(value: Any) -> str:
    """One query value: shortest round-tripping numbers (``1`` for 1.0), ``true``/``false``,
    tuples comma-separated."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return ",".join(format_value(v) for v in value)
    return str(value)


def _racer_pairs(lesson: Lesson, racer: Racer, prefix: str) -> Iterator[tuple[str, str]]:
    """``(key, value)`` for one racer: its hyperparameters, options and schedule, each
    written only when it differs from its default."""
    ready = prepare(lesson, racer)
    plain = validate_options({}, ready.surface.data_size)  # what the page starts from
    for h in ready.optimizer.hyperparameters:
        value = ready.hyperparameters[h.name]
        if h.name in ALWAYS or value != ready.defaults[h.name]:
            yield f"{prefix}{h.name}", format_value(value)
    for h in OPTIONS:
        value = getattr(ready.options, h.name)
        if value != getattr(plain, h.name):
            yield f"{prefix}{h.name}", format_value(value)
    if ready.schedule is not None and ready.schedule.id != "constant":
        yield f"{prefix}schedule", ready.schedule.id
        defaults = ready.schedule.schedule.validate({})
        for h in ready.schedule.schedule.parameters:
            value = ready.schedule.values[h.name]
            if value != defaults[h.name]:
                yield f"{prefix}schedule.{h.name}", format_value(value)


def lesson_url(lesson: Lesson) -> str:
    """The URL that opens ``lesson`` on its page (see the module docstring)."""
    pairs: list[tuple[str, str]]
    if isinstance(lesson.surface, ModelSpec):  # a built-in data set: the page knows it
        spec = lesson.surface
        pairs = [("model", spec.model), ("loss", spec.loss), ("data", str(spec.data))]
    else:
        surface = lesson.bound_surface()
        defaults = SURFACES[lesson.surface].parameter_values
        pairs = [("surface", lesson.surface)]
        pairs += [
            (name, format_value(value))
            for name, value in surface.parameter_values.items()
            if value != defaults[name]
        ]
    pairs.append(("start", format_value(lesson.start)))
    if lesson.page == "roll":
        (racer,) = lesson.racers
        pairs.append(("optimizer", racer.choice))
        pairs += _racer_pairs(lesson, racer, "")
    else:
        for i, racer in enumerate(lesson.racers, 1):
            pairs.append((f"r{i}", racer.choice))
            pairs += _racer_pairs(lesson, racer, f"r{i}.")
    pairs.append(("lesson", lesson.id))
    if lesson.predict:
        pairs.append(("predict", "1"))
    return f"{PATHS[lesson.page]}?{urlencode(pairs, safe=',')}"


def _json(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _schedule_out(schedule: LessonSchedule | None) -> LessonScheduleOut | None:
    if schedule is None:
        return None
    return LessonScheduleOut(name=schedule.name, parameters=dict(schedule.parameters))


def _racer_out(racer: Racer) -> LessonRacerOut:
    return LessonRacerOut(
        choice=racer.choice,
        optimizer=resolve(racer.choice)[0].id,
        hyperparameters={k: _json(v) for k, v in racer.given().items()},
        options=dict(racer.options),
        schedule=_schedule_out(racer.schedule),
        expected=list(racer.expected),
        label=racer.label,
    )


def lesson_out(lesson: Lesson) -> LessonOut:
    return LessonOut(
        id=lesson.id,
        topic=lesson.topic,
        title=lesson.title,
        look_for=lesson.look_for,
        try_this=lesson.try_this,
        teacher_note=lesson.teacher_note,
        page=lesson.page,
        surface=(
            lesson.surface.to_json() if isinstance(lesson.surface, ModelSpec) else lesson.surface
        ),
        surface_parameters={k: float(v) for k, v in lesson.surface_parameters.items()},
        start=list(lesson.start),
        steps=lesson.steps,
        predict=lesson.predict,
        choices=list(lesson.choices),
        expected=[list(e) for e in lesson.expected],
        racers=[_racer_out(r) for r in lesson.racers],
        contrast=[_racer_out(r) for r in lesson.contrast],
        url=lesson_url(lesson),
    )


# Built once: the catalog is fixed at import and every URL takes a validation pass.
_OUT = [lesson_out(lesson) for lesson in LESSONS.values()]


@router.get("/api/lessons")
def list_lessons() -> list[LessonOut]:
    """Every lesson, in teaching order, with the URL that opens it."""
    return _OUT


@router.get("/lessons", response_class=HTMLResponse, include_in_schema=False)
def gallery(request: Request) -> HTMLResponse:
    """The lessons as cards, grouped by topic (no JavaScript)."""
    topics: dict[str, list[LessonOut]] = {}
    for lesson in _OUT:
        topics.setdefault(lesson.topic, []).append(lesson)
    pages = {"roll": "Roll Downhill", "explore": "Landscape explorer"}
    names = {lesson.id: lesson.bound_surface().name for lesson in LESSONS.values()}
    return request.app.state.templates.TemplateResponse(
        request,
        "lessons.html",
        {"topics": topics, "page": "lessons", "page_names": pages, "surface_names": names},
    )
