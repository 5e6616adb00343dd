"""Request and response models of the HTTP API (inputs and outputs are separate classes)."""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, JsonValue, Tag, create_model

from ..engine.run.outcome import OUTCOMES
from ..engine.run.trace import Trace
from ..engine.surfaces.formula import MAX_CONSTANT, MAX_LENGTH
from ..engine.surfaces.models import DATASETS, LOSSES, MAX_POINTS, MAX_VALUE, MODELS
from ..outcome_words import OUTCOME_WORDS

Status = Literal["converged", "diverged", "max_steps"]
OutcomeKind = Literal[OUTCOMES]  # type: ignore[valid-type]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


class RunStateModel(_Input):
    """Where a run stopped and its optimizer's memory; send it back as `resume` to continue."""

    surface: str
    optimizer: str
    step: int = Field(ge=0)
    position: list[float]
    buffers: dict[str, int | float | list[float] | list[list[float]] | None] = Field(
        description="The optimizer's state by torch's names (null: not created yet): "
        "a vector per buffer, or for L-BFGS its counters, step size and history."
    )


class RunStateOut(RunStateModel):
    """A run's `state` as the server sends it.  A buffer can hold a non-finite value (float16
    overflows to ±inf, and a sign-based rule such as Lion keeps going); like every
    non-finite number on the wire it is sent as null, and such a state cannot be resumed."""

    buffers: dict[str, int | float | list[float | None] | list[list[float | None]] | None] = Field(
        description="The optimizer's state by torch's names (null: not created yet): "
        "a vector per buffer, or for L-BFGS its counters, step size and history; a "
        "non-finite component is null."
    )


class ScheduleRequest(_Input):
    """A learning-rate schedule (torch.optim.lr_scheduler) from GET /api/options."""

    name: str = Field("constant", description="Schedule id, e.g. `cosine`.")
    parameters: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="torch's names and values; what is left out takes the listed default.",
        examples=[{"T_max": 200}],
    )


Axis = Annotated[list[float], Field(min_length=2, max_length=2)]


class FormulaRequest(_Input):
    """A surface typed as a formula in x (1D) or x and y (2D): read safely, differentiated
    exactly (app/engine/surfaces/formula/)."""

    expression: str = Field(
        max_length=MAX_LENGTH,
        description=f"f in x (and y), e.g. `(1 - x)^2 + 100*(y - x^2)^2`: numbers, + − * / ^ "
        f"(or **), brackets and functions such as sin, exp, log, sqrt, abs; at most "
        f"{MAX_LENGTH} characters.",
        examples=["(1 - x)^2 + 100*(y - x^2)^2"],
    )
    domain: list[Axis] | None = Field(
        None,
        min_length=1,
        max_length=2,
        description="`[[lo, hi]]` (1D, refuses y) or `[[lo, hi], [lo, hi]]` (2D), each "
        f"lo < hi within ±{MAX_CONSTANT:g}; left out, [-5, 5] on each axis, 2D if y appears.",
        examples=[[[-2, 2], [-1, 3]]],
    )


class DataPoints(_Input):
    """Points (x, y) for a model to fit: y a number, or a class label 0 or 1 for
    cross-entropy."""

    x: list[float] = Field(max_length=MAX_POINTS, description=f"Inputs, within ±{MAX_VALUE:g}.")
    y: list[float] = Field(
        max_length=MAX_POINTS, description="One answer per input, in the same order."
    )


def _data_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "str"
    return "DataPoints" if isinstance(value, dict | DataPoints) else None


DataChoice = Annotated[
    Annotated[str, Tag("str")] | Annotated[DataPoints, Tag("DataPoints")],
    Discriminator(
        _data_kind,
        custom_error_type="data_type",
        custom_error_message='must be a data set id or {"x": [...], "y": [...]}',
    ),
]


class ModelRequest(_Input):
    """A small model's loss on a data set, over its weights (app/engine/surfaces/models/)."""

    model: str = Field(
        description="One of " + ", ".join(f"`{m}` ({MODELS[m].prediction})" for m in MODELS) + ".",
        examples=["linear"],
    )
    loss: str | None = Field(
        None,
        description="One of "
        + ", ".join(f"`{k}` ({name.lower()})" for k, (name, _) in LOSSES.items())
        + " that the model takes; left out, the model's usual one (linear: `mse`, "
        "logistic: `bce`, tanh_net: `mse`).",
        examples=["mse"],
    )
    data: DataChoice = Field(
        description="A built-in data set's id (GET /api/datasets: "
        + ", ".join(f"`{d}`" for d in DATASETS)
        + f"), or the points as `{{x: [...], y: [...]}}`, at most {MAX_POINTS}.",
        examples=["outlier"],
    )
    dim: Literal[1, 2] = Field(
        2,
        description="2: the coordinates are both weights, (w, b) or the network's (w₁, w₂); "
        "1: the first weight only, with b = 0 (the network: w₂ = 1).",
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


class RunSetting(_Input):
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
    sharpness: bool = Field(
        False,
        description="Record each step's sharpness (the top eigenvalue of the exact Hessian) "
        "in the step record's `sharpness`.",
    )
    resume: RunStateModel | None = Field(
        None, description="Continue from an earlier result's `state`; `start` is then ignored."
    )


class RunsRequest(_Input):
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
        "non-finite value, or thrown out of the runaway box) or `max_steps`."
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


class RunSteps(StepRecord):  # type: ignore[misc, valid-type]
    """One or more consecutive steps of run `run`, and the state after the last of them,
    ready to resume from."""

    run: int = Field(description="Index of the run in the request.")
    state: RunStateOut


class StepEvent(BaseModel):
    """An SSE `step` event: the next steps of every run still going, in one event (a race's
    racers move together). The page plays them at the pace it asked for."""

    runs: list[RunSteps]


class EndEvent(Ended):
    """An SSE `end` event: run `run` has ended."""

    run: int = Field(description="Index of the run in the request.")


class ClosingEvent(BaseModel):
    """An SSE `closing` event, the stream's last: the server is shutting down (a restart, a
    new release). Each run's last `step` event holds its state: reconnect (to another
    worker, or to this one once it is back) after `retry_after` seconds and resume from it."""

    reason: str
    retry_after: int = Field(description="Seconds to wait before reconnecting.")


class RunsResponse(BaseModel):
    runs: list[RunResult]


class MinimumOut(BaseModel):
    position: list[float]
    value: float
    kind: Literal["global", "local"]


class HyperparameterOut(BaseModel):
    name: str
    label: str
    default: bool | int | float | str | list[float]
    min: float | None
    max: float | None
    scale: Literal["log", "linear", "bool", "choice"]
    help: str
    integer: bool = Field(False, description="Whole numbers only (a step count, a seed).")
    powers_of_two: bool = Field(
        False, description="Only powers of two: 1, 2, 4, 8 … (a loss scale)."
    )
    choices: list[str] | None = Field(None, description="The allowed values of a `choice`.")


class SurfaceOut(BaseModel):
    id: str
    name: str
    dim: int
    formula: str
    description: str
    domain: list[list[float]]
    start: list[float]
    minima: list[MinimumOut]
    parameters: list[HyperparameterOut] = Field(
        description="Settings that reshape the surface; send them as `surface_parameters`."
    )
    suggested_lr: dict[str, float] = Field(
        description="A starting learning rate per optimizer id (and per SGD preset: `gd`, "
        "`momentum`, `nesterov`) that shows what the surface's description promises, for "
        "the default parameters."
    )
    no_minimum: str = Field(
        "",
        description="Why the surface has no minimum anywhere, where the engine knows it has "
        "none (a model on classes that separate, under cross-entropy); empty otherwise.",
    )


class GridOut(BaseModel):
    """f sampled on an even grid: `f[i]` at `x[i]` (1D), or `f[j][i]` at (`x[i]`, `y[j]`) (2D)."""

    x: list[float]
    y: list[float] | None = None
    f: list[float | None] | list[list[float | None]]
    colour_scale: Literal["linear", "log"] = Field(
        description="How to colour f: `log` where most of the domain sits far below its "
        "highest values (e.g. Rosenbrock), so a linear scale would hide the valley."
    )


class FormulaMathOut(BaseModel):
    """The typed formula and its first partial derivatives, typeset as MathML (`<math>`)."""

    f: str = Field(description="f, as `f(x, y) = …`.")
    x: str = Field(description="∂f/∂x.")
    y: str | None = Field(None, description="∂f/∂y (2D), else null.")


class FormulaSurfaceOut(SurfaceOut):
    """A typed formula's surface, as GET /api/surfaces lists a built-in one (`parameters`
    empty), with its MathML and its grid as GET /api/surfaces/{id}/grid samples it."""

    mathml: FormulaMathOut
    grid: GridOut


class DatasetOut(BaseModel):
    """A built-in data set (drawn once from a fixed seed, shipped as data)."""

    id: str
    name: str
    kind: Literal["regression", "classes"] = Field(
        description="`regression`: y is a number; `classes`: y is a class label, 0 or 1."
    )
    description: str
    x: list[float]
    y: list[float]


class LossOut(BaseModel):
    id: str
    name: str
    formula: str = Field(description="As a mean over the points, in ŷ (or p) and y.")


class ModelOut(BaseModel):
    """A model a landscape can be made of (GET /api/models)."""

    id: str
    name: str
    prediction: str = Field(description="The model, e.g. `ŷ = w·x + b`.")
    weights: list[str] = Field(description="The coordinates' names, in order.")
    fixed: float = Field(description="The second weight's value on a one-weight (1D) landscape.")
    losses: list[LossOut] = Field(description="The losses it takes, its usual one first.")
    description: str


class ModelSurfaceOut(SurfaceOut):
    """A model landscape, as GET /api/surfaces lists a built-in one, with its model, its
    data and its grid as GET /api/surfaces/{id}/grid samples it."""

    model: ModelOut
    loss: LossOut
    data: DatasetOut = Field(description="The points (`id` empty for points given).")
    request: ModelRequest = Field(
        description="The surface as runs, streams and maps take it (`loss` filled in)."
    )
    grid: GridOut


class PresetOut(BaseModel):
    id: str
    name: str
    hyperparameters: dict[str, JsonValue]


class SymbolOut(BaseModel):
    """One symbol of a formula and what it means."""

    symbol: str = Field(description="As the formula writes it, e.g. `μ`, `β₁ᵗ`, `lr` or `←`.")
    meaning: str = Field(
        description="In plain words, naming the setting it stands for where there is one, "
        'e.g. "momentum: the fraction of the old velocity kept each step (the `momentum` '
        'setting; …)".'
    )


_SYMBOLS_DESCRIPTION = (
    "Every symbol in `formula` — each letter with its sub- and superscripts, each named term "
    "(`lr`, `sign`) and each operator a beginner may not know (`←`, `∇`, `Π`) — with its "
    "meaning, so that no symbol a student sees is left unexplained."
)


class OptimizerOut(BaseModel):
    id: str
    name: str
    formula: str
    symbols: list[SymbolOut] = Field(description=_SYMBOLS_DESCRIPTION)
    hyperparameters: list[HyperparameterOut]
    presets: list[PresetOut]
    group: Literal["classic", "adaptive", "second-order", "stochastic"] = Field(
        description="Where a picker lists it: classic, adaptive, second-order or stochastic."
    )
    weight_decay: Literal["l2", "decoupled"] | None = Field(
        description="`l2`: weight_decay is added to the gradient, so the optimizer descends "
        "f + (λ/2)·‖x‖²; `decoupled`: it shrinks x outside the gradient (AdamW)."
    )
    decoupled_by: str | None = Field(
        None,
        description="A bool hyperparameter that, when true, makes an `l2` weight decay act "
        "`decoupled` instead (NAdam's and RAdam's `decoupled_weight_decay`).",
    )


class ScheduleOut(BaseModel):
    id: str
    name: str
    formula: str
    symbols: list[SymbolOut] = Field(description=_SYMBOLS_DESCRIPTION)
    help: str
    parameters: list[HyperparameterOut]


class OptionsOut(BaseModel):
    """What every run can set besides its optimizer's hyperparameters."""

    options: list[HyperparameterOut] = Field(description="Send them as a run's `options`.")
    schedules: list[ScheduleOut] = Field(description="Send one as a run's `schedule`.")


class ErrorDetail(BaseModel):
    field: str
    reason: str


class ErrorOut(BaseModel):
    ok: Literal[False] = False
    status: int
    error: str
    errors: list[ErrorDetail]


# --- lessons (GET /api/lessons) -------------------------------------------------------------


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
    """A ready-made scenario from the course (app/engine/lessons.py), and the URL opening it."""

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
    choices: list[OutcomeKind] = Field(  # type: ignore[valid-type]
        description="Predict-first lessons: the outcomes offered, the right one(s) included."
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


class ExportSurface(BaseModel):
    """The surface a run used, as bound to its parameters: enough to redraw and replay it."""

    id: str
    name: str
    formula: str
    domain: list[list[float]]
    parameters: dict[str, float] = Field(description="The surface parameters' values.")
    minima: list[MinimumOut]


class ExportContext(BaseModel):
    """What a run was, beyond its request: the surface it used and every hyperparameter's
    value (torch's defaults filled in)."""

    surface: ExportSurface
    optimizer: str = Field(description="The optimizer's name, e.g. `Adam`.")
    hyperparameters: dict[str, JsonValue]


class ExportApp(BaseModel):
    name: str
    version: str


class RunsExport(BaseModel):
    """POST /api/runs/export?format=json: the POST /api/runs response (`runs`) with what it
    takes to replay it: the request, the app's version and each run's context."""

    app: ExportApp
    request: RunsRequest
    context: list[ExportContext] = Field(description="One per run, in the request's order.")
    runs: list[RunResult]


# --- maps: the whole landscape at once ---------------------------------------------------------


class MapRequest(RunSetting):
    steps: int = Field(
        200, ge=1, description="Steps each ball takes (up to the server's map limit)."
    )
    detail: Literal["coarse", "normal", "fine"] = Field(
        "normal",
        description="For a map that leaves out its size: how fine a grid the server picks "
        "(coarse: about half the default's balls per side, fine: twice; each fitted to "
        "what the server can compute in a few seconds, fine to its map limit).",
    )


_START = Field(
    None,
    description="Where every ball starts, one number per dimension (default: the surface's).",
    examples=[[3.5]],
)


_AUTO = (
    " Left out, the server picks it: the default, made smaller where the optimizer's crowd "
    "would take long (L-BFGS and Newton step each ball on its own)."
)


class BasinsRequest(MapRequest):
    resolution: int | list[int] | None = Field(
        None,
        description="How many starts, evenly spaced over the surface's plotted domain (its "
        "edges included): a count in 1D (up to 4,096; default 400), `[nx, ny]` in 2D (each "
        "up to 256; default [80, 80])." + _AUTO,
        examples=[256, [128, 128]],
    )


class SweepRequest(MapRequest):
    start: list[float] | None = _START
    lr_min: float = Field(1e-3, gt=0, description="The smallest learning rate.")
    lr_max: float = Field(2.0, gt=0, description="The largest learning rate.")
    count: int | None = Field(
        None,
        ge=2,
        description="How many rates, log-spaced from lr_min to lr_max (up to 1,024; default "
        "256)." + _AUTO,
    )
    keep: int = Field(
        32, ge=1, le=256, description="How many of each rate's last positions to return."
    )


class AxisRequest(_Input):
    name: str = Field(
        description="A numeric hyperparameter of the optimizer; an entry of a pair by its "
        "index: `betas.0` is β₁, `betas.1` is β₂.",
        examples=["lr", "momentum", "betas.1"],
    )
    min: float = Field(description="The axis's first value.")
    max: float = Field(description="Its last value.")
    scale: Literal["log", "linear"] = Field("linear", description="How values are spaced.")


class TrainabilityRequest(MapRequest):
    start: list[float] | None = _START
    x_axis: AxisRequest
    y_axis: AxisRequest
    resolution: list[int] | None = Field(
        None,
        min_length=2,
        max_length=2,
        description="`[nx, ny]`: how many values along each axis (each up to 256; default "
        "[48, 48])." + _AUTO,
    )


_OUTCOME_GRID = "Per cell, as the grid endpoint nests it: a list in 1D, `[j][i]` in 2D"
Cells = list[Any]  # a flat list (1D) or a list of rows (2D)


class OutcomeShare(BaseModel):
    outcome: OutcomeKind  # type: ignore[valid-type]
    minimum: int | None
    count: int
    fraction: float


class BasinMapOut(BaseModel):
    """Where the ball from each start ends up."""

    x: list[float] = Field(description="The starts' x.")
    y: list[float] | None = Field(description="The starts' y (2D), else null.")
    outcome: Cells = Field(description=f"{_OUTCOME_GRID} (row j is y[j]): the outcome.")
    minimum: Cells = Field(
        description="The index into `minima` of the minimum the ball reached (or jitters "
        "around), else null; same nesting."
    )
    steps: Cells = Field(description="The steps each ball took (fewer when it stopped early).")
    minima: list[MinimumOut] = Field(description="The surface's minima, for its parameters.")
    summary: list[OutcomeShare] = Field(description="How many starts ended each way, most first.")


class StabilityOut(BaseModel):
    minimum: int = Field(description="Index into `minima`.")
    position: list[float]
    sharpness: float = Field(description="The top eigenvalue of the exact Hessian (f″ in 1D).")
    descent_limit: float | None = Field(
        description="2/sharpness: plain gradient descent cannot settle here above this rate."
    )
    limit: float | None = Field(
        description="This optimizer's own limit where the linear analysis gives one (SGD: "
        "with momentum μ, 2(1 + μ)/((1 − dampening)·λ); Nesterov 2(1 + μ)/((1 + 2μ)·λ); "
        "λ = sharpness + weight_decay), else null."
    )
    limit_rule: Literal["descent", "heavy_ball", "nesterov"] | None


class SweepOut(BaseModel):
    """One start, many learning rates: where each rate's ball ends, and where it keeps going."""

    lr: list[float] = Field(description="The rates, log-spaced.")
    last: list[list[list[float | None]]] = Field(
        description="Per rate, its ball's last `keep` positions, oldest first."
    )
    last_loss: list[list[float | None]] = Field(description="f at those positions.")
    final_loss: list[float | None]
    outcome: list[OutcomeKind]  # type: ignore[valid-type]
    minimum: list[int | None]
    steps: list[int] = Field(description="The steps each ball took.")
    minima: list[MinimumOut]
    stability: list[StabilityOut] = Field(description="Per minimum, the rates it tolerates.")


class TrainabilityOut(BaseModel):
    """One start, a grid over two hyperparameters: how each cell's run ended."""

    x: list[float] = Field(description="The x axis's values.")
    y: list[float] = Field(description="The y axis's values.")
    x_name: str
    y_name: str
    outcome: Cells = Field(description=f"{_OUTCOME_GRID}: row j ran with y[j], column i x[i].")
    minimum: Cells = Field(description="The minimum reached (index into `minima`) or null.")
    steps: Cells = Field(description="The steps to converge, null where the run did not.")
    final_loss: Cells = Field(description="f where each run ended.")
    minima: list[MinimumOut]
    summary: list[OutcomeShare]


class MapProgressEvent(BaseModel):
    """An SSE `progress` event of a map's streamed form."""

    done: int = Field(description="Ball-steps computed so far.")
    total: int = Field(description="Ball-steps at most (balls that stop early take fewer).")
    waiting: bool = Field(description="Queued behind other maps on this worker.")


# --- POST /api/runs/explain: the next step of a run, explained -------------------------------


Buffers = dict[str, int | float | list[float | None] | list[list[float | None]] | None]


class QuantityOut(BaseModel):
    """One number the step used or produced, named as its optimizer's formula names it."""

    symbol: str = Field(description="As the formula writes it, e.g. `m̂`, `1 − β₁ᵗ`, `ρₜ`.")
    name: str = Field(description="A short name, e.g. `bias correction ₁`.")
    values: list[float | None] = Field(
        description="One value per coordinate (null: not a finite number, or −Δx/g where "
        "g = 0); a number shared by every coordinate, such as 1 − β₁ᵗ, is repeated."
    )
    text: list[str] = Field(
        description="The values as `substituted` writes them (4 significant figures, `–` "
        "for null), for the page to show as they are."
    )
    meaning: str = Field(description="What it is, in plain words.")


class ExplainOut(BaseModel):
    """The step a run takes next, explained: what it used and produced, computed by the
    engine's own step (app/engine/run/explain.py). Vectors have one entry per coordinate;
    a component that is not a finite number is null."""

    status: Literal["running", "converged", "diverged"] = Field(
        description="Where the run stands before this step. `running`: it goes on. "
        "`converged`: it stopped at rest, and this is the (tiny) step it would take next. "
        "`diverged`: it stopped because this very step throws the ball out (non-finite, or "
        "out of the surface's box), so the runner did not keep it."
    )
    step: int = Field(description="t, the step explained: one past the step the run reached.")
    optimizer: str
    formula: str = Field(description="The optimizer's update rule, as GET /api/optimizers.")
    lr: float = Field(description="The learning rate this step uses, after any schedule.")
    loss_before: float | None = Field(description="f where the step starts.")
    position_before: list[float | None] = Field(description="x before the step.")
    position_after: list[float | None] = Field(description="x after it.")
    exact_gradient: list[float | None] = Field(description="The exact ∇f at position_before.")
    gradient: list[float | None] = Field(
        description="The gradient the optimizer is given: after noise, float16 and clipping."
    )
    delta: list[float | None] = Field(description="Δx = position_after − position_before.")
    effective_lr: list[float | None] = Field(
        description="−Δx/g per coordinate: the learning rate plain gradient descent would "
        "need for the same step (null where g = 0)."
    )
    evaluations: int = Field(description="Function evaluations the step uses (L-BFGS: several).")
    buffers_before: Buffers = Field(
        description="The optimizer's state before the step, by torch's keys, as `state`."
    )
    buffers_after: Buffers = Field(description="... and after it.")
    quantities: list[QuantityOut] = Field(
        description="x and g, what the formula names on the way (velocity, moments and their "
        "bias corrections, step sizes …), then Δx and −Δx/g."
    )
    substituted: list[str] = Field(
        description="The formula's lines with this step's numbers put in (4 significant "
        "figures; a vector as `[a, b]`)."
    )
