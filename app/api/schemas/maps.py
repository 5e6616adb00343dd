"""POST /api/maps/*: basin maps, learning-rate sweeps and trainability maps."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from .common import Input, MinimumOut, OutcomeKind
from .runs import RunSetting


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
        description="How many rates, log-spaced from lr_min to lr_max (at most the server's "
        "map_max_points; default 256)." + _AUTO,
    )
    keep: int = Field(
        32, ge=1, le=256, description="How many of each rate's last positions to return."
    )


class AxisRequest(Input):
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


class TrainabilityAxesRequest(MapRequest):
    x_name: str = Field(
        "lr", description="The x axis's hyperparameter (as `x_axis.name`).", examples=["lr"]
    )
    y_name: str = Field(
        "momentum", description="The y axis's (as `y_axis.name`).", examples=["momentum"]
    )


class AxisOut(BaseModel):
    name: str
    min: float
    max: float
    scale: Literal["log", "linear"]


class TrainabilityAxesOut(BaseModel):
    """Each axis's default range for this landscape and run: send them as `x_axis` and
    `y_axis` to POST /api/maps/trainability."""

    x_axis: AxisOut
    y_axis: AxisOut


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
    """An SSE `progress` event of a map's (or a network view's) streamed form."""

    done: int = Field(description="Work done so far: a map's ball-steps, a view's units.")
    total: int = Field(
        description="Work at most (balls or racers that stop early take fewer steps)."
    )
    waiting: bool = Field(description="Queued behind other maps or views on this worker.")
