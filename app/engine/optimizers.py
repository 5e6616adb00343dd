"""First-order optimizers, faithful to torch.optim.

Each optimizer is described by an :class:`Optimizer`: torch's hyperparameter names,
defaults and validity checks, the names of its state buffers, and ``rule(hp)``, which binds
validated hyperparameters and returns a pure update function::

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

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import HyperparameterError

Scale = Literal["log", "linear", "bool", "choice"]
Update = Callable[[Any, int, Any, Any, tuple[Any, ...]], tuple[Any, tuple[Any, ...]]]


@dataclass(frozen=True)
class Hyperparameter:
    name: str
    label: str
    default: float | bool | tuple[float, ...]
    scale: Scale
    help: str
    min: float | None = None
    max: float | None = None
    invalid: str = ""  # torch's message stem, e.g. "Invalid learning rate"

    def check(self, value: Any) -> float | bool | tuple[float, ...]:
        if self.scale == "bool":
            if not isinstance(value, bool):
                raise HyperparameterError(self.name, f"must be true or false, not {value!r}")
            return value
        if isinstance(self.default, tuple):
            size = len(self.default)
            if not isinstance(value, list | tuple) or len(value) != size:
                raise HyperparameterError(self.name, f"must be a list of {size} numbers")
            return tuple(self._number(v, index=i) for i, v in enumerate(value))
        return self._number(value)

    def _number(self, value: Any, index: int | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise HyperparameterError(self.name, f"must be a number, not {value!r}")
        value = float(value)
        where = "" if index is None else f" at index {index}"
        if not math.isfinite(value):
            raise HyperparameterError(self.name, f"{self.invalid}{where}: {value} (not finite)")
        assert self.min is not None and self.max is not None
        if not self.min <= value <= self.max:
            raise HyperparameterError(
                self.name,
                f"{self.invalid}{where}: {value} (must be between {self.min} and {self.max})",
            )
        return value


@dataclass(frozen=True)
class Preset:
    id: str
    name: str
    hyperparameters: Mapping[str, Any]


@dataclass(frozen=True)
class Optimizer:
    id: str
    name: str
    hyperparameters: tuple[Hyperparameter, ...]
    buffers: tuple[str, ...]
    rule: Callable[[Mapping[str, Any]], Update]
    formula: str
    nonnegative_buffers: frozenset[str] = frozenset()
    presets: tuple[Preset, ...] = ()
    cross_check: Callable[[Mapping[str, Any]], None] | None = field(default=None, repr=False)
    # How weight_decay acts: "l2" adds λ·x to the gradient (the optimizer then descends
    # f + (λ/2)·‖x‖²), "decoupled" shrinks x outside the gradient (AdamW); None: no decay.
    weight_decay: Literal["l2", "decoupled"] | None = None

    def validate(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """torch's defaults for what is left out; every value checked, naming the field."""
        known = {h.name: h for h in self.hyperparameters}
        for name in given:
            if name not in known:
                raise HyperparameterError(
                    name, f"{self.name} has no hyperparameter {name!r}; it has {', '.join(known)}"
                )
        values = {n: h.check(given[n]) if n in given else h.default for n, h in known.items()}
        if self.cross_check is not None:
            self.cross_check(values)
        return values

    def empty_buffers(self) -> tuple[None, ...]:
        return (None,) * len(self.buffers)


def lerp(a: Any, b: Any, w: float) -> Any:
    """torch.lerp's CPU formula, which switches form at weight 0.5 for accuracy."""
    if abs(w) < 0.5:
        return a + w * (b - a)
    return b - (b - a) * (1.0 - w)


# --- shared hyperparameters ----------------------------------------------------------------


def _lr(default: float) -> Hyperparameter:
    return Hyperparameter(
        "lr",
        "Learning rate",
        default,
        "log",
        "Step size: how far each update moves.",
        0.0,
        100.0,
        "Invalid learning rate",
    )


_WEIGHT_DECAY = Hyperparameter(
    "weight_decay",
    "Weight decay",
    0.0,
    "log",
    "L2 penalty: adds weight_decay·x to the gradient, pulling the ball toward 0.",
    0.0,
    10.0,
    "Invalid weight_decay value",
)
_MAXIMIZE = Hyperparameter(
    "maximize", "Maximize", False, "bool", "Climb instead of descend (gradient ascent)."
)


def _eps(default: float) -> Hyperparameter:
    return Hyperparameter(
        "eps",
        "Epsilon",
        default,
        "log",
        "Added to the denominator so it is never zero.",
        0.0,
        1.0,
        "Invalid epsilon value",
    )


# --- SGD (gradient descent, momentum, Nesterov) ----------------------------------------------


def _sgd_rule(hp: Mapping[str, Any]) -> Update:
    lr, momentum, dampening = hp["lr"], hp["momentum"], hp["dampening"]
    wd, nesterov, maximize = hp["weight_decay"], hp["nesterov"], hp["maximize"]

    def update(xp: Any, step: int, p: Any, g: Any, bufs: tuple[Any, ...]) -> tuple[Any, tuple]:
        (buf,) = bufs
        if maximize:
            g = -g
        if wd != 0:
            g = g + wd * p
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
    weight_decay="l2",
    name="SGD",
    hyperparameters=(
        _lr(1e-3),
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
        _WEIGHT_DECAY,
        Hyperparameter(
            "nesterov",
            "Nesterov",
            False,
            "bool",
            "Look ahead: step with g + μ·buf instead of buf (needs momentum, no dampening).",
        ),
        _MAXIMIZE,
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
        if maximize:
            g = -g
        if wd != 0:
            g = g + wd * p
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
        _lr(1e-2),
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
        _WEIGHT_DECAY,
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
        _eps(1e-10),
        _MAXIMIZE,
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
        if maximize:
            g = -g
        if wd != 0:
            g = g + wd * p
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
        _lr(1e-2),
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
        _eps(1e-8),
        _WEIGHT_DECAY,
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
        _MAXIMIZE,
    ),
    buffers=("square_avg", "momentum_buffer", "grad_avg"),
    nonnegative_buffers=frozenset({"square_avg"}),
    rule=_rmsprop_rule,
    formula="v ← α·v + (1 − α)·g²;  x ← x − lr·g / (√v + ε)   (fading memory)",
)


# --- Adam -------------------------------------------------------------------------------


def _adam_rule(hp: Mapping[str, Any]) -> Update:
    lr, (beta1, beta2), eps = hp["lr"], hp["betas"], hp["eps"]
    wd, amsgrad, maximize = hp["weight_decay"], hp["amsgrad"], hp["maximize"]

    def update(xp: Any, step: int, p: Any, g: Any, bufs: tuple[Any, ...]) -> tuple[Any, tuple]:
        exp_avg, exp_avg_sq, max_exp_avg_sq = bufs
        if maximize:
            g = -g
        if wd != 0:
            g = g + wd * p
        exp_avg = lerp(0.0 if exp_avg is None else exp_avg, g, 1 - beta1)
        exp_avg_sq = (0.0 if exp_avg_sq is None else exp_avg_sq) * beta2 + (1 - beta2) * g * g
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        if amsgrad:
            seen = exp_avg_sq if max_exp_avg_sq is None else max_exp_avg_sq
            max_exp_avg_sq = xp.maximum(seen, exp_avg_sq)
            denom = xp.sqrt(max_exp_avg_sq) / bias_correction2_sqrt + eps
        else:
            denom = xp.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
        return p + (-step_size * exp_avg) / denom, (exp_avg, exp_avg_sq, max_exp_avg_sq)

    return update


ADAM = Optimizer(
    id="adam",
    weight_decay="l2",
    name="Adam",
    hyperparameters=(
        _lr(1e-3),
        Hyperparameter(
            "betas",
            "Betas (β₁, β₂)",
            (0.9, 0.999),
            "linear",
            "Decay rates of the running averages of the gradient (β₁) and its square (β₂).",
            0.0,
            0.9999,
            "Invalid beta parameter",
        ),
        _eps(1e-8),
        _WEIGHT_DECAY,
        Hyperparameter(
            "amsgrad",
            "AMSGrad",
            False,
            "bool",
            "Use the largest squared-gradient average seen so far, so steps never grow back.",
        ),
        _MAXIMIZE,
    ),
    buffers=("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
    nonnegative_buffers=frozenset({"exp_avg_sq", "max_exp_avg_sq"}),
    rule=_adam_rule,
    formula="m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  "
    "x ← x − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)",
)

OPTIMIZERS: dict[str, Optimizer] = {o.id: o for o in (SGD, ADAGRAD, RMSPROP, ADAM)}
