"""What an optimizer step sees of the landscape: the runner's side of
:class:`~app.engine.optimizers.interface.Problem`.

A coordinate-wise rule reads ``gradient``, the gradient the step is given (after the run's
noise, precision and clipping); SGLD draws from ``normal``; a whole-point rule (L-BFGS,
Newton) asks ``ball(index)`` for torch's closure around one ball, with the run's options
applied to every gradient it evaluates, and the exact Hessian.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import SCALAR, Vector, backend_for
from ..surfaces import Formulas, Surface
from .options import RunOptions, apply_options, standard_normal


class StepProblem:
    """One step of a run, for every ball.  The runner keeps one per run and sets ``step``,
    ``position``, ``gradient`` and ``noise`` before each step (a fresh object per step would
    cost the one-ball hot path a tenth of its time)."""

    __slots__ = (
        "surface",
        "options",
        "batch_shape",
        "xp",
        "step",
        "position",
        "gradient",
        "noise",
        "landscape",
    )

    def __init__(self, surface: Surface, options: RunOptions, batch_shape: tuple[int, ...]):
        self.surface = surface
        self.options = options
        self.batch_shape = batch_shape
        self.xp = backend_for(batch_shape)
        self.step = 0
        self.position: Vector = ()
        self.gradient: Vector = ()
        self.noise: Vector | None = None  # the step's mini-batch noise, drawn once
        # What the step sees: the surface, or on a model landscape the loss over its batch.
        self.landscape: Surface | Formulas = surface

    def normal(self, stream: int) -> Vector:
        return standard_normal(
            self.options.seed, self.step, stream, self.batch_shape, self.surface.dim
        )

    def ball(self, index: tuple[int, ...]) -> BallClosure:
        if index == ():
            x0 = np.array(self.position, dtype=np.float64)
            noise = self.noise
        else:
            x0 = np.array([c[index] for c in self.position], dtype=np.float64)
            noise = None if self.noise is None else tuple(float(n[index]) for n in self.noise)
        return BallClosure(self.landscape, self.options, self.step, x0, noise)


class BallClosure:
    """The landscape around one ball during optimizer step ``step`` (on a model landscape
    with mini-batches, the loss over the step's batch: a closure re-evaluates one batch).

    With gradient noise on, every evaluation within the step sees the same draw (one
    mini-batch per step, as a closure re-evaluates the same batch), and the loss includes
    the matching linear term ``n·(x − x₀)``, so a line search sees a loss and gradient
    that agree.
    """

    __slots__ = ("surface", "options", "step", "x0", "noise")

    def __init__(
        self,
        surface: Surface | Formulas,
        options: RunOptions,
        step: int,
        x0: np.ndarray,
        noise: Any,
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
