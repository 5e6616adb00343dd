"""The network lessons: ``networks.toml`` read and checked once, as the ball lessons are.

A :class:`NetworkLesson` opens the network page (``/network?lesson=<id>``) on a scenario —
the data, the network and the training options, in the words of ``POST /api/networks/runs``
— with one to three racers, and promises the outcome each racer's run ends in after one
press of Play (the words of :mod:`app.engine.networks.outcome`).  A lesson may name a
landscape view (:class:`NetworkLessonView`: one of :data:`app.engine.networks.views.VIEWS`
with its request's fields), which the page computes once the run has ended.  Loading builds
every lesson's scenario through the engine (:func:`app.engine.networks.scenario.build`), so a
lesson the engine would refuse never starts the server; what each run does, and what each
view shows, is an engine test (tests/engine/test_network_lessons.py).

    >>> lesson = NETWORK_LESSONS["zero_init_symmetry"]
    >>> lesson.predict, lesson.racers[0].expected
    (True, ('symmetric',))
    >>> lesson.scenario()["model"]["init"]
    'zeros'
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..engine.networks.outcome import NET_OUTCOMES
from ..engine.networks.scenario import build
from ..engine.networks.views import VIEWS
from .catalog import LESSONS
from .lesson import REVEAL, _filled, _one_of

NETWORK_LESSONS_FILE = Path(__file__).with_name("networks.toml")
# A network lesson's old id → its id now: a link shared before the rename
# (``/network?lesson=minibatch_noise``) still opens the same lesson — the page route answers
# it with a redirect (app/api/pages.py).  An old id may be a ball lesson's id now: on
# /network it names the network lesson it was.
RENAMED = {"minibatch_noise": "minibatch_loss_curve"}
MAX_SECONDS = 10.0  # one press of Play at the lesson's speed: the phenomenon within seconds

Text = Annotated[str, AfterValidator(_filled)]
NetOutcome = Annotated[str, _one_of(NET_OUTCOMES, "network outcome")]
Value = bool | int | float | str | list[Any] | None

__all__ = [
    "NETWORK_LESSONS",
    "NETWORK_LESSONS_FILE",
    "RENAMED",
    "REVEAL",
    "NetworkLesson",
    "NetworkLessonView",
    "NetworkRacer",
]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NetworkRacer(_Record):
    optimizer: str
    hyperparameters: dict[str, Value] = {}
    schedule: dict[str, Any] | None = None
    label: Text
    expected: tuple[NetOutcome, ...] = Field(min_length=1)

    def request(self) -> dict[str, Any]:
        """The racer as the request's ``optimizers`` entry."""
        out: dict[str, Any] = {"optimizer": self.optimizer, "hyperparameters": self.hyperparameters}
        if self.schedule is not None:
            out["schedule"] = self.schedule
        return out


class NetworkLessonView(_Record):
    """The landscape view a lesson shows once its run has ended: ViewRequest's fields but
    its sizes (the page's detail sets those)."""

    kind: Annotated[str, _one_of(VIEWS, "view")]
    racer: int = Field(0, ge=0)  # plane: whose weights are the centre; seeds: whose optimizer
    seed: int = Field(0, ge=0)  # plane: the random directions' seed
    span: float = Field(1.0, gt=0, le=10)  # plane: α, β ∈ [−span, span]
    second_seed: int | None = Field(None, ge=0)  # seeds: the other copy's init seed


class NetworkLesson(_Record):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    topic: Text
    title: Text
    look_for: Text
    try_this: Text
    teacher_note: Text
    predict: bool = False
    question: str = ""
    choices: tuple[NetOutcome, ...] = ()
    steps: int = Field(gt=0)
    speed: int = Field(gt=0)
    data: dict[str, Value] = {}
    model: dict[str, Value] = {}
    options: dict[str, Value] = {}
    racers: tuple[NetworkRacer, ...] = Field(min_length=1, max_length=3)
    view: NetworkLessonView | None = None

    @property
    def reveal(self) -> tuple[str, ...]:
        """The texts held back until the run has ended: REVEAL's when predict-first."""
        return REVEAL if self.predict else ()

    @property
    def asks(self) -> tuple[int, ...]:
        """The racers (by place, from 0) a predict-first lesson asks about: the last one —
        the question names it ("what happens to the one at lr = 1.5?"); the others are the
        contrast it is seen against.  None when the lesson does not ask."""
        return (len(self.racers) - 1,) if self.predict else ()

    @property
    def expected(self) -> tuple[tuple[str, ...], ...]:
        """Each racer's outcome(s), in racer order."""
        return tuple(r.expected for r in self.racers)

    def scenario(self) -> dict[str, Any]:
        """The lesson as the body of ``POST /api/networks/runs``."""
        return {
            "data": dict(self.data),
            "model": dict(self.model),
            "options": dict(self.options),
            "optimizers": [r.request() for r in self.racers],
            "steps": self.steps,
        }

    def check(self) -> None:
        """What the schema cannot see: a question and choices exactly when predict-first,
        the right answers among the choices, Play within MAX_SECONDS, a view's racer among
        the racers, and a scenario the engine builds."""
        if self.predict != bool(self.question.strip()) or self.predict != bool(self.choices):
            raise ValueError(f"{self.id}: a predict-first lesson has a question and choices")
        if not all(set(self.expected[i]) <= set(self.choices) for i in self.asks):
            raise ValueError(f"{self.id}: the answer must be among the choices")
        if self.steps / self.speed > MAX_SECONDS:
            raise ValueError(f"{self.id}: one Play takes {self.steps / self.speed:g} s")
        if self.view is not None and self.view.racer >= len(self.racers):
            raise ValueError(f"{self.id}: the view's racer {self.view.racer} is not a racer")
        build(self.scenario())


def load(
    path: Path = NETWORK_LESSONS_FILE, balls: Mapping[str, object] = LESSONS
) -> dict[str, NetworkLesson]:
    """Every network lesson in ``path`` by id, in file order, each checked.  An id is unique
    across both catalogs (``balls``: the ball lessons): the gallery, a card's anchor and a
    page's ``?lesson=`` name a lesson by its id alone."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    lessons: dict[str, NetworkLesson] = {}
    for table in raw.get("lesson", []):
        lesson = NetworkLesson.model_validate(table)
        if lesson.id in lessons:
            raise ValueError(f"two lessons are called {lesson.id}")
        if lesson.id in balls:
            raise ValueError(f"{lesson.id}: a ball lesson (lessons.toml) has this id")
        lesson.check()
        lessons[lesson.id] = lesson
    for old, new in RENAMED.items():
        if old in lessons or new not in lessons:
            raise ValueError(f"RENAMED: {old} → {new} must name an old id and a lesson")
    return lessons


NETWORK_LESSONS: dict[str, NetworkLesson] = load()
