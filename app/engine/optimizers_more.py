"""Adamax, NAdam, RAdam, Adadelta and Rprop, faithful to torch.optim 2.13; and Lion.

Same conventions as :mod:`app.engine.optimizers` (where the catalog lives): each rule
mirrors torch's single-tensor code path (``_single_tensor_<name>``) operation by operation,
and creates its buffers on first use with torch's initial values.  Where torch parts from
the textbook or the paper, a comment says so.

Lion is not in torch.optim: its rule is the reference code of the paper that introduced it
(Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Program 1; the
``lion_pytorch.py`` of google/automl), with ``maximize`` added as in torch.

Example — RAdam's first steps are plain momentum steps, until the variance estimate is
trustworthy (ρₜ > 5, from step 6 with β₂ = 0.999)::

    >>> from app.engine.backend import SCALAR
    >>> update = RADAM.rule(RADAM.validate({"lr": 0.1}))
    >>> update(SCALAR, 1, 1.0, 2.0, RADAM.empty_buffers())[0]  # 1 − lr·m̂ = 1 − 0.1·2
    0.8
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import HyperparameterError
from .optimizer_base import (
    DECOUPLED_WEIGHT_DECAY,
    MAXIMIZE,
    WEIGHT_DECAY,
    Hyperparameter,
    Optimizer,
    Update,
    betas,
    epsilon,
    learning_rate,
    lerp,
    signed_and_decayed,
)

_ADAM_BETAS_HELP = "Decay rates of the running averages of the gradient (β₁) and its square (β₂)."


# --- Adamax -----------------------------------------------------------------------------


def _adamax_rule(hp: Mapping[str, Any]) -> Update:
    lr, (beta1, beta2), eps = hp["lr"], hp["betas"], hp["eps"]
    wd, maximize = hp["weight_decay"], hp["maximize"]

    def update(xp: Any, step: int, p: Any, g: Any, bufs: tuple[Any, ...]) -> tuple[Any, tuple]:
        exp_avg, exp_inf = bufs
        p, g = signed_and_decayed(p, g, maximize, wd)
        exp_avg = lerp(0.0 if exp_avg is None else exp_avg, g, 1 - beta1)
        # The paper has u ← max(β₂·u, |g|) and no ε; torch adds ε inside the max, so u is
        # never 0 (and the step never divides by zero) unless ε is 0.
        exp_inf = xp.maximum((0.0 if exp_inf is None else exp_inf) * beta2, xp.abs(g) + eps)
        clr = lr / (1 - beta1**step)
        return p + (-clr * exp_avg) / exp_inf, (exp_avg, exp_inf)

    return update


ADAMAX = Optimizer(
    id="adamax",
    weight_decay="l2",
    name="Adamax",
    hyperparameters=(
        learning_rate(2e-3),
        betas(
            (0.9, 0.999),
            "Decay rates of the running average of the gradient (β₁) and of the running "
            "maximum of its size (β₂).",
        ),
        epsilon(1e-8),
        WEIGHT_DECAY,
        MAXIMIZE,
    ),
    buffers=("exp_avg", "exp_inf"),
    nonnegative_buffers=frozenset({"exp_inf"}),
    rule=_adamax_rule,
    formula="m ← β₁·m + (1 − β₁)·g;  u ← max(β₂·u, |g| + ε);  x ← x − lr/(1 − β₁ᵗ) · m / u",
)


# --- NAdam ------------------------------------------------------------------------------


def _nadam_rule(hp: Mapping[str, Any]) -> Update:
    lr, (beta1, beta2), eps = hp["lr"], hp["betas"], hp["eps"]
    wd, psi, maximize = hp["weight_decay"], hp["momentum_decay"], hp["maximize"]
    decoupled = hp["decoupled_weight_decay"]
    decay = 1 - lr * wd

    def update(xp: Any, step: int, p: Any, g: Any, bufs: tuple[Any, ...]) -> tuple[Any, tuple]:
        mu_product, exp_avg, exp_avg_sq = bufs
        p, g = signed_and_decayed(p, g, maximize, wd, decay if decoupled else None)
        bias_correction2 = 1 - beta2**step
        # Dozat's momentum schedule: μₜ warms up from β₁/2 toward β₁.  torch keeps the
        # running product μ₁·…·μₜ as one number per parameter; here it is a buffer per
        # coordinate, the same in every coordinate (born at 1.0, as torch's).
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        mu_product = (1.0 if mu_product is None else mu_product) * mu
        exp_avg = lerp(0.0 if exp_avg is None else exp_avg, g, 1 - beta1)
        exp_avg_sq = (0.0 if exp_avg_sq is None else exp_avg_sq) * beta2 + (1 - beta2) * g * g
        denom = xp.sqrt(exp_avg_sq / bias_correction2) + eps
        mu_product_next = mu_product * mu_next
        p = p + (-lr * (1.0 - mu) / (1.0 - mu_product) * g) / denom
        p = p + ((-lr * mu_next) / (1.0 - mu_product_next) * exp_avg) / denom
        return p, (mu_product, exp_avg, exp_avg_sq)

    return update


NADAM = Optimizer(
    id="nadam",
    # torch's default; the decoupled_weight_decay switch makes it act as AdamW's.
    weight_decay="l2",
    name="NAdam",
    hyperparameters=(
        learning_rate(2e-3),
        betas((0.9, 0.999), _ADAM_BETAS_HELP),
        epsilon(1e-8),
        WEIGHT_DECAY,
        Hyperparameter(
            "momentum_decay",
            "Momentum decay",
            4e-3,
            "log",
            "How fast the momentum factor μₜ = β₁·(1 − ½·0.96^(t·momentum_decay)) warms up "
            "from β₁/2 to β₁: larger means full momentum sooner.",
            0.0,
            1.0,
            "Invalid momentum_decay value",
        ),
        DECOUPLED_WEIGHT_DECAY,
        MAXIMIZE,
    ),
    buffers=("mu_product", "exp_avg", "exp_avg_sq"),
    nonnegative_buffers=frozenset({"mu_product", "exp_avg_sq"}),
    rule=_nadam_rule,
    formula="Adam with a Nesterov look-ahead:  x ← x − lr·((1 − μₜ)·g/(1 − Πμ) "
    "+ μₜ₊₁·m/(1 − Πμ·μₜ₊₁)) / (√(v/(1 − β₂ᵗ)) + ε)",
)


# --- RAdam ------------------------------------------------------------------------------


def _radam_rule(hp: Mapping[str, Any]) -> Update:
    lr, (beta1, beta2), eps = hp["lr"], hp["betas"], hp["eps"]
    wd, maximize, decoupled = hp["weight_decay"], hp["maximize"], hp["decoupled_weight_decay"]
    decay = 1 - lr * wd
    # The longest the average of squared gradients can remember (its "length" as t → ∞).
    rho_inf = 2 / (1 - beta2) - 1

    def update(xp: Any, step: int, p: Any, g: Any, bufs: tuple[Any, ...]) -> tuple[Any, tuple]:
        exp_avg, exp_avg_sq = bufs
        p, g = signed_and_decayed(p, g, maximize, wd, decay if decoupled else None)
        exp_avg = lerp(0.0 if exp_avg is None else exp_avg, g, 1 - beta1)
        exp_avg_sq = (0.0 if exp_avg_sq is None else exp_avg_sq) * beta2 + (1 - beta2) * g * g
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        bias_corrected_exp_avg = exp_avg / bias_correction1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        # The paper's Algorithm 2 rectifies when ρₜ > 4; torch (like the authors' code)
        # waits for ρₜ > 5.  And torch adds ε to √v before the bias correction:
        # √(1 − β₂ᵗ)/(√v + ε), not 1/(√v̂ + ε).
        if rho_t > 5.0:
            rect = (
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            ) ** 0.5
            adaptive_lr = bias_correction2**0.5 / (xp.sqrt(exp_avg_sq) + eps)
            p = p - bias_corrected_exp_avg * lr * adaptive_lr * rect
        else:
            p = p - bias_corrected_exp_avg * lr
        return p, (exp_avg, exp_avg_sq)

    return update


RADAM = Optimizer(
    id="radam",
    # torch's default; the decoupled_weight_decay switch makes it act as AdamW's.
    weight_decay="l2",
    name="RAdam",
    hyperparameters=(
        learning_rate(1e-3),
        betas((0.9, 0.999), _ADAM_BETAS_HELP),
        epsilon(1e-8),
        WEIGHT_DECAY,
        DECOUPLED_WEIGHT_DECAY,
        MAXIMIZE,
    ),
    buffers=("exp_avg", "exp_avg_sq"),
    nonnegative_buffers=frozenset({"exp_avg_sq"}),
    rule=_radam_rule,
    formula="m̂ = m/(1 − β₁ᵗ);  ρₜ = ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ);  "
    "x ← x − lr·m̂·r·√(1 − β₂ᵗ)/(√v + ε) if ρₜ > 5, else x ← x − lr·m̂",
)


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


ADADELTA = Optimizer(
    id="adadelta",
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
    buffers=("square_avg", "acc_delta"),
    nonnegative_buffers=frozenset({"square_avg", "acc_delta"}),
    rule=_adadelta_rule,
    formula="v ← ρ·v + (1 − ρ)·g²;  Δ = √(u + ε)/√(v + ε)·g;  u ← ρ·u + (1 − ρ)·Δ²;  x ← x − lr·Δ",
)


# --- Rprop ------------------------------------------------------------------------------


def _rprop_rule(hp: Mapping[str, Any]) -> Update:
    lr, (etaminus, etaplus) = hp["lr"], hp["etas"]
    (step_size_min, step_size_max), maximize = hp["step_sizes"], hp["maximize"]

    def update(xp: Any, step: int, p: Any, g: Any, bufs: tuple[Any, ...]) -> tuple[Any, tuple]:
        prev, step_size = bufs
        if maximize:
            g = -g
        if prev is None:
            prev = 0.0
        if step_size is None:
            step_size = lr  # torch fills the step sizes with lr when it creates them
        # torch takes the sign of the product (which, for tiny gradients, can underflow to
        # 0 and count as "no information").  Same sign: grow the step; a flip: shrink it.
        agree = xp.sign(g * prev)
        factor = xp.where(agree > 0, etaplus, xp.where(agree < 0, etaminus, 1.0))
        step_size = xp.minimum(xp.maximum(step_size * factor, step_size_min), step_size_max)
        # torch's Rprop has no weight backtracking (the original Rprop undoes the last step
        # after a flip): it zeroes the gradient instead, so the ball stays put this step and
        # the next step, seeing prev = 0, keeps its step size.
        g = xp.where(agree < 0, 0.0, g)
        return p - xp.sign(g) * step_size, (g, step_size)

    return update


def _rprop_cross_check(hp: Mapping[str, Any]) -> None:
    etaminus, etaplus = hp["etas"]
    if not 0.0 < etaminus < 1.0 < etaplus:
        raise HyperparameterError(
            "etas",
            f"Invalid eta values: {etaminus}, {etaplus} (need 0 < η₋ < 1 < η₊)",
        )


RPROP = Optimizer(
    id="rprop",
    name="Rprop",
    hyperparameters=(
        Hyperparameter(
            "lr",
            "Learning rate",
            1e-2,
            "log",
            "The first step's size. After that each coordinate's step size adapts on its own.",
            0.0,
            100.0,
            "Invalid learning rate",
        ),
        Hyperparameter(
            "etas",
            "Etas (η₋, η₊)",
            (0.5, 1.2),
            "linear",
            "Step-size multipliers: η₋ (below 1) when the gradient's sign flips, η₊ (above "
            "1) while it keeps its sign.",
            0.0,
            10.0,
            "Invalid eta values",
        ),
        Hyperparameter(
            "step_sizes",
            "Step sizes (min, max)",
            (1e-6, 50.0),
            "log",
            "The smallest and largest step size allowed. Only the gradient's sign is used, "
            "so the step is exactly the step size.",
            0.0,
            100.0,
            "Invalid step_sizes value",
        ),
        MAXIMIZE,
    ),
    buffers=("prev", "step_size"),
    nonnegative_buffers=frozenset({"step_size"}),
    rule=_rprop_rule,
    formula="s ← clamp(s·η₊ if g·g₋ > 0, s·η₋ if g·g₋ < 0, else s);  g ← 0 if g·g₋ < 0;  "
    "x ← x − s·sign(g)",
    cross_check=_rprop_cross_check,
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


LION = Optimizer(
    id="lion",
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
        Hyperparameter(
            "weight_decay",
            "Weight decay",
            0.0,
            "log",
            "Decoupled weight decay: each step first shrinks x by the factor "
            "(1 − lr·weight_decay), pulling it toward 0.",
            0.0,
            10.0,
            "Invalid weight_decay value",
        ),
        Hyperparameter(
            "maximize",
            "Maximize",
            False,
            "bool",
            "Climb instead of descend. (Not in Lion's reference code; added here as torch's "
            "optimizers have it.)",
        ),
    ),
    buffers=("exp_avg",),
    rule=_lion_rule,
    formula="x ← x·(1 − lr·λ);  x ← x − lr·sign(β₁·m + (1 − β₁)·g);  m ← β₂·m + (1 − β₂)·g",
)
