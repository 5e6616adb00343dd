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

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..backend import Vector
from ..hyperparameters import Hyperparameter
from .bfloat16 import newton_schulz
from .explaining import Said, StepNumbers, buffer, num, prelude, step_line, term, vec
from .interface import Binder, CoordinateState, Optimizer, Problem, Rule
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
            "a normalised Nesterov step of length about 0.7·lr.",
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
            "0.2·√max(A, B), so AdamW's lr carries over.",
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
