"""RMSprop, as torch.optim.RMSprop: like AdaGrad, but the squared gradients are averaged
with a fading memory, so the step size can grow back.

    v ← α·v + (1 − α)·g²;   x ← x − lr·g / (√v + ε)

Centered: √v is replaced by √(v − ḡ²) (ḡ the running mean of g).  With momentum:
b ← μ·b + g/(√v + ε);  x ← x − lr·b.  Note torch's ε is added outside the square root.

Example — on a straight slope (g = 1) the steps grow as v forgets its zero start::

    >>> from app.engine.optimizers.interface import descend
    >>> [round(descend(RMSPROP, {"lr": 0.01}, (0.0,), n, lambda x: (1.0,))[0], 4) for n in (1, 2)]
    [-0.1, -0.1709]
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
    lerp,
    signed_and_decayed,
)

# --- RMSprop ----------------------------------------------------------------------------


def _rmsprop_rule(hp: Mapping[str, Any]) -> Update:
    lr, alpha, eps, wd = hp["lr"], hp["alpha"], hp["eps"], hp["weight_decay"]
    momentum, centered, maximize = hp["momentum"], hp["centered"], hp["maximize"]

    def update(xp: Any, step: int, p: Any, g: Any, bufs: tuple[Any, ...]) -> tuple[Any, tuple]:
        square_avg, momentum_buffer, grad_avg = bufs
        p, g = signed_and_decayed(p, g, maximize, wd)
        square_avg = (0.0 if square_avg is None else square_avg) * alpha + (1 - alpha) * g * g
        if centered:
            grad_avg = lerp(0.0 if grad_avg is None else grad_avg, g, 1 - alpha)
            avg = xp.sqrt(square_avg + -1.0 * grad_avg * grad_avg)
        else:
            avg = xp.sqrt(square_avg)
        avg = avg + eps
        if momentum > 0:
            buf = 0.0 if momentum_buffer is None else momentum_buffer
            momentum_buffer = buf * momentum + g / avg
            return p + -lr * momentum_buffer, (square_avg, momentum_buffer, grad_avg)
        return p + (-lr * g) / avg, (square_avg, momentum_buffer, grad_avg)

    return update


class RMSpropState(CoordinateState):
    """torch's RMSprop state for one coordinate: the running average of squared gradients,
    the velocity (with momentum) and the running average of gradients (centered)."""

    __slots__ = ()
    keys = ("square_avg", "momentum_buffer", "grad_avg")
    nonnegative = frozenset({"square_avg"})


def _explain(n: StepNumbers) -> Said:
    """One RMSprop step for the Update rule panel: v (and ḡ, b), then the step."""
    said, p, g = prelude(n, "l2")
    lr, alpha, eps, mu = n.hp["lr"], n.hp["alpha"], n.hp["eps"], n.hp["momentum"]
    v0, v1 = buffer(n, "square_avg"), buffer(n, "square_avg", after=True)
    said.line(
        f"v ← α·v + (1 − α)·g² = {term(alpha)}·{vec(v0)} + {term(1 - alpha)}·{vec(g)}² "
        f"= {vec(v1, True)}"
    )
    said.q("v", "square average", v1, "a fading average of g² (torch's square_avg)")
    if n.hp["centered"]:
        a1 = buffer(n, "grad_avg", after=True)
        root = np.sqrt(v1 - a1 * a1)
        said.line(f"ḡ ← α·ḡ + (1 − α)·g = {vec(a1, True)};   √(v − ḡ²) = {vec(root, True)}")
        said.q("ḡ", "gradient average", a1, "a fading average of g (torch's grad_avg)")
        said.q("√(v − ḡ²)", "spread of the gradient", root, "centered: the gradient's spread")
        shown = "√(v − ḡ²)"
    else:
        root = np.sqrt(v1)
        said.q("√v", "root of the square average", root, "what each step is divided by")
        shown = "√v"
    if mu > 0:
        b0, b1 = buffer(n, "momentum_buffer"), buffer(n, "momentum_buffer", after=True)
        said.line(
            f"b ← μ·b + g/({shown} + ε) = {term(mu)}·{vec(b0)} + {vec(g)}/"
            f"({vec(root, True)} + {num(eps)}) = {vec(b1, True)}"
        )
        said.q("b", "velocity", b1, "the running sum of scaled steps (torch's momentum_buffer)")
        step_line(said, "x ← x − lr·b", f"{vec(p, True)} − {term(lr)}·{vec(b1)}")
    else:
        step_line(
            said,
            f"x ← x − lr·g / ({shown} + ε)",
            f"{vec(p, True)} − {term(lr)}·{vec(g)} / ({vec(root, True)} + {num(eps)})",
        )
    return said


RMSPROP = Optimizer(
    id="rmsprop",
    batched=frozenset({"lr", "alpha", "eps"}),
    weight_decay="l2",
    name="RMSprop",
    hyperparameters=(
        learning_rate(1e-2),
        Hyperparameter(
            "alpha",
            "Alpha",
            0.99,
            "linear",
            "Smoothing constant: how much of the old squared-gradient average is kept.",
            0.0,
            1.0,
            "Invalid alpha value",
        ),
        epsilon(1e-8),
        WEIGHT_DECAY,
        Hyperparameter(
            "momentum",
            "Momentum",
            0.0,
            "linear",
            "Velocity kept between steps.",
            0.0,
            1.0,
            "Invalid momentum value",
        ),
        Hyperparameter(
            "centered",
            "Centered",
            False,
            "bool",
            "Normalise by the gradient's estimated variance instead of its raw second moment.",
        ),
        MAXIMIZE,
    ),
    bind=coordinatewise(_rmsprop_rule, RMSpropState),
    explain=_explain,
    lr_scales="step",
    formula="v ← α·v + (1 − α)·g²;  x ← x − lr·g / (√v + ε)   (fading memory)",
    symbols=(
        POSITION,
        GRADIENT_L2,
        ("lr", "the learning rate: roughly how far each step moves (the `lr` setting)"),
        (
            "v",
            "a running average of the squared gradients, so √v is the gradient's typical "
            "size (torch's square_avg)",
        ),
        (
            "α",
            "alpha, the smoothing constant: how much of the old average v is kept each step "
            "(the `alpha` setting)",
        ),
        EPSILON,
        BECOMES,
    ),
)
