"""Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"), which torch does
not have: its rule is the paper's reference code (Program 1; the ``lion_pytorch.py`` of
google/automl), with ``maximize`` added as in torch.

    x ← x·(1 − lr·λ);   x ← x − lr·sign(β₁·m + (1 − β₁)·g);   m ← β₂·m + (1 − β₂)·g

Every coordinate moves exactly lr per step (the sign of its update)::

    >>> from app.engine.optimizers.interface import descend
    >>> descend(LION, {"lr": 0.1}, (1.0, 1.0), 1, lambda x: (2 * x[0], 0.5 * x[1]))
    (0.9, 0.9)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..hyperparameters import Hyperparameter
from .explaining import Said, StepNumbers, buffer, prelude, step_line, term, vec
from .interface import CoordinateState, Optimizer, Update, coordinatewise
from .shared import (
    BECOMES,
    GRADIENT,
    MOMENTUM_AVERAGE,
    POSITION,
    SIGN,
    betas,
    decoupled_decay,
)

# --- Lion (not in torch.optim) -------------------------------------------------------------


def _lion_rule(hp: Mapping[str, Any]) -> Update:
    lr, (beta1, beta2) = hp["lr"], hp["betas"]
    wd, maximize = hp["weight_decay"], hp["maximize"]
    decay = 1 - lr * wd

    def update(xp: Any, step: int, p: Any, g: Any, bufs: tuple[Any, ...]) -> tuple[Any, tuple]:
        (exp_avg,) = bufs
        if maximize:  # not in the reference code: the product's extension, as torch does it
            g = -g
        if exp_avg is None:
            exp_avg = 0.0
        p = p * decay  # decoupled, like AdamW's; the reference applies it unconditionally
        direction = exp_avg * beta1 + g * (1 - beta1)
        p = p + -lr * xp.sign(direction)
        exp_avg = exp_avg * beta2 + (1 - beta2) * g
        return p, (exp_avg,)

    return update


class LionState(CoordinateState):
    """Lion's state for one coordinate: the momentum."""

    __slots__ = ()
    keys = ("exp_avg",)


def _explain(n: StepNumbers) -> Said:
    """One Lion step for the Update rule panel: the blend c, its sign, then the momentum."""
    said, p, g = prelude(n, "decoupled")
    lr = n.hp["lr"]
    b1, b2 = n.hp["betas"]
    m0, m1 = buffer(n, "exp_avg"), buffer(n, "exp_avg", after=True)
    c = m0 * b1 + g * (1 - b1)
    said.line(
        f"c = β₁·m + (1 − β₁)·g = {term(b1)}·{vec(m0)} + {term(1 - b1)}·{vec(g)} = {vec(c, True)}"
    )
    said.q("c", "interpolation", c, "the blend of momentum and gradient whose sign Lion follows")
    said.q("sign(c)", "direction", np.sign(c), "±1 per coordinate: every step has length lr")
    step_line(said, "x ← x − lr·sign(c)", f"{vec(p, True)} − {term(lr)}·{vec(np.sign(c))}")
    said.line(
        f"m ← β₂·m + (1 − β₂)·g = {term(b2)}·{vec(m0)} + {term(1 - b2)}·{vec(g)} = {vec(m1, True)}"
    )
    said.q("m", "momentum", m1, "a running average of g (torch's exp_avg)")
    return said


LION = Optimizer(
    id="lion",
    batched=frozenset({"lr", "betas.0", "betas.1", "weight_decay"}),
    weight_decay="decoupled",
    name="Lion",
    hyperparameters=(
        Hyperparameter(
            "lr",
            "Learning rate",
            1e-4,
            "log",
            "Exactly how far each coordinate moves per step: Lion only uses the sign of its "
            "update. Typically 3–10× smaller than Adam's.",
            0.0,
            100.0,
            "Invalid learning rate",
        ),
        betas(
            (0.9, 0.99),
            "β₁ blends the momentum with the new gradient to choose the step's direction; "
            "β₂ is how much of the old momentum is kept each step.",
        ),
        decoupled_decay(0.0),
        Hyperparameter(
            "maximize",
            "Maximize",
            False,
            "bool",
            "Climb instead of descend. (Not in Lion's reference code; added here as torch's "
            "optimizers have it.)",
        ),
    ),
    bind=coordinatewise(_lion_rule, LionState),
    explain=_explain,
    lr_scales="step",
    formula="x ← x·(1 − lr·λ);  x ← x − lr·sign(β₁·m + (1 − β₁)·g);  m ← β₂·m + (1 − β₂)·g",
    symbols=(
        POSITION,
        GRADIENT,
        (
            "lr",
            "the learning rate: exactly how far each coordinate moves per step (the `lr` setting)",
        ),
        MOMENTUM_AVERAGE,
        (
            "β₁",
            "how much of m, against the new gradient, picks the step's direction (the first "
            "of the `betas`)",
        ),
        ("β₂", "how much of the old m is kept each step (the second of the `betas`)"),
        (
            "λ",
            "weight decay: each step first shrinks x by the factor 1 − lr·λ, pulling it toward "
            "0 (the `weight_decay` setting)",
        ),
        SIGN,
        BECOMES,
    ),
)
