"""Adadelta, as torch.optim.Adadelta: the step size comes from the running average of past
squared steps over that of squared gradients, so the units of x come out right.

    v ← ρ·v + (1 − ρ)·g²;   Δ = √(u + ε)/√(v + ε)·g;   u ← ρ·u + (1 − ρ)·Δ²;   x ← x − lr·Δ

Example — the first steps are tiny, about √ε (ε = 1e-6 by default)::

    >>> from app.engine.optimizers.interface import descend
    >>> round(descend(ADADELTA, {}, (1.0,), 1, lambda x: (2 * x[0],))[0], 6)
    0.996838
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..hyperparameters import Hyperparameter
from .explaining import Said, StepNumbers, buffer, prelude, step_line, term, vec
from .interface import CoordinateState, Optimizer, Update, coordinatewise
from .shared import BECOMES, GRADIENT_L2, MAXIMIZE, POSITION, WEIGHT_DECAY, signed_and_decayed

# --- Adadelta ---------------------------------------------------------------------------


def _adadelta_rule(hp: Mapping[str, Any]) -> Update:
    lr, rho, eps = hp["lr"], hp["rho"], hp["eps"]
    wd, maximize = hp["weight_decay"], hp["maximize"]

    def update(xp: Any, step: int, p: Any, g: Any, bufs: tuple[Any, ...]) -> tuple[Any, tuple]:
        square_avg, acc_delta = bufs
        p, g = signed_and_decayed(p, g, maximize, wd)
        square_avg = (0.0 if square_avg is None else square_avg) * rho + (1 - rho) * g * g
        acc_delta = 0.0 if acc_delta is None else acc_delta
        std = xp.sqrt(square_avg + eps)
        delta = xp.sqrt(acc_delta + eps) / std * g
        acc_delta = acc_delta * rho + (1 - rho) * delta * delta
        # Zeiler's Adadelta has no learning rate; torch scales the step by lr (1.0 by
        # default, which is the paper's rule).
        return p + -lr * delta, (square_avg, acc_delta)

    return update


class AdadeltaState(CoordinateState):
    """torch's Adadelta state for one coordinate: the running averages of squared
    gradients and of squared steps."""

    __slots__ = ()
    keys = ("square_avg", "acc_delta")
    nonnegative = frozenset({"square_avg", "acc_delta"})


def _explain(n: StepNumbers) -> Said:
    """One Adadelta step for the Update rule panel: v, the update Δ, its average u."""
    said, p, g = prelude(n, "l2")
    lr, rho, eps = n.hp["lr"], n.hp["rho"], n.hp["eps"]
    v0, v1 = buffer(n, "square_avg"), buffer(n, "square_avg", after=True)
    u0, u1 = buffer(n, "acc_delta"), buffer(n, "acc_delta", after=True)
    said.line(
        f"v ← ρ·v + (1 − ρ)·g² = {term(rho)}·{vec(v0)} + {term(1 - rho)}·{vec(g)}² "
        f"= {vec(v1, True)}"
    )
    delta = np.sqrt(u0 + eps) / np.sqrt(v1 + eps) * g
    said.line(
        f"Δ = √(u + ε)/√(v + ε)·g = {vec(np.sqrt(u0 + eps))}/{vec(np.sqrt(v1 + eps))}·"
        f"{vec(g)} = {vec(delta, True)}"
    )
    said.line(
        f"u ← ρ·u + (1 − ρ)·Δ² = {term(rho)}·{vec(u0)} + {term(1 - rho)}·{vec(delta)}² "
        f"= {vec(u1, True)}"
    )
    said.q("v", "square average", v1, "a fading average of g² (torch's square_avg)")
    said.q("Δ", "update", delta, "the step before lr: g scaled by √(u + ε)/√(v + ε)")
    said.q("u", "update average", u1, "a fading average of Δ² (torch's acc_delta)")
    step_line(said, "x ← x − lr·Δ", f"{vec(p, True)} − {term(lr)}·{vec(delta)}")
    return said


ADADELTA = Optimizer(
    id="adadelta",
    batched=frozenset({"lr", "rho", "eps"}),
    weight_decay="l2",
    name="Adadelta",
    hyperparameters=(
        Hyperparameter(
            "lr",
            "Learning rate",
            1.0,
            "log",
            "Scales the step. Adadelta sets its own step size from past steps, so the "
            "default 1.0 is the original method.",
            0.0,
            100.0,
            "Invalid learning rate",
        ),
        Hyperparameter(
            "rho",
            "Rho",
            0.9,
            "linear",
            "How much of the old averages (of squared gradients and squared steps) is kept "
            "each step.",
            0.0,
            1.0,
            "Invalid rho value",
        ),
        Hyperparameter(
            "eps",
            "Epsilon",
            1e-6,
            "log",
            "Added inside both square roots; it also sets the size of the very first steps, "
            "about √ε·g/|g|.",
            0.0,
            1.0,
            "Invalid epsilon value",
        ),
        WEIGHT_DECAY,
        MAXIMIZE,
    ),
    bind=coordinatewise(_adadelta_rule, AdadeltaState),
    explain=_explain,
    lr_scales="own",
    formula="v ← ρ·v + (1 − ρ)·g²;  Δ = √(u + ε)/√(v + ε)·g;  u ← ρ·u + (1 − ρ)·Δ²;  x ← x − lr·Δ",
    symbols=(
        POSITION,
        GRADIENT_L2,
        ("lr", "the learning rate: a multiplier on Adadelta's own step Δ (the `lr` setting)"),
        ("v", "a running average of the squared gradients (torch's square_avg)"),
        ("u", "a running average of the squared steps Δ² (torch's acc_delta)"),
        (
            "Δ",
            "delta: the step before lr scales it, g times the ratio of the two averages' "
            "roots, so it comes out in the units of x",
        ),
        ("ρ", "rho: how much of each old average is kept each step (the `rho` setting)"),
        (
            "ε",
            "epsilon: a tiny number added inside both roots; it also sets the size of the very "
            "first steps, about √ε (the `eps` setting)",
        ),
        BECOMES,
    ),
)
