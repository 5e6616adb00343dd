"""/api/networks: a small network trained on 2D (or 1D) data by the engine's optimizers — the
catalog, a CSV file's points, a whole run, and its stream's events.

The request's limits that are settings (layers, units, points, steps, grid) are checked by
the service (``app/api/network_service.py``) against the server's own values and written into
the OpenAPI document (``app/api/openapi.py``); the bounds fixed by the engine are here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, JsonValue

from ...engine.networks.data import MAX_POINTS, MAX_VALUE
from .common import Input
from .runs import ScheduleRequest
from .stream import ClosingEvent

Task = Literal["binary", "multiclass", "regression"]
MAX_RACERS = 3  # optimizers training the same network side by side
SEED_MAX = 2**32 - 1  # numpy's seeds are unsigned 32-bit words


# --- requests ----------------------------------------------------------------------------------


class OwnPoints(Input):
    """The student's own points: inputs, answers and what kind of answers they are."""

    x: list[list[float]] = Field(
        max_length=MAX_POINTS,
        description=f"One input per point: `[x1, x2]` (classification) or `[x]` (regression), "
        f"each within ±{MAX_VALUE:g}.",
        examples=[[[0.5, -1.0], [2.0, 1.5], [-1.0, 0.0]]],
    )
    y: list[float] = Field(
        max_length=MAX_POINTS,
        description="One answer per point: a class index 0, 1, … or a number (regression).",
        examples=[[0, 1, 0]],
    )
    task: Task = Field(
        "binary",
        description="`binary` (two classes, 0 and 1), `multiclass` (three or more) or "
        "`regression` (y is a number).",
    )


class NetDataRequest(Input):
    """Which points to learn and how they are split into training and test points."""

    dataset: str = Field(
        "circle", description="A data set id from GET /api/networks/catalog.", examples=["xor"]
    )
    points: int = Field(
        200, ge=1, description="How many points to generate (up to the server's limit)."
    )
    noise: float = Field(0.1, ge=0, le=1, description="How noisy the generated points are.")
    seed: int = Field(
        0, ge=0, le=SEED_MAX, description="Which random points: the same seed, the same set."
    )
    own: OwnPoints | None = Field(
        None, description="Your own points (as a CSV upload answers them); replaces `dataset`."
    )
    test_ratio: float = Field(
        0.3, ge=0, le=0.9, description="The share of the points held out as test points."
    )
    split_seed: int = Field(
        0,
        ge=0,
        le=SEED_MAX,
        description="Which points are held out: the same seed, the same split.",
    )


class NetModelRequest(Input):
    """The network: its input features, hidden layers, activation and initial weights."""

    features: list[str] = Field(
        default_factory=lambda: ["x1", "x2"],
        max_length=8,
        description="Input feature ids from the catalog (`x1`, `x2`, `x1sq`, `x2sq`, `x1x2`, "
        "`sinx1`, `sinx2`); 1D data takes `x1`, `x1sq` and `sinx1` only.",
        examples=[["x1", "x2"]],
    )
    hidden: list[int] = Field(
        default_factory=lambda: [4, 4],
        max_length=16,
        description="Units per hidden layer, input side first; `[]` is a linear model.",
        examples=[[4, 4]],
    )
    activation: str = Field(
        "tanh", description="The hidden layers' activation: an id from the catalog."
    )
    init: str = Field("xavier", description="Initial weights: `xavier`, `he` or `zeros`.")
    init_seed: int = Field(0, ge=0, le=SEED_MAX, description="Which random initial weights.")
    l1: float = Field(0.0, ge=0, le=10, description="Loss term l1 · Σ|W| over every weight matrix.")
    l2: float = Field(0.0, ge=0, le=10, description="Loss term l2 · ΣW² over every weight matrix.")


class NetOptimizerRequest(Input):
    """One racer: an optimizer with its hyperparameters and learning-rate schedule."""

    optimizer: str = Field("sgd", description="Optimizer id from GET /api/optimizers.")
    hyperparameters: dict[str, JsonValue] = Field(
        default_factory=lambda: {"lr": 0.1},
        description="torch.optim names and values; what is left out takes torch's default.",
        examples=[{"lr": 0.1, "momentum": 0.9}],
    )
    schedule: ScheduleRequest = Field(
        default_factory=ScheduleRequest,
        description="How the learning rate changes from step to step (default: constant).",
    )


class NetworkRequest(Input):
    """A network trained on data by one to three optimizers from the same initial weights."""

    data: NetDataRequest = Field(default_factory=NetDataRequest)
    model: NetModelRequest = Field(default_factory=NetModelRequest)
    optimizers: list[NetOptimizerRequest] = Field(
        default_factory=lambda: [NetOptimizerRequest()],
        min_length=1,
        max_length=MAX_RACERS,
        description=f"1–{MAX_RACERS} racers, each training the same network from the same "
        "initial weights.",
    )
    options: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="Options every racer takes (GET /api/options): `batch_size` (left out: "
        "every training point, full batch), `seed` (the mini-batches' shuffle and the "
        "noise), gradient clipping and gradient noise.",
        examples=[{"batch_size": 10, "seed": 0}],
    )
    steps: int = Field(500, ge=0, description="Training steps (up to the server's limit).")
    grid: int = Field(
        48,
        ge=2,
        description="Cells along each side of the prediction grid (points of the fitted curve "
        "for 1D data), up to the server's limit.",
    )
    resume: list[dict[str, JsonValue]] | None = Field(
        None,
        max_length=MAX_RACERS,
        description="Continue each racer from the `state` an earlier answer (or stream's "
        "`end` event) gave it, one per racer, in order.",
    )


class WeightRef(Input):
    """One parameter of the network, as torch names it: layer ``layer``'s ``weight[row, col]``
    or ``bias[row]``."""

    layer: int = Field(0, ge=0, description="The nn.Linear, from 0 (the input side).")
    kind: Literal["weight", "bias"] = "weight"
    row: int = Field(0, ge=0, description="The unit the parameter feeds (its output row).")
    col: int = Field(0, ge=0, description="The input it weighs (a weight only).")


class NetworkExplainRequest(NetworkRequest):
    """A comparison's racer after `steps` steps (from the start, or from its `resume`
    state), and the parameter whose next step to explain."""

    steps: int = Field(0, ge=0, description="Steps to take before the one explained.")
    racer: int = Field(0, ge=0, le=MAX_RACERS - 1, description="Which racer, from 0.")
    weight: WeightRef = Field(default_factory=WeightRef)


class CsvRequest(Input):
    csv: str = Field(
        description="The file's text: columns `x1,x2,label` (classes 0–9) or `x,y` "
        "(regression), a header row optional.",
        examples=["x1,x2,label\n0.5,1.0,0\n-1.2,0.3,1\n"],
    )


# --- answers -----------------------------------------------------------------------------------

Number = float | None  # null: not a finite number (a diverged run)


class NetDatasetOut(BaseModel):
    id: str
    name: str
    task: Task
    classes: int = Field(description="2 binary, 3 multiclass, 0 regression.")
    description: str
    points: int = Field(description="The default number of points.")
    noise: float = Field(description="The default noise.")


class NetFeatureOut(BaseModel):
    id: str
    label: str = Field(description="How the page writes it, e.g. `x₁²`.")
    needs: list[str] = Field(description="The inputs it is computed from.")


class NetLimitsOut(BaseModel):
    layers: int = Field(description="Most hidden layers.")
    units: int = Field(description="Most units per hidden layer.")
    points: int = Field(description="Most data points.")
    steps: int = Field(description="Most steps per run or stream.")
    grid: int = Field(description="Most cells along a side of the prediction grid.")
    csv_bytes: int = Field(description="Largest CSV file, in bytes.")
    racers: int = Field(description="Most optimizers racing on one network.")
    grid_per_second: float = Field(description="Most `frame` events a stream sends per second.")


class NetCatalogOut(BaseModel):
    """What /network offers, and this server's limits."""

    datasets: list[NetDatasetOut]
    features: list[NetFeatureOut]
    activations: list[str]
    inits: list[str]
    heads: dict[str, str] = Field(
        description="The output and loss each task takes: `bce` (sigmoid + binary "
        "cross-entropy), `ce` (softmax + cross-entropy), `mse` (linear + squared error)."
    )
    outcomes: list[str]
    limits: NetLimitsOut


class CsvPointsOut(BaseModel):
    """A CSV file's points, as `data.own` takes them."""

    x: list[list[float]]
    y: list[float]
    task: Task
    classes: int


class LayerOut(BaseModel):
    """One nn.Linear's parameters in torch's layout."""

    weight: list[list[Number]] = Field(description="[out × in], row-major.")
    bias: list[Number] = Field(description="[out].")


class NetDataOut(BaseModel):
    x: list[list[float]] = Field(description="Each point's inputs.")
    y: list[float] = Field(description="Each point's class index or target.")
    train: list[int] = Field(description="Indices of the training points.")
    test: list[int] = Field(description="Indices of the test points (drawn hollow).")
    task: Task
    classes: int
    extent: list[list[float]] = Field(
        description="The plotted range per input: `[[x1min, x1max], [x2min, x2max]]` "
        "(one range for 1D data), as the grid spans it."
    )


class NetGridOut(BaseModel):
    """The network's prediction over the plane (or along the line, for 1D data)."""

    size: int
    x1: list[float]
    x2: list[float] | None = Field(None, description="Absent for 1D data.")
    values: list[list[Number]] | list[Number] = Field(
        description="Binary: p(class 1), rows over x2 and columns over x1; multiclass: the "
        "most likely class; regression: the fitted curve over x1."
    )
    confidence: list[list[Number]] | None = Field(
        None, description="Multiclass: the most likely class's probability."
    )


class NetUnitOut(BaseModel):
    """One hidden unit's output over the plane (or the line)."""

    layer: int
    unit: int
    values: list[list[Number]] | list[Number]


class NetStepsOut(BaseModel):
    """Per step (index i of each list); index 0 of a whole run is the start (step 0)."""

    step: list[int]
    epoch: list[int]
    batch: list[int]
    lr: list[Number]
    train_loss: list[Number]
    test_loss: list[Number] = Field(description="Empty-set loss is null (no test points).")
    train_accuracy: list[Number] | None = Field(description="Null for regression.")
    test_accuracy: list[Number] | None = Field(description="Null for regression.")
    grad_norm: list[Number]


class NetOutcomeOut(BaseModel):
    """What happened, decided by the engine; the page words it."""

    code: str = Field(description="One of the catalog's `outcomes`.")
    step: int
    early_stop_step: int | None = Field(description="Where the test loss was lowest.")
    best_test_loss: Number
    dead_units: int = Field(description="Hidden ReLU units silent on every training point.")
    symmetric_layers: list[int] = Field(
        description="Hidden layers (from 0) whose units are all identical (a zero start)."
    )
    train_accuracy: Number
    test_accuracy: Number


class RacerOut(BaseModel):
    steps: NetStepsOut
    outcome: NetOutcomeOut
    final_weights: list[LayerOut]
    grid: NetGridOut
    units: list[NetUnitOut]
    state: dict[str, Any] = Field(description="Send it back in `resume` to continue.")


class NetworkRunOut(BaseModel):
    data: NetDataOut
    initial_weights: list[LayerOut] = Field(description="Shared by every racer.")
    racers: list[RacerOut]


# --- stream events -----------------------------------------------------------------------------


class RacerPictureOut(BaseModel):
    grid: NetGridOut
    units: list[NetUnitOut]


class NetStartEvent(BaseModel):
    """`start`: the data, the initial weights and each racer's starting picture."""

    data: NetDataOut
    initial_weights: list[LayerOut]
    racers: list[RacerPictureOut]


class RacerStepsOut(BaseModel):
    steps: NetStepsOut = Field(description="Only the steps new since the last event.")
    verdict: str | None = Field(description="The outcome decided so far (null: too early).")


class NetStepsEvent(BaseModel):
    """`steps`: the next steps of every racer."""

    racers: list[RacerStepsOut]


class RacerFrameOut(BaseModel):
    step: int
    grid: NetGridOut
    units: list[NetUnitOut]
    weights: list[LayerOut]


class NetFrameEvent(BaseModel):
    """`frame`: each racer's picture at its latest step."""

    racers: list[RacerFrameOut]


class RacerEndOut(BaseModel):
    outcome: NetOutcomeOut
    final_weights: list[LayerOut]
    state: dict[str, Any]


class NetEndEvent(BaseModel):
    """`end`: every racer's outcome, final weights and state."""

    racers: list[RacerEndOut]


class RacerStateOut(BaseModel):
    state: dict[str, Any]


class NetClosingEvent(ClosingEvent):
    """`closing`: the server is shutting down; resume each racer from its `state`."""

    racers: list[RacerStateOut]
