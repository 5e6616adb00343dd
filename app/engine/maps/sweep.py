"""The learning-rate sweep: one start, many learning rates at once — where each rate's ball
ends, and where it keeps going (the bifurcation diagram).

Beside it, for each minimum, the rate above which gradient descent cannot settle there:
near a minimum with Hessian eigenvalues λ the error along the stiffest direction is
multiplied by 1 − lr·λmax each step, so it shrinks only while lr < 2/λmax.  Heavy-ball
momentum μ (torch's SGD, dampening d) stretches that to 2(1 + μ)/((1 − d)·λmax), Nesterov's
to 2(1 + μ)/((1 + 2μ)·λmax); L2 weight decay adds its λ to the curvature.  Roll Downhill's
minima have f″ ≈ 13 (0.15 = 2/13), which is why the upper half of its rate slider never
settles.

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
    limit: float | None  # this optimizer's own limit, where theory gives one (SGD)
    limit_rule: str | None  # how: "descent", "heavy_ball" or "nesterov"


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
        limit, rule = _own_limit(setting, sharp)
        out.append(Stability(i, tuple(m.position), sharp, descent, limit, rule))
    return out


def _own_limit(setting: Setting, sharpness: float) -> tuple[float | None, str | None]:
    """SGD's largest stable rate at a minimum of this sharpness (the linear analysis)."""
    hp = setting.hyperparameters
    if setting.optimizer.id != "sgd" or hp.get("maximize"):
        return None, None
    curvature = sharpness + hp["weight_decay"]  # L2 decay curves the landscape by λ more
    if not curvature > 0:
        return None, None
    mu, dampening = hp["momentum"], hp["dampening"]
    if mu == 0:
        return 2 / curvature, "descent"
    if hp["nesterov"]:
        return 2 * (1 + mu) / ((1 + 2 * mu) * curvature), "nesterov"
    return 2 * (1 + mu) / ((1 - dampening) * curvature), "heavy_ball"
