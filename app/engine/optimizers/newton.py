"""Newton's method with the exact Hessian, optionally damped (Levenberg–Marquardt style).

    x ← x − lr·(H + λI)⁻¹·g

With lr = 1 and λ = 0 each step jumps to the stationary point of the local quadratic
model: one step on a bowl, a few near any minimum — but it heads for saddles and maxima
just as happily, because the model has the same stationary point whatever the curvature's
sign.  Damping λ blends in a gradient step of size 1/λ and keeps H + λI invertible.

Example — one step from x = 3 on f(x) = x² lands on the minimum::

    >>> from app.engine.optimizers.interface import descend
    >>> bowl = dict(f=lambda x: x[0] ** 2, grad=lambda x: (2 * x[0],), hess=lambda x: ((2.0,),))
    >>> descend(NEWTON, {}, (3.0,), 1, **bowl)
    (0.0,)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..hyperparameters import Hyperparameter
from .explaining import Said, StepNumbers, step_line, term, vec
from .interface import BallState, BallStep, Closure, Optimizer, per_ball
from .shared import BECOMES, MAXIMIZE, POSITION, learning_rate


def solve(h: np.ndarray, g: np.ndarray) -> np.ndarray:
    """(H)⁻¹·g: by hand on floats for 1×1 and 2×2 H (a singular H raises ZeroDivisionError),
    by LAPACK's LU solve, as torch.linalg.solve, for a network's P × P (a singular H raises
    numpy.linalg.LinAlgError, a ValueError)."""
    if len(g) > 2:
        return np.linalg.solve(h, g)
    if len(g) == 1:
        return np.array([float(g[0]) / float(h[0, 0])])
    a, b, c, d = (float(v) for v in h.ravel())
    det = a * d - b * c
    g0, g1 = float(g[0]), float(g[1])
    return np.array([(d * g0 - b * g1) / det, (a * g1 - c * g0) / det])


class NewtonState(BallState):
    """Newton keeps nothing between steps."""

    __slots__ = ()


def _newton_rule(hp: Mapping[str, Any]) -> BallStep:
    lr, damping, maximize = hp["lr"], hp["damping"], hp["maximize"]

    def step(
        problem: Closure, step: int, x: np.ndarray, memory: Any
    ) -> tuple[np.ndarray, Any, int]:
        _, g = problem.evaluate(x)
        h = problem.hessian(x)
        if maximize:  # Newton on −f
            g, h = -g, -h
        if damping:
            h = h + damping * np.eye(len(x))
        return x - lr * solve(h, g), None, 1

    return step


def _explain(n: StepNumbers) -> Said:
    """One Newton step for the Update rule panel: H + λI and the Newton step."""
    said = Said(n)
    lr, damping = n.hp["lr"], n.hp["damping"]
    g = -n.g if n.hp["maximize"] else n.g
    h = n.problem.ball(()).hessian(n.x0)
    if n.hp["maximize"]:
        h = -h
        said.line("f ← −f   (maximize: Newton on −f)")
    h = h + damping * np.eye(len(n.x0))
    rows = "; ".join(vec(row, True) for row in h)
    said.line(f"H + λI = {rows}" if len(h) == 1 else f"H + λI = [{rows}]")
    for i, row in enumerate(h):
        label = "H + λI" if len(h) == 1 else f"H + λI, row {i + 1}"
        said.q(label, "curvature", row, "second derivatives of f at x, plus the damping λ")
    try:
        d = solve(h, g)
    except ArithmeticError:
        said.line("H + λI is singular: no Newton step")
        return said
    said.line(f"(H + λI)⁻¹·∇f = {vec(d, True)}")
    said.q("(H + λI)⁻¹·∇f", "Newton step", d, "the slope divided by the curvature")
    step_line(said, "x ← x − lr·(H + λI)⁻¹·∇f", f"{vec(n.x0, True)} − {term(lr)}·{vec(d)}")
    return said


NEWTON = Optimizer(
    id="newton",
    name="Newton",
    group="second-order",
    hyperparameters=(
        learning_rate(1.0),
        Hyperparameter(
            "damping",
            "Damping λ",
            0.0,
            "log",
            "Added to the Hessian's diagonal: large λ turns Newton into a small gradient step "
            "(size 1/λ) and keeps it from jumping to saddles and maxima.",
            0.0,
            1000.0,
            "Invalid damping value",
        ),
        MAXIMIZE,
    ),
    bind=per_ball(_newton_rule, NewtonState),
    explain=_explain,
    formula="x ← x − lr·(H + λI)⁻¹·∇f   (H: the exact Hessian)",
    symbols=(
        POSITION,
        ("f", "the loss: the height of the landscape at x"),
        ("∇", "nabla: ∇f is the gradient of f at x, its slope in every direction, pointing uphill"),
        (
            "lr",
            "the learning rate: the fraction of the full Newton step taken (the `lr` setting; "
            "1 jumps to the bottom of the local bowl)",
        ),
        (
            "H",
            "the Hessian: the grid of second derivatives of f at x, how the slope itself changes "
            "(the landscape's curvature)",
        ),
        (
            "λ",
            "damping: added along H's diagonal, it makes the step more like a small gradient step "
            "(the `damping` setting)",
        ),
        (
            "I",
            "the identity matrix: 1 on the diagonal, 0 elsewhere, so λI adds λ to each curvature",
        ),
        ("⁻¹", "the inverse matrix: (H + λI)⁻¹·∇f divides the slope by the curvature"),
        BECOMES,
    ),
)
