"""SGD: gradient descent, with momentum and Nesterov's look-ahead, as torch.optim.SGD.

    b ← μ·b + (1 − τ)·g   (the first step: b = g, undampened);   x ← x − lr·b
    Nesterov: x ← x − lr·(g + μ·b)

(μ: ``momentum``, τ: ``dampening``.)  torch departs from the textbook heavy ball in that
the first momentum step copies the gradient undampened.

Example — three steps of gradient descent, and of momentum (which gathers speed), on
f(x) = x² from x = 1::

    >>> from app.engine.optimizers.interface import descend
    >>> descend(SGD, {"lr": 0.1}, (1.0,), 3, grad=lambda x: (2 * x[0],))
    (0.512,)
    >>> round(descend(SGD, {"lr": 0.1, "momentum": 0.9}, (1.0,), 3, lambda x: (2 * x[0],))[0], 6)
    0.062
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import HyperparameterError
from ..hyperparameters import Hyperparameter
from .explaining import Said, StepNumbers, buffer, prelude, step_line, term, vec
from .interface import CoordinateState, Optimizer, Preset, Symbols, Update, coordinatewise
from .shared import (
    BECOMES,
    GRADIENT,
    GRADIENT_L2,
    MAXIMIZE,
    POSITION,
    WEIGHT_DECAY,
    learning_rate,
    signed_and_decayed,
)

# --- SGD (gradient descent, momentum, Nesterov) ----------------------------------------------


def _sgd_rule(hp: Mapping[str, Any]) -> Update:
    lr, momentum, dampening = hp["lr"], hp["momentum"], hp["dampening"]
    wd, nesterov, maximize = hp["weight_decay"], hp["nesterov"], hp["maximize"]

    def update(xp: Any, step: int, p: Any, g: Any, bufs: tuple[Any, ...]) -> tuple[Any, tuple]:
        (buf,) = bufs
        p, g = signed_and_decayed(p, g, maximize, wd)
        if momentum != 0:
            # torch: the first momentum step copies the gradient, undampened.
            buf = g if buf is None else buf * momentum + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        return p + -lr * g, (buf,)

    return update


def _sgd_cross_check(hp: Mapping[str, Any]) -> None:
    if hp["nesterov"] and (hp["momentum"] <= 0 or hp["dampening"] != 0):
        raise HyperparameterError(
            "nesterov", "Nesterov momentum requires a momentum and zero dampening"
        )


def _stability_limit(hp: Mapping[str, Any], sharpness: float) -> tuple[float, str] | None:
    """The largest rate that still settles at a minimum of this sharpness (the linear
    analysis): gradient descent multiplies the error along the stiffest direction by
    1 − lr·λ, so it shrinks only while lr < 2/λ; heavy-ball momentum μ (dampening τ)
    stretches that to 2(1 + μ)/((1 − τ)·λ), Nesterov's to 2(1 + μ)/((1 + 2μ)·λ).  L2 weight
    decay adds its λ to the curvature.  Ascent has no minimum to settle in.

        >>> _stability_limit(SGD.validate({"momentum": 0.9, "nesterov": True}), 1.0)
        (1.3571428571428572, 'nesterov')
    """
    if hp.get("maximize"):
        return None
    curvature = sharpness + hp["weight_decay"]  # L2 decay curves the landscape by λ more
    if not curvature > 0:
        return None
    mu, dampening = hp["momentum"], hp["dampening"]
    if mu == 0:
        return 2 / curvature, "descent"
    if hp["nesterov"]:
        return 2 * (1 + mu) / ((1 + 2 * mu) * curvature), "nesterov"
    return 2 * (1 + mu) / ((1 - dampening) * curvature), "heavy_ball"


class SGDState(CoordinateState):
    """torch's SGD state for one coordinate: the velocity (created on the first step with
    momentum)."""

    __slots__ = ()
    keys = ("momentum_buffer",)


# Every symbol of the formula, by symbol; the rule in effect lists only those it uses.
_SYMBOLS = {
    "x": POSITION,
    "g": GRADIENT_L2,
    "lr": ("lr", "the learning rate: how far each step moves per unit of slope (the `lr` setting)"),
    "b": ("b", "the velocity: a running sum of past gradients (torch's momentum_buffer)"),
    "b₁": ("b₁", "the velocity after the first step: torch starts it at g itself, undampened"),
    "μ": (
        "μ",
        "momentum: the fraction of the old velocity kept each step (the `momentum` "
        "setting; 0 is plain gradient descent)",
    ),
    "τ": (
        "τ",
        "dampening: the share of each new gradient left out of the velocity (the "
        "`dampening` setting)",
    ),
    "←": BECOMES,
}


def _rule_in_effect(hp: Mapping[str, Any]) -> tuple[str, Symbols]:
    """The part of SGD's formula these settings use, and only its symbols: plain gradient
    descent has no velocity, and a dampening of 0 leaves τ out.

        >>> _rule_in_effect(SGD.validate({"lr": 0.1}))[0]
        'x ← x − lr·g'
        >>> _rule_in_effect(SGD.validate({"momentum": 0.9, "nesterov": True}))[0]
        'b ← μ·b + g  (b₁ = g);  x ← x − lr·(g + μ·b)'
    """
    g = _SYMBOLS["g"] if hp["weight_decay"] else GRADIENT
    if hp["momentum"] == 0:
        return "x ← x − lr·g", (POSITION, g, _SYMBOLS["lr"], BECOMES)
    damped = hp["dampening"] != 0
    velocity = f"b ← μ·b + {'(1 − τ)·' if damped else ''}g  (b₁ = g)"
    step = "x ← x − lr·(g + μ·b)" if hp["nesterov"] else "x ← x − lr·b"
    names = ("lr", "b", "b₁", "μ", *(("τ",) if damped else ()), "←")
    return f"{velocity};  {step}", (POSITION, g, *(_SYMBOLS[name] for name in names))


def _explain(n: StepNumbers) -> Said:
    """One SGD step for the Update rule panel: the velocity b, then the step."""
    said, p, g = prelude(n, "l2")
    said.rule(*_rule_in_effect(n.hp))
    lr, mu, tau = n.hp["lr"], n.hp["momentum"], n.hp["dampening"]
    if mu == 0:
        step_line(said, "x ← x − lr·g", f"{vec(p, True)} − {term(lr)}·{vec(g)}")
        return said
    b0, b1 = n.before["momentum_buffer"], buffer(n, "momentum_buffer", after=True)
    if b0 is None:
        said.line(f"b₁ = g = {vec(b1, True)}   (the first step: undampened)")
    else:
        damped = f"(1 − τ)·g = {term(mu)}·{vec(b0)} + {term(1 - tau)}·" if tau else ""
        said.line(f"b ← μ·b + {damped or f'g = {term(mu)}·{vec(b0)} + '}{vec(g)} = {vec(b1, True)}")
    said.q("b", "velocity", b1, "the running sum of past gradients (torch's momentum_buffer)")
    if n.hp["nesterov"]:
        step_line(
            said,
            "x ← x − lr·(g + μ·b)",
            f"{vec(p, True)} − {term(lr)}·({vec(g, True)} + {term(mu)}·{vec(b1)})",
        )
    else:
        step_line(said, "x ← x − lr·b", f"{vec(p, True)} − {term(lr)}·{vec(b1)}")
    return said


SGD = Optimizer(
    id="sgd",
    batched=frozenset({"lr", "dampening"}),
    group="classic",
    weight_decay="l2",
    name="SGD",
    hyperparameters=(
        learning_rate(1e-3),
        Hyperparameter(
            "momentum",
            "Momentum",
            0.0,
            "linear",
            "Fraction of the previous velocity kept each step (0 = plain gradient descent).",
            0.0,
            1.0,
            "Invalid momentum value",
        ),
        Hyperparameter(
            "dampening",
            "Dampening",
            0.0,
            "linear",
            "Scales down the new gradient added to the velocity b: b ← μ·b + (1 − τ)·g, with "
            "τ the dampening and μ the momentum.",
            0.0,
            1.0,
            "Invalid dampening value",
        ),
        WEIGHT_DECAY,
        Hyperparameter(
            "nesterov",
            "Nesterov",
            False,
            "bool",
            "Look ahead: step with g + μ·b instead of the velocity b (needs momentum, no "
            "dampening).",
        ),
        MAXIMIZE,
    ),
    bind=coordinatewise(_sgd_rule, SGDState),
    explain=_explain,
    lr_scales="gradient",
    stability_limit=_stability_limit,
    formula="b ← μ·b + (1 − τ)·g  (b₁ = g);  x ← x − lr·b   (Nesterov: x ← x − lr·(g + μ·b))",
    symbols=tuple(_SYMBOLS.values()),
    presets=(
        Preset("gd", "Gradient descent", {"momentum": 0.0, "nesterov": False}),
        Preset("momentum", "Momentum", {"momentum": 0.9, "nesterov": False}),
        Preset("nesterov", "Nesterov", {"momentum": 0.9, "nesterov": True, "dampening": 0.0}),
    ),
    cross_check=_sgd_cross_check,
)
