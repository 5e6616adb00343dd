"""Rprop, as torch.optim.Rprop: only the gradient's sign is used; each coordinate keeps its
own step size, grown while the sign holds and shrunk when it flips.

    s ← clamp(s·η₊ if g·g₋ > 0, s·η₋ if g·g₋ < 0, else s);   x ← x − s·sign(g)

Example — on a straight slope the first step is lr, and each next one η₊ = 1.2 times longer::

    >>> from app.engine.optimizers.interface import descend
    >>> [round(descend(RPROP, {"lr": 0.1}, (0.0,), n, lambda x: (1.0,))[0], 4) for n in (1, 2, 3)]
    [-0.1, -0.22, -0.364]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import HyperparameterError
from ..hyperparameters import Hyperparameter
from .explaining import Said, StepNumbers, buffer, num, prelude, step_line, vec
from .interface import CoordinateState, Optimizer, Update, coordinatewise
from .shared import BECOMES, MAXIMIZE, POSITION, SIGN

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


class RpropState(CoordinateState):
    """torch's Rprop state for one coordinate: the previous gradient and the coordinate's
    own step size."""

    __slots__ = ()
    keys = ("prev", "step_size")
    nonnegative = frozenset({"step_size"})


def _explain(n: StepNumbers) -> Said:
    """One Rprop step for the Update rule panel: the sign test, each step size, the step."""
    said, p, g = prelude(n, None)
    etaminus, etaplus = n.hp["etas"]
    smin, smax = n.hp["step_sizes"]
    prev = buffer(n, "prev")
    s0 = buffer(n, "step_size", n.hp["lr"])
    s1 = buffer(n, "step_size", after=True)
    used = buffer(n, "prev", after=True)  # the gradient as the step used it (0 after a flip)
    agree = np.sign(g * prev)
    factor = np.where(agree > 0, etaplus, np.where(agree < 0, etaminus, 1.0))
    said.line(f"sign(g·g₋) = {vec(agree, True)}   (g₋ = {vec(prev, True)}, the last gradient)")
    said.line(
        f"s ← clamp(s·η, {num(smin)}, {num(smax)}) = clamp({vec(s0, True)}·{vec(factor)})"
        f" = {vec(s1, True)}"
    )
    said.q("g₋", "last gradient", prev, "the gradient of the last step (torch's prev)")
    said.q("η", "step-size factor", factor, "η₊ if g kept its sign, η₋ if it flipped, else 1")
    said.q("s", "step size", s1, "each coordinate's own step length (torch's step_size)")
    if (agree < 0).any():
        said.line(f"g ← 0 where g·g₋ < 0: g = {vec(used, True)}")
    said.q("sign(g)", "direction", np.sign(used), "which way the step goes (0: stay put)")
    step_line(said, "x ← x − s·sign(g)", f"{vec(p, True)} − {vec(s1)}·{vec(np.sign(used))}")
    return said


RPROP = Optimizer(
    id="rprop",
    batched=frozenset({"lr", "etas.0", "etas.1", "step_sizes.0", "step_sizes.1"}),
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
    bind=coordinatewise(_rprop_rule, RpropState),
    explain=_explain,
    lr_scales="own",
    formula="s ← clamp(s·η₊ if g·g₋ > 0, s·η₋ if g·g₋ < 0, else s);  g ← 0 if g·g₋ < 0;  "
    "x ← x − s·sign(g)",
    symbols=(
        POSITION,
        ("g", "the gradient ∇f(x): the slope of the loss at x; only its sign is used"),
        ("g₋", "the previous step's gradient (torch's prev)"),
        (
            "s",
            "this coordinate's own step size: exactly how far it moves (torch's step_size; it "
            "starts at the `lr` setting)",
        ),
        (
            "η₊",
            "eta plus: what s is multiplied by while the gradient keeps its sign, above 1 (the "
            "second of the `etas`)",
        ),
        (
            "η₋",
            "eta minus: what s is multiplied by when the gradient's sign flips, below 1 (the "
            "first of the `etas`)",
        ),
        (
            "clamp",
            "keeps the step size between the smallest and largest allowed (the `step_sizes` "
            "setting)",
        ),
        SIGN,
        BECOMES,
    ),
    cross_check=_rprop_cross_check,
)
