"""Schedule-Free AdamW (Defazio et al. 2024, "The Road Less Scheduled"), which torch does
not have: the rule of the ``schedulefree`` package's ``AdamWScheduleFree`` (1.4), operation
by operation, in train mode.

The method keeps three sequences: z takes plain Adam-normalised steps, a weighted average
of the z's is the point the package evaluates (in eval mode), and the gradient is taken
between the two.  The paper and the package call the gradient's point y and the average x;
here, as everywhere in the product, the ball is x — the parameter a training loop sees,
where the gradient is taken — and the average is x̄.  The package stores the ball and z,
never x̄::

    v ← β₂·v + (1 − β₂)·g²;   ĝ = g / (√(v/(1 − β₂ᵗ)) + ε) + λ·x
    c = wₜ / Σ w;   x ← lerp(x, z, c) + lr·(β₁·(1 − c) − 1)·ĝ;   z ← z − lr·ĝ
    x̄ = lerp(x, z, 1 − 1/β₁)   (the average, from x = (1 − β₁)·z + β₁·x̄)

with wₜ = tʳ · lr_maxᵖ (p = ``weight_lr_power``) and lr warmed up linearly over
``warmup_steps``.  The runner records x̄ each step in the trace's ``averages``
(:func:`average`).

The package keeps k, lr_max and weight_sum per parameter group; they depend only on the
step number and the learning rates so far, so each coordinate carries its own copy (the
same arithmetic on the same numbers): the rule stays coordinate-wise, a crowd of balls is
one numpy call and the network page runs it as a crowd of P scalars.  k is the step
number t − 1.  The package checks none of its arguments and has no ``maximize``: the
checks here are torch's wording, and ``maximize`` is the product's, as for Lion.

The first step is a normalised gradient step of length lr (c = 1)::

    >>> from app.engine.optimizers.interface import descend
    >>> round(descend(SCHEDULEFREE_ADAMW, {"lr": 0.1}, (1.0,), 1, lambda x: (2 * x[0],))[0], 9)
    0.9
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..backend import Vector
from ..hyperparameters import Hyperparameter
from .explaining import Said, StepNumbers, buffer, num, prelude, step_line, term, vec
from .interface import CoordinateState, Optimizer, Update, coordinatewise
from .shared import (
    BECOMES,
    BETA2,
    BETA2_T,
    EPSILON,
    GRADIENT,
    MAXIMIZE,
    SQUARE_AVERAGE,
    betas,
    epsilon,
    learning_rate,
)


def _lerp(xp: Any, a: Any, b: Any, w: Any) -> Any:
    """torch.lerp's CPU formula (see shared.lerp) for a weight that may be an array."""
    if isinstance(w, float | int):
        return a + w * (b - a) if abs(w) < 0.5 else b - (b - a) * (1.0 - w)
    return xp.where(xp.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1.0 - w))


def _ratio(xp: Any, weight: Any, weight_sum: Any) -> Any:
    """weight / weight_sum, 0 where the sum is 0 (the package's ZeroDivisionError)."""
    if isinstance(weight_sum, float):
        return weight / weight_sum if weight_sum != 0 else 0.0
    safe = xp.where(weight_sum == 0, 1.0, weight_sum)
    return xp.where(weight_sum == 0, 0.0, weight / safe)


def _rule(hp: Mapping[str, Any]) -> Update:
    lr0, (beta1, beta2), eps = hp["lr"], hp["betas"], hp["eps"]
    decay, maximize, warmup = hp["weight_decay"], hp["maximize"], hp["warmup_steps"]
    r, power = hp["r"], hp["weight_lr_power"]

    def update(xp: Any, step: int, y: Any, g: Any, bufs: tuple[Any, ...]) -> tuple[Any, tuple]:
        z, exp_avg_sq, lr_max, weight_sum = bufs
        if maximize:  # not in the package: the product's extension, as torch does it
            g = -g
        k = step - 1  # the package's group["k"]: steps taken before this one
        sched = (k + 1) / warmup if k < warmup else 1.0
        bias_correction2 = 1 - beta2 ** (k + 1)
        lr = lr0 * sched
        # max(lr, lr_max): Python's max keeps its first argument on a tie
        lr_max = lr if lr_max is None else xp.maximum(lr, lr_max)
        weight = ((k + 1) ** r) * (lr_max**power)
        weight_sum = (0.0 if weight_sum is None else weight_sum) + weight
        ckp1 = _ratio(xp, weight, weight_sum)
        if z is None:  # created at the first step: z = a copy of the parameter, v = 0
            z, exp_avg_sq = y, 0.0
        exp_avg_sq = exp_avg_sq * beta2 + ((1 - beta2) * g) * g
        denom = xp.sqrt(exp_avg_sq / bias_correction2) + eps
        normalized = g / denom
        if decay != 0:  # weight decay at y, added to the normalised gradient
            normalized = normalized + decay * y
        y = _lerp(xp, y, z, ckp1)
        y = y + (lr * (beta1 * (1 - ckp1) - 1)) * normalized
        z = z - lr * normalized
        return y, (z, exp_avg_sq, lr_max, weight_sum)

    return update


class ScheduleFreeState(CoordinateState):
    """Schedule-Free AdamW's state for one coordinate: the package's z and exp_avg_sq, and
    its group's lr_max and weight_sum (a copy per coordinate)."""

    __slots__ = ()
    keys = ("z", "exp_avg_sq", "lr_max", "weight_sum")
    nonnegative = frozenset({"exp_avg_sq", "weight_sum"})


def average(state: Any, position: Vector, hp: Mapping[str, Any]) -> Vector | None:
    """The averaged point x̄ the package evaluates (its ``eval()``: p.lerp_(z, 1 − 1/β₁) on
    the ball p), for the trace's ``averages``; the ball itself before the first step (no z
    yet), None with β₁ = 0, where the ball is z and x̄ cannot be read back from them."""
    beta1 = hp["betas"][0]
    if isinstance(beta1, float) and beta1 == 0:
        return None
    z = state.buffer("z")
    if z is None:
        return tuple(position)
    w = 1 - 1 / beta1  # a float (β₁ is one value for a whole crowd): either backend
    return tuple(_lerp(np, y, zi, w) for y, zi in zip(position, z, strict=True))


def _explain(n: StepNumbers) -> Said:
    """One Schedule-Free step for the Update rule panel: the normalised gradient, the
    averaging weight c, then the ball and z."""
    said, y, g = prelude(n, None)
    hp = n.hp
    b1, b2 = hp["betas"]
    eps, decay, warmup = hp["eps"], hp["weight_decay"], hp["warmup_steps"]
    k = n.t - 1
    sched = (k + 1) / warmup if k < warmup else 1.0
    lr = hp["lr"] * sched
    z0 = n.before["z"] if n.before["z"] is not None else y
    v1, z1 = buffer(n, "exp_avg_sq", after=True), buffer(n, "z", after=True)
    lr_max, wsum = buffer(n, "lr_max", after=True)[0], buffer(n, "weight_sum", after=True)[0]
    weight = ((k + 1) ** hp["r"]) * (lr_max ** hp["weight_lr_power"])
    c = weight / wsum if wsum != 0 else 0.0
    bc2 = 1 - b2 ** (k + 1)
    if warmup and k < warmup:
        said.line(f"lr = {term(hp['lr'])}·{k + 1}/{warmup} = {num(lr)}   (warmup)")
    said.line(f"v ← β₂·v + (1 − β₂)·g² = {vec(v1, True)}")
    said.q("v", "squared-gradient average", v1, "a running average of g² (exp_avg_sq)")
    ghat = g / (np.sqrt(v1 / bc2) + eps)
    if decay:
        ghat = ghat + decay * y
    said.line(
        f"ĝ = g/(√(v/(1 − β₂ᵗ)) + ε){' + λ·x' if decay else ''} = {vec(ghat, True)}"
        f"   (1 − β₂ᵗ = {num(bc2)})"
    )
    said.q("ĝ", "normalised gradient", ghat, "the gradient divided by its typical size")
    said.line(f"c = wₜ/Σw = {num(weight)}/{num(wsum)} = {num(c)}")
    said.q("c", "averaging weight", c, "the share of z in the new average x (1/t for r = 0)")
    step_line(
        said,
        "x ← lerp(x, z, c) + lr·(β₁·(1 − c) − 1)·ĝ",
        f"lerp({vec(y)}, {vec(z0)}, {term(c)}) + {term(lr * (b1 * (1 - c) - 1))}·{vec(ghat)}",
    )
    said.line(f"z ← z − lr·ĝ = {vec(z0, True)} − {term(lr)}·{vec(ghat)} = {vec(z1, True)}")
    said.q("z", "base sequence", z1, "the point that takes plain Adam steps (the package's z)")
    if b1 != 0:
        xbar = z1 + (n.x1 - z1) / b1
        said.line(f"x̄ = (x − (1 − β₁)·z)/β₁ = {vec(xbar, True)}   (the average, evaluated)")
        said.q("x̄", "averaged point", xbar, "the weighted average of the z's: the eval point")
    return said


SCHEDULEFREE_ADAMW = Optimizer(
    id="schedulefree_adamw",
    name="Schedule-Free AdamW",
    batched=frozenset({"lr", "betas.1", "eps"}),
    weight_decay="decoupled",
    lr_scales="step",
    hyperparameters=(
        learning_rate(0.0025),
        betas(
            (0.9, 0.999),
            "β₁ sets where the gradient is taken, between the average x̄ and z (x = (1 − β₁)·z "
            "+ β₁·x̄); β₂ is the decay of the squared-gradient average, as in Adam.",
        ),
        epsilon(1e-8),
        Hyperparameter(
            "weight_decay",
            "Weight decay",
            0.0,
            "log",
            "Added as weight_decay·x to the normalised gradient, so it is not scaled by Adam's "
            "denominator (decoupled, as in AdamW).",
            0.0,
            10.0,
            "Invalid weight_decay value",
        ),
        Hyperparameter(
            "warmup_steps",
            "Warmup steps",
            0,
            "linear",
            "Raise the learning rate linearly from lr/warmup_steps to lr over this many steps "
            "(0: no warmup). The only schedule the method needs.",
            0.0,
            100000.0,
            "Invalid warmup_steps value",
            integer=True,
        ),
        Hyperparameter(
            "r",
            "Average weighting power r",
            0.0,
            "linear",
            "Weight step t's point in the average by tʳ: 0 is a plain average of the z's, "
            "larger values favour recent ones.",
            0.0,
            10.0,
            "Invalid r value",
        ),
        Hyperparameter(
            "weight_lr_power",
            "Weight lr power",
            2.0,
            "linear",
            "Weight each point in the average by lr_maxᵖ (the largest lr so far): during "
            "warmup, early points with small lr count less. 0: no weighting.",
            0.0,
            10.0,
            "Invalid weight_lr_power value",
        ),
        MAXIMIZE,
    ),
    bind=coordinatewise(_rule, ScheduleFreeState),
    explain=_explain,
    average=average,
    formula=(
        "v ← β₂·v + (1 − β₂)·g²;  ĝ = g/(√(v/(1 − β₂ᵗ)) + ε) + λ·x;  "
        "x ← lerp(x, z, c) + lr·(β₁·(1 − c) − 1)·ĝ;  z ← z − lr·ĝ;  x̄ = lerp(x, z, 1 − 1/β₁)"
    ),
    symbols=(
        (
            "x",
            "the ball's position: where the gradient is taken, between z and the average x̄ "
            "(the paper's y)",
        ),
        ("z", "the base sequence: a point that takes plain normalised (Adam) steps"),
        (
            "x̄",
            "the averaged point: a weighted average of the z's, the point Schedule-Free "
            "returns for evaluation (the paper's x)",
        ),
        GRADIENT,
        ("ĝ", "the normalised gradient: g divided by its typical size √v, plus λ·x"),
        SQUARE_AVERAGE,
        (
            "lr",
            "the learning rate: roughly how far z moves per step (the `lr` setting, raised "
            "linearly over `warmup_steps`)",
        ),
        BETA2,
        BETA2_T,
        (
            "β₁",
            "where the ball sits between z and x̄: x = (1 − β₁)·z + β₁·x̄ (the first of the `betas`)",
        ),
        EPSILON,
        ("λ", "weight decay: λ·x is added to ĝ, pulling the ball toward 0 (`weight_decay`)"),
        (
            "c",
            "the averaging weight wₜ/Σw: this step's share of the average (1/t with the "
            "defaults after warmup; wₜ = tʳ·lr_max^`weight_lr_power`)",
        ),
        ("lerp", "lerp(a, b, w) = a + w·(b − a): the point a fraction w of the way from a to b"),
        BECOMES,
    ),
)
