"""Adafactor (Shazeer & Stern 2018) as ``torch.optim.Adafactor`` computes it (torch ≥ 2.5,
its single-tensor path): an RMSprop-like step whose length is *relative* to the size of the
parameter it moves, with the second moment of a weight matrix stored as row and column
averages only.

    β̂₂ₜ = 1 − t^τ;   ρₜ = min(lr, 1/√t);   αₜ = max(ε₂, RMS(x))·ρₜ;   x ← x·(1 − lr·λ)
    v ← β̂₂ₜ·v + (1 − β̂₂ₜ)·g²;   U = g/√max(v, ε₁²);   x ← x − αₜ·U/max(1, RMS(U)/d)

torch's rule works on whole parameter tensors, not coordinates: RMS(x) is over the tensor,
and so is the clipping of the update U by d.  On a landscape the whole position (x, or
(x, y)) is one vector parameter — torch's unfactored branch, state ``variance`` — and each
ball of a crowd has its own RMS (the arrays carry the crowd in leading axes).  On the network
page each weight matrix [out × in] is one parameter with the factored branch — torch's
``row_var`` [out × 1] and ``col_var`` [1 × in], the mean squared gradient of each row and
column, whose outer product over the mean row average stands in for v — and each bias
vector the unfactored one (:data:`ADAFACTOR`'s ``tensors``).  ``step`` is the run's step.

Where torch departs from the paper (its docstring says so): lr caps ρₜ (the paper's 0.01,
hence the default) and scales the decoupled weight decay; ε₁ acts on v and U, not on g²;
torch's ``eps=(None, 1e-3)`` takes ε₁ = the machine epsilon of the parameter's dtype, which
is float64's 2⁻⁵² here.

The step is relative to the size of x, so at x = 0 it is tiny: ε₂·ρₜ = 1e-3 · 1e-2 = 1e-5
on the first step, however steep the slope::

    >>> from app.engine.optimizers.interface import descend
    >>> descend(ADAFACTOR, {}, (0.0,), 1, lambda x: (5.0,))
    (-1e-05,)
    >>> descend(ADAFACTOR, {}, (2.0, -2.0), 1, lambda x: (4.0, 0.1))  # lr·RMS(x) each
    (1.98, -2.02)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..backend import Vector, join, split
from ..hyperparameters import Hyperparameter
from .explaining import Said, StepNumbers, buffer, num, prelude, step_line, term, vec
from .interface import (
    Binder,
    CoordinateState,
    Optimizer,
    ParameterTensor,
    Problem,
    Rule,
    TensorBinder,
    TensorEntry,
    TensorRule,
    TensorState,
)
from .shared import BECOMES, MAXIMIZE, POSITION, decoupled_decay, lerp

# torch's eps=(None, …): ε₁ is then torch.finfo(param.dtype).eps, float64's here.
FLOAT64_EPS = float(np.finfo(np.float64).eps)


class _Settings(NamedTuple):
    """The hyperparameters as the step uses them: floats, or (batched on a landscape)
    arrays that broadcast against the parameter."""

    lr: Any
    tau: Any  # beta2_decay
    eps1: Any
    eps2: Any
    d: Any
    weight_decay: Any
    maximize: bool


def _settings(hp: Mapping[str, Any], expand: int = 0) -> _Settings:
    """``hp`` with every array given ``expand`` trailing axes (a crowd's per-ball values
    against its balls' (…, dim) positions)."""

    def v(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            return value.reshape(value.shape + (1,) * expand)
        return value

    eps1, eps2 = hp["eps"]
    return _Settings(
        v(hp["lr"]),
        v(hp["beta2_decay"]),
        v(eps1),
        v(eps2),
        v(hp["d"]),
        v(hp["weight_decay"]),
        bool(hp["maximize"]),
    )


def _lerp(a: Any, b: Any, w: Any) -> Any:
    """torch's lerp, for a weight that may be a crowd's array (a batched beta2_decay)."""
    if isinstance(w, np.ndarray):
        return np.where(np.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1.0 - w))
    return lerp(a, b, w)


def _rms(a: np.ndarray, axes: tuple[int, ...]) -> Any:
    """‖a‖/√numel over ``axes`` (kept), as torch's ``a.norm(2) / a.numel() ** 0.5``."""
    numel = math.prod(a.shape[i] for i in axes)
    return np.sqrt(np.sum(a * a, axis=axes, keepdims=True)) / numel**0.5


class Moments(NamedTuple):
    """What one step works out on the way, for the Update rule panel."""

    w: Any  # 1 − β̂₂ₜ = t^τ, the weight of the new g²
    rho: Any  # ρₜ
    rms_x: Any  # RMS(x) before the step
    alpha: Any  # αₜ
    v: np.ndarray  # the second-moment estimate the step divides by (before the ε₁ clamp)
    u: np.ndarray  # U = g/√max(v, ε₁²)
    rms_u: Any  # RMS(U)
    denom: Any  # max(1, RMS(U)/d)


def adafactor_step(
    c: _Settings, t: int, p: np.ndarray, g: np.ndarray, bufs: Mapping[str, Any], own: int
) -> tuple[np.ndarray, dict[str, np.ndarray], Moments]:
    """One torch step of one parameter whose own axes are the last ``own`` of ``p``
    (leading axes: a crowd of balls, each its own parameter); ``bufs`` its state (empty
    before the first step).  A vector (own = 1) takes the unfactored branch, a matrix
    (own = 2) the factored one over its last two axes, as torch's ``grad.dim() > 1``."""
    axes = tuple(range(-own, 0))
    if c.maximize:
        g = -g
    step = float(t)
    w = np.power(step, c.tau) if isinstance(c.tau, np.ndarray) else step**c.tau
    rho = np.minimum(c.lr, 1 / step**0.5)
    rms_x = _rms(p, axes)
    alpha = np.maximum(c.eps2, rms_x) * rho
    p = p * (1 - c.lr * c.weight_decay)  # torch skips it at λ = 0: a product by 1, exact
    if own > 1:
        row_norm = np.sqrt(np.sum(g * g, axis=-1, keepdims=True))
        row_var = _lerp(bufs.get("row_var", 0.0), row_norm * row_norm / g.shape[-1], w)
        col_norm = np.sqrt(np.sum(g * g, axis=-2, keepdims=True))
        col_var = _lerp(bufs.get("col_var", 0.0), col_norm * col_norm / g.shape[-2], w)
        v = (row_var @ col_var) / np.maximum(np.mean(row_var, axis=-2, keepdims=True), c.eps1)
        new = {"row_var": row_var, "col_var": col_var}
    else:
        v = _lerp(bufs.get("variance", 0.0), g * g, w)
        new = {"variance": v}
    u = (1.0 / np.sqrt(np.maximum(v, c.eps1 * c.eps1))) * g  # torch's rsqrt, then · g
    rms_u = _rms(u, axes)
    denom = np.maximum(1.0, rms_u / c.d)
    p = p + (-alpha / denom) * u
    return p, new, Moments(w, rho, rms_x, alpha, v, u, rms_u, denom)


# --- on a landscape: the position is one vector ------------------------------------------


class AdafactorState(CoordinateState):
    """Adafactor's state on a landscape, per coordinate: its entry of torch's ``variance``
    (the position is one vector parameter; torch's ``step`` is the run's step)."""

    __slots__ = ()
    keys = ("variance",)
    nonnegative = frozenset({"variance"})


def _bind(hp: Mapping[str, Any]) -> Rule:
    def step(problem: Problem, t: int, x: Vector, state: AdafactorState) -> tuple[Vector, Any, int]:
        shape = problem.batch_shape
        variance = state.buffer("variance")
        bufs = {} if variance is None else {"variance": join(variance, shape)}
        p, new, _ = adafactor_step(
            _settings(hp, 1), t, join(x, shape), join(problem.gradient, shape), bufs, 1
        )
        v = split(new["variance"], shape)
        return split(p, shape), AdafactorState((c,) for c in v), 1

    return Rule(AdafactorState.fresh, step)


# --- on a network: each parameter tensor with its shape ----------------------------------


class AdafactorTensors(TensorState):
    """torch's state per parameter tensor: ``row_var`` [out × 1] and ``col_var`` [1 × in]
    for a weight matrix, ``variance`` for a bias vector."""

    __slots__ = ()
    keys = ("row_var", "col_var", "variance")
    nonnegative = frozenset(keys)

    @staticmethod
    def shape_of(key: str, tensor: ParameterTensor) -> tuple[int, ...] | None:
        shape = tensor.shape
        if len(shape) > 1:
            if key == "row_var":
                return shape[:-1] + (1,)
            if key == "col_var":
                return shape[:-2] + (1, shape[-1])
            return None
        return shape if key == "variance" else None


def _bind_tensors(hp: Mapping[str, Any]) -> TensorRule:
    c = _settings(hp)

    def step(
        t: int, params: Sequence[np.ndarray], grads: Sequence[np.ndarray], state: AdafactorTensors
    ) -> tuple[list[np.ndarray], AdafactorTensors]:
        moved, kept = [], []
        before = state.tensors or ({},) * len(params)
        for p, g, bufs in zip(params, grads, before, strict=True):
            p, new, _ = adafactor_step(c, t, p, g, bufs, 2 if p.ndim > 1 else 1)
            moved.append(p)
            kept.append(new)
        return moved, AdafactorTensors(state.layout, tuple(kept))

    return TensorRule(AdafactorTensors.fresh, step)


# --- the Update rule panel ----------------------------------------------------------------


def _explain(n: StepNumbers) -> Said:
    """One Adafactor step on a landscape: the relative step size αₜ, the variance, the
    scaled gradient U and its clipping."""
    said, p, _ = prelude(n, "decoupled")
    hp = n.hp
    lr, tau, d = hp["lr"], hp["beta2_decay"], hp["d"]
    eps1, eps2 = hp["eps"]
    v0 = buffer(n, "variance")
    _, _, m = adafactor_step(_settings(hp), n.t, n.x0, n.g, {"variance": v0}, 1)
    t = n.t
    w, rho, rms_x, alpha = (float(np.ravel(q)[0]) for q in (m.w, m.rho, m.rms_x, m.alpha))
    rms_u, denom = float(np.ravel(m.rms_u)[0]), float(np.ravel(m.denom)[0])
    said.line(f"1 − β̂₂ₜ = t^τ = {t}^{term(tau)} = {num(w)}")
    said.q("1 − β̂₂ₜ", "weight of the new g²", w, "t^τ: 1 on the first step, then shrinking")
    said.line(f"ρₜ = min(lr, 1/√t) = min({num(lr)}, {num(1 / math.sqrt(t))}) = {num(rho)}")
    said.q("ρₜ", "relative step size", rho, "how far to move, as a fraction of RMS(x)")
    said.line(f"RMS(x) = ‖x‖/√n = {num(rms_x)}")
    said.q("RMS(x)", "size of x", rms_x, "the root mean square of the position, before the step")
    said.line(
        f"αₜ = max(ε₂, RMS(x))·ρₜ = max({num(eps2)}, {num(rms_x)})·{term(rho)} = {num(alpha)}"
    )
    said.q("αₜ", "step size", alpha, "ρₜ times the size of x (ε₂ when x is near 0)")
    said.line(
        f"v ← β̂₂ₜ·v + (1 − β̂₂ₜ)·g² = {term(1 - w)}·{vec(v0)} + {term(w)}·{vec(n.g**2)}"
        f" = {vec(m.v, True)}"
    )
    said.q("v", "variance", m.v, "a running average of g² (torch's variance)")
    said.line(f"U = g/√max(v, ε₁²) = {vec(m.u, True)}   (ε₁ = {num(eps1)})")
    said.q("U", "scaled gradient", m.u, "g divided by its typical size: about ±1")
    said.line(f"RMS(U) = {num(rms_u)};  max(1, RMS(U)/d) = max(1, {num(rms_u)}/{term(d)})")
    said.q("RMS(U)", "size of U", rms_u, "above d, U is scaled down to RMS d (update clipping)")
    said.q("max(1, RMS(U)/d)", "clipping divisor", denom, "1 unless U is larger than d")
    step_line(
        said,
        "x ← x − αₜ·U/max(1, RMS(U)/d)",
        f"{vec(p, True)} − {term(alpha / denom)}·{vec(m.u)}",
    )
    return said


SYMBOLS = (
    POSITION,
    ("g", "the gradient ∇f(x): the slope of the loss at x, pointing uphill"),
    ("t", "the step number: 1, 2, 3, …"),
    (
        "lr",
        "the learning rate: the most ρₜ can be, and the scale of the weight decay (the "
        "`lr` setting)",
    ),
    ("ρₜ", "rho: the relative step size, min(lr, 1/√t)"),
    ("min", "the smaller of the two"),
    ("max", "the larger of the two"),
    (
        "RMS",
        "root mean square: √(the mean of the squares of the entries), a vector's typical "
        "entry size",
    ),
    ("αₜ", "alpha: the step size, ρₜ times the size of x"),
    (
        "ε₂",
        "the least size RMS(x) counts as, so that x = 0 still moves (the second of the `eps`)",
    ),
    (
        "ε₁",
        "a tiny number that keeps the division by √v from blowing up (the first of the `eps`)",
    ),
    (
        "λ",
        "weight decay: each step first shrinks x by the factor 1 − lr·λ (the "
        "`weight_decay` setting)",
    ),
    ("v", "a running average of the squared gradients (torch's variance)"),
    ("β̂₂ₜ", "how much of the old v is kept at step t: 1 − t^τ, growing toward 1"),
    ("τ", "tau: how fast β̂₂ₜ approaches 1 (the `beta2_decay` setting)"),
    ("^", "to the power: t^τ is t raised to the power τ"),
    ("U", "the gradient divided by its typical size √v"),
    ("d", "the clipping threshold: U is scaled down when its RMS is above d (the `d` setting)"),
    BECOMES,
)

# On a network, a weight matrix W's branch: its second moment from row and column averages.
FACTORED_FORMULA = (
    "ρₜ = min(lr, 1/√t);  αₜ = max(ε₂, RMS(W))·ρₜ;  W ← W·(1 − lr·λ);  "
    "R ← β̂₂ₜ·R + (1 − β̂₂ₜ)·rowmean(g²),  β̂₂ₜ = 1 − t^τ;  "
    "C ← β̂₂ₜ·C + (1 − β̂₂ₜ)·colmean(g²);  v̂ = R·C/max(mean(R), ε₁);  "
    "U = g/√max(v̂, ε₁²);  W ← W − αₜ·U/max(1, RMS(U)/d)"
)
FACTORED_SYMBOLS = (
    ("W", "a weight matrix of the network [out × in]: one parameter tensor"),
    *(s for s in SYMBOLS if s[0] not in ("x", "v")),
    (
        "R",
        "the row averages: per row of W, a running mean of g² over the row (torch's row_var)",
    ),
    (
        "C",
        "the column averages: per column of W, a running mean of g² over the column "
        "(torch's col_var)",
    ),
    ("rowmean", "the mean over each row of W"),
    ("colmean", "the mean over each column of W"),
    ("mean", "the mean: here, of R over the rows"),
    ("v̂", "v-hat: the estimate of g²'s typical size at each weight, R·C over the mean of R"),
)


def _explain_entry(n: StepNumbers, e: TensorEntry) -> Said:
    """One weight's share of an Adafactor step on a network: its tensor's relative step
    size and clipping, and — in a weight matrix — its row's and column's averages of g²."""
    said, x, g = prelude(n, "decoupled")
    hp, t = n.hp, n.t
    lr, tau, d = hp["lr"], hp["beta2_decay"], hp["d"]
    eps1, eps2 = hp["eps"]
    matrix = e.param.ndim > 1
    _, new, m = adafactor_step(_settings(hp), t, e.param, e.grad, e.before, 2 if matrix else 1)
    w, rho = float(m.w), float(m.rho)
    rms_x, alpha = float(np.ravel(m.rms_x)[0]), float(np.ravel(m.alpha)[0])
    rms_u, denom = float(np.ravel(m.rms_u)[0]), float(np.ravel(m.denom)[0])
    what = "W" if matrix else "b"
    said.line(f"1 − β̂₂ₜ = t^τ = {t}^{term(tau)} = {num(w)}")
    said.q("1 − β̂₂ₜ", "weight of the new g²", w, "t^τ: 1 on the first step, then shrinking")
    said.line(f"ρₜ = min(lr, 1/√t) = min({num(lr)}, {num(1 / math.sqrt(t))}) = {num(rho)}")
    said.q("ρₜ", "relative step size", rho, "how far to move, as a fraction of the tensor's RMS")
    said.line(
        f"αₜ = max(ε₂, RMS({what}))·ρₜ = max({num(eps2)}, {num(rms_x)})·{term(rho)} = {num(alpha)}"
    )
    said.q(f"RMS({what})", "size of the tensor", rms_x, "the RMS of this weight's whole tensor")
    said.q("αₜ", "step size", alpha, "ρₜ times the tensor's size (ε₂ when it is near 0)")
    u = float(m.u[e.at])
    if matrix:
        r, c = e.at[-2], e.at[-1]
        row, col = float(new["row_var"][e.at[:-1] + (0,)]), float(new["col_var"][(0, c)])
        mean_row = float(np.mean(new["row_var"]))
        vhat = float(m.v[e.at])
        said.line(f"R = row {r}'s average of g² = {num(row)};  C = column {c}'s = {num(col)}")
        said.q("R", "row average", row, "this weight's row: a running mean of g² (row_var)")
        said.q("C", "column average", col, "its column: a running mean of g² (col_var)")
        said.line(
            f"v̂ = R·C/max(mean(R), ε₁) = {num(row)}·{term(col)}/{term(mean_row)} = {num(vhat)}"
        )
        said.q("v̂", "variance estimate", vhat, "g²'s typical size here, from row and column")
        said.rule(FACTORED_FORMULA, FACTORED_SYMBOLS)
    else:
        v = float(m.v[e.at])
        v0 = float(e.before["variance"][e.at]) if "variance" in e.before else 0.0
        g0 = float(e.grad[e.at])
        said.line(
            f"v ← β̂₂ₜ·v + (1 − β̂₂ₜ)·g² = {term(1 - w)}·{term(v0)} + {term(w)}·{term(g0 * g0)}"
            f" = {num(v)}"
        )
        said.q("v", "variance", v, "a running average of g² (torch's variance)")
    said.line(f"U = g/√max({'v̂' if matrix else 'v'}, ε₁²) = {num(u)}   (ε₁ = {num(eps1)})")
    said.q("U", "scaled gradient", u, "g divided by its typical size: about ±1")
    said.line(
        f"RMS(U) = {num(rms_u)} over the tensor;  max(1, RMS(U)/d) = {num(denom)}  (d = {num(d)})"
    )
    said.q("RMS(U)", "size of U", rms_u, "over the whole tensor: above d, U is scaled down")
    said.q(
        "max(1, RMS(U)/d)", "clipping divisor", denom, "1 unless the tensor's U is larger than d"
    )
    step_line(
        said, "x ← x − αₜ·U/max(1, RMS(U)/d)", f"{vec(x, True)} − {term(alpha / denom)}·{term(u)}"
    )
    return said


ADAFACTOR = Optimizer(
    id="adafactor",
    name="Adafactor",
    group="adaptive",
    weight_decay="decoupled",
    lr_scales="own",
    batched=frozenset({"lr", "beta2_decay", "eps.0", "eps.1", "d", "weight_decay"}),
    hyperparameters=(
        Hyperparameter(
            "lr",
            "Learning rate",
            1e-2,
            "log",
            "The most the relative step size ρₜ = min(lr, 1/√t) can be: each step moves about "
            "lr times the size of x (RMS(x)). Also scales the weight decay.",
            0.0,
            100.0,
            "Learning rate should be >= 0 but is",
        ),
        Hyperparameter(
            "beta2_decay",
            "β₂ decay τ",
            -0.8,
            "linear",
            "How fast the running average of g² forgets: the new g² gets weight t^τ "
            "(1 on the first step). Closer to 0 forgets faster.",
            -10.0,
            0.0,
            "beta2_decay should be <= 0 but is",
        ),
        Hyperparameter(
            "eps",
            "Epsilons (ε₁, ε₂)",
            (FLOAT64_EPS, 1e-3),
            "log",
            "ε₁ keeps the division by √v from blowing up (torch's None: the machine epsilon, "
            "2.2e-16 in float64); ε₂ is the least size RMS(x) counts as, so x = 0 still moves.",
            0.0,
            1.0,
            "Invalid epsilon value",
            invalid_each=("epsilon1 should be >= 0 but is", "epsilon2 should be >= 0 but is"),
        ),
        Hyperparameter(
            "d",
            "Clipping threshold d",
            1.0,
            "log",
            "Update clipping: when the scaled gradient U has RMS above d, it is scaled down "
            "to RMS d.",
            1.0,
            100.0,
            "Clipping threshold d should be >= 1 but is",
        ),
        decoupled_decay(0.0, "weight_decay should be >= 0 but is"),
        MAXIMIZE,
    ),
    bind=Binder(_bind, AdafactorState),
    tensors=TensorBinder(_bind_tensors, AdafactorTensors, _explain_entry),
    explain=_explain,
    formula=(
        "ρₜ = min(lr, 1/√t);  αₜ = max(ε₂, RMS(x))·ρₜ;  x ← x·(1 − lr·λ);  "
        "v ← β̂₂ₜ·v + (1 − β̂₂ₜ)·g²,  β̂₂ₜ = 1 − t^τ;  U = g/√max(v, ε₁²);  "
        "x ← x − αₜ·U/max(1, RMS(U)/d)"
    ),
    symbols=SYMBOLS,
)
