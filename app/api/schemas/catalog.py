"""GET /api/surfaces, /api/optimizers, /api/options and a surface's grid: what the
pickers are built from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from .common import MinimumOut


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
