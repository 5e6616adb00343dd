"""Stochastic gradient Langevin dynamics (Welling & Teh, 2011): gradient descent plus
Gaussian noise of variance 2·lr·T.

    x ← x − lr·g + √(2·lr·T)·ξ,   ξ ~ N(0, I)

At temperature T the balls do not settle in a minimum: run long enough, they visit each
region in proportion to exp(−f(x)/T) — sampling the landscape rather than descending it.
T → 0 gives plain gradient descent.  ξ comes from the run's seed (stream 1, see
the run's options), so the same seed gives the same run.  Weight decay and ``maximize``
act as in SGD.

At T = 0 it is gradient descent::

    >>> from app.engine.optimizers.interface import descend
    >>> descend(SGLD, {"lr": 0.1, "temperature": 0.0}, (1.0,), 3, lambda x: (2 * x[0],))
    (0.512,)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..backend import Vector
from ..hyperparameters import Hyperparameter
from .explaining import Said, StepNumbers, num, prelude, step_line, term, vec
from .interface import Binder, CoordinateState, Optimizer, Problem, Rule
from .shared import (
    BECOMES,
    MAXIMIZE,
    POSITION,
    WEIGHT_DECAY,
    learning_rate,
    signed_and_decayed,
)

# The run's random stream for the Langevin noise (stream 0 is the gradient noise, see
# app.engine.run.options), so switching one on does not shift the other's draws.
LANGEVIN_STREAM = 1


class SGLDState(CoordinateState):
    """SGLD keeps nothing between steps."""

    __slots__ = ()


def _bind_sgld(hp: Mapping[str, Any]) -> Rule:
    lr, wd, maximize = hp["lr"], hp["weight_decay"], hp["maximize"]
    spread = math.sqrt(2.0 * lr * hp["temperature"])

    def step(problem: Problem, t: int, x: Vector, state: SGLDState) -> tuple[Vector, Any, int]:
        moved = []
        for p, g, z in zip(x, problem.gradient, problem.normal(LANGEVIN_STREAM), strict=True):
            p, g = signed_and_decayed(p, g, maximize, wd)
            moved.append(p - lr * g + spread * z)
        return tuple(moved), state, 1

    return Rule(SGLDState.fresh, step)


def _explain(n: StepNumbers) -> Said:
    """One SGLD step for the Update rule panel: the gradient step and the random kick."""
    said, p, g = prelude(n, "l2")
    lr, temperature = n.hp["lr"], n.hp["temperature"]
    xi = np.array(n.problem.normal(LANGEVIN_STREAM), dtype=np.float64)
    spread = math.sqrt(2.0 * lr * temperature)
    said.line(f"√(2·lr·T) = √(2·{term(lr)}·{term(temperature)}) = {num(spread)}")
    said.line(f"ξ = {vec(xi, True)}   (drawn from N(0, I), seed and step)")
    said.q("ξ", "random kick", xi, "this step's draw from N(0, I)")
    said.q("√(2·lr·T)·ξ", "noise term", spread * xi, "the random part of the step")
    step_line(
        said,
        "x ← x − lr·∇f + √(2·lr·T)·ξ",
        f"{vec(p, True)} − {term(lr)}·{vec(g)} + {term(spread)}·{vec(xi)}",
    )
    return said


SGLD = Optimizer(
    id="sgld",
    name="SGLD (Langevin)",
    group="stochastic",
    weight_decay="l2",
    lr_scales="gradient",
    hyperparameters=(
        learning_rate(1e-2),
        Hyperparameter(
            "temperature",
            "Temperature T",
            0.1,
            "log",
            "How hot the noise is: the balls spread over the landscape like exp(−f/T); "
            "0 is plain gradient descent.",
            0.0,
            100.0,
            "Invalid temperature",
        ),
        WEIGHT_DECAY,
        MAXIMIZE,
    ),
    bind=Binder(_bind_sgld, SGLDState),
    explain=_explain,
    formula="x ← x − lr·∇f + √(2·lr·T)·ξ,   ξ ~ N(0, I)",
    symbols=(
        POSITION,
        (
            "f",
            "the loss: the height of the landscape at x (weight decay adds "
            "(`weight_decay`/2)·‖x‖² to it)",
        ),
        ("∇", "nabla: ∇f is the gradient of f at x, its slope in every direction, pointing uphill"),
        ("lr", "the learning rate: how far each step moves per unit of slope (the `lr` setting)"),
        (
            "T",
            "the temperature: how strong the random kicks are; 0 is plain gradient descent (the "
            "`temperature` setting)",
        ),
        ("ξ", "xi: a fresh random kick each step, one random number per coordinate"),
        ("~", "is drawn from: ξ is a random sample of the distribution on the right"),
        (
            "N",
            "the normal (Gaussian, bell-curve) distribution: N(0, I) has mean 0 and spread 1 "
            "in every direction",
        ),
        ("I", "the identity matrix: in N(0, I), each coordinate gets its own independent draw"),
        BECOMES,
    ),
)
