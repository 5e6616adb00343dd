"""GET /api/lessons and the /lessons gallery: the course's ready-made scenarios.

The catalog is data (:mod:`app.lessons`); here each lesson is shaped for the wire, with the
URL that opens it (:func:`app.api.urlstate.lesson_url`, in the pages' own address format).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..engine.networks import DATASETS as NETWORK_DATASETS
from ..lessons import LESSONS, Lesson, LessonSchedule, Racer, resolve
from ..lessons.network_lessons import NETWORK_LESSONS, NetworkLesson
from .schemas.lessons import (
    LessonOut,
    LessonRacerOut,
    LessonScheduleOut,
    NetworkLessonOut,
    NetworkLessonRacerOut,
    NetworkLessonViewOut,
)
from .urlstate import lesson_url, network_lesson_url

router = APIRouter(tags=["lessons"])


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


def _told(lesson: Lesson | NetworkLesson) -> dict[str, Any]:
    """What every lesson tells, ball or network: its texts and its question."""
    return {
        "id": lesson.id,
        "topic": lesson.topic,
        "title": lesson.title,
        "look_for": lesson.look_for,
        "try_this": lesson.try_this,
        "teacher_note": lesson.teacher_note,
        "steps": lesson.steps,
        "predict": lesson.predict,
        "question": lesson.question,
        "reveal": list(lesson.reveal),
        "choices": list(lesson.choices),
        "asks": list(lesson.asks),
        "expected": [list(e) for e in lesson.expected],
    }


def lesson_out(lesson: Lesson) -> LessonOut:
    return LessonOut(
        **_told(lesson),
        page=lesson.page,
        surface=lesson.spec.to_json() if lesson.spec is not None else lesson.surface,
        surface_parameters={k: float(v) for k, v in lesson.surface_parameters.items()},
        start=list(lesson.start),
        racers=[_racer_out(r) for r in lesson.racers],
        contrast=[_racer_out(r) for r in lesson.contrast],
        url=lesson_url(lesson),
    )


def network_lesson_out(lesson: NetworkLesson) -> NetworkLessonOut:
    return NetworkLessonOut(
        **_told(lesson),
        speed=lesson.speed,
        racers=[
            NetworkLessonRacerOut(
                optimizer=r.optimizer,
                hyperparameters=dict(r.hyperparameters),
                schedule=r.schedule,
                label=r.label,
                expected=list(r.expected),
            )
            for r in lesson.racers
        ],
        scenario=lesson.scenario(),
        url=network_lesson_url(lesson),
        view=None if lesson.view is None else NetworkLessonViewOut(**lesson.view.model_dump()),
    )


# Built once: the catalog is fixed at import and every URL takes a validation pass.
_OUT = [lesson_out(lesson) for lesson in LESSONS.values()]
_NETWORK_OUT = [network_lesson_out(lesson) for lesson in NETWORK_LESSONS.values()]


@router.get("/api/lessons")
def list_lessons() -> list[LessonOut]:
    """Every lesson, in teaching order, with the URL that opens it."""
    return _OUT


@router.get("/api/networks/lessons")
def list_network_lessons() -> list[NetworkLessonOut]:
    """Every network lesson, in teaching order: its scenario (the body of POST
    /api/networks/runs), each racer's promised outcome, and the URL that opens it."""
    return _NETWORK_OUT


@router.get("/lessons", response_class=HTMLResponse, include_in_schema=False)
def gallery(request: Request) -> HTMLResponse:
    """The lessons as cards, grouped by topic (no JavaScript); each card names its page and
    its landscape (a network lesson's: its data set)."""
    landscapes = [lesson.bound_surface().name for lesson in LESSONS.values()]
    landscapes += [
        NETWORK_DATASETS[str(lesson.data.get("dataset", "circle"))].name
        for lesson in NETWORK_LESSONS.values()
    ]
    topics: dict[str, list[tuple[LessonOut | NetworkLessonOut, str]]] = {}
    for lesson, landscape in zip([*_OUT, *_NETWORK_OUT], landscapes, strict=True):
        topics.setdefault(lesson.topic, []).append((lesson, landscape))
    pages = {"roll": "Roll Downhill", "explore": "Landscape explorer", "network": "A network"}
    return request.app.state.templates.TemplateResponse(
        request, "lessons.html", {"topics": topics, "page": "lessons", "page_names": pages}
    )
