"""Request and response models of the HTTP API (inputs and outputs are separate classes)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

Status = Literal["converged", "diverged", "max_steps"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class RunStateModel(_Input):
    """Where a run stopped and its optimizer's memory; send it back as `resume` to continue."""

    surface: str
    optimizer: str
    step: int = Field(ge=0)
    position: list[float]
    buffers: dict[str, list[float] | None] = Field(
        description="The optimizer's state buffers by torch's names (null: not created yet)."
    )


class RunRequest(_Input):
    surface: str = Field(
        description="Surface id from GET /api/surfaces.", examples=["roll_downhill"]
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
    start: list[float] | None = Field(
        None,
        description="Starting point, one number per dimension (default: the surface's).",
        examples=[[3.5]],
    )
    steps: int = Field(100, ge=0, description="How many steps to take (up to the server's limit).")
    resume: RunStateModel | None = Field(
        None, description="Continue from an earlier result's `state`; `start` is then ignored."
    )


class RunsRequest(_Input):
    runs: list[RunRequest] = Field(min_length=1)


class RunResult(BaseModel):
    steps: list[int]
    positions: list[list[float]]
    losses: list[float]
    gradients: list[list[float]]
    status: Status
    state: RunStateModel


class RunsResponse(BaseModel):
    runs: list[RunResult]


class MinimumOut(BaseModel):
    position: list[float]
    value: float
    kind: Literal["global", "local"]


class HyperparameterOut(BaseModel):
    name: str
    label: str
    default: float | bool | list[float]
    min: float | None
    max: float | None
    scale: Literal["log", "linear", "bool", "choice"]
    help: str


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


class GridOut(BaseModel):
    """f sampled on an even grid: `f[i]` at `x[i]` (1D), or `f[j][i]` at (`x[i]`, `y[j]`) (2D)."""

    x: list[float]
    y: list[float] | None = None
    f: list[float | None] | list[list[float | None]]
    colour_scale: Literal["linear", "log"] = Field(
        description="How to colour f: `log` where most of the domain sits far below its "
        "highest values (e.g. Rosenbrock), so a linear scale would hide the valley."
    )


class PresetOut(BaseModel):
    id: str
    name: str
    hyperparameters: dict[str, JsonValue]


class OptimizerOut(BaseModel):
    id: str
    name: str
    formula: str
    hyperparameters: list[HyperparameterOut]
    presets: list[PresetOut]
    group: Literal["classic", "adaptive", "second-order", "stochastic"] = Field(
        description="Where a picker lists it: classic, adaptive, second-order or stochastic."
    )
    weight_decay: Literal["l2", "decoupled"] | None = Field(
        description="`l2`: weight_decay is added to the gradient, so the optimizer descends "
        "f + (λ/2)·‖x‖²; `decoupled`: it shrinks x outside the gradient (AdamW)."
    )


class ErrorDetail(BaseModel):
    field: str
    reason: str


class ErrorOut(BaseModel):
    ok: Literal[False] = False
    status: int
    error: str
    errors: list[ErrorDetail]
