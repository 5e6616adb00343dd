"""ASGD, averaged stochastic gradient descent (Polyak & Juditsky 1992), as torch.optim.ASGD.

    x ← x·(1 − λ·η) − η·g;   ax ← ax + μ·(x − ax);
    η ← lr/(1 + λ·lr·t)^α;   μ ← 1/max(1, t − t₀)

A gradient step with a step size η that decays like t^−α, plus a running average ``ax`` of
the iterates: the point ASGD returns.  Where torch departs from the textbook:

* η and μ are updated *after* the step, from the step number t just taken, and kept in the
  state: step t uses η and μ from step t − 1 (η = lr and μ = 1 on the first step), so the
  averaging starts at step t₀ + 3, not t₀ + 1;
* while μ = 1, ax is a copy of x (torch branches on ``mu != 1``; it does not compute
  ax + 1·(x − ax));
* λ (``lambd``) both shrinks x every step, like weight decay, and slows the decay of η;
* with torch's default t₀ = 10⁶, averaging never starts in a run of this size: ax is x.

Four steps on f(x) = x² from 1 with t₀ = 1: ax is x for three steps, then the average of
the third and fourth iterates::

    >>> from app.engine.optimizers.interface import Given
    >>> rule = ASGD.bind(ASGD.validate({"lr": 0.1, "lambd": 0.0, "t0": 1.0}))
    >>> x, state = (1.0,), rule.init(1)
    >>> for t in (1, 2, 3, 4):
    ...     x, state, _ = rule.step(Given(x, lambda p: (2 * p[0],)), t, x, state)
    >>> round(x[0], 6), round(state.buffer("ax")[0], 6)
    (0.4096, 0.4608)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..hyperparameters import Hyperparameter
from .explaining import Said, StepNumbers, buffer, num, prelude, step_line, term, vec
from .interface import CoordinateState, Optimizer, Update, coordinatewise
from .shared import (
    BECOMES,
    GRADIENT_L2,
    MAXIMIZE,
    POSITION,
    WEIGHT_DECAY,
    learning_rate,
    signed_and_decayed,
)


def _asgd_rule(hp: Mapping[str, Any]) -> Update:
    lr, lambd, alpha, t0 = hp["lr"], hp["lambd"], hp["alpha"], hp["t0"]
    wd, maximize = hp["weight_decay"], hp["maximize"]

    def update(xp: Any, step: int, p: Any, g: Any, bufs: tuple[Any, ...]) -> tuple[Any, tuple]:
        eta, mu, ax = bufs
        if eta is None:  # torch creates its state on the first step: η = lr, μ = 1, ax = 0
            eta, mu, ax = lr, 1.0, 0.0
        p, g = signed_and_decayed(p, g, maximize, wd)
        p = p * (1 - lambd * eta)  # the decay term
        p = p + -eta * g
        # torch copies x while μ = 1, and averages once it is not (μ varies per ball only
        # when t0 does, in a map's crowd).
        ax = xp.where(mu != 1, ax + (p - ax) * mu, p)
        eta = lr / ((1 + lambd * lr * step) ** alpha)
        mu = 1 / xp.maximum(1, step - t0)
        return p, (eta, mu, ax)

    return update


class ASGDState(CoordinateState):
    """torch's ASGD state for one coordinate: the step size η and averaging weight μ the
    next step uses (torch keeps one per parameter; here every coordinate holds the same),
    and the averaged point ax.  (torch's ``step`` is the run's step number.)"""

    __slots__ = ()
    keys = ("eta", "mu", "ax")
    nonnegative = frozenset({"eta", "mu"})


def _explain(n: StepNumbers) -> Said:
    """One ASGD step for the Update rule panel: the step with η, the average with μ, and
    the η and μ the next step will use (one number each: torch keeps them per parameter)."""
    said, _, _ = prelude(n, None)  # maximize; λ is lambd here, so weight decay is said below
    hp, t = n.hp, n.t
    lr, lambd, alpha, t0, wd = hp["lr"], hp["lambd"], hp["alpha"], hp["t0"], hp["weight_decay"]
    p, g = signed_and_decayed(n.x0, n.g, hp["maximize"], wd)
    if wd:
        said.line(f"g ← g + wd·x = {vec(g, lead=True)}   (weight_decay = {num(wd)})")
        said.q("g + wd·x", "gradient with weight decay", g, "what the rule uses as g")
    eta = float(buffer(n, "eta", lr)[0])
    mu = float(buffer(n, "mu", 1.0)[0])
    ax0, ax1 = buffer(n, "ax"), buffer(n, "ax", after=True)
    said.q("η", "step size", eta, "this step's learning rate: lr, decayed like t^−α (torch's eta)")
    step_line(
        said,
        "x ← x·(1 − λ·η) − η·g",
        f"{vec(p, True)}·{term(1 - lambd * eta)} − {term(eta)}·{vec(g)}",
    )
    said.q("μ", "averaging weight", mu, "how far ax moves toward x: 1/(steps averaged so far)")
    if mu == 1:
        said.line(f"ax ← x = {vec(ax1, True)}   (μ = 1: the average has not started)")
    else:
        said.line(
            f"ax ← ax + μ·(x − ax) = {vec(ax0, True)} + {term(mu)}·({vec(n.x1, True)} − "
            f"{vec(ax0, True)}) = {vec(ax1, True)}"
        )
    said.q("ax", "averaged point", ax1, "the running average of the iterates: what ASGD returns")
    eta1, mu1 = buffer(n, "eta", after=True)[0], buffer(n, "mu", after=True)[0]
    said.line(
        f"η ← lr/(1 + λ·lr·t)^α = {num(lr)}/(1 + {term(lambd)}·{term(lr)}·{t})^{term(alpha)} "
        f"= {num(eta1)}   (for step {t + 1})"
    )
    said.line(f"μ ← 1/max(1, t − t₀) = 1/max(1, {t} − {num(t0)}) = {num(mu1)}   (for step {t + 1})")
    return said


ASGD = Optimizer(
    id="asgd",
    batched=frozenset({"lr", "lambd", "alpha", "t0"}),
    group="classic",
    weight_decay="l2",
    name="ASGD",
    hyperparameters=(
        learning_rate(1e-2),
        Hyperparameter(
            "lambd",
            "Decay (λ)",
            1e-4,
            "log",
            "Shrinks x by the factor (1 − λ·η) every step and slows the decay of the step "
            "size η = lr/(1 + λ·lr·t)^α.",
            0.0,
            10.0,
            "Invalid lambd value",
        ),
        Hyperparameter(
            "alpha",
            "Power (α)",
            0.75,
            "linear",
            "How fast the step size η = lr/(1 + λ·lr·t)^α decays with the step number t.",
            0.0,
            2.0,
            "Invalid alpha value",
        ),
        Hyperparameter(
            "t0",
            "Averaging start (t₀)",
            1e6,
            "log",
            "The step after which ASGD starts averaging its iterates (ax). torch's default "
            "10⁶ never starts in a run here: set it to a few dozen steps to see the average.",
            0.0,
            1e9,
            "Invalid t0 value",
        ),
        WEIGHT_DECAY,
        MAXIMIZE,
    ),
    bind=coordinatewise(_asgd_rule, ASGDState),
    explain=_explain,
    lr_scales="gradient",
    average=lambda state, position, hp: state.buffer("ax"),
    formula="x ← x·(1 − λ·η) − η·g;  ax ← ax + μ·(x − ax);  "
    "η ← lr/(1 + λ·lr·t)^α;  μ ← 1/max(1, t − t₀)",
    symbols=(
        POSITION,
        GRADIENT_L2,
        ("lr", "the learning rate: the first step size η (the `lr` setting)"),
        (
            "η",
            "the step size: lr on the first step, then decaying like t^−α (torch's eta)",
        ),
        (
            "λ",
            "the decay term: shrinks x by the factor 1 − λ·η each step and slows η's decay "
            "(the `lambd` setting)",
        ),
        ("α", "the power of η's decay (the `alpha` setting)"),
        ("t", "the step number: 1, 2, 3, …"),
        ("t₀", "the step after which averaging starts (the `t0` setting)"),
        ("ax", "the averaged point: the running average of the iterates x (torch's ax)"),
        (
            "μ",
            "the averaging weight: 1 until averaging starts (ax is then x), then 1/(the "
            "number of steps averaged)",
        ),
        ("max", "max(a, b) is the larger of a and b"),
        ("^", "to the power of"),
        BECOMES,
    ),
)
