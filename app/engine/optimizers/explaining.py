"""What an optimizer's formula names, read off one real step: the pieces each family
module's ``explain`` hook is built from (``Optimizer.explain``, used by
:func:`app.engine.run.explain.explain` for the Update rule panel).

Nothing here takes a step.  An ``explain`` hook is handed the numbers of a step the
optimizer really took (:class:`StepNumbers`: the position and every state buffer before and
after, the gradient it was given, the hyperparameters in effect) and names the in-between
quantities its formula writes — Adam's bias corrections and m̂, v̂, NAdam's μ products,
RAdam's ρₜ and r, Lion's sign(c), Newton's Hessian … — together with the formula's lines
with those numbers put in (a :class:`Said`).  The buffers are the rule's own; only what
torch computes on the fly and does not keep (a bias correction, a rectification factor) is
worked out by the hook, by torch's expression for it, and ``tests/engine/test_explain.py``
checks that the pieces add up to the step that was taken.

Numbers are written by :func:`num` and :func:`vec` alone (4 significant figures).

    >>> num(-0.52041), vec([1.0]), vec([-0.5]), vec([1.0, -0.5])
    ('−0.5204', '1', '(−0.5)', '[1, −0.5]')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .interface import Problem, Symbols
from .shared import signed_and_decayed

# --- numbers as the page shows them ----------------------------------------------------------

SIGNIFICANT = 4
MINUS = "−"


def num(value: float | None) -> str:
    """One number to 4 significant figures, with a true minus sign: ``−0.5204``."""
    if value is None:  # nothing to show (−Δx/g where g = 0)
        return "–"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else f"{MINUS}∞"
    text = f"{value:.{SIGNIFICANT}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", MINUS)


def term(value: float) -> str:
    """A number as a factor in a product: negative ones in parentheses, ``0.1·(−0.52)``."""
    text = num(value)
    return f"({text})" if text.startswith(MINUS) else text


def vec(values: Any, lead: bool = False) -> str:
    """A per-coordinate quantity: a plain number in 1D (a factor unless ``lead``), a
    bracketed list ``[a, b]`` in 2D."""
    values = [float(v) for v in np.ravel(values)]
    if len(values) == 1:
        return num(values[0]) if lead else term(values[0])
    return "[" + ", ".join(num(v) for v in values) + "]"


# --- what a step hands over ------------------------------------------------------------------


@dataclass(frozen=True)
class StepNumbers:
    """One real step of one ball, as arrays of the surface's dim."""

    t: int  # the optimizer step (from 1)
    hp: Mapping[str, Any]  # the hyperparameters the step used (after any schedule)
    x0: np.ndarray  # the position before the step
    x1: np.ndarray  # ... and after it
    g: np.ndarray  # the gradient the optimizer was given (after noise, float16, clipping)
    before: Mapping[str, np.ndarray | None]  # coordinate buffers by torch's key (None: not yet)
    after: Mapping[str, np.ndarray | None]
    memory_before: Any  # a whole-point rule's memory (L-BFGS), else None
    memory_after: Any
    evaluations: int
    problem: Problem  # what the step saw: its closure, its random draws


@dataclass(frozen=True)
class Quantity:
    """One named number of the step, per coordinate (None where it is not a finite number)."""

    symbol: str  # as the formula writes it
    name: str
    values: tuple[float | None, ...]
    meaning: str

    @property
    def text(self) -> tuple[str, ...]:
        """The values as the substituted lines write them."""
        return tuple(num(v) for v in self.values)

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "name": self.name,
            "values": list(self.values),
            "text": list(self.text),
            "meaning": self.meaning,
        }


def quantity(symbol: str, name: str, values: Any, meaning: str, dim: int) -> Quantity:
    """A :class:`Quantity`; a number that is the same for every coordinate is repeated."""
    arr = np.broadcast_to(np.asarray(values, dtype=np.float64), (dim,))
    return Quantity(
        symbol, name, tuple(float(v) if math.isfinite(v) else None for v in arr), meaning
    )


class Said:
    """The named quantities and substituted lines an ``explain`` hook builds up, and — where
    the step uses only part of its optimizer's formula (plain gradient descent is SGD with
    no momentum) — the rule in effect and its symbols (:meth:`rule`); None: the whole
    formula."""

    def __init__(self, n: StepNumbers) -> None:
        self.n = n
        self.dim = len(n.x0)
        self.quantities: list[Quantity] = []
        self.lines: list[str] = []
        self.formula: str | None = None
        self.symbols: Symbols | None = None

    def rule(self, formula: str, symbols: Symbols) -> None:
        """The part of the formula this step uses, with only its symbols."""
        self.formula, self.symbols = formula, symbols

    def q(self, symbol: str, name: str, values: Any, meaning: str) -> None:
        self.quantities.append(quantity(symbol, name, values, meaning, self.dim))

    def line(self, text: str) -> None:
        self.lines.append(text)


Explain = Callable[[StepNumbers], Said]
"""An optimizer's explanation of one step (``Optimizer.explain``)."""


def buffer(n: StepNumbers, key: str, initial: float = 0.0, after: bool = False) -> np.ndarray:
    """A buffer before (or after) the step, torch's initial value where not created yet."""
    value = (n.after if after else n.before)[key]
    return np.full(len(n.x0), initial) if value is None else value


def prelude(n: StepNumbers, decay: str | None) -> tuple[Said, np.ndarray, np.ndarray]:
    """The lines every torch step starts with (``maximize``, weight decay), through the
    rules' own :func:`signed_and_decayed`: the point and gradient the rest works on."""
    said = Said(n)
    hp = n.hp
    maximize, wd = bool(hp.get("maximize", False)), float(hp.get("weight_decay", 0.0))
    if decay is None:
        wd = 0.0
    factor = 1 - hp["lr"] * wd if decay == "decoupled" else None
    p, g = signed_and_decayed(n.x0, n.g, maximize, wd, factor)
    if maximize:
        said.line(f"g ← −g = {vec(-n.g, lead=True)}   (maximize: climb)")
    if wd and factor is None:
        said.line(f"g ← g + λ·x = {vec(g, lead=True)}   (weight decay λ = {num(wd)})")
        said.q("g + λx", "gradient with weight decay", g, "what the rule uses as g: g + λ·x")
    elif wd:
        said.line(f"x ← x·(1 − lr·λ) = {vec(n.x0)}·{term(factor or 1.0)} = {vec(p, lead=True)}")
    return said, p, g


def step_line(said: Said, formula: str, middle: str, note: str = "") -> None:
    said.line(f"{formula} = {middle} = {vec(said.n.x1, lead=True)}{note}")
