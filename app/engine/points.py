"""Driving whole-point rules (L-BFGS, Newton): one ball at a time, through a closure.

Coordinate-wise rules see one coordinate's gradient; a whole-point rule needs the ball's
full position, and may evaluate the function elsewhere (a line search) or ask for the
Hessian.  :class:`BallProblem` is what it asks: torch's ``closure`` (``evaluate``) with
the run's options applied to each gradient, and the exact Hessian.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .backend import SCALAR, Vector
from .gradients import RunOptions, apply_options
from .optimizer_base import PointUpdate
from .surface import Surface


class BallProblem:
    """The landscape around one ball during optimizer step ``step``.

    With gradient noise on, every evaluation within the step sees the same draw (one
    mini-batch per step, as a closure re-evaluates the same batch), and the loss includes
    the matching linear term ``n·(x − x₀)``, so a line search sees a loss and gradient
    that agree.
    """

    def __init__(
        self, surface: Surface, options: RunOptions, step: int, x0: np.ndarray, noise: Any
    ) -> None:
        self.surface = surface
        self.options = options
        self.step = step
        self.x0 = x0
        self.noise = noise

    def evaluate(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        xs = tuple(float(v) for v in x)
        loss = self.surface.value(SCALAR, *xs)
        grad = self.surface.grad(SCALAR, *xs)
        if not self.options.plain:
            grad = apply_options(self.options, self.step, grad, (), self.noise).gradient
        if self.noise is not None:
            loss += sum(n * (v - v0) for n, v, v0 in zip(self.noise, xs, self.x0, strict=True))
        return loss, np.array(grad, dtype=np.float64)

    def hessian(self, x: np.ndarray) -> np.ndarray:
        return np.array(self.surface.hess(SCALAR, *(float(v) for v in x)), dtype=np.float64)


def point_step(
    update: PointUpdate,
    surface: Surface,
    options: RunOptions,
    step: int,
    position: Vector,
    memory: Any,
    batch_shape: tuple[int, ...],
    noise: Vector | None,
) -> tuple[Vector, Any, Any]:
    """One step of a whole-point rule for every ball: (positions, memory, evaluations).
    ``noise`` is the step's :func:`~.gradients.step_noise` (None without noise).

    A ball whose step fails arithmetically (a singular Hessian, an overflow) gets a NaN
    position, which the runner reports as divergence.
    """
    dim = surface.dim
    if batch_shape == ():
        x = np.array(position, dtype=np.float64)
        new_x, memory, evaluations = update(
            BallProblem(surface, options, step, x, noise), step, x, memory
        )
        return tuple(float(v) for v in new_x), memory, evaluations
    new = np.empty(batch_shape + (dim,))
    memories = np.empty(batch_shape, dtype=object)
    evaluations = np.zeros(batch_shape, dtype=np.int64)
    for idx in np.ndindex(batch_shape):
        x = np.array([c[idx] for c in position], dtype=np.float64)
        ball_noise = None if noise is None else tuple(float(n[idx]) for n in noise)
        before = None if memory is None else memory[idx]
        try:
            problem = BallProblem(surface, options, step, x, ball_noise)
            new[idx], memories[idx], evaluations[idx] = update(problem, step, x, before)
        except (ArithmeticError, ValueError):
            new[idx], memories[idx] = math.nan, before
    return tuple(new[..., i] for i in range(dim)), memories, evaluations
