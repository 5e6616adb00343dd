"""AdaGrad, as torch.optim.Adagrad: each coordinate's step is divided by the root of the
sum of all its squared gradients so far — an infinite memory, so steps only shrink.

    s ← s + g²;   x ← x − lr_t·g / (√s + ε),   lr_t = lr / (1 + (t − 1)·lr_decay)

Example — the steps shrink even on a straight slope (g = 1 every step)::

    >>> from app.engine.optimizers.interface import descend
    >>> [round(descend(ADAGRAD, {"lr": 1.0}, (0.0,), n, lambda x: (1.0,))[0], 4) for n in (1, 2, 3)]
    [-1.0, -1.7071, -2.2845]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..hyperparameters import Hyperparameter
from .explaining import Said, StepNumbers, buffer, num, prelude, step_line, term, vec
from .interface import CoordinateState, Optimizer, Update, coordinatewise
from .shared import (
    BECOMES,
    EPSILON,
    GRADIENT_L2,
    MAXIMIZE,
    POSITION,
    WEIGHT_DECAY,
    epsilon,
    learning_rate,
    signed_and_decayed,
)

# --- Adagrad ----------------------------------------------------------------------------


def _adagrad_rule(hp: Mapping[str, Any]) -> Update:
    lr, lr_decay, wd = hp["lr"], hp["lr_decay"], hp["weight_decay"]
    init, eps, maximize = hp["initial_accumulator_value"], hp["eps"], hp["maximize"]

    def update(xp: Any, step: int, p: Any, g: Any, bufs: tuple[Any, ...]) -> tuple[Any, tuple]:
        (state_sum,) = bufs
        if state_sum is None:
            state_sum = init
        p, g = signed_and_decayed(p, g, maximize, wd)
        clr = lr / (1 + (step - 1) * lr_decay)
        state_sum = state_sum + g * g
        std = xp.sqrt(state_sum) + eps
        return p + (-clr * g) / std, (state_sum,)

    return update


class AdagradState(CoordinateState):
    """torch's Adagrad state for one coordinate: the running sum of squared gradients."""

    __slots__ = ()
    keys = ("sum",)
    nonnegative = frozenset({"sum"})


def _explain(n: StepNumbers) -> Said:
    """One AdaGrad step for the Update rule panel: the sum s, its root, the decayed lr."""
    said, p, g = prelude(n, "l2")
    lr, decay, eps = n.hp["lr"], n.hp["lr_decay"], n.hp["eps"]
    s0 = buffer(n, "sum", n.hp["initial_accumulator_value"])
    s1 = buffer(n, "sum", after=True)
    said.line(f"s ← s + g² = {vec(s0, True)} + {vec(g)}² = {vec(s1, True)}")
    clr = lr / (1 + (n.t - 1) * decay)
    if decay:
        said.line(
            f"lr ← lr/(1 + (t − 1)·lr_decay) = {term(lr)}/(1 + {n.t - 1}·{term(decay)}) "
            f"= {num(clr)}"
        )
    root = np.sqrt(s1)
    said.q("s", "sum of squared gradients", s1, "every g² so far, added up (torch's sum)")
    said.q("√s", "root of the sum", root, "what each coordinate's step is divided by")
    step_line(
        said,
        "x ← x − lr·g / (√s + ε)",
        f"{vec(p, True)} − {term(clr)}·{vec(g)} / ({vec(root, True)} + {num(eps)})",
    )
    return said


ADAGRAD = Optimizer(
    id="adagrad",
    batched=frozenset({"lr", "lr_decay", "initial_accumulator_value", "eps"}),
    weight_decay="l2",
    name="AdaGrad",
    hyperparameters=(
        learning_rate(1e-2),
        Hyperparameter(
            "lr_decay",
            "LR decay",
            0.0,
            "log",
            "Learning rate at step t is lr / (1 + (t − 1)·lr_decay).",
            0.0,
            10.0,
            "Invalid lr_decay value",
        ),
        WEIGHT_DECAY,
        Hyperparameter(
            "initial_accumulator_value",
            "Initial accumulator",
            0.0,
            "linear",
            "Starting value of the running sum of squared gradients.",
            0.0,
            100.0,
            "Invalid initial_accumulator_value value",
        ),
        epsilon(1e-10),
        MAXIMIZE,
    ),
    bind=coordinatewise(_adagrad_rule, AdagradState),
    explain=_explain,
    lr_scales="step",
    formula="s ← s + g²;  x ← x − lr·g / (√s + ε)   (infinite memory: steps only shrink)",
    symbols=(
        POSITION,
        GRADIENT_L2,
        (
            "lr",
            "the learning rate: roughly how far the first step moves (the `lr` setting; with "
            "`lr_decay` it becomes lr/(1 + (t − 1)·lr_decay) at step t)",
        ),
        (
            "s",
            "the sum of all the squared gradients so far (torch's sum; it starts at the "
            "`initial_accumulator_value` setting)",
        ),
        EPSILON,
        BECOMES,
    ),
)
