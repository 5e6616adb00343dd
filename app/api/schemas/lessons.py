"""GET /api/lessons: the course's ready-made scenarios."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from .common import OutcomeKind
from .models import ModelRequest


class LessonScheduleOut(BaseModel):
    name: str = Field(description="Schedule id from GET /api/options, e.g. `cosine`.")
    parameters: dict[str, JsonValue] = Field(description="torch's names and values.")


class LessonRacerOut(BaseModel):
    """One ball of a lesson: what its page's racer is set to, and how its run ends."""

    choice: str = Field(description="What the picker selects: an optimizer id or SGD preset id.")
    optimizer: str = Field(description="The optimizer id the run sends (`sgd` for a preset).")
    hyperparameters: dict[str, JsonValue] = Field(
        description="The hyperparameters the run sends: the preset's, then the lesson's."
    )
    options: dict[str, JsonValue] = Field(description="Training options the lesson sets.")
    schedule: LessonScheduleOut | None = Field(description="The schedule, if any.")
    expected: list[OutcomeKind] = Field(  # type: ignore[valid-type]
        description="The outcome(s) the run ends in after the lesson's `steps`."
    )
    label: str = Field(description="For a contrast racer: what it is, in a few words.")


class LessonOut(BaseModel):
    """A ready-made scenario from the course (app/lessons/lessons.toml), and the URL opening it."""

    id: str
    topic: str = Field(description="The gallery's group.")
    title: str
    look_for: str = Field(description="What to look for.")
    try_this: str = Field(description="One thing to try.")
    teacher_note: str = Field(description="A note for the teacher: why it happens.")
    page: Literal["roll", "explore"] = Field(description="Roll Downhill (1D) or the explorer.")
    surface: str | ModelRequest = Field(
        description="A built-in surface's id, or a model on data as runs take it."
    )
    surface_parameters: dict[str, float]
    start: list[float]
    steps: int = Field(description="Steps the expected outcomes take: one press of Play.")
    predict: bool = Field(description="Opens asking “What will happen?” first.")
    question: str = Field(
        description="Predict-first lessons: the neutral question asked before the guess, naming "
        "each ball by optimizer and setting, and not how it ends (empty otherwise)."
    )
    reveal: list[Literal["title", "look_for", "try_this", "teacher_note"]] = Field(
        description="Predict-first lessons: the texts that give the answer away, to show only "
        "once the run has ended (empty otherwise)."
    )
    choices: list[OutcomeKind] = Field(  # type: ignore[valid-type]
        description="Predict-first lessons: the outcomes offered, the right one(s) included."
    )
    asks: list[int] = Field(
        description="Predict-first lessons: the racers (by place in `racers`, from 0) the "
        "question is about, each guessed and judged by its own outcome (empty otherwise)."
    )
    expected: list[list[OutcomeKind]] = Field(  # type: ignore[valid-type]
        description="Per racer, in order: the outcome(s) its run ends in."
    )
    racers: list[LessonRacerOut]
    contrast: list[LessonRacerOut] = Field(
        description="Not opened: the comparison the lesson states (e.g. gradient descent "
        "beside momentum)."
    )
    url: str = Field(description="The page URL that opens the lesson, ready at its start.")


class NetworkLessonRacerOut(BaseModel):
    """One racer of a network lesson: its optimizer, and how its run ends."""

    optimizer: str = Field(description="Optimizer id from GET /api/optimizers.")
    hyperparameters: dict[str, JsonValue] = Field(description="torch's names and values.")
    schedule: dict[str, JsonValue] | None = Field(description="The schedule, if any.")
    label: str = Field(description="What it is, in a few words.")
    expected: list[str] = Field(
        description="The network outcome(s) its run ends in after the lesson's `steps`."
    )


class NetworkLessonViewOut(BaseModel):
    """The landscape view a network lesson shows once its run has ended: a body for
    POST /api/networks/views is the lesson's `scenario` with these fields (`kind` as `view`)."""

    kind: Literal["line", "plane", "pca", "sharpness", "seeds"] = Field(
        description="The view: the line from the start, a random plane, the paths' plane, "
        "sharpness, or two seeds."
    )
    racer: int = Field(description="plane: whose weights are the centre; seeds: whose optimizer.")
    seed: int = Field(description="plane: the random directions' seed.")
    span: float = Field(description="plane: α and β run from −span to span.")
    second_seed: int | None = Field(
        description="seeds: the second copy's init seed (null: the model's init_seed + 1)."
    )


class NetworkLessonOut(BaseModel):
    """A network lesson (app/lessons/networks.toml): a scenario for /network, and its promise."""

    id: str
    topic: str = Field(description="The gallery's group.")
    title: str
    look_for: str = Field(description="What to look for.")
    try_this: str = Field(description="One thing to try.")
    teacher_note: str = Field(description="Why it happens, and what to say.")
    page: Literal["network"] = "network"
    predict: bool = Field(description="Opens asking the question before the first Play.")
    question: str = Field(description="Predict-first: the question, giving nothing away.")
    choices: list[str] = Field(description="Predict-first: the outcomes offered.")
    reveal: list[Literal["title", "look_for", "try_this", "teacher_note"]] = Field(
        description="Predict-first: the texts kept back until the run has ended."
    )
    asks: list[int] = Field(
        description="Predict-first: the racers (by place, from 0) the question asks about."
    )
    expected: list[list[str]] = Field(description="Each racer's outcome(s), in racer order.")
    steps: int = Field(description="Steps of one press of Play.")
    speed: int = Field(description="Steps per second the page opens at.")
    racers: list[NetworkLessonRacerOut]
    scenario: dict[str, JsonValue] = Field(
        description="The lesson as the body of POST /api/networks/runs."
    )
    url: str = Field(description="The address that opens it: /network?lesson=<id>.")
    view: NetworkLessonViewOut | None = Field(
        description="The landscape view the page computes once the run has ended (null: none)."
    )
