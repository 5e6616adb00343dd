"""The lesson record: what ``lessons.toml`` holds, defined once, typed by the engine's ids.

The schema checks each table's shape (every field known, of its type, texts filled in) and
the ids the engine lists (pages, optimizers and SGD's presets, schedules, outcomes, data
sets); :func:`app.lessons.prepare.check` then checks the values, by the engine's own
validation.  The field names are the pages' address names where there is one (``surface``
or ``model``/``loss``/``data``, ``start``, a racer's hyperparameters by torch's names).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from ..engine.optimizers import OPTIMIZERS, Optimizer
from ..engine.run.outcome import OUTCOMES
from ..engine.run.schedules import SCHEDULES
from ..engine.surfaces import SURFACES, Surface
from ..engine.surfaces.models import DATASETS, MODELS, ModelSpec, model_surface
from ..facts import DEFAULT_SPEED, PLAY_STEPS, SPEEDS

# What a page's optimizer picker offers: every optimizer id, and each preset's id (SGD's
# gd / momentum / nesterov) with the hyperparameters it sets.
_NONE: Mapping[str, Any] = MappingProxyType({})
CHOICES: dict[str, tuple[Optimizer, Mapping[str, Any]]] = {
    **{o.id: (o, _NONE) for o in OPTIMIZERS.values()},
    **{p.id: (o, p.hyperparameters) for o in OPTIMIZERS.values() for p in o.presets},
}


def _one_of(known: Iterable[str], noun: str) -> AfterValidator:
    """An id the engine lists, or an error listing them."""
    names = tuple(known)

    def check(value: str) -> str:
        if value not in names:
            raise PydanticCustomError(
                "unknown_id",
                "unknown {noun} {value}; it must be one of {names}",
                {"noun": noun, "value": repr(value), "names": ", ".join(names)},
            )
        return value

    return AfterValidator(check)


def _one_of_speeds() -> AfterValidator:
    def check(value: int) -> int:
        if value not in SPEEDS:
            raise PydanticCustomError(
                "unknown_speed",
                "{value} is no speed of the slider; it must be one of {names}",
                {"value": value, "names": ", ".join(map(str, SPEEDS))},
            )
        return value

    return AfterValidator(check)


def _filled(text: str) -> str:
    if not text.strip():
        raise PydanticCustomError("blank", "must be filled in")
    return text


Page = Literal["roll", "explore"]  # Roll Downhill (1D, one ball) or the explorer (2D)
Choice = Annotated[str, _one_of(CHOICES, "optimizer or preset")]
Outcome = Annotated[str, _one_of(OUTCOMES, "outcome")]
ScheduleId = Annotated[str, _one_of(SCHEDULES, "schedule")]
SurfaceId = Annotated[str, _one_of(SURFACES, "surface")]
ModelId = Annotated[str, _one_of(MODELS, "model")]
DataId = Annotated[str, _one_of(DATASETS, "data set")]
Text = Annotated[str, AfterValidator(_filled)]
# A setting's value as TOML gives it; the engine's validation checks it by name.
Value = bool | int | float | str | tuple[float, ...]

# A predict-first lesson's texts that give the answer away: a page shows them only once the
# run has ended, and asks its neutral ``question`` before.  The title and what to look for
# name the outcome; the "try this" and the teacher's note explain it ("stops on the saddle
# too", "the gradient rounds to zero"), so they wait as well.
REVEAL = ("title", "look_for", "try_this", "teacher_note")


def resolve(choice: str) -> tuple[Optimizer, Mapping[str, Any]]:
    """The optimizer a choice runs and the hyperparameters its preset sets (none for an
    optimizer id).  KeyError for an unknown choice."""
    try:
        return CHOICES[choice]
    except KeyError:
        raise KeyError(f"unknown optimizer or preset {choice!r}") from None


class _Record(BaseModel):
    # A typo in the file is an unknown key, refused, not a setting silently left out.
    model_config = ConfigDict(frozen=True, extra="forbid")


class LessonSchedule(_Record):
    """A learning-rate schedule by id (``app.engine.run.schedules``), torch's parameters."""

    name: ScheduleId
    parameters: dict[str, Value] = {}


class Racer(_Record):
    """One ball: what the page's optimizer picker, settings and training controls hold."""

    choice: Choice
    hyperparameters: dict[str, Value]  # on top of the choice's own; lr always (see check)
    expected: tuple[Outcome, ...] = Field(min_length=1)  # the run's end after Lesson.steps
    options: dict[str, Value] = {}  # training options by name (noise, precision, ...)
    schedule: LessonSchedule | None = None
    label: str = ""  # a contrast racer's few words: what it is ("lr = 0.5")

    def given(self) -> dict[str, Any]:
        """The hyperparameters a page sends with the optimizer id: the preset's, then ours."""
        return {**resolve(self.choice)[1], **self.hyperparameters}


class Lesson(_Record):
    """A scenario that opens a page ready at its start, and the outcomes it promises.

    The landscape is a built-in ``surface`` (with ``surface_parameters``) or a model on a
    built-in data set (``model``, ``loss``, ``data``), whose weights the page gives: one
    on Roll Downhill, two on the explorer.  ``contrast`` racers are not opened; they state
    the comparison the lesson rests on ("gradient descent at the same rate settles in the
    nearer dip"), and are checked like the others.
    """

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]  # the address's lesson=
    topic: Text  # the gallery's group
    title: Text
    look_for: Text  # what to look for
    try_this: Text  # one thing to try
    teacher_note: Text  # why it happens, and what to say
    page: Page
    surface: SurfaceId | None = None
    surface_parameters: dict[str, float] = {}
    model: ModelId | None = None
    loss: str | None = None  # the model's loss id; the model says which it takes
    data: DataId | None = None
    start: tuple[float, ...]
    racers: tuple[Racer, ...] = Field(min_length=1)
    steps: int = Field(default=PLAY_STEPS, gt=0)  # how long the outcomes take: one Play
    # steps per second the page opens at (a position of the speed slider): fast enough that
    # each racer's outcome is decided within 10 s (tests/engine/test_lesson_timing.py)
    speed: Annotated[int, _one_of_speeds()] = DEFAULT_SPEED
    predict: bool = False  # opens asking "What will happen?"
    # predict: asked before the guess, naming each ball by optimizer and setting, and
    # saying nothing of how it ends (the REVEAL texts do, after the run).
    question: str = ""
    choices: tuple[Outcome, ...] = ()  # predict: the outcomes offered, the right one(s) in
    contrast: tuple[Racer, ...] = ()

    @property
    def dim(self) -> int:
        """The page's dimension: 1 on Roll Downhill, 2 on the explorer."""
        return 1 if self.page == "roll" else 2

    @property
    def reveal(self) -> tuple[str, ...]:
        """The texts a page holds back until the run has ended: REVEAL's for a
        predict-first lesson, none otherwise."""
        return REVEAL if self.predict else ()

    @property
    def asks(self) -> tuple[int, ...]:
        """The racers (by place, from 0) a predict-first lesson asks about, each with its own
        guess among the ``choices`` and judged by its own outcome: every racer; none when
        the lesson does not ask.  The page names each by its colour and optimizer."""
        return tuple(range(len(self.racers))) if self.predict else ()

    @property
    def expected(self) -> tuple[tuple[str, ...], ...]:
        """Each racer's outcome(s), in racer order."""
        return tuple(r.expected for r in self.racers)

    @property
    def spec(self) -> ModelSpec | None:
        """The model on data as the engine takes it, or None for a built-in surface."""
        if self.model is None:
            return None
        return ModelSpec(self.model, self.loss or "", self.data or "", self.dim)

    def bound_surface(self) -> Surface:
        """The landscape, bound to the lesson's parameters (the engine names a bad one)."""
        if self.spec is not None:
            return model_surface(self.spec)
        if self.surface is None:
            raise KeyError("a lesson needs a surface, or a model on data")
        return SURFACES[self.surface].with_parameters(self.surface_parameters)
