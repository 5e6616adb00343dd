"""POST /api/runs: a run's setting and request, the step record and how a run ended."""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, JsonValue, Tag, create_model

from ...engine.run.trace import Trace
from ...outcome_words import OUTCOME_WORDS
from .common import Input, OutcomeKind
from .formulas import FormulaRequest
from .models import ModelRequest

Status = Literal["converged", "diverged", "max_steps", "decided"]


# JSON has no ±inf or nan: a buffer's non-finite component travels as its JavaScript text
# (app/engine/run/state.py: NON_FINITE).
NonFinite = Literal["Infinity", "-Infinity", "NaN"]
Component = int | float | NonFinite


class RunStateModel(Input):
    """Where a run stopped and its optimizer's memory; send it back as `resume` to continue."""

    surface: str
    optimizer: str
    step: int = Field(ge=0)
    position: list[float]
    buffers: dict[str, Component | list[Component] | list[list[Component]] | None] = Field(
        description="The optimizer's state by torch's names (null: not created yet): "
        "a vector per buffer, or for L-BFGS its counters, step size and history; a "
        'non-finite component as the string "Infinity", "-Infinity" or "NaN".'
    )


class RunStateOut(RunStateModel):
    """A run's `state` as the server sends it.  A buffer can hold a non-finite value (float16
    overflows to ±inf, and a sign-based rule such as Lion keeps going): JSON has no such
    number, so it is sent as the string "Infinity", "-Infinity" or "NaN", and a state sent
    back as `resume` restores it exactly."""


class ScheduleRequest(Input):
    """A learning-rate schedule (torch.optim.lr_scheduler) from GET /api/options."""

    name: str = Field("constant", description="Schedule id, e.g. `cosine`.")
    parameters: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="torch's names and values; what is left out takes the listed default.",
        examples=[{"T_max": 200}],
    )


def _surface_kind(value: Any) -> str | None:
    # One branch per input, so a wrong value gets one error, not one per branch; the tags
    # are the names pydantic gives union members, which error paths leave out (errors.py).
    if isinstance(value, str):
        return "str"
    if isinstance(value, ModelRequest) or (isinstance(value, dict) and "model" in value):
        return "ModelRequest"
    return "FormulaRequest" if isinstance(value, dict | FormulaRequest) else None


SurfaceChoice = Annotated[
    Annotated[str, Tag("str")]
    | Annotated[FormulaRequest, Tag("FormulaRequest")]
    | Annotated[ModelRequest, Tag("ModelRequest")],
    Discriminator(
        _surface_kind,
        custom_error_type="surface_type",
        custom_error_message='must be a surface id, {"expression": ..., "domain": ...} or '
        '{"model": ..., "loss": ..., "data": ...}',
    ),
]


class RunSetting(Input):
    """What a run and a map share: the landscape, the optimizer and how it is run."""

    surface: SurfaceChoice = Field(
        description="Surface id from GET /api/surfaces, a typed formula: "
        '`{"expression", "domain"}` (POST /api/surfaces/formula shows what it makes), or a '
        'model on data: `{"model", "loss", "data", "dim"}` (POST /api/surfaces/model).',
        examples=["roll_downhill"],
    )
    optimizer: str = Field(description="Optimizer id from GET /api/optimizers.", examples=["sgd"])
    hyperparameters: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="torch.optim names and values; what is left out takes torch's default.",
        examples=[{"lr": 0.1, "momentum": 0.9}],
    )
    surface_parameters: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="Values for the surface's parameters (see GET /api/surfaces), "
        "e.g. the ravine's condition number; what is left out takes its default.",
        examples=[{"kappa": 50}],
    )
    options: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="Options every optimizer takes (see GET /api/options): gradient noise "
        "with its seed and batch size, gradient clipping, float16 precision and loss scale.",
        examples=[{"noise": 0.5, "batch_size": 8, "seed": 1}],
    )
    schedule: ScheduleRequest = Field(
        default_factory=ScheduleRequest,
        description="How the learning rate changes from step to step (default: constant).",
    )


class RunRequest(RunSetting):
    start: list[float] | None = Field(
        None,
        description="Starting point, one number per dimension (default: the surface's).",
        examples=[[3.5]],
    )
    steps: int = Field(100, ge=0, description="How many steps to take (up to the server's limit).")
    end_early: bool = Field(
        False,
        description="End the run at the step where the engine can already decide its outcome "
        "(status `decided`): the ball has stopped moving (stuck on float16, on a plateau, at "
        "a saddle, stalled …), it is running away, or it has bounced for two full windows "
        "(128 steps) without its swings dying. The steps taken are those of the unbroken run, "
        "and so is the outcome.",
    )
    sharpness: bool = Field(
        False,
        description="Record each step's sharpness (the top eigenvalue of the exact Hessian) "
        "in the step record's `sharpness`.",
    )
    resume: RunStateModel | None = Field(
        None, description="Continue from an earlier result's `state`; `start` is then ignored."
    )


class RunsRequest(Input):
    runs: list[RunRequest] = Field(min_length=1)


def _step_record_fields() -> dict[str, Any]:
    """The wire fields of the step record, from the engine's one definition (Trace)."""
    out: dict[str, Any] = {}
    for f in fields(Trace):
        annotation, description = f.metadata["wire"], f.metadata["description"]
        if f.metadata["null_when"]:
            annotation = annotation | None
            description += f" Sent once as null when {f.metadata['null_when']}."
        out[f.name] = (annotation, Field(description=description))
    return out


StepRecord: type[BaseModel] = create_model(
    "StepRecord",
    __doc__="Per step (index i of each list): where the ball is, f and ∇f there, and how the "
    "step that brought it there was taken.",
    **_step_record_fields(),
)


class Ended(BaseModel):
    """How a run ended: the status, and what happened, decided by the engine."""

    status: Status = Field(
        description="`converged` (gradient and step below tolerance), `diverged` (a "
        "non-finite value, or thrown out of the runaway box), `decided` (with `end_early`: "
        "the engine could already tell the outcome) or `max_steps`."
    )
    outcome: OutcomeKind = Field(
        description="What happened, for a student: "
        + ", ".join(f"`{o}` ({w['gloss']})" for o, w in OUTCOME_WORDS.items())
        + ". Judged on this run's own steps (the last 64): a run resumed for only a few steps "
        "has little to go on."
    )
    minimum: int | None = Field(
        description="Index into the surface's `minima` of the minimum the ball is at (or "
        "jittering around); null otherwise."
    )
    state: RunStateOut


class RunResult(StepRecord, Ended):  # type: ignore[misc, valid-type]
    """A whole run: every step, and how it ended."""


class Verdict(BaseModel):
    """The outcome decided on the steps so far (see `Ended.outcome`)."""

    kind: OutcomeKind
    minimum: int | None = Field(description="As `Ended.minimum`.")


class RunSteps(StepRecord):  # type: ignore[misc, valid-type]
    """One or more consecutive steps of run `run`, and the state after the last of them,
    ready to resume from."""

    run: int = Field(description="Index of the run in the request.")
    state: RunStateOut
    verdict: Verdict | None = Field(
        description="The running verdict: the engine's outcome decided on this run's steps so "
        "far, after the event's last step (the rules of `Ended.outcome` applied as if the run "
        "stopped there); null while too few steps have been taken to judge (under 64)."
    )


class RunsResponse(BaseModel):
    runs: list[RunResult]
