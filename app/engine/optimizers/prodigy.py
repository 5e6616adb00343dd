"""Prodigy (Mishchenko & Defazio 2023, "Prodigy: An Expeditiously Adaptive Parameter-Free
Learner"), which torch does not have: the rule of the ``prodigyopt`` package's ``Prodigy``
(1.1), operation by operation, for one parameter group.

Adam whose step size d·lr is estimated as it goes: d starts at d₀ (tiny) and grows to an
estimate of the distance from the start x₀ to the solution::

    dlr = d·lr;   r ← β₃·r + (d/d₀)·dlr·Σ g·(x₀ − x);   s ← β₃·s + (d/d₀)·dlr·g
    d ← max(d, d_coef·r/Σ|s|)   (at most growth_rate·d)
    m ← β₁·m + d·(1 − β₁)·g;   v ← β₂·v + d²·(1 − β₂)·g²;   x ← x − dlr·m/(√v + d·ε)

r (the package's d_numerator) and Σ|s| are sums over every coordinate of the ball, so the
rule takes the whole point: one ball in dim dimensions (:func:`~.interface.per_ball`), and
on the network page all of θ at once.  The package's group values d, d_max, d_numerator
and k are kept with p0, s, exp_avg and exp_avg_sq; the runner records each step's d in the
trace's ``step_sizes`` (:func:`step_size`).

Where the package is unusual, so is this: a step whose Σ|s| is 0 (every gradient so far
exactly 0, or lr = 0 from a schedule) returns early, without moving or counting the step;
while d is still d₀ it jumps straight to the estimate, growth_rate limiting only later
growth.  ``slice_p`` and ``fsdp_in_use`` (memory and distributed-training settings) are
left out: with them at their defaults the rule is exact Prodigy.  The package has no
``maximize``; it is the product's, as for Lion.

The first step moves by about d₀·lr·(1 − β₁)/√(1 − β₂) — a thousandth of a unit::

    >>> from app.engine.optimizers.interface import descend
    >>> x = descend(PRODIGY, {}, (1.0,), 1, lambda x: (2 * x[0],), f=lambda x: x[0] ** 2)
    >>> round((1.0 - x[0]) / 1e-6, 4)
    3.1623
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from ..errors import StateError
from ..hyperparameters import Hyperparameter
from .explaining import Said, StepNumbers, num, prelude, step_line, term, vec
from .interface import BallState, BallStep, Closure, Optimizer, finite_array, per_ball
from .shared import BECOMES, EPSILON, GRADIENT, MAXIMIZE, POSITION, betas


@dataclass(frozen=True, eq=False)
class ProdigyMemory:
    """One ball's Prodigy state: the package's per-parameter buffers and group values."""

    p0: np.ndarray  # the starting point x₀
    s: np.ndarray  # the weighted sum of gradients
    exp_avg: np.ndarray | None  # m (None with β₁ = 0, as the package keeps none)
    exp_avg_sq: np.ndarray  # v
    d: float  # the step size estimate
    d_max: float  # the largest estimate so far
    d_numerator: float  # r, the weighted sum of g·(x₀ − x)
    k: int  # steps taken (the package's group k and per-parameter step)

    def __eq__(self, other: object) -> bool:  # (arrays compared whole)
        if not isinstance(other, ProdigyMemory):
            return NotImplemented
        return all(
            bool(np.array_equal(a, b))
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray)
            else a == b
            for a, b in zip(_values(self), _values(other), strict=True)
        )

    __hash__ = None  # type: ignore[assignment]


def _values(memory: ProdigyMemory) -> tuple[Any, ...]:
    return tuple(getattr(memory, f.name) for f in fields(memory))


def _beta3(hp: Mapping[str, Any]) -> float:
    # the package's beta3=None: √β₂
    return hp["beta3"] if hp["beta3"] >= 0 else math.sqrt(hp["betas"][1])


def _prodigy_step(hp: Mapping[str, Any]) -> BallStep:
    lr, (beta1, beta2), eps = hp["lr"], hp["betas"], hp["eps"]
    beta3 = _beta3(hp)
    decay, decouple, maximize = hp["weight_decay"], hp["decouple"], hp["maximize"]
    use_bias_correction, safeguard = hp["use_bias_correction"], hp["safeguard_warmup"]
    d0, d_coef, growth_rate = hp["d0"], hp["d_coef"], hp["growth_rate"] or math.inf

    def step(
        closure: Closure, t: int, x: np.ndarray, memory: ProdigyMemory | None
    ) -> tuple[np.ndarray, ProdigyMemory, int]:
        _, grad = closure.evaluate(x)
        grad = np.array(grad, dtype=np.float64)
        if maximize:  # not in the package: the product's extension, as torch does it
            grad = -grad
        if memory is None:
            zeros = np.zeros_like(x)
            memory = ProdigyMemory(
                x.copy(), zeros, zeros if beta1 > 0 else None, zeros, d0, d0, 0.0, 0
            )
        k, d, d_max = memory.k, memory.d, memory.d_max
        if use_bias_correction:
            bias_correction = ((1 - beta2 ** (k + 1)) ** 0.5) / (1 - beta1 ** (k + 1))
        else:
            bias_correction = 1
        dlr = d * lr * bias_correction
        d_numerator = memory.d_numerator * beta3
        if decay != 0 and not decouple:
            grad = grad + decay * x
        exp_avg, exp_avg_sq, s = memory.exp_avg, memory.exp_avg_sq, memory.s
        delta_numerator = d_denom = 0.0
        if lr > 0.0:
            # d / d0 rather than d, the package says, to keep the numbers away from 0
            delta_numerator += (d / d0) * dlr * float(np.dot(grad, memory.p0 - x))
            if beta1 > 0:
                assert exp_avg is not None
                exp_avg = exp_avg * beta1 + (d * (1 - beta1)) * grad
            exp_avg_sq = exp_avg_sq * beta2 + ((d * d * (1 - beta2)) * grad) * grad
            s = s * beta3 + ((d / d0) * (d if safeguard else dlr)) * grad
            d_denom += float(np.abs(s).sum())
        if d_denom == 0:  # the package returns early: no step, k and d unchanged
            return x, replace(memory, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq, s=s), 1
        d_numerator = d_numerator + delta_numerator
        d_hat = d_coef * d_numerator / d_denom
        if d == d0:
            d = max(d, d_hat)
        d_max = max(d_max, d_hat)
        d = min(d_max, d * growth_rate)
        denom = np.sqrt(exp_avg_sq) + d * eps
        if decay != 0 and decouple:
            x = x + (-decay * dlr) * x
        # addcdiv(m, denom, value=−dlr); with β₁ = 0 the package steps along g itself
        direction = exp_avg if beta1 > 0 else grad
        x = x + ((-dlr if beta1 > 0 else -dlr * d) * direction) / denom
        return x, ProdigyMemory(memory.p0, s, exp_avg, exp_avg_sq, d, d_max, d_numerator, k + 1), 1

    return step


_VECTORS = ("p0", "s", "exp_avg", "exp_avg_sq")
_SCALARS = ("d", "d_max", "d_numerator")


def _vector(raw: Mapping[str, Any], name: str, dim: int) -> np.ndarray:
    """One ball's buffer ``name`` from a resume state: dim finite numbers, or StateError."""
    value = raw.get(name)
    if value is None:
        raise StateError(name, "is missing")
    arr = finite_array(value, name, dim)
    if arr.shape != (dim,):
        raise StateError(name, f"must have the shape of position, [{dim}]")
    return arr


class ProdigyState(BallState):
    """Prodigy's state, one :class:`ProdigyMemory` per ball, by the package's keys."""

    __slots__ = ()
    keys = (*_VECTORS, *_SCALARS, "k")

    @staticmethod
    def one_to_json(memory: ProdigyMemory) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in _VECTORS:
            value = getattr(memory, name)
            out[name] = None if value is None else value.tolist()
        out.update({name: getattr(memory, name) for name in _SCALARS})
        out["k"] = memory.k
        return out

    @staticmethod
    def one_from_json(raw: Mapping[str, Any], dim: int) -> ProdigyMemory | None:
        if all(raw.get(n) is None for n in ProdigyState.keys):
            return None
        p0, s, exp_avg_sq = (_vector(raw, name, dim) for name in ("p0", "s", "exp_avg_sq"))
        exp_avg = None if raw.get("exp_avg") is None else _vector(raw, "exp_avg", dim)
        if (exp_avg_sq < 0).any():
            raise StateError("exp_avg_sq", "must not be negative")
        scalars: dict[str, float] = {}
        for name in _SCALARS:
            value = raw.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise StateError(name, "must be a number")
            if not math.isfinite(value) or (name != "d_numerator" and value <= 0):
                raise StateError(name, "must be a positive number")
            scalars[name] = float(value)
        k = raw.get("k")
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise StateError("k", "must be a whole number of steps, 0 or more")
        return ProdigyMemory(
            p0,
            s,
            exp_avg,
            exp_avg_sq,
            scalars["d"],
            scalars["d_max"],
            scalars["d_numerator"],
            k,
        )


def step_size(state: Any) -> Any:
    """Each ball's d after its step (for the trace's ``step_sizes``): a float for one ball,
    an array for a crowd; None (NaN in a crowd) before the first step."""
    memory = state.memory
    if not isinstance(memory, np.ndarray):
        return None if memory is None else memory.d
    return np.vectorize(lambda m: math.nan if m is None else m.d, otypes=[np.float64])(memory)


def _explain(n: StepNumbers) -> Said:
    """One Prodigy step for the Update rule panel: the estimate d, then Adam with d·lr."""
    said, _, _ = prelude(n, None)
    hp = n.hp
    m0: ProdigyMemory | None = n.memory_before
    m1: ProdigyMemory = n.memory_after
    lr, d0, eps = hp["lr"], hp["d0"], hp["eps"]
    d = d0 if m0 is None else m0.d
    said.line(f"d = {num(d)}   (the estimate the step starts with; d₀ = {num(d0)})")
    if m0 is not None and m1.k == m0.k:
        said.line("Σ|s| = 0: no gradient yet, so no step (the package returns early)")
        step_line(said, "x ← x", vec(n.x0, True))
        return said
    bc = 1.0
    if hp["use_bias_correction"]:
        b1, b2 = hp["betas"]
        bc = ((1 - b2 ** (m1.k)) ** 0.5) / (1 - b1 ** (m1.k))
    dlr = d * lr * bc
    said.line(f"dlr = d·lr = {term(d)}·{term(lr)}{'' if bc == 1 else f'·{term(bc)}'} = {num(dlr)}")
    said.q("dlr", "step size", dlr, "d·lr: Prodigy's learning rate this step")
    s_norm = float(np.abs(m1.s).sum())
    said.line(f"r ← β₃·r + (d/d₀)·dlr·Σ g·(x₀ − x) = {num(m1.d_numerator)}")
    said.q("r", "distance estimate numerator", m1.d_numerator, "the running sum of g·(x₀ − x)")
    said.line(f"s ← β₃·s + (d/d₀)·dlr·g = {vec(m1.s, True)};   Σ|s| = {num(s_norm)}")
    said.q("s", "gradient sum", m1.s, "a weighted running sum of the gradients")
    d_hat = hp["d_coef"] * m1.d_numerator / s_norm
    said.line(f"d̂ = d_coef·r/Σ|s| = {num(d_hat)};   d ← {num(m1.d)}")
    said.q("d", "estimated step size", m1.d, "how far Prodigy reckons the solution is")
    v1, mom = m1.exp_avg_sq, m1.exp_avg
    said.q("v", "squared-gradient average", v1, "d²-weighted running average of g²")
    denom = np.sqrt(v1) + m1.d * eps
    if mom is None:
        step_line(said, "x ← x − dlr·d·g/(√v + d·ε)", f"{vec(n.x0, True)} − …")
        return said
    said.q("m", "momentum", mom, "d-weighted running average of g (exp_avg)")
    step_line(
        said,
        "x ← x − dlr·m/(√v + d·ε)",
        f"{vec(n.x0, True)} − {term(dlr)}·{vec(mom)}/{vec(denom)}",
    )
    return said


PRODIGY = Optimizer(
    id="prodigy",
    name="Prodigy",
    weight_decay="l2",
    decoupled_by="decouple",
    lr_scales="own",
    hyperparameters=(
        Hyperparameter(
            "lr",
            "Learning rate (multiplier)",
            1.0,
            "log",
            "Multiplies the step size Prodigy estimates (d·lr): leave it at 1 unless the run "
            "is unstable.",
            1e-12,  # the package requires lr > 0
            100.0,
            "Invalid learning rate",
        ),
        betas((0.9, 0.999), "Decay rates of Adam's averages of g (β₁) and g² (β₂)."),
        Hyperparameter(
            "beta3",
            "β₃ (−1: √β₂)",
            -1.0,
            "linear",
            "Decay of the sums that estimate d. The package's None (the default) is √β₂; "
            "here any negative value means that.",
            -1.0,
            0.9999,
            "Invalid beta3 value",
        ),
        Hyperparameter(
            "eps",
            "Epsilon",
            1e-8,
            "log",
            "Added to the denominator (as d·ε) so it is never zero.",
            1e-12,  # the package requires eps > 0
            1.0,
            "Invalid epsilon value",
        ),
        Hyperparameter(
            "weight_decay",
            "Weight decay",
            0.0,
            "log",
            "With decouple (the default), x shrinks by d·lr·weight_decay·x each step; "
            "without, weight_decay·x is added to the gradient (an L2 penalty).",
            0.0,
            10.0,
            "Invalid weight_decay value",
        ),
        Hyperparameter(
            "decouple",
            "Decoupled weight decay",
            True,
            "bool",
            "AdamW-style decay: shrink x rather than add weight_decay·x to the gradient.",
        ),
        Hyperparameter(
            "use_bias_correction",
            "Bias correction",
            False,
            "bool",
            "Adam's bias correction, √(1 − β₂ᵗ)/(1 − β₁ᵗ), on the step size (off by default).",
        ),
        Hyperparameter(
            "safeguard_warmup",
            "Safeguard warmup",
            False,
            "bool",
            "Leave lr out of the sum s that estimates d, for runs whose lr warms up.",
        ),
        Hyperparameter(
            "d0",
            "Initial d₀",
            1e-6,
            "log",
            "The first step size estimate: tiny, so the first steps barely move while d grows.",
            1e-12,
            100.0,
            "Invalid d0 value",
        ),
        Hyperparameter(
            "d_coef",
            "d coefficient",
            1.0,
            "log",
            "Multiplies the estimate of d: the way to tune Prodigy (0.5 and 2 also work).",
            0.0,
            100.0,
            "Invalid d_coef value",
        ),
        Hyperparameter(
            "growth_rate",
            "Growth rate (0: ∞)",
            0.0,  # the package's float("inf"), which JSON cannot carry
            "linear",
            "The most d may grow per step, as a factor: 0 (the default) is the package's ∞, "
            "no limit; 1.02 gives a kind of warmup.",
            0.0,
            100.0,
            "Invalid growth_rate value",
        ),
        MAXIMIZE,
    ),
    bind=per_ball(_prodigy_step, ProdigyState),
    explain=_explain,
    step_size=step_size,
    formula=(
        "dlr = d·lr;  r ← β₃·r + (d/d₀)·dlr·Σ g·(x₀ − x);  s ← β₃·s + (d/d₀)·dlr·g;  "
        "d ← max(d, d_coef·r/Σ|s|);  m ← β₁·m + d·(1 − β₁)·g;  v ← β₂·v + d²·(1 − β₂)·g²;  "
        "x ← x − dlr·m/(√v + d·ε)"
    ),
    symbols=(
        POSITION,
        GRADIENT,
        ("x₀", "the starting point: Prodigy estimates how far the solution is from it (p0)"),
        ("d", "the estimated step size: starts at d₀ and grows toward the distance to go"),
        ("d₀", "the first estimate of d, tiny (the `d0` setting)"),
        ("dlr", "d·lr: the step size this step (lr is a multiplier, the `lr` setting)"),
        ("lr", "a multiplier on the estimated step size (the `lr` setting; 1 by default)"),
        (
            "r",
            "a running sum of g·(x₀ − x): how far the ball has come along the gradients "
            "(the package's d_numerator)",
        ),
        ("s", "a running sum of the gradients, weighted like r"),
        (
            "Σ",
            "the sum over every coordinate of the ball (on the network page, over every "
            "weight); Σ|s| adds up the sizes of s's coordinates",
        ),
        ("d_coef", "a multiplier on the estimate of d (the `d_coef` setting)"),
        ("max", "the larger of the two: d never shrinks"),
        ("β₁", "how much of the old m is kept each step (the first of the `betas`)"),
        ("β₂", "how much of the old v is kept each step (the second of the `betas`)"),
        ("β₃", "how much of the old r and s is kept each step (`beta3`; √β₂ by default)"),
        ("m", "the momentum: a d-weighted running average of the gradients (exp_avg)"),
        ("v", "a d²-weighted running average of the squared gradients (exp_avg_sq)"),
        EPSILON,
        BECOMES,
    ),
)
