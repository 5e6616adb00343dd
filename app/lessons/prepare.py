"""A lesson against the engine: each racer prepared as a page's run is, every value checked.

:func:`prepare` turns a racer into exactly what a page's run is: the surface bound to the
lesson's parameters, the optimizer, its validated hyperparameters (the preset's first),
the validated options and the bound schedule.  :func:`check` refuses a lesson a page could
not open, or whose values the engine refuses, with a :class:`LessonError` naming the lesson
and the field (``racers[1].hyperparameters.lr``; racers count from 0, in file order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

from ..engine.errors import FieldError
from ..engine.optimizers import Optimizer
from ..engine.run.options import RunOptions, check_sam, validate_options
from ..engine.run.schedules import BoundSchedule, bind_schedule, check_cycle_momentum
from ..engine.surfaces import Surface
from ..engine.surfaces.models.data import ModelError
from ..facts import MAX_RACERS
from .lesson import Lesson, Racer, resolve


class LessonError(ValueError):
    """A lesson the catalog refuses: ``lesson`` is its id, ``field`` the path to change."""

    def __init__(self, lesson: str, field: str, reason: str) -> None:
        super().__init__(f"lesson {lesson!r}, field {field}: {reason}")
        self.lesson = lesson
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class PreparedRacer:
    """A racer as the runner takes it, every value validated by the catalog."""

    surface: Surface
    optimizer: Optimizer
    hyperparameters: dict[str, Any]
    options: RunOptions
    schedule: BoundSchedule | None
    defaults: dict[str, Any]  # the choice's own values (torch's defaults, then the preset's)


@contextmanager
def _under(section: str) -> Iterator[None]:
    """The engine names a field within what it was given; we name it within the racer."""
    try:
        yield
    except FieldError as error:
        raise FieldError(f"{section}.{error.field}", error.reason) from error


def prepare(lesson: Lesson, racer: Racer) -> PreparedRacer:
    """Validate a racer as ``POST /api/runs`` would; FieldError names the racer's field
    (``hyperparameters.lr``, ``options.noise``, ``schedule.parameters.T_max``)."""
    optimizer, preset = resolve(racer.choice)
    surface = lesson.bound_surface()
    schedule = None
    if racer.schedule is not None:
        with _under("schedule.parameters"):
            schedule = bind_schedule(racer.schedule.name, racer.schedule.parameters)
            check_cycle_momentum(schedule, [h.name for h in optimizer.hyperparameters])
    with _under("hyperparameters"):
        hyperparameters = optimizer.validate(racer.given())
    with _under("options"):
        options = validate_options(racer.options, surface.data_size)
        check_sam(options, optimizer)
    return PreparedRacer(
        surface=surface,
        optimizer=optimizer,
        hyperparameters=hyperparameters,
        options=options,
        schedule=schedule,
        defaults=optimizer.validate(preset),
    )


def check(lesson: Lesson) -> None:
    """LessonError unless the lesson opens on its page and the engine takes every value."""

    def refuse(field: str, reason: str) -> NoReturn:
        raise LessonError(lesson.id, field, reason)

    surface = _landscape(lesson, refuse)
    if surface.dim != lesson.dim:
        page = "Roll Downhill" if lesson.page == "roll" else "The explorer"
        refuse("surface", f"{page} needs a {lesson.dim}D landscape; {surface.name} is not")
    if lesson.page == "roll" and len(lesson.racers) != 1:
        refuse("racers", "Roll Downhill rolls one ball: give one racer")
    if len(lesson.racers) > MAX_RACERS:
        refuse("racers", f"the explorer takes 1 to {MAX_RACERS} racers")
    if len(lesson.start) != lesson.dim or not all(
        lo <= c <= hi for c, (lo, hi) in zip(lesson.start, surface.domain, strict=True)
    ):
        refuse("start", f"{list(lesson.start)} is not on the domain {surface.domain}")
    for kind, racers in (("racers", lesson.racers), ("contrast", lesson.contrast)):
        for i, racer in enumerate(racers):
            if "lr" not in racer.hyperparameters:
                refuse(f"{kind}[{i}].hyperparameters", "must set lr (pages default their own)")
            try:
                prepare(lesson, racer)
            except FieldError as error:
                refuse(f"{kind}[{i}].{error.field}", error.reason)
            if kind == "contrast" and not racer.label.strip():
                refuse(f"{kind}[{i}].label", "a contrast racer says in a few words what it is")
    if lesson.predict:
        outcomes = {o for r in lesson.racers for o in r.expected}
        if len(set(lesson.choices)) < 2 or not outcomes <= set(lesson.choices):
            refuse("choices", "must hold every expected outcome, and at least one more")
        if not lesson.question.strip():
            refuse("question", "a predict-first lesson asks its question before the guess")
    elif lesson.choices:
        refuse("choices", "are for predict-first lessons (predict = true)")
    elif lesson.question:
        refuse("question", "is for predict-first lessons (predict = true)")


def _landscape(lesson: Lesson, refuse: Callable[[str, str], NoReturn]) -> Surface:
    """The lesson's bound landscape, or a refusal naming the field that stops it."""
    if (lesson.surface is None) == (lesson.model is None):
        refuse("surface", "give a built-in surface, or a model on data (model, loss, data)")
    if lesson.model is not None and lesson.surface_parameters:
        refuse("surface_parameters", "are for a built-in surface, not a model on data")
    try:
        return lesson.bound_surface()
    except ModelError as error:
        refuse(error.field, error.reason)
    except FieldError as error:
        refuse(f"surface_parameters.{error.field}", error.reason)
