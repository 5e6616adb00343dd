"""/api/networks/views: the landscape of a network — a request, and the answer of each view.

A view is computed for one comparison (a NetworkRequest: its `steps` is the step the page is
at) by the engine (app/engine/networks/views.py); every loss is the mean **data** loss (the
L1/L2 penalty left out), every number finite or null.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from ...engine.networks.views import VIEWS
from .networks import MAX_RACERS, SEED_MAX, NetworkRequest

View = Literal[VIEWS]  # type: ignore[valid-type]
Detail = Literal["coarse", "normal", "fine"]  # DETAIL's names, coarse first
MAX_SPAN = 10.0
Number = float | None  # null: not a finite number (a diverged run)


# --- the request -------------------------------------------------------------------------------


class NetworkViewRequest(NetworkRequest):
    """A comparison (every racer trained from the initial weights for `steps` steps, fewer
    if it stopped) and the view of its landscape to compute. `grid` is ignored (a view draws
    no prediction grid); `resume` is refused (a view trains from the initial weights)."""

    view: View = Field(
        description="`line` (from the initial to the current weights), `plane` (a random "
        "filter-normalised plane), `pca` (the plane of the paths' principal components), "
        "`sharpness` (the Hessian's top eigenvalue along each run) or `seeds` (two "
        "networks trained from different seeds, before and after matching)."
    )
    detail: Detail = Field(
        "normal",
        description="How fine a view is: points along a line or a side of a plane, steps "
        "sampled for sharpness (up to the server's limits).",
    )
    racer: int = Field(
        0,
        ge=0,
        le=MAX_RACERS - 1,
        description="`plane`: the racer whose current weights are the centre; `seeds`: the "
        "racer whose optimizer trains both networks.",
    )
    seed: int = Field(0, ge=0, le=SEED_MAX, description="`plane`: the random directions' seed.")
    span: float = Field(
        1.0,
        gt=0,
        le=MAX_SPAN,
        description="`plane`: α and β run over [−span, span], in units of the "
        "filter-normalised directions.",
    )
    second_seed: int | None = Field(
        None,
        ge=0,
        le=SEED_MAX,
        description="`seeds`: the second network's `init_seed` (left out: the model's "
        "`init_seed` + 1).",
    )


# --- the answers -------------------------------------------------------------------------------


class Out(BaseModel):
    """Every answer's parts: exactly these fields."""

    model_config = ConfigDict(extra="forbid")


class ViewOut(Out):
    """What every view answers."""

    task: Literal["binary", "multiclass", "regression"]
    loss_name: str = Field(
        description='"binary cross-entropy", "cross-entropy" or "mean squared error".'
    )
    steps: list[int] = Field(
        description="Per racer, the steps it actually took (fewer than asked if it stopped)."
    )


class TrainTest(Out):
    train: Number
    test: Number = Field(description="Null without test points.")


class LineRacerOut(Out):
    alphas: list[float] = Field(description="0 at the initial weights, 1 at the current ones.")
    train: list[Number]
    test: list[Number] | None = Field(description="Null without test points.")
    barrier: TrainTest = Field(
        description="How far the loss rises above the straight chord between the ends (≥ 0)."
    )
    monotone: bool = Field(description="The training loss never rises along the line.")
    distance: Number = Field(description="‖θ_now − θ₀‖, in weight-space units.")


class LineViewOut(ViewOut):
    """`line`: per racer, the loss along the straight line from θ₀ to θ_now."""

    view: Literal["line"]
    racers: list[LineRacerOut]


class PathOut(Out):
    """A racer's path projected onto a plane, at evenly kept steps (first and last in)."""

    step: list[int]
    alpha: list[Number] = Field(description="In the plane's own units (as its grid's).")
    beta: list[Number]
    off: list[Number] = Field(description="Distance of θ_t from the plane (weight-space units).")
    distance: list[Number] = Field(
        description="‖θ_t − the plane's origin‖: off / distance is the share not shown."
    )
    train: list[Number] = Field(description="The true training loss at θ_t.")
    plane_train: list[Number] = Field(
        description="The training loss at θ_t's projection: what the picture shows there."
    )


class LowestOut(Out):
    alpha: float
    beta: float
    train: Number


class PlaneViewOut(ViewOut):
    """`plane`: the loss over a random filter-normalised plane centred at racer `racer`'s
    current weights, and every racer's path projected onto it."""

    view: Literal["plane"]
    racer: int
    seed: int
    span: float
    alphas: list[float] = Field(description="Multiples of the first direction.")
    betas: list[float] = Field(description="Multiples of the second direction.")
    train: list[list[Number]] = Field(description="Rows over β, columns over α.")
    test: list[list[Number]] | None
    centre: TrainTest
    lowest: LowestOut = Field(description="The grid's lowest training loss.")
    direction_norms: list[Number] = Field(description="‖d1‖ and ‖d2‖, in weight-space units.")
    paths: list[PathOut]


class PcaViewOut(ViewOut):
    """`pca`: the loss over the plane through θ₀ of the first two principal components of
    every racer's path together (unit directions: α and β are weight-space distances)."""

    view: Literal["pca"]
    explained: list[Number] = Field(description="The share of variance each direction explains.")
    alphas: list[float]
    betas: list[float]
    train: list[list[Number]] = Field(description="Rows over β, columns over α.")
    test: list[list[Number]] | None
    lowest: LowestOut = Field(description="The grid's lowest training loss.")
    origin: TrainTest
    paths: list[PathOut]


class EdgeOut(Out):
    ratio: Number = Field(description="Median of top ÷ (2/lr) over the last third of samples.")
    reached: int | None = Field(
        description="The first sampled step with top ≥ 0.9 · 2/lr (null: never)."
    )


class SharpnessRacerOut(Out):
    step: list[int] = Field(description="The sampled steps (first and last included).")
    top: list[Number] = Field(description="The Hessian's top eigenvalue at each.")
    lr: list[Number] = Field(description="The learning rate there (after any schedule).")
    limit: list[Number] = Field(description="2 / lr: gradient descent's stability limit.")
    final: list[Number] = Field(description="The top eigenvalues at θ_now, largest first.")
    edge: EdgeOut
    preconditioned: bool = Field(
        description="An adaptive optimizer: 2/lr is gradient descent's limit, not its own."
    )


class SharpnessViewOut(ViewOut):
    """`sharpness`: per racer, the top eigenvalue of the training loss's Hessian along the
    run (Lanczos on exact Hessian-vector products) beside 2/lr."""

    view: Literal["sharpness"]
    racers: list[SharpnessRacerOut]


class SeedsLineOut(Out):
    train: list[Number]
    test: list[Number] | None
    barrier: TrainTest


class SeedsEndsOut(Out):
    a: TrainTest
    b: TrainTest


class SeedsDistanceOut(Out):
    before: Number = Field(description="‖θa − θb‖.")
    after: Number = Field(description="‖θa − θb′‖, θb′ being θb matched to θa.")


class SeedsViewOut(ViewOut):
    """`seeds`: racer `racer`'s optimizer trains the network from two seeds; the line
    between them before and after the second one's hidden units are matched to the first's."""

    view: Literal["seeds"]
    racer: int
    seeds: list[int] = Field(description="The two `init_seed`s, a and b.")
    alphas: list[float]
    before: SeedsLineOut
    after: SeedsLineOut
    ends: SeedsEndsOut
    distance: SeedsDistanceOut
    moved: int = Field(description="Hidden units whose place changed in the matching.")
    sweeps: int = Field(description="Matching sweeps until no order changed.")


ViewAnswer = Annotated[
    LineViewOut | PlaneViewOut | PcaViewOut | SharpnessViewOut | SeedsViewOut,
    Field(discriminator="view"),
]


class NetworkViewOut(RootModel[ViewAnswer]):
    """One view's answer (its `view` says which)."""
