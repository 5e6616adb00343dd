"""POST /api/runs/explain: the next step of a run, explained."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .catalog import SymbolOut

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

    status: Literal["running", "converged", "diverged", "decided"] = Field(
        description="Where the run stands before this step. `running`: it goes on. "
        "`converged`: it stopped at rest, and this is the (tiny) step it would take next. "
        "`decided`: it asked to end early (`end_early`) and stopped once the engine knew "
        "its outcome; this is the step it would take next. "
        "`diverged`: it stopped because this very step throws the ball out (non-finite, or "
        "out of the surface's box), so the runner did not keep it."
    )
    step: int = Field(description="t, the step explained: one past the step the run reached.")
    optimizer: str
    formula: str = Field(
        description="The part of the optimizer's update rule this step uses: plain gradient "
        "descent (SGD without momentum) is `x ← x − lr·g`; the whole rule is in GET "
        "/api/optimizers."
    )
    symbols: list[SymbolOut] = Field(description="Every symbol in `formula`, with its meaning.")
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
