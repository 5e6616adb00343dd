"""The learning-rate sweep: one start, many learning rates at once — where each rate's ball
ends, and where it keeps going (the bifurcation diagram).

Beside it, for each minimum, the rate above which gradient descent cannot settle there:
near a minimum with Hessian eigenvalues λ the error along the stiffest direction is
multiplied by 1 − lr·λmax each step, so it shrinks only while lr < 2/λmax — and the
optimizer's own limit where it has one (``Optimizer.stability_limit``: SGD's momentum and
Nesterov stretch or shrink it).  Roll Downhill's minima have f″ ≈ 13 (0.15 = 2/13), which
is why the upper half of its rate slider never settles.

    >>> from app.engine.optimizers import OPTIMIZERS
    >>> from app.engine.surfaces import SURFACES
    >>> sgd = OPTIMIZERS["sgd"]
    >>> setting = Setting(SURFACES["roll_downhill"], sgd, sgd.validate({"lr": 0.1}))
    >>> [round(s.descent_limit, 3) for s in stability(setting)][:2]
    [0.148, 0.149]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backend import SCALAR
from .crowd import Ends, Progress, Setting, roll_cells


@dataclass(frozen=True)
class Stability:
    minimum: int  # index into the surface's minima
    position: tuple[float, ...]
    sharpness: float  # the largest eigenvalue of the exact Hessian there (f″ in 1D)
    descent_limit: float | None  # 2/sharpness: plain gradient descent settles only below
    limit: float | None  # the optimizer's own limit, where theory gives one (SGD)
    limit_rule: str | None  # the rule that gave it: SGD's "descent", "heavy_ball", "nesterov"


@dataclass(frozen=True)
class SweepMap:
    lr: np.ndarray  # (count,), log-spaced
    ends: Ends  # of shape (count,), with the last positions and losses
    stability: list[Stability]


def sweep(
    setting: Setting,
    start: tuple[float, ...],
    lrs: np.ndarray,
    keep: int,
    progress: Progress | None = None,
) -> SweepMap:
    """Run one ball per learning rate of ``lrs`` from ``start``, keeping its last ``keep``
    positions."""
    starts = np.broadcast_to(np.asarray(start, dtype=np.float64), (len(lrs), len(start)))
    ends = roll_cells(setting, starts, {"lr": np.asarray(lrs)}, keep, progress)
    return SweepMap(np.asarray(lrs), ends, stability(setting))


def log_rates(lo: float, hi: float, count: int) -> np.ndarray:
    return np.geomspace(lo, hi, count)


def stability(setting: Setting) -> list[Stability]:
    """At each minimum: its sharpness, 2/sharpness, and the optimizer's own limit."""
    out = []
    for i, m in enumerate(setting.surface.minima):
        try:
            sharp = float(setting.surface.sharpness(SCALAR, *m.position))
        except (ArithmeticError, ValueError):
            continue
        descent = 2 / sharp if sharp > 0 else None
        own = setting.optimizer.stability_limit
        found = own(setting.hyperparameters, sharp) if own else None
        limit, rule = found or (None, None)
        out.append(Stability(i, tuple(m.position), sharp, descent, limit, rule))
    return out
