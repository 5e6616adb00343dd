"""Starting learning rates that make each landscape show what its caption promises.

:func:`suggested_lr` gives one optimizer's starting rate on one surface,
:func:`suggested_lrs` every optimizer's.  The rule, by how an optimizer's step depends on
the gradient:

* Gradient-scaled (SGD — gradient descent, momentum — and SGLD): the step is lr·∇f, so
  what lr means depends on the curvature.  Take L, the largest Hessian eigenvalue the ball
  has to live with: at every minimum on the domain (wherever it settles, it should settle
  there rather than bounce out — not only at the global one) and at the start (its first
  steps must not fling it across the map: at 1.6/L of the minimum alone, the double well
  throws the ball over its barrier and Goldstein–Price throws it off the map).  The rate
  is ``ZIGZAG / L`` with ``ZIGZAG = 1.6``: along the stiffest direction gradient descent
  multiplies the distance to the floor by 1 − lr·L = −0.6 each step, so it visibly
  zigzags across (1/L < lr) yet converges (lr < 2/L) — the ravine's lesson — while
  flatter directions are crawled along at lr·λ ≪ 1, which is the plateau's, Rosenbrock's
  and the ravine's floor's lesson.  1.6 rather than 1.5: the zigzag stays visible for
  six steps instead of four, and κ = 20 gets 0.08 (1.5/20 = 0.075 would round to 0.07).
* Where the optimizer's own stability limit (``Optimizer.stability_limit``, per unit of
  curvature) is below ZIGZAG, 1.6/L would not settle: Nesterov (the sgd preset, momentum
  0.9) is stable only for lr·L < 2(1 + μ)/(1 + 2μ) ≈ 1.36, so the ravine's 1.6/L makes it
  diverge within a few steps; ``suggested_lr(surface, "nesterov")`` gives it
  ``NESTEROV / L`` (1.2).  Heavy-ball momentum (stable up to 2(1 + μ) = 3.8) and plain
  gradient descent (2) share the sgd rate.
* With no minimum at all (the saddle) there is nothing to settle in: what the eye
  follows is how slowly the ball leaves the flat spot, which needs lr·|λ| small, so the
  rate is ``NO_MINIMUM / L`` (0.2) with L the largest curvature magnitude at the start.
* Step-sized (Adagrad, RMSprop, Adam, AdamW, Adamax, NAdam, Lion): their first steps are
  about lr long whatever the gradient's size (RMSprop's first is 10·lr: torch's square
  average starts at 0 with no bias correction), so lr is ``STEP_FRACTION`` (1%) of the
  domain's shorter side.
* RAdam (``Optimizer.gradient_warm_up``) is step-sized only after its warm-up: until
  ρ_t > 5 (its first five steps, with torch's β₂ = 0.999) torch applies plain gradient
  steps lr·m̂, which at 1% of the domain throw it off Goldstein–Price at once and 5.8
  units across Rosenbrock's 4-wide map.
  It gets the smaller of the step-sized and the gradient-descent rate, so the warm-up is
  a stable gradient descent.  (After it, its steps are r_t·lr with the rectifier r_t ≈
  0.03 at step 6 and 0.2 at step 100: RAdam starts slowly by design.)
* The rest (Adadelta, Rprop, L-BFGS, Newton) keep torch's default lr: Adadelta and Rprop
  size their own steps, and the curvature methods take lr = 1 as a full Newton step.

Where the rule reads the Hessian it uses the exact one (``surface.hess``), except at a
kink, where the exact "Hessian" describes no neighbourhood (Ackley's funnel tip reports
about 1e150): a point counts only if the Hessian predicts the gradient a short step away.

A gradient-scaled rate is also stepped down (0.4 -> 0.3 ...) until the first step from
the start lands on the map: a ball that jumps off the drawing and back looks diverged.

Rates are rounded to one significant figure, as a person would type them — unless that
would push lr·L out of its window (``WINDOWS``), in which case to the fewest figures that
stay inside.  κ = 100 shows why: 1.6/100 rounds to 0.02 = 2/κ (no convergence: it
bounces across the valley for ever), and 0.01 = 1/κ would drop to the floor in one step
with no zigzag, so it stays 0.016.  Rosenbrock's 1.6/1912 rounds to 0.0008 (lr·L = 1.53).

The old explorer rule (0.5 over the median finite-difference curvature of the drawing
grid) was blind to where the ball actually goes: the plateau's grid is almost flat, which
gave lr = 100 and threw gradient descent out of the domain in five steps; the ravine's
median gave 0.4/κ, which slides straight down to the floor instead of zigzagging.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .backend import SCALAR
from .optimizers import OPTIMIZERS, Optimizer
from .surfaces import Surface

ZIGZAG = 1.6  # lr·L for gradient descent: the stiff direction overshoots, 0.6 of it a step
NESTEROV = 1.2  # lr·L where the own limit is below ZIGZAG (Nesterov 0.9: 2·1.9/2.8 ≈ 1.36)
NO_MINIMUM = 0.2  # lr·|λ| where nothing can settle: slow enough to watch the ball leave
STEP_FRACTION = 0.01  # step-sized optimizers: lr as a fraction of the domain's shorter side

# How far rounding may move lr·L (or lr/target for step-sized rates) from its aim.
WINDOWS = {
    ZIGZAG: (1.3, 1.8),
    NESTEROV: (0.8, 1.3),
    NO_MINIMUM: (0.15, 0.25),
}
STEP_WINDOW = (0.5, 1.5)  # one figure always fits

# A preset's id names its optimizer with the preset's hyperparameters (sgd's "gd",
# "momentum", "nesterov"); what lr sets is the optimizer's ``lr_scales``.
PRESETS = {p.id: (o, p.hyperparameters) for o in OPTIMIZERS.values() for p in o.presets}


def suggested_lr(surface: Surface, optimizer_id: str) -> float:
    """A starting learning rate for this optimizer on this surface (rounded to one
    significant figure unless that spoils it; see the module's docstring for the rule).

    ``optimizer_id`` is an id of :data:`OPTIMIZERS`, or a preset's (SGD's "gd",
    "momentum", "nesterov"): Nesterov gets a smaller rate than the other two, which share
    sgd's.  KeyError for anything else.

        >>> from app.engine.surfaces import SURFACES
        >>> ravine = SURFACES["ravine"]
        >>> suggested_lr(ravine.with_parameters({"kappa": 20}), "sgd"), suggested_lr(ravine, "sgd")
        (0.08, 0.016)
        >>> suggested_lr(ravine, "adam"), suggested_lr(ravine, "lbfgs")
        (0.06, 1.0)
    """
    optimizer, given = PRESETS.get(optimizer_id) or (OPTIMIZERS[optimizer_id], {})
    if optimizer.lr_scales == "gradient":
        return _gradient_scaled(surface, _aim(optimizer, optimizer.validate(given)))
    if optimizer.lr_scales == "step":
        if optimizer.gradient_warm_up:
            return min(_step_sized(surface), _gradient_scaled(surface, ZIGZAG))
        return _step_sized(surface)
    (lr,) = (h for h in optimizer.hyperparameters if h.name == "lr")
    assert isinstance(lr.default, int | float)
    return float(lr.default)


def suggested_lrs(surface: Surface) -> dict[str, float]:
    """Every optimizer id in :data:`OPTIMIZERS`, and each preset's id, -> its
    :func:`suggested_lr` on ``surface``."""
    return {key: suggested_lr(surface, key) for key in [*OPTIMIZERS, *PRESETS]}


def _aim(optimizer: Optimizer, hp: Mapping[str, Any]) -> float:
    """lr·L to aim at: ZIGZAG, or NESTEROV where the optimizer's own stability limit for
    these hyperparameters (per unit of curvature) does not reach ZIGZAG."""
    own = optimizer.stability_limit
    found = own(hp, 1.0) if own else None
    return NESTEROV if found and found[0] <= ZIGZAG else ZIGZAG


def stiffness(surface: Surface) -> tuple[float, bool]:
    """(L, has_minimum): the curvature gradient-scaled rates are sized by.

    With minima: the largest Hessian eigenvalue over every (smooth) minimum and the start.
    Without: the largest eigenvalue magnitude at the start.
    """
    at_minima = (_largest_eigenvalue(surface, m.position) for m in surface.minima)
    curvatures = [c for c in at_minima if c is not None and c > 0]
    start = _largest_eigenvalue(surface, surface.start, magnitude=not curvatures)
    if curvatures:
        return max(curvatures + ([start] if start and start > 0 else [])), True
    if start and start > 0:
        return start, False
    return math.nan, False


def _step_sized(surface: Surface) -> float:
    span = min(hi - lo for lo, hi in surface.domain)
    return _round_within(STEP_FRACTION * span, STEP_FRACTION * span, STEP_WINDOW)


def _gradient_scaled(surface: Surface, aim: float) -> float:
    curvature, has_minimum = stiffness(surface)
    if not has_minimum:
        aim = NO_MINIMUM
    if not math.isfinite(curvature) or curvature <= 0:
        # Flat start and no minimum to size by: a first step of STEP_FRACTION of the domain.
        span = min(hi - lo for lo, hi in surface.domain)
        g = max(abs(c) for c in surface.grad(SCALAR, *surface.start))
        target = STEP_FRACTION * span / g if g > 0 else 1e-3
        return _round_within(target, target, STEP_WINDOW)
    lr = _round_within(aim / curvature, 1.0 / curvature, WINDOWS[aim])
    return _first_step_on_the_map(surface, lr)


def _first_step_on_the_map(surface: Surface, lr: float) -> float:
    """``lr``, or the next smaller one-figure rates until the first gradient step from the
    start lands inside the domain (McCormick's start is near the edge, and 1.6/L would
    overshoot the trough off the map before coming back)."""
    g = np.array(surface.grad(SCALAR, *surface.start), dtype=np.float64)
    start = np.array(surface.start, dtype=np.float64)
    lo, hi = np.array(surface.domain, dtype=np.float64).T
    for _ in range(20):
        landing = start - lr * g
        if ((landing >= lo) & (landing <= hi)).all():
            return lr
        exponent = math.floor(math.log10(lr))
        digit = round(lr / 10.0**exponent, 6)
        lead = math.ceil(digit) - 1 if digit > 1 else 9
        lr = float(f"{lead * 10.0 ** (exponent if digit > 1 else exponent - 1):.1e}")
    return lr


def _round_within(value: float, unit: float, window: tuple[float, float]) -> float:
    """``value`` to the fewest significant figures (one, if it can) keeping value/unit
    inside ``window``."""
    lo, hi = window
    for figures in range(1, 16):
        rounded = float(f"{value:.{figures - 1}e}")
        if lo <= rounded / unit <= hi:
            return rounded
    return value


def _largest_eigenvalue(
    surface: Surface, point: Sequence[float], magnitude: bool = False
) -> float | None:
    """The Hessian's largest eigenvalue at ``point`` (largest in magnitude with
    ``magnitude``), or None where it does not describe the gradient nearby (a kink) or is
    not finite."""
    try:
        h = np.array(surface.hess(SCALAR, *point), dtype=np.float64)
    except (ArithmeticError, ValueError):
        return None
    if not np.isfinite(h).all():
        return None
    values, vectors = np.linalg.eigh(h)
    k = int(np.argmax(np.abs(values))) if magnitude else int(np.argmax(values))
    value, direction = float(values[k]), vectors[:, k]
    # A step of 1e-4 of the domain along that direction: at a smooth point the gradient
    # changes by about value·step; at a kink by something else entirely.
    step = 1e-4 * min(hi - lo for lo, hi in surface.domain)
    p = np.asarray(point, dtype=np.float64)
    try:
        ahead = np.array(surface.grad(SCALAR, *(p + step * direction)), dtype=np.float64)
        behind = np.array(surface.grad(SCALAR, *(p - step * direction)), dtype=np.float64)
    except (ArithmeticError, ValueError):
        return None
    change = float(direction @ (ahead - behind)) / (2 * step)
    scale = max(abs(value), float(np.abs(h).max()), 1e-300)
    if not math.isfinite(change) or abs(change - value) > 0.1 * scale:
        return None
    return abs(value) if magnitude else value
