"""The Adam family, faithful to torch.optim 2.13: Adam, AdamW, Adamax, NAdam and RAdam.

    m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²
    x ← x − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)

Each rule mirrors torch's single-tensor code path (``_single_tensor_<name>``) operation by
operation and creates its buffers on first use with torch's initial values: ``lerp``
switches formula at weight 0.5, ``addcdiv(t1, t2, value=v)`` is ``a + (v*t1)/t2``.  Where
torch parts from the paper, a comment says so.

Example — three steps of torch-default Adam on f(x) = x², from x = 1; and RAdam's first
steps, plain momentum steps until the variance estimate is trustworthy (ρₜ > 5, from step
6 with β₂ = 0.999)::

    >>> from app.engine.optimizers.interface import descend
    >>> round(descend(ADAM, {"lr": 0.1}, (1.0,), 3, lambda x: (2 * x[0],))[0], 6)
    0.701586
    >>> descend(RADAM, {"lr": 0.1}, (1.0,), 1, lambda x: (2 * x[0],))  # 1 − lr·m̂ = 1 − 0.1·2
    (0.8,)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..hyperparameters import Hyperparameter
from .explaining import Said, StepNumbers, buffer, num, prelude, step_line, term, vec
from .interface import CoordinateState, Optimizer, Update, coordinatewise
from .shared import (
    BECOMES,
    BETA1,
    BETA1_T,
    BETA2,
    BETA2_T,
    DECOUPLED_WEIGHT_DECAY,
    EPSILON,
    GRADIENT,
    GRADIENT_L2,
    GRADIENT_L2_OR_DECOUPLED,
    MAXIMIZE,
    MOMENTUM_AVERAGE,
    POSITION,
    SQUARE_AVERAGE,
    STEP_LENGTH,
    WEIGHT_DECAY,
    betas,
    decoupled_decay,
    epsilon,
    learning_rate,
    lerp,
    signed_and_decayed,
)

_ADAM_BETAS_HELP = "Decay rates of the running averages of the gradient (β₁) and its square (β₂)."


# --- Adam and AdamW ------------------------------------------------------------------------


def _adam_rule(hp: Mapping[str, Any], decoupled: bool = False) -> Update:
    lr, (beta1, beta2), eps = hp["lr"], hp["betas"], hp["eps"]
    wd, amsgrad, maximize = hp["weight_decay"], hp["amsgrad"], hp["maximize"]
    decay = 1 - lr * wd  # AdamW's factor, computed once as torch does (a Python float)
    signed = maximize or wd != 0  # (else signed_and_decayed leaves p and g as they are)
    w = 1 - beta1
    near = abs(w) < 0.5  # lerp's form for this weight, chosen once

    def update(xp: Any, step: int, p: Any, g: Any, bufs: tuple[Any, ...]) -> tuple[Any, tuple]:
        exp_avg, exp_avg_sq, max_exp_avg_sq = bufs
        if signed:
            p, g = signed_and_decayed(p, g, maximize, wd, decay if decoupled else None)
        m = 0.0 if exp_avg is None else exp_avg
        exp_avg = m + w * (g - m) if near else g - (g - m) * (1.0 - w)  # lerp(m, g, w)
        exp_avg_sq = (0.0 if exp_avg_sq is None else exp_avg_sq) * beta2 + (1 - beta2) * g * g
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        if amsgrad:
            # torch creates max_exp_avg_sq as zeros; max(0, v) = v since v >= 0.
            seen = exp_avg_sq if max_exp_avg_sq is None else max_exp_avg_sq
            max_exp_avg_sq = xp.maximum(seen, exp_avg_sq)
            denom = xp.sqrt(max_exp_avg_sq) / bias_correction2_sqrt + eps
        else:
            denom = xp.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
        return p + (-step_size * exp_avg) / denom, (exp_avg, exp_avg_sq, max_exp_avg_sq)

    return update


def _adamw_rule(hp: Mapping[str, Any]) -> Update:
    # torch 2.13's AdamW is Adam(decoupled_weight_decay=True).  Unlike the AdamW paper,
    # where the decay is η_t·λ·x with η_t a schedule multiplier, torch ties it to the
    # learning rate: x ← x·(1 − lr·λ), applied before the Adam step.
    return _adam_rule(hp, decoupled=True)


_AMSGRAD = Hyperparameter(
    "amsgrad",
    "AMSGrad",
    False,
    "bool",
    "Use the largest squared-gradient average seen so far, so steps never grow back.",
)
_ADAM_BETAS = betas((0.9, 0.999), _ADAM_BETAS_HELP)
# m and v where the formula does not show their updates (NAdam, RAdam).
_ADAM_M = (
    "m",
    "the momentum: a running average of the gradients, m ← β₁·m + (1 − β₁)·g as in Adam "
    "(torch's exp_avg; β₁ is the first of the `betas`)",
)
_ADAM_V = (
    "v",
    "a running average of the squared gradients, v ← β₂·v + (1 − β₂)·g² as in Adam "
    "(torch's exp_avg_sq; β₂ is the second of the `betas`)",
)
# What Adam's formula names, but the gradient g (whose weight decay differs).
_ADAM_SYMBOLS = (
    STEP_LENGTH,
    MOMENTUM_AVERAGE,
    SQUARE_AVERAGE,
    BETA1,
    BETA2,
    BETA1_T,
    BETA2_T,
    EPSILON,
    BECOMES,
)


class AdamState(CoordinateState):
    """torch's Adam (and AdamW) state for one coordinate: the running averages of the
    gradient and its square, and (AMSGrad) the largest of the latter."""

    __slots__ = ()
    keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    nonnegative = frozenset({"exp_avg_sq", "max_exp_avg_sq"})


def _first_moment(n: StepNumbers, said: Said, g: np.ndarray) -> np.ndarray:
    """The running average m of g (Adam's and Adamax's), after the step; its line is said
    before the second moment's, its quantity first."""
    b1 = n.hp["betas"][0]
    m0, m1 = buffer(n, "exp_avg"), buffer(n, "exp_avg", after=True)
    said.line(
        f"m ← β₁·m + (1 − β₁)·g = {term(b1)}·{vec(m0)} + {term(1 - b1)}·{vec(g)} = {vec(m1, True)}"
    )
    return m1


def _say_first_moment(said: Said, m1: np.ndarray) -> None:
    said.q("m", "first moment", m1, "the momentum: a running average of g (torch's exp_avg)")


def _moments(n: StepNumbers, said: Said, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Adam's two running averages m and v, before and after the step."""
    b2 = n.hp["betas"][1]
    m1 = _first_moment(n, said, g)
    v0, v1 = buffer(n, "exp_avg_sq"), buffer(n, "exp_avg_sq", after=True)
    said.line(
        f"v ← β₂·v + (1 − β₂)·g² = {term(b2)}·{vec(v0)} + {term(1 - b2)}·{vec(g)}² "
        f"= {vec(v1, True)}"
    )
    _say_first_moment(said, m1)
    said.q("v", "second moment", v1, "a running average of g² (torch's exp_avg_sq)")
    return m1, v1


def _correction(said: Said, which: str, beta: float, t: int) -> float:
    """A bias correction 1 − βᵗ, named and written out."""
    value = 1 - beta**t
    said.line(f"1 − β{which}ᵗ = 1 − {term(beta)}^{t} = {num(value)}")
    said.q(
        f"1 − β{which}ᵗ",
        f"bias correction {which}",
        value,
        f"how far the running average still leans toward its start at 0 (β{which} to the "
        "power of the step number t)",
    )
    return value


def _explain_adam(n: StepNumbers, decoupled: bool = False) -> Said:
    """Adam's step (AdamW's with ``decoupled``): m, v, their bias corrections, m̂ and v̂."""
    said, p, g = prelude(n, "decoupled" if decoupled else "l2")
    lr, eps = n.hp["lr"], n.hp["eps"]
    b1, b2 = n.hp["betas"]
    m1, v1 = _moments(n, said, g)
    if n.hp["amsgrad"]:
        vmax = buffer(n, "max_exp_avg_sq", after=True)
        said.line(f"vₘₐₓ ← max(vₘₐₓ, v) = {vec(vmax, True)}   (AMSGrad)")
        said.q("vₘₐₓ", "largest second moment", vmax, "AMSGrad: the largest v so far")
        v1, vname = vmax, "vₘₐₓ"
    else:
        vname = "v"
    bc1, bc2 = _correction(said, "₁", b1, n.t), _correction(said, "₂", b2, n.t)
    mhat, vhat = m1 / bc1, v1 / bc2
    said.line(f"m̂ = m/(1 − β₁ᵗ) = {vec(m1)}/{num(bc1)} = {vec(mhat, True)}")
    said.line(f"v̂ = {vname}/(1 − β₂ᵗ) = {vec(v1)}/{num(bc2)} = {vec(vhat, True)}")
    said.q("m̂", "m-hat", mhat, "the momentum with its start at 0 made up for")
    said.q("v̂", "v-hat", vhat, "the average of g² with its start at 0 made up for")
    step_line(
        said,
        "x ← x − lr·m̂ / (√v̂ + ε)",
        f"{vec(p, True)} − {term(lr)}·{vec(mhat)} / ({vec(np.sqrt(vhat), True)} + {num(eps)})",
    )
    return said


def _explain_adamw(n: StepNumbers) -> Said:
    """AdamW's step: Adam's, after the decoupled decay x·(1 − lr·λ)."""
    return _explain_adam(n, decoupled=True)


ADAM = Optimizer(
    id="adam",
    batched=frozenset({"lr", "betas.1", "eps"}),
    weight_decay="l2",
    name="Adam",
    hyperparameters=(
        learning_rate(1e-3),
        _ADAM_BETAS,
        epsilon(1e-8),
        WEIGHT_DECAY,
        _AMSGRAD,
        MAXIMIZE,
    ),
    bind=coordinatewise(_adam_rule, AdamState),
    explain=_explain_adam,
    lr_scales="step",
    formula="m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  "
    "x ← x − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)",
    symbols=(POSITION, GRADIENT_L2, *_ADAM_SYMBOLS),
)

ADAMW = Optimizer(
    id="adamw",
    batched=frozenset({"lr", "betas.1", "eps"}),
    weight_decay="decoupled",
    name="AdamW",
    hyperparameters=(
        learning_rate(1e-3),
        _ADAM_BETAS,
        epsilon(1e-8),
        decoupled_decay(
            1e-2,
            then=", then takes the Adam step. Unlike Adam's weight_decay it never passes "
            "through the adaptive scaling",
        ),
        _AMSGRAD,
        MAXIMIZE,
    ),
    bind=coordinatewise(_adamw_rule, AdamState),
    explain=_explain_adamw,
    lr_scales="step",
    formula="x ← x·(1 − lr·λ);  m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  "
    "x ← x − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)",
    symbols=(
        POSITION,
        GRADIENT,
        *_ADAM_SYMBOLS,
        (
            "λ",
            "weight decay: each step first shrinks x by the factor 1 − lr·λ, pulling it toward "
            "0 (the `weight_decay` setting)",
        ),
    ),
)


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


class AdamaxState(CoordinateState):
    """torch's Adamax state for one coordinate: the running average of the gradient and the
    running maximum of its size."""

    __slots__ = ()
    keys = ("exp_avg", "exp_inf")
    nonnegative = frozenset({"exp_inf"})


def _explain_adamax(n: StepNumbers) -> Said:
    """One Adamax step for the Update rule panel: m, the fading max u, m̂."""
    said, p, g = prelude(n, "l2")
    lr, eps = n.hp["lr"], n.hp["eps"]
    b1, b2 = n.hp["betas"]
    m1 = _first_moment(n, said, g)
    u0, u1 = buffer(n, "exp_inf"), buffer(n, "exp_inf", after=True)
    said.line(
        f"u ← max(β₂·u, |g| + ε) = max({term(b2)}·{vec(u0)}, {vec(np.abs(g), True)} + "
        f"{num(eps)}) = {vec(u1, True)}"
    )
    _say_first_moment(said, m1)
    said.q("u", "largest recent |g|", u1, "the biggest |g| seen, fading by β₂ (torch's exp_inf)")
    bc1 = _correction(said, "₁", b1, n.t)
    mhat = m1 / bc1
    said.q("m̂", "m-hat", mhat, "the momentum with its start at 0 made up for: m/(1 − β₁ᵗ)")
    step_line(
        said,
        "x ← x − lr/(1 − β₁ᵗ) · m / u",
        f"{vec(p, True)} − {term(lr)}/{num(bc1)}·{vec(m1)} / {vec(u1)}",
    )
    return said


ADAMAX = Optimizer(
    id="adamax",
    batched=frozenset({"lr", "betas.1", "eps"}),
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
    bind=coordinatewise(_adamax_rule, AdamaxState),
    explain=_explain_adamax,
    lr_scales="step",
    formula="m ← β₁·m + (1 − β₁)·g;  u ← max(β₂·u, |g| + ε);  x ← x − lr/(1 − β₁ᵗ) · m / u",
    symbols=(
        POSITION,
        GRADIENT_L2,
        STEP_LENGTH,
        MOMENTUM_AVERAGE,
        (
            "u",
            "the gradient's largest recent size: the biggest |g| seen, fading by β₂ each step "
            "(torch's exp_inf)",
        ),
        BETA1,
        ("β₂", "how much of the old u is kept each step (the second of the `betas`)"),
        BETA1_T,
        ("max", "max(a, b) is the larger of a and b"),
        (
            "ε",
            "epsilon: a tiny number added to |g| so u is never 0 and the step never divides by "
            "0 (the `eps` setting)",
        ),
        BECOMES,
    ),
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


class NAdamState(CoordinateState):
    """torch's NAdam state for one coordinate: the product of the momentum factors so far
    and Adam's two running averages."""

    __slots__ = ()
    keys = ("mu_product", "exp_avg", "exp_avg_sq")
    nonnegative = frozenset({"mu_product", "exp_avg_sq"})


def _explain_nadam(n: StepNumbers) -> Said:
    """One NAdam step for the Update rule panel: m, v, the μ schedule and its product."""
    decoupled = bool(n.hp["decoupled_weight_decay"])
    said, p, g = prelude(n, "decoupled" if decoupled else "l2")
    lr, eps, psi = n.hp["lr"], n.hp["eps"], n.hp["momentum_decay"]
    b1, b2 = n.hp["betas"]
    m1, v1 = _moments(n, said, g)
    # torch's momentum schedule, as in the rule; Πμ itself is the rule's own buffer.
    mu = b1 * (1.0 - 0.5 * (0.96 ** (n.t * psi)))
    mu_next = b1 * (1.0 - 0.5 * (0.96 ** ((n.t + 1) * psi)))
    prod = buffer(n, "mu_product", after=True)
    said.line(f"μₜ = β₁·(1 − ½·0.96^(t·ψ)) = {num(mu)};   μₜ₊₁ = {num(mu_next)}")
    said.line(f"Πμ ← Πμ·μₜ = {vec(prod, True)}")
    said.q("μₜ", "momentum factor", mu, "this step's momentum factor, warming up toward β₁")
    said.q("μₜ₊₁", "next momentum factor", mu_next, "the next step's: NAdam looks one ahead")
    said.q("Πμ", "product of momentum factors", prod, "μ₁·μ₂·…·μₜ (torch's mu_product)")
    bc2 = _correction(said, "₂", b2, n.t)
    vhat = v1 / bc2
    said.q("v̂", "v-hat", vhat, "the average of g² with its start at 0 made up for")
    denom = np.sqrt(vhat) + eps
    said.line(f"√(v/(1 − β₂ᵗ)) + ε = {vec(denom, True)}")
    step_line(
        said,
        "x ← x − lr·((1 − μₜ)·g/(1 − Πμ) + μₜ₊₁·m/(1 − Πμ·μₜ₊₁)) / (√v̂ + ε)",
        f"{vec(p, True)} − {term(lr)}·({term(1 - mu)}·{vec(g)}/{vec(1 - prod)} + "
        f"{term(mu_next)}·{vec(m1)}/{vec(1 - prod * mu_next)}) / {vec(denom)}",
    )
    return said


NADAM = Optimizer(
    id="nadam",
    batched=frozenset({"lr", "betas.1", "eps", "momentum_decay"}),
    # torch's default; the decoupled_weight_decay switch makes it act as AdamW's.
    weight_decay="l2",
    decoupled_by="decoupled_weight_decay",
    name="NAdam",
    hyperparameters=(
        learning_rate(2e-3),
        _ADAM_BETAS,
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
    bind=coordinatewise(_nadam_rule, NAdamState),
    explain=_explain_nadam,
    lr_scales="step",
    formula="m, v as in Adam;  x ← x − lr·((1 − μₜ)·g/(1 − Πμ) "
    "+ μₜ₊₁·m/(1 − Πμ·μₜ₊₁)) / (√(v/(1 − β₂ᵗ)) + ε)",
    symbols=(
        POSITION,
        GRADIENT_L2_OR_DECOUPLED,
        STEP_LENGTH,
        _ADAM_M,
        _ADAM_V,
        (
            "μₜ",
            "the momentum factor of step t: β₁·(1 − ½·0.96^(t·ψ)), which warms up from β₁/2 "
            "toward β₁ (β₁ is the first of the `betas`, ψ the `momentum_decay` setting)",
        ),
        (
            "μₜ₊₁",
            "the next step's momentum factor: NAdam looks one step ahead (Nesterov's idea)",
        ),
        ("μ", "in Πμ, the momentum factors μ₁, μ₂, …, μₜ of the steps so far"),
        (
            "Π",
            "product: Πμ = μ₁·μ₂·…·μₜ, every step's momentum factor so far multiplied together "
            "(torch's mu_product)",
        ),
        BETA2_T,
        EPSILON,
        BECOMES,
    ),
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


class RAdamState(CoordinateState):
    """torch's RAdam state for one coordinate: Adam's two running averages."""

    __slots__ = ()
    keys = ("exp_avg", "exp_avg_sq")
    nonnegative = frozenset({"exp_avg_sq"})


def _explain_radam(n: StepNumbers) -> Said:
    """One RAdam step for the Update rule panel: m̂, ρₜ and (when ρₜ > 5) r."""
    decoupled = bool(n.hp["decoupled_weight_decay"])
    said, p, g = prelude(n, "decoupled" if decoupled else "l2")
    lr, eps = n.hp["lr"], n.hp["eps"]
    b1, b2 = n.hp["betas"]
    m1, v1 = _moments(n, said, g)
    bc1, bc2 = _correction(said, "₁", b1, n.t), _correction(said, "₂", b2, n.t)
    mhat = m1 / bc1
    said.line(f"m̂ = m/(1 − β₁ᵗ) = {vec(m1)}/{num(bc1)} = {vec(mhat, True)}")
    said.q("m̂", "m-hat", mhat, "the momentum with its start at 0 made up for")
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * n.t * (b2**n.t) / bc2
    said.line(
        f"ρₜ = ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ) = {num(rho_inf)} − 2·{n.t}·{term(b2**n.t)}/"
        f"{num(bc2)} = {num(rho_t)}"
    )
    said.q("ρ∞", "rho-infinity", rho_inf, "the longest memory v can have")
    said.q("ρₜ", "rho-t", rho_t, "about how many steps' gradients v holds now; over 5: trusted")
    if rho_t > 5.0:
        r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        said.line(f"r = √((ρₜ − 4)·(ρₜ − 2)·ρ∞/((ρ∞ − 4)·(ρ∞ − 2)·ρₜ)) = {num(r)}")
        said.q("r", "rectification", r, "grows toward 1 as v becomes trustworthy")
        step_line(
            said,
            "x ← x − lr·m̂·r·√(1 − β₂ᵗ)/(√v + ε)",
            f"{vec(p, True)} − {term(lr)}·{vec(mhat)}·{term(r)}·{term(math.sqrt(bc2))}/"
            f"({vec(np.sqrt(v1), True)} + {num(eps)})",
            "   (ρₜ > 5)",
        )
    else:
        step_line(
            said,
            "x ← x − lr·m̂",
            f"{vec(p, True)} − {term(lr)}·{vec(mhat)}",
            "   (ρₜ ≤ 5: v is too young to trust)",
        )
    return said


RADAM = Optimizer(
    id="radam",
    batched=frozenset({"lr", "eps"}),
    # torch's default; the decoupled_weight_decay switch makes it act as AdamW's.
    weight_decay="l2",
    decoupled_by="decoupled_weight_decay",
    name="RAdam",
    hyperparameters=(
        learning_rate(1e-3),
        _ADAM_BETAS,
        epsilon(1e-8),
        WEIGHT_DECAY,
        DECOUPLED_WEIGHT_DECAY,
        MAXIMIZE,
    ),
    bind=coordinatewise(_radam_rule, RAdamState),
    explain=_explain_radam,
    lr_scales="step",
    gradient_warm_up=True,
    formula="m̂ = m/(1 − β₁ᵗ);  ρₜ = ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ);  "
    "x ← x − lr·m̂·r·√(1 − β₂ᵗ)/(√v + ε) if ρₜ > 5, else x ← x − lr·m̂",
    symbols=(
        POSITION,
        STEP_LENGTH,
        _ADAM_M,
        _ADAM_V,
        ("m̂", "m-hat: the momentum m with its start at 0 made up for (bias-corrected)"),
        ("t", "the step number: 1, 2, 3, …"),
        BETA1_T,
        BETA2_T,
        (
            "ρ∞",
            "rho-infinity, 2/(1 − β₂) − 1: the longest memory v can have, reached as t grows "
            "(β₂ is the second of the `betas`)",
        ),
        (
            "ρₜ",
            "rho-t: about how many steps' gradients v holds at step t; while it is 5 or less, "
            "v is too young to trust and RAdam takes plain momentum steps",
        ),
        (
            "r",
            "the rectification factor √((ρₜ − 4)·(ρₜ − 2)·ρ∞/((ρ∞ − 4)·(ρ∞ − 2)·ρₜ)): "
            "small at first, it grows toward 1 as v becomes trustworthy",
        ),
        EPSILON,
        BECOMES,
    ),
)
