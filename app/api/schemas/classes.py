"""/api/classes: a live class — what the teacher and the students send, and what they get,
on the JSON endpoints and on the two event streams."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from .common import Input, OutcomeKind
from .runs import RunRequest

MAX_ASKS = 8  # balls asked about in one question
MAX_CHOICES = 8
TOKEN = 64  # longest student token or id accepted (the server's own are 22 and 8 characters)
Page = Literal["roll", "explore"]
ExperimentKind = Literal["lr", "start", "optimizer"]
StudentToken = Annotated[
    str, Field(min_length=1, max_length=TOKEN, description="The token POST …/students gave.")
]


# --- what the teacher sends -----------------------------------------------------------------


class OpenRequest(Input):
    open: bool = Field(description="Whether students may join.")


class SceneRequest(Input):
    page: Page = Field(description="The simulator page the class follows.")
    params: str = Field(
        "",
        max_length=4000,
        description="The page's address query string (its shareable state), without "
        "`class`, `role` or `key`.",
        examples=["lesson=bowl_lr&lr=0.3"],
    )
    mode: Literal["follow", "free"] = Field(
        "follow",
        description="`follow`: every student's page shows this scene and follows the "
        "teacher's controls; `free`: students explore on their own from it.",
    )


class ControlRequest(Input):
    action: Literal["play", "pause", "step", "reset", "jump"]
    step: int = Field(0, ge=0, le=1_000_000_000, description="The teacher's current step.")


class Ask(Input):
    label: str = Field(min_length=1, max_length=120, description="The ball asked about.")


class QuestionRequest(Input):
    asks: list[Ask] = Field(min_length=1, max_length=MAX_ASKS)
    choices: list[OutcomeKind] = Field(
        min_length=2, max_length=MAX_CHOICES, description="The outcomes offered to choose from."
    )
    runs: list[RunRequest] = Field(
        min_length=1,
        max_length=MAX_ASKS,
        description="One run per ask, as the page replays it: the engine's outcome of each "
        "is the right answer, decided at reveal.",
    )


class ExperimentRequest(Input):
    kind: ExperimentKind = Field(
        description="What each student chooses: `lr` (the learning rate), `start` (the "
        "starting point) or `optimizer` (its id)."
    )
    run: RunRequest = Field(description="The base run every student's run varies.")


# --- what a student sends -------------------------------------------------------------------


class JoinRequest(Input):
    """Nothing: joining is anonymous."""


class AnswerRequest(Input):
    student: StudentToken
    question: str = Field(min_length=1, max_length=TOKEN, description="The open question's id.")
    guesses: list[OutcomeKind] = Field(
        min_length=1, max_length=MAX_ASKS, description="One of the choices per ask."
    )


class ExperimentRunRequest(Input):
    student: StudentToken
    experiment: str = Field(min_length=1, max_length=TOKEN, description="The experiment's id.")
    value: (
        float
        | Annotated[list[float], Field(min_length=1, max_length=3)]
        | Annotated[str, Field(min_length=1, max_length=32)]
    ) = Field(
        description="A positive learning rate (`lr`), a start `[x]` or `[x, y]` (`start`), "
        "or an optimizer id (`optimizer`).",
        examples=[0.1],
    )


# --- what the server answers ----------------------------------------------------------------


class ClassCreated(BaseModel):
    code: str = Field(description="The join code: six characters, case-insensitive.")
    key: str = Field(description="The teacher's secret: send it as the X-Class-Key header.")
    expires_at: str = Field(description="When the class and all of its data are gone (UTC).")
    join_url: str
    teach_url: str = Field(description="The teacher's page (the page adds `#key=…`).")
    qr_url: str


class Scene(BaseModel):
    page: Page
    params: str
    mode: Literal["follow", "free"]
    version: int = Field(description="Increases with every scene the teacher opens.")


class Control(BaseModel):
    action: Literal["play", "pause", "step", "reset", "jump"]
    step: int


class Joined(BaseModel):
    student: str = Field(description="The student's token: send it with every request.")
    scene: Scene | None


class Question(BaseModel):
    """A question as students see it: the right answers only once revealed."""

    id: str
    asks: list[Ask]
    choices: list[OutcomeKind]
    revealed: bool
    right: list[OutcomeKind] | None = Field(description="Per ask, once revealed; else null.")


class TeacherQuestion(Question):
    runs: list[dict[str, Any]] = Field(description="The asked runs, as sent.")


class Tally(BaseModel):
    question: str
    answered: int
    joined: int
    counts: list[list[int]] = Field(description="Per ask, how many chose each choice.")


class Revealed(BaseModel):
    right: list[OutcomeKind] = Field(description="The engine's outcome of each asked run.")
    tally: Tally
    share_right: list[float] = Field(description="Per ask, the share of answers that were right.")


class Experiment(BaseModel):
    id: str
    kind: ExperimentKind
    run: dict[str, Any] = Field(description="The base run, as sent.")


class RunVerdict(BaseModel):
    kind: OutcomeKind
    minimum: int | None


class ExperimentRun(BaseModel):
    """One student's run: the engine's result for the student's value."""

    by: str = Field(description="An anonymous tag of the student (the same for each run).")
    value: float | list[float] | str
    end: list[float | None] = Field(description="Where the ball ended (null: not finite).")
    loss: float | None = Field(description="f there (null when not finite).")
    outcome: RunVerdict
    steps: int = Field(description="Steps taken.")


class ClassState(BaseModel):
    """Everything the teacher's page shows."""

    code: str
    expires_at: str
    joined: int
    open: bool = Field(description="Whether students may join.")
    scene: Scene | None
    control: Control | None = Field(description="The teacher's last control.")
    question: TeacherQuestion | None
    tally: Tally | None
    experiment: Experiment | None
    runs: list[ExperimentRun] = Field(description="The open experiment's runs.")


class Ok(BaseModel):
    ok: Literal[True] = True


# --- events (both streams) ------------------------------------------------------------------


class StudentState(BaseModel):
    """The student stream's first event: what the page shows now."""

    scene: Scene | None
    control: Control | None
    question: Question | None
    experiment: Experiment | None
    open: bool


class JoinedEvent(BaseModel):
    joined: int


class RevealEvent(BaseModel):
    question: str
    right: list[OutcomeKind]


class ExperimentEvent(BaseModel):
    experiment: Experiment | None = Field(description="The new experiment, or null: closed.")


class ClosedEvent(BaseModel):
    reason: str = Field(description="Why: the teacher ended the class, or its time is up.")
