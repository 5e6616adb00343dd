"""First-order optimizers, faithful to torch.optim: the catalog :data:`OPTIMIZERS`.

This module holds SGD, Adagrad, RMSprop, Adam and AdamW; :mod:`.optimizers_more` the
rest of the first-order family (Adamax, NAdam, RAdam, Adadelta, Rprop, and Lion, which
torch does not have); :mod:`.lbfgs` and :mod:`.newton` the curvature methods (whole-point
rules, see :class:`Optimizer` ``kind``); :mod:`.sgld` Langevin dynamics;
:mod:`.optimizer_base` the types.  Each optimizer is described by an :class:`Optimizer`:
torch's hyperparameter names, defaults and validity checks, the names of its state buffers
(torch's state keys), and ``rule(hp)``, which binds validated hyperparameters and
returns a pure update function::

    update(xp, step, p, g, buffers) -> (new_p, new_buffers)

applied to one coordinate at a time (every rule here is coordinate-wise), where ``p`` and
``g`` are floats or numpy arrays of the batch shape, ``step`` counts this update from 1, and
``buffers`` is a tuple matching ``Optimizer.buffers``, with ``None`` for a buffer not yet
created.  Buffers are created on first use exactly as torch creates them, which is also
what happens when a run is resumed with a hyperparameter switched on (say, RMSprop's
``momentum``): the new buffer starts from torch's initial value.

Operation order follows torch's portable CPU kernels: ``a.add(b, alpha=c)`` is ``a + c*b``,
``addcmul(t1, t2, value=v)`` is ``a + (v*t1)*t2``, ``addcdiv(t1, t2, value=v)`` is
``a + (v*t1)/t2``, and ``lerp`` switches formula at weight 0.5.  Bit for bit, torch's own
results depend on the machine: its AVX512 kernels fuse those ops into one rounding (FMA) and
its float64 ``sqrt`` is not always correctly rounded, so goldens agree to ~1e-15 per step.

Example — three steps of torch-default Adam on f(x) = x², from x = 1::

    >>> from app.engine.backend import SCALAR
    >>> adam = OPTIMIZERS["adam"]
    >>> update = adam.rule(adam.validate({"lr": 0.1}))
    >>> p, bufs = 1.0, adam.empty_buffers()
    >>> for step in (1, 2, 3):
    ...     p, bufs = update(SCALAR, step, p, 2 * p, bufs)
    >>> round(p, 6)
    0.701586
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import HyperparameterError
from .lbfgs import LBFGS
from .newton import NEWTON
from .optimizer_base import (
    MAXIMIZE,
    WEIGHT_DECAY,
    Hyperparameter,
    Optimizer,
    Preset,
    Update,
    betas,
    epsilon,
    learning_rate,
    lerp,
    signed_and_decayed,
)
from .optimizers_more import ADADELTA, ADAMAX, LION, NADAM, RADAM, RPROP
from .sgld import SGLD

__all__ = ["OPTIMIZERS", "Hyperparameter", "HyperparameterError", "Optimizer", "Preset", "lerp"]


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


SGD = Optimizer(
    id="sgd",
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
            "Scales down the new gradient added to the velocity: buf = μ·buf + (1 − dampening)·g.",
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
            "Look ahead: step with g + μ·buf instead of buf (needs momentum, no dampening).",
        ),
        MAXIMIZE,
    ),
    buffers=("momentum_buffer",),
    rule=_sgd_rule,
    formula="b ← μ·b + (1 − τ)·g  (b₁ = g);  x ← x − lr·b   (Nesterov: x ← x − lr·(g + μ·b))",
    presets=(
        Preset("gd", "Gradient descent", {"momentum": 0.0, "nesterov": False}),
        Preset("momentum", "Momentum", {"momentum": 0.9, "nesterov": False}),
        Preset("nesterov", "Nesterov", {"momentum": 0.9, "nesterov": True, "dampening": 0.0}),
    ),
    cross_check=_sgd_cross_check,
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


ADAGRAD = Optimizer(
    id="adagrad",
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
    buffers=("sum",),
    nonnegative_buffers=frozenset({"sum"}),
    rule=_adagrad_rule,
    formula="s ← s + g²;  x ← x − lr·g / (√s + ε)   (infinite memory: steps only shrink)",
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


RMSPROP = Optimizer(
    id="rmsprop",
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
    buffers=("square_avg", "momentum_buffer", "grad_avg"),
    nonnegative_buffers=frozenset({"square_avg"}),
    rule=_rmsprop_rule,
    formula="v ← α·v + (1 − α)·g²;  x ← x − lr·g / (√v + ε)   (fading memory)",
)


# --- Adam and AdamW ------------------------------------------------------------------------


def _adam_rule(hp: Mapping[str, Any], decoupled: bool = False) -> Update:
    lr, (beta1, beta2), eps = hp["lr"], hp["betas"], hp["eps"]
    wd, amsgrad, maximize = hp["weight_decay"], hp["amsgrad"], hp["maximize"]
    decay = 1 - lr * wd  # AdamW's factor, computed once as torch does (a Python float)

    def update(xp: Any, step: int, p: Any, g: Any, bufs: tuple[Any, ...]) -> tuple[Any, tuple]:
        exp_avg, exp_avg_sq, max_exp_avg_sq = bufs
        p, g = signed_and_decayed(p, g, maximize, wd, decay if decoupled else None)
        exp_avg = lerp(0.0 if exp_avg is None else exp_avg, g, 1 - beta1)
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
_ADAM_BETAS = betas(
    (0.9, 0.999),
    "Decay rates of the running averages of the gradient (β₁) and its square (β₂).",
)
_ADAM_BUFFERS = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

ADAM = Optimizer(
    id="adam",
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
    buffers=_ADAM_BUFFERS,
    nonnegative_buffers=frozenset({"exp_avg_sq", "max_exp_avg_sq"}),
    rule=_adam_rule,
    formula="m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  "
    "x ← x − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)",
)

ADAMW = Optimizer(
    id="adamw",
    weight_decay="decoupled",
    name="AdamW",
    hyperparameters=(
        learning_rate(1e-3),
        _ADAM_BETAS,
        epsilon(1e-8),
        Hyperparameter(
            "weight_decay",
            "Weight decay",
            1e-2,
            "log",
            "Decoupled weight decay: each step first shrinks x by the factor "
            "(1 − lr·weight_decay), pulling it toward 0, then takes the Adam step. Unlike "
            "Adam's weight_decay it never passes through the adaptive scaling.",
            0.0,
            10.0,
            "Invalid weight_decay value",
        ),
        _AMSGRAD,
        MAXIMIZE,
    ),
    buffers=_ADAM_BUFFERS,
    nonnegative_buffers=frozenset({"exp_avg_sq", "max_exp_avg_sq"}),
    rule=_adamw_rule,
    formula="x ← x·(1 − lr·λ);  m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  "
    "x ← x − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)",
)

# In teaching order: the classics, then Adam's variants, the rest of the adaptive family,
# curvature (Newton, L-BFGS), and noise (SGLD).
OPTIMIZERS: dict[str, Optimizer] = {
    o.id: o
    for o in (
        SGD,
        ADAGRAD,
        RMSPROP,
        ADAM,
        ADAMW,
        ADAMAX,
        NADAM,
        RADAM,
        ADADELTA,
        RPROP,
        LION,
        NEWTON,
        LBFGS,
        SGLD,
    )
}
