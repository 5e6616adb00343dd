"""Muon (Jordan et al. 2024), as ``torch.optim.Muon`` computes it (torch 2.9+; read from torch
2.13's ``torch/optim/_muon.py``, single-tensor path).

    B ← μ·B + (1 − μ)·g              (torch's momentum_buffer; ``buf.lerp_(g, 1 − μ)``)
    B̃ = μ·B + (1 − μ)·g              (nesterov; else B̃ = B)
    O = NS(B̃)                         (Newton–Schulz orthogonalisation, in bfloat16)
    x ← x·(1 − lr·λ) − η·O          (η = lr·√max(1, A/B), or 0.2·lr·√max(A, B))

torch takes only 2-D parameters (A×B matrices): Muon replaces a weight matrix's update by
the nearest orthogonal matrix (all singular values ~1), computed by ``ns_steps`` quintic
Newton–Schulz iterations in bfloat16 (:mod:`.bfloat16`, bit for bit torch's).  On a
landscape the point (x, y) is the 1×2 matrix [x y] (and x in 1D the 1×1 matrix [x]).  A row
has one singular value, so orthogonalising it only normalises it: O is B̃/‖B̃‖ times the
iteration's polynomial run from 1, about 0.7 in bfloat16 (0.6875 for a 1×1) — Muon there is
a *normalised Nesterov step* of length ≈ 0.7·η in the direction of the momentum.  With
``adjust_lr_fn="original"`` η = lr (a row has A = 1 ≤ B); ``"match_rms_adamw"`` gives
η = 0.2·lr·√dim.

On the network page Muon runs as the usual recipe (:data:`MUON`'s ``tensors``): Muon on the
weight matrix [out × in] of every hidden layer (each layer whose outputs are hidden units),
``torch.optim.AdamW`` — this product's AdamW rule, torch's defaults, the same lr and
weight_decay — on everything else, the biases and the output layer's weight.  State keys are
torch's: ``momentum_buffer`` for Muon's matrices, ``exp_avg`` and ``exp_avg_sq`` for AdamW's
tensors.  ``adjust_lr_fn="match_rms_adamw"`` scales Muon's update to the RMS of a typical
AdamW update (0.2), which is what lets one lr suit both parts.  A schedule's lr reaches
both parts; a OneCycle that cycles momentum cycles Muon's μ only (AdamW's β₁ stays 0.9).

The rule couples the coordinates of a ball (the norm), not the balls of a crowd: a crowd
runs as one stack of 1×dim matrices, one numpy call per op.  ``maximize`` is the product's
(torch's Muon has none): it negates the gradient first, as torch's other optimizers do.

torch's docstring writes B ← μ·B + g and g + μ·B; its code keeps the average above
(``lerp``), which is (1 − μ) times that — the same direction, which is all NS keeps.

The first step on x² from 1 is 0.6875·lr long, whatever the gradient::

    >>> from app.engine.optimizers.interface import descend
    >>> descend(MUON, {"lr": 0.1, "weight_decay": 0.0}, (1.0,), 1, lambda x: (2 * x[0],))
    (0.93125,)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..backend import NUMPY, Vector
from ..hyperparameters import Hyperparameter
from .adam import ADAMW
from .bfloat16 import newton_schulz
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
from .shared import BECOMES, GRADIENT, POSITION, decoupled_decay, lerp

# Keller Jordan's constants, torch's defaults.
DEFAULT_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
ADJUST_LR_FNS = ("original", "match_rms_adamw")  # torch's None is "original"


def adjusted_lr(lr: Any, adjust_lr_fn: str, shape: tuple[int, int]) -> Any:
    """torch's ``_adjust_lr``: the learning rate Muon steps with for an A×B parameter.

    >>> adjusted_lr(0.1, "original", (1, 2)), adjusted_lr(0.1, "original", (8, 2))
    (0.1, 0.2)
    >>> round(adjusted_lr(0.1, "match_rms_adamw", (1, 2)), 6)
    0.028284
    """
    a, b = shape
    original = adjust_lr_fn == "original"
    return lr * (math.sqrt(max(1, a / b)) if original else 0.2 * math.sqrt(max(a, b)))


class MuonState(CoordinateState):
    """Muon's state for one coordinate (one entry of the parameter matrix): the momentum."""

    __slots__ = ()
    keys = ("momentum_buffer",)


NewtonSchulz = Callable[[np.ndarray, tuple[float, float, float], int, float], np.ndarray]


def _orthogonalised(
    hp: Mapping[str, Any], update: list[Any], ns: NewtonSchulz = newton_schulz
) -> np.ndarray:
    """NS of the 1×dim matrix of ``update`` (components: floats or arrays of the batch
    shape), as float64 of shape (..., dim)."""
    row = np.stack(np.broadcast_arrays(*update), axis=-1)[..., None, :]
    o = ns(row, tuple(hp["ns_coefficients"]), hp["ns_steps"], hp["eps"])
    return o[..., 0, :].astype(np.float64)


def _bind_muon(hp: Mapping[str, Any], ns: NewtonSchulz = newton_schulz) -> Rule:
    """Muon's rule; ``ns`` is the orthogonalisation (torch's bfloat16 one; a test swaps in
    another to show the goldens tell them apart)."""
    lr, wd, momentum = hp["lr"], hp["weight_decay"], hp["momentum"]
    nesterov, maximize = hp["nesterov"], hp["maximize"]
    decay = 1 - lr * wd  # torch's param.mul_(1 - lr * weight_decay), a Python float

    def step(problem: Problem, t: int, x: Vector, state: MuonState) -> tuple[Vector, Any, int]:
        bufs, update = [], []
        for g, (buf,) in zip(problem.gradient, state, strict=True):
            if maximize:
                g = -g
            buf = lerp(0.0 if buf is None else buf, g, 1 - momentum)
            bufs.append((buf,))
            update.append(lerp(g, buf, momentum) if nesterov else buf)
        o = _orthogonalised(hp, update, ns)
        step_lr = adjusted_lr(lr, hp["adjust_lr_fn"], (1, len(x)))
        moved = [p * decay + -step_lr * o[..., i] for i, p in enumerate(x)]
        if problem.batch_shape == ():
            moved = [float(p) for p in moved]
        return tuple(moved), MuonState(bufs), 1

    return Rule(MuonState.fresh, step)


def _explain(n: StepNumbers) -> Said:
    """One Muon step for the Update rule panel: the momentum B, the blend B̃, its
    orthogonalisation O (a rescaled direction on a landscape) and the adjusted lr."""
    said, p, g = prelude(n, "decoupled")
    hp = n.hp
    mu = hp["momentum"]
    b0, b1 = buffer(n, "momentum_buffer"), buffer(n, "momentum_buffer", after=True)
    said.line(
        f"B ← μ·B + (1 − μ)·g = {term(mu)}·{vec(b0)} + {term(1 - mu)}·{vec(g)} = {vec(b1, True)}"
    )
    said.q("B", "momentum buffer", b1, "a running average of g (torch's momentum_buffer)")
    if hp["nesterov"]:
        blend = lerp(g, b1, mu)
        said.line(
            f"B̃ = μ·B + (1 − μ)·g = {term(mu)}·{vec(b1)} + {term(1 - mu)}·{vec(g)} "
            f"= {vec(blend, True)}"
        )
        said.q("B̃", "Nesterov blend", blend, "the look-ahead mix of momentum and gradient")
    else:
        blend = b1
    o = _orthogonalised(hp, list(blend))
    length = float(np.linalg.norm(o))
    of = "B̃" if hp["nesterov"] else "B"
    said.line(
        f"O = NS({of}) = {vec(o, True)}   (bfloat16: {of}/‖{of}‖ times {num(length)}, "
        f"{hp['ns_steps']} Newton–Schulz steps)"
    )
    said.q(
        "O",
        "orthogonalised update",
        o,
        "B̃ made orthogonal: on a landscape its direction, of length about 0.7",
    )
    step_lr = adjusted_lr(hp["lr"], hp["adjust_lr_fn"], (1, len(p)))
    said.line(f"η = {num(step_lr)}   (adjust_lr_fn {hp['adjust_lr_fn']!r}, 1×{len(p)} matrix)")
    said.q("η", "adjusted learning rate", step_lr, "what the step multiplies O by")
    step_line(said, "x ← x − η·O", f"{vec(p, True)} − {term(step_lr)}·{vec(o)}")
    return said


# --- on a network: Muon for the hidden weight matrices, AdamW for the rest -----------------


def is_muons(tensor: ParameterTensor) -> bool:
    """Whether the recipe gives ``tensor`` to Muon: a hidden layer's weight matrix (the
    biases and the output layer's weight go to AdamW)."""
    return tensor.hidden and len(tensor.shape) == 2


def adamw_hyperparameters(hp: Mapping[str, Any]) -> dict[str, Any]:
    """AdamW's part of the recipe: Muon's lr, weight_decay (and maximize), torch's AdamW
    defaults otherwise (betas (0.9, 0.999), eps 1e-8, amsgrad off)."""
    keep = {k: hp[k] for k in ("lr", "weight_decay", "maximize")}
    return {**ADAMW.validate({}), **keep}


class MuonTensors(TensorState):
    """The recipe's state per parameter tensor, by torch's keys: ``momentum_buffer`` for a
    hidden weight matrix (torch.optim.Muon's), ``exp_avg`` and ``exp_avg_sq`` for every other
    tensor (torch.optim.AdamW's)."""

    __slots__ = ()
    keys = ("momentum_buffer", "exp_avg", "exp_avg_sq")
    nonnegative = frozenset({"exp_avg_sq"})

    @staticmethod
    def shape_of(key: str, tensor: ParameterTensor) -> tuple[int, ...] | None:
        if is_muons(tensor):
            return tensor.shape if key == "momentum_buffer" else None
        return None if key == "momentum_buffer" else tensor.shape


class MatrixStep(NamedTuple):
    """One Muon step of a weight matrix, and what it works out on the way."""

    param: np.ndarray  # W after the step
    buffer: np.ndarray  # B, the momentum buffer after it
    blend: np.ndarray  # B̃ (B itself without nesterov)
    o: np.ndarray  # NS(B̃), as float64
    eta: float  # the adjusted learning rate


def matrix_step(
    hp: Mapping[str, Any],
    p: np.ndarray,
    g: np.ndarray,
    buf: np.ndarray | None,
) -> MatrixStep:
    """torch's ``_single_tensor_muon`` for one weight matrix p [out × in] with gradient g."""
    momentum = hp["momentum"]
    if hp["maximize"]:
        g = -g
    buf = lerp(np.zeros_like(g) if buf is None else buf, g, 1 - momentum)
    blend = lerp(g, buf, momentum) if hp["nesterov"] else buf
    o = newton_schulz(blend, tuple(hp["ns_coefficients"]), hp["ns_steps"], hp["eps"])
    o = o.astype(np.float64)
    eta = adjusted_lr(hp["lr"], hp["adjust_lr_fn"], (p.shape[0], p.shape[1]))
    decay = 1 - hp["lr"] * hp["weight_decay"]
    return MatrixStep(p * decay + -eta * o, buf, blend, o, eta)


def _bind_tensors(hp: Mapping[str, Any]) -> TensorRule:
    """The recipe as two torch optimizers stepping in turn: Muon on the hidden weight
    matrices, AdamW (its coordinate-wise rule on whole tensors) on the rest."""
    adamw = ADAMW.bind(adamw_hyperparameters(hp)).update
    assert adamw is not None

    def step(
        t: int, params: Sequence[np.ndarray], grads: Sequence[np.ndarray], state: MuonTensors
    ) -> tuple[list[np.ndarray], MuonTensors]:
        moved, kept = [], []
        before = state.tensors or ({},) * len(params)
        for p, g, bufs, tensor in zip(params, grads, before, state.layout, strict=True):
            new: dict[str, np.ndarray]
            if is_muons(tensor):
                m = matrix_step(hp, p, g, bufs.get("momentum_buffer"))
                p, new = m.param, {"momentum_buffer": m.buffer}
            else:
                moments = (bufs.get("exp_avg"), bufs.get("exp_avg_sq"), None)
                p, (exp_avg, exp_avg_sq, _) = adamw(NUMPY, t, p, g, moments)
                new = {"exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
            moved.append(p)
            kept.append(new)
        return moved, MuonTensors(state.layout, tuple(kept))

    return TensorRule(MuonTensors.fresh, step)


# The Update rule panel's formula for a hidden weight matrix W [out × in].
MATRIX_FORMULA = (
    "B ← μ·B + (1 − μ)·g;  B̃ = μ·B + (1 − μ)·g;  O = NS(B̃);  W ← W·(1 − lr·λ) − η·O,  "
    "η = lr·√max(1, n_out/n_in)  or  0.2·lr·√max(n_out, n_in)"
)
MATRIX_SYMBOLS = (
    ("W", "a hidden layer's weight matrix [n_out × n_in]: one parameter tensor, Muon's"),
    ("g", "the gradient of the loss with respect to W: the slope along each weight"),
    ("B", "the momentum buffer: a running average of W's gradients (torch's momentum_buffer)"),
    ("μ", "momentum: how much of the old B is kept each step (the `momentum` setting)"),
    (
        "B̃",
        "the Nesterov blend: the momentum with the new gradient mixed in once more (B itself "
        "when `nesterov` is off)",
    ),
    (
        "NS",
        "Newton–Schulz: `ns_steps` matrix iterations in bfloat16 that make the whole B̃ "
        "orthogonal (every singular value near 1)",
    ),
    ("O", "the orthogonalised update: B̃ with the sizes of its directions taken out"),
    ("lr", "the learning rate (the `lr` setting; AdamW's too, for the other tensors)"),
    ("λ", "weight decay: each step first shrinks W by the factor 1 − lr·λ"),
    (
        "η",
        "eta, the adjusted learning rate: lr scaled for the matrix's shape (the "
        "`adjust_lr_fn` setting: 'original', or 'match_rms_adamw' for AdamW's update size)",
    ),
    ("n_out", "the layer's outputs: W's rows"),
    ("n_in", "the layer's inputs: W's columns"),
    ("max", "the larger of the two"),
    BECOMES,
)


def _explain_entry(n: StepNumbers, e: TensorEntry) -> Said:
    """One weight's share of the recipe's step: a hidden weight matrix's entry of Muon's
    orthogonalised update, or AdamW's step for a bias or an output weight."""
    if not is_muons(e.tensor):
        return _explain_adamw_entry(n, e)
    said, x, g = prelude(n, "decoupled")
    hp = n.hp
    mu = hp["momentum"]
    before = e.before.get("momentum_buffer")
    m = matrix_step(hp, e.param, e.grad, before)
    b0 = 0.0 if before is None else float(before[e.at])
    b1, o, blend = float(m.buffer[e.at]), float(m.o[e.at]), float(m.blend[e.at])
    r, c = e.at
    out, inp = e.param.shape
    said.line(f"B ← μ·B + (1 − μ)·g = {term(mu)}·{term(b0)} + {term(1 - mu)}·{vec(g)} = {num(b1)}")
    said.q("B", "momentum buffer", b1, "this weight's running average of g (momentum_buffer)")
    if hp["nesterov"]:
        said.line(
            f"B̃ = μ·B + (1 − μ)·g = {term(mu)}·{term(b1)} + {term(1 - mu)}·{vec(g)} = {num(blend)}"
        )
        said.q("B̃", "Nesterov blend", blend, "the look-ahead mix of momentum and gradient")
    of = "B̃" if hp["nesterov"] else "B"
    said.line(
        f"O = NS({of})[{r}, {c}] = {num(o)}   (the whole {out}×{inp} matrix made orthogonal: "
        f"{hp['ns_steps']} Newton–Schulz steps in bfloat16)"
    )
    said.q("O", "orthogonalised update", o, f"this weight's entry of NS({of}) for its layer")
    said.line(f"η = {num(m.eta)}   (adjust_lr_fn {hp['adjust_lr_fn']!r}, {out}×{inp} matrix)")
    said.q("η", "adjusted learning rate", m.eta, "lr scaled for the matrix's shape")
    step_line(said, "W ← W − η·O", f"{vec(x, True)} − {term(m.eta)}·{term(o)}")
    said.rule(MATRIX_FORMULA, MATRIX_SYMBOLS)
    return said


def _explain_adamw_entry(n: StepNumbers, e: TensorEntry) -> Said:
    """A bias's or an output weight's step: AdamW's, explained by AdamW's own hook."""
    hp = adamw_hyperparameters(n.hp)
    adamw = ADAMW.bind(hp).update
    assert adamw is not None
    before = {k: None if k not in e.before else np.array([e.before[k][e.at]]) for k in ADAMW.keys}
    _, after = adamw(NUMPY, n.t, n.x0, n.g, tuple(before[k] for k in ADAMW.keys))
    numbers = dataclasses.replace(
        n, hp=hp, before=before, after=dict(zip(ADAMW.keys, after, strict=True))
    )
    said = ADAMW.explain(numbers)
    what = "a bias" if len(e.tensor.shape) == 1 else "the output layer's weight"
    said.lines.insert(0, f"{what}: AdamW's part of the recipe (Muon takes hidden weight matrices)")
    said.rule(ADAMW.formula, ADAMW.symbols)
    return said


_MOMENTUM = Hyperparameter(
    "momentum",
    "Momentum μ",
    0.95,
    "linear",
    "How much of the old momentum buffer is kept each step: B ← μ·B + (1 − μ)·g.",
    0.0,
    1.0,
    "momentum should be >= 0 but is",
)

MUON = Optimizer(
    id="muon",
    name="Muon",
    group="adaptive",
    weight_decay="decoupled",
    lr_scales="step",
    batched=frozenset({"lr", "weight_decay"}),
    hyperparameters=(
        Hyperparameter(
            "lr",
            "Learning rate",
            1e-3,
            "log",
            "How far each step moves: Muon's update is orthogonalised, so its size does not "
            "depend on the gradient's. On a landscape (x, y) is a 1×2 matrix, where Muon is "
            "a normalised Nesterov step of length about 0.7·lr. On the network page it is "
            "also AdamW's lr, for the biases and the output layer.",
            0.0,
            100.0,
            "Learning rate should be >= 0 but is",
        ),
        decoupled_decay(0.1, "weight decay should be >= 0 but is"),
        _MOMENTUM,
        Hyperparameter(
            "nesterov",
            "Nesterov",
            True,
            "bool",
            "Orthogonalise the look-ahead blend μ·B + (1 − μ)·g instead of the momentum B.",
        ),
        Hyperparameter(
            "ns_coefficients",
            "Newton–Schulz coefficients (a, b, c)",
            DEFAULT_COEFFICIENTS,
            "linear",
            "The quintic X ← a·X + b·(XXᵀ)X + c·(XXᵀ)²X that pushes every singular value "
            "toward 1 (Keller Jordan's, chosen for speed: they land between about 0.7 and 1.2).",
            -100.0,
            100.0,
            "Invalid ns_coefficients value",
        ),
        Hyperparameter(
            "eps",
            "Epsilon",
            1e-7,
            "log",
            "The smallest norm B̃ is divided by before the iteration (in bfloat16: 1e-7 is "
            "1.0012e-7), so a zero update stays zero.",
            0.0,
            1.0,
            "Invalid epsilon value",
        ),
        Hyperparameter(
            "ns_steps",
            "Newton–Schulz steps",
            5,
            "linear",
            "How many Newton–Schulz iterations orthogonalise the update (torch refuses 100 "
            "or more).",
            0.0,
            99.0,
            "Number of steps must be less than 100 for computational efficiency",
            integer=True,
        ),
        Hyperparameter(
            "adjust_lr_fn",
            "Learning-rate adjustment",
            "original",
            "choice",
            "How lr is scaled for an A×B matrix: 'original' (Keller Jordan's) by "
            "√max(1, A/B) — 1 on a landscape; 'match_rms_adamw' (Moonshot's) by "
            "0.2·√max(A, B), which gives Muon's update the RMS of a typical AdamW update: "
            "on the network page, where AdamW steps the biases and the output layer with "
            "the same lr, it is what lets one lr suit both (torch's reason for it).",
            choices=ADJUST_LR_FNS,
        ),
        Hyperparameter(
            "maximize",
            "Maximize",
            False,
            "bool",
            "Climb instead of descend. (Not in torch's Muon; added as its other optimizers "
            "have it.)",
        ),
    ),
    bind=Binder(_bind_muon, MuonState),
    tensors=TensorBinder(_bind_tensors, MuonTensors, _explain_entry),
    explain=_explain,
    formula=("B ← μ·B + (1 − μ)·g;  B̃ = μ·B + (1 − μ)·g;  O = NS(B̃);  x ← x·(1 − lr·λ) − η·O"),
    symbols=(
        POSITION,
        GRADIENT,
        ("B", "the momentum buffer: a running average of the gradients (torch's momentum_buffer)"),
        (
            "μ",
            "momentum: how much of the old B is kept each step (the `momentum` setting)",
        ),
        (
            "B̃",
            "the Nesterov blend: the momentum with the new gradient mixed in once more (B itself "
            "when `nesterov` is off)",
        ),
        (
            "NS",
            "Newton–Schulz: `ns_steps` matrix iterations in bfloat16 that make B̃ orthogonal "
            "(every singular value near 1); for a point on a landscape, B̃/‖B̃‖ times about 0.7",
        ),
        ("O", "the orthogonalised update: B̃ with its size taken out"),
        ("lr", "the learning rate (the `lr` setting)"),
        (
            "η",
            "eta, the adjusted learning rate: lr scaled for the matrix's shape (the "
            "`adjust_lr_fn` setting; lr itself on a landscape with 'original')",
        ),
        (
            "λ",
            "weight decay: each step first shrinks x by the factor 1 − lr·λ, pulling it toward "
            "0 (the `weight_decay` setting)",
        ),
        BECOMES,
    ),
)
