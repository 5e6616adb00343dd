"""What each optimizer's formula names, read off one real step: the table behind
:func:`.explain.explain`, keyed by optimizer id.

Nothing here takes a step.  Each function is handed the numbers of a step the optimizer
really took (:class:`StepNumbers`: the position and every state buffer before and after,
the gradient it was given, the hyperparameters in effect) and names the in-between
quantities its formula writes — Adam's bias corrections and m̂, v̂, NAdam's μ products,
RAdam's ρₜ and r, Lion's sign(c), Newton's Hessian … — together with the formula's lines
with those numbers put in.  The buffers are the rule's own; only what torch computes on
the fly and does not keep (a bias correction, a rectification factor) is worked out here,
by torch's expression for it, and ``tests/engine/test_explain.py`` checks that the pieces
add up to the step that was taken.

Numbers are written by :func:`num` and :func:`vec` alone (4 significant figures).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..optimizers.newton import solve
from ..optimizers.sgld import LANGEVIN_STREAM
from ..optimizers.shared import signed_and_decayed
from .problem import StepProblem

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
    problem: StepProblem  # what the step saw: its closure, its random draws


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
    """The derived quantities and substituted lines a family function builds up."""

    def __init__(self, n: StepNumbers) -> None:
        self.n = n
        self.dim = len(n.x0)
        self.quantities: list[Quantity] = []
        self.lines: list[str] = []

    def q(self, symbol: str, name: str, values: Any, meaning: str) -> None:
        self.quantities.append(quantity(symbol, name, values, meaning, self.dim))

    def line(self, text: str) -> None:
        self.lines.append(text)


Derive = Callable[[StepNumbers], Said]


def _buffer(n: StepNumbers, key: str, initial: float = 0.0, after: bool = False) -> np.ndarray:
    """A buffer before (or after) the step, torch's initial value where not created yet."""
    value = (n.after if after else n.before)[key]
    return np.full(len(n.x0), initial) if value is None else value


def _prelude(n: StepNumbers, decay: str | None) -> tuple[Said, np.ndarray, np.ndarray]:
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


def _step_line(said: Said, formula: str, middle: str, note: str = "") -> None:
    said.line(f"{formula} = {middle} = {vec(said.n.x1, lead=True)}{note}")


# --- the families ----------------------------------------------------------------------------


def _sgd(n: StepNumbers) -> Said:
    said, p, g = _prelude(n, "l2")
    lr, mu, tau = n.hp["lr"], n.hp["momentum"], n.hp["dampening"]
    if mu == 0:
        _step_line(said, "x ← x − lr·g", f"{vec(p, True)} − {term(lr)}·{vec(g)}")
        return said
    b0, b1 = n.before["momentum_buffer"], _buffer(n, "momentum_buffer", after=True)
    if b0 is None:
        said.line(f"b₁ = g = {vec(b1, True)}   (the first step: undampened)")
    else:
        said.line(
            f"b ← μ·b + (1 − τ)·g = {term(mu)}·{vec(b0)} + {term(1 - tau)}·{vec(g)} "
            f"= {vec(b1, True)}"
        )
    said.q("b", "velocity", b1, "the running sum of past gradients (torch's momentum_buffer)")
    if n.hp["nesterov"]:
        _step_line(
            said,
            "x ← x − lr·(g + μ·b)",
            f"{vec(p, True)} − {term(lr)}·({vec(g, True)} + {term(mu)}·{vec(b1)})",
        )
    else:
        _step_line(said, "x ← x − lr·b", f"{vec(p, True)} − {term(lr)}·{vec(b1)}")
    return said


def _adagrad(n: StepNumbers) -> Said:
    said, p, g = _prelude(n, "l2")
    lr, decay, eps = n.hp["lr"], n.hp["lr_decay"], n.hp["eps"]
    s0 = _buffer(n, "sum", n.hp["initial_accumulator_value"])
    s1 = _buffer(n, "sum", after=True)
    said.line(f"s ← s + g² = {vec(s0, True)} + {vec(g)}² = {vec(s1, True)}")
    clr = lr / (1 + (n.t - 1) * decay)
    if decay:
        said.line(
            f"lr ← lr/(1 + (t − 1)·lr_decay) = {term(lr)}/(1 + {n.t - 1}·{term(decay)}) "
            f"= {num(clr)}"
        )
    root = np.sqrt(s1)
    said.q("s", "sum of squared gradients", s1, "every g² so far, added up (torch's sum)")
    said.q("√s", "root of the sum", root, "what each coordinate's step is divided by")
    _step_line(
        said,
        "x ← x − lr·g / (√s + ε)",
        f"{vec(p, True)} − {term(clr)}·{vec(g)} / ({vec(root, True)} + {num(eps)})",
    )
    return said


def _rmsprop(n: StepNumbers) -> Said:
    said, p, g = _prelude(n, "l2")
    lr, alpha, eps, mu = n.hp["lr"], n.hp["alpha"], n.hp["eps"], n.hp["momentum"]
    v0, v1 = _buffer(n, "square_avg"), _buffer(n, "square_avg", after=True)
    said.line(
        f"v ← α·v + (1 − α)·g² = {term(alpha)}·{vec(v0)} + {term(1 - alpha)}·{vec(g)}² "
        f"= {vec(v1, True)}"
    )
    said.q("v", "square average", v1, "a fading average of g² (torch's square_avg)")
    if n.hp["centered"]:
        a1 = _buffer(n, "grad_avg", after=True)
        root = np.sqrt(v1 - a1 * a1)
        said.line(f"ḡ ← α·ḡ + (1 − α)·g = {vec(a1, True)};   √(v − ḡ²) = {vec(root, True)}")
        said.q("ḡ", "gradient average", a1, "a fading average of g (torch's grad_avg)")
        said.q("√(v − ḡ²)", "spread of the gradient", root, "centered: the gradient's spread")
        shown = "√(v − ḡ²)"
    else:
        root = np.sqrt(v1)
        said.q("√v", "root of the square average", root, "what each step is divided by")
        shown = "√v"
    if mu > 0:
        b0, b1 = _buffer(n, "momentum_buffer"), _buffer(n, "momentum_buffer", after=True)
        said.line(
            f"b ← μ·b + g/({shown} + ε) = {term(mu)}·{vec(b0)} + {vec(g)}/"
            f"({vec(root, True)} + {num(eps)}) = {vec(b1, True)}"
        )
        said.q("b", "velocity", b1, "the running sum of scaled steps (torch's momentum_buffer)")
        _step_line(said, "x ← x − lr·b", f"{vec(p, True)} − {term(lr)}·{vec(b1)}")
    else:
        _step_line(
            said,
            f"x ← x − lr·g / ({shown} + ε)",
            f"{vec(p, True)} − {term(lr)}·{vec(g)} / ({vec(root, True)} + {num(eps)})",
        )
    return said


def _adam_moments(n: StepNumbers, said: Said, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    b1, b2 = n.hp["betas"]
    m0, m1 = _buffer(n, "exp_avg"), _buffer(n, "exp_avg", after=True)
    v0, v1 = _buffer(n, "exp_avg_sq"), _buffer(n, "exp_avg_sq", after=True)
    said.line(
        f"m ← β₁·m + (1 − β₁)·g = {term(b1)}·{vec(m0)} + {term(1 - b1)}·{vec(g)} = {vec(m1, True)}"
    )
    said.line(
        f"v ← β₂·v + (1 − β₂)·g² = {term(b2)}·{vec(v0)} + {term(1 - b2)}·{vec(g)}² "
        f"= {vec(v1, True)}"
    )
    said.q("m", "first moment", m1, "the momentum: a running average of g (torch's exp_avg)")
    said.q("v", "second moment", v1, "a running average of g² (torch's exp_avg_sq)")
    return m1, v1


def _correction(said: Said, which: str, beta: float, t: int) -> float:
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


def _adam(n: StepNumbers, decoupled: bool) -> Said:
    said, p, g = _prelude(n, "decoupled" if decoupled else "l2")
    lr, eps = n.hp["lr"], n.hp["eps"]
    b1, b2 = n.hp["betas"]
    m1, v1 = _adam_moments(n, said, g)
    if n.hp["amsgrad"]:
        vmax = _buffer(n, "max_exp_avg_sq", after=True)
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
    _step_line(
        said,
        "x ← x − lr·m̂ / (√v̂ + ε)",
        f"{vec(p, True)} − {term(lr)}·{vec(mhat)} / ({vec(np.sqrt(vhat), True)} + {num(eps)})",
    )
    return said


def _adamax(n: StepNumbers) -> Said:
    said, p, g = _prelude(n, "l2")
    lr, eps = n.hp["lr"], n.hp["eps"]
    b1, b2 = n.hp["betas"]
    m0, m1 = _buffer(n, "exp_avg"), _buffer(n, "exp_avg", after=True)
    u0, u1 = _buffer(n, "exp_inf"), _buffer(n, "exp_inf", after=True)
    said.line(
        f"m ← β₁·m + (1 − β₁)·g = {term(b1)}·{vec(m0)} + {term(1 - b1)}·{vec(g)} = {vec(m1, True)}"
    )
    said.line(
        f"u ← max(β₂·u, |g| + ε) = max({term(b2)}·{vec(u0)}, {vec(np.abs(g), True)} + "
        f"{num(eps)}) = {vec(u1, True)}"
    )
    said.q("m", "first moment", m1, "the momentum: a running average of g (torch's exp_avg)")
    said.q("u", "largest recent |g|", u1, "the biggest |g| seen, fading by β₂ (torch's exp_inf)")
    bc1 = _correction(said, "₁", b1, n.t)
    mhat = m1 / bc1
    said.q("m̂", "m-hat", mhat, "the momentum with its start at 0 made up for: m/(1 − β₁ᵗ)")
    _step_line(
        said,
        "x ← x − lr/(1 − β₁ᵗ) · m / u",
        f"{vec(p, True)} − {term(lr)}/{num(bc1)}·{vec(m1)} / {vec(u1)}",
    )
    return said


def _nadam(n: StepNumbers) -> Said:
    decoupled = bool(n.hp["decoupled_weight_decay"])
    said, p, g = _prelude(n, "decoupled" if decoupled else "l2")
    lr, eps, psi = n.hp["lr"], n.hp["eps"], n.hp["momentum_decay"]
    b1, b2 = n.hp["betas"]
    m1, v1 = _adam_moments(n, said, g)
    # torch's momentum schedule, as in the rule; Πμ itself is the rule's own buffer.
    mu = b1 * (1.0 - 0.5 * (0.96 ** (n.t * psi)))
    mu_next = b1 * (1.0 - 0.5 * (0.96 ** ((n.t + 1) * psi)))
    prod = _buffer(n, "mu_product", after=True)
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
    _step_line(
        said,
        "x ← x − lr·((1 − μₜ)·g/(1 − Πμ) + μₜ₊₁·m/(1 − Πμ·μₜ₊₁)) / (√v̂ + ε)",
        f"{vec(p, True)} − {term(lr)}·({term(1 - mu)}·{vec(g)}/{vec(1 - prod)} + "
        f"{term(mu_next)}·{vec(m1)}/{vec(1 - prod * mu_next)}) / {vec(denom)}",
    )
    return said


def _radam(n: StepNumbers) -> Said:
    decoupled = bool(n.hp["decoupled_weight_decay"])
    said, p, g = _prelude(n, "decoupled" if decoupled else "l2")
    lr, eps = n.hp["lr"], n.hp["eps"]
    b1, b2 = n.hp["betas"]
    m1, v1 = _adam_moments(n, said, g)
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
        _step_line(
            said,
            "x ← x − lr·m̂·r·√(1 − β₂ᵗ)/(√v + ε)",
            f"{vec(p, True)} − {term(lr)}·{vec(mhat)}·{term(r)}·{term(math.sqrt(bc2))}/"
            f"({vec(np.sqrt(v1), True)} + {num(eps)})",
            "   (ρₜ > 5)",
        )
    else:
        _step_line(
            said,
            "x ← x − lr·m̂",
            f"{vec(p, True)} − {term(lr)}·{vec(mhat)}",
            "   (ρₜ ≤ 5: v is too young to trust)",
        )
    return said


def _adadelta(n: StepNumbers) -> Said:
    said, p, g = _prelude(n, "l2")
    lr, rho, eps = n.hp["lr"], n.hp["rho"], n.hp["eps"]
    v0, v1 = _buffer(n, "square_avg"), _buffer(n, "square_avg", after=True)
    u0, u1 = _buffer(n, "acc_delta"), _buffer(n, "acc_delta", after=True)
    said.line(
        f"v ← ρ·v + (1 − ρ)·g² = {term(rho)}·{vec(v0)} + {term(1 - rho)}·{vec(g)}² "
        f"= {vec(v1, True)}"
    )
    delta = np.sqrt(u0 + eps) / np.sqrt(v1 + eps) * g
    said.line(
        f"Δ = √(u + ε)/√(v + ε)·g = {vec(np.sqrt(u0 + eps))}/{vec(np.sqrt(v1 + eps))}·"
        f"{vec(g)} = {vec(delta, True)}"
    )
    said.line(
        f"u ← ρ·u + (1 − ρ)·Δ² = {term(rho)}·{vec(u0)} + {term(1 - rho)}·{vec(delta)}² "
        f"= {vec(u1, True)}"
    )
    said.q("v", "square average", v1, "a fading average of g² (torch's square_avg)")
    said.q("Δ", "update", delta, "the step before lr: g scaled by √(u + ε)/√(v + ε)")
    said.q("u", "update average", u1, "a fading average of Δ² (torch's acc_delta)")
    _step_line(said, "x ← x − lr·Δ", f"{vec(p, True)} − {term(lr)}·{vec(delta)}")
    return said


def _rprop(n: StepNumbers) -> Said:
    said, p, g = _prelude(n, None)
    etaminus, etaplus = n.hp["etas"]
    smin, smax = n.hp["step_sizes"]
    prev = _buffer(n, "prev")
    s0 = _buffer(n, "step_size", n.hp["lr"])
    s1 = _buffer(n, "step_size", after=True)
    used = _buffer(n, "prev", after=True)  # the gradient as the step used it (0 after a flip)
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
    _step_line(said, "x ← x − s·sign(g)", f"{vec(p, True)} − {vec(s1)}·{vec(np.sign(used))}")
    return said


def _lion(n: StepNumbers) -> Said:
    said, p, g = _prelude(n, "decoupled")
    lr = n.hp["lr"]
    b1, b2 = n.hp["betas"]
    m0, m1 = _buffer(n, "exp_avg"), _buffer(n, "exp_avg", after=True)
    c = m0 * b1 + g * (1 - b1)
    said.line(
        f"c = β₁·m + (1 − β₁)·g = {term(b1)}·{vec(m0)} + {term(1 - b1)}·{vec(g)} = {vec(c, True)}"
    )
    said.q("c", "interpolation", c, "the blend of momentum and gradient whose sign Lion follows")
    said.q("sign(c)", "direction", np.sign(c), "±1 per coordinate: every step has length lr")
    _step_line(said, "x ← x − lr·sign(c)", f"{vec(p, True)} − {term(lr)}·{vec(np.sign(c))}")
    said.line(
        f"m ← β₂·m + (1 − β₂)·g = {term(b2)}·{vec(m0)} + {term(1 - b2)}·{vec(g)} = {vec(m1, True)}"
    )
    said.q("m", "momentum", m1, "a running average of g (torch's exp_avg)")
    return said


def _newton(n: StepNumbers) -> Said:
    said = Said(n)
    lr, damping = n.hp["lr"], n.hp["damping"]
    g = -n.g if n.hp["maximize"] else n.g
    h = n.problem.ball(()).hessian(n.x0)
    if n.hp["maximize"]:
        h = -h
        said.line("f ← −f   (maximize: Newton on −f)")
    h = h + damping * np.eye(len(n.x0))
    rows = "; ".join(vec(row, True) for row in h)
    said.line(f"H + λI = {rows}" if len(h) == 1 else f"H + λI = [{rows}]")
    for i, row in enumerate(h):
        label = "H + λI" if len(h) == 1 else f"H + λI, row {i + 1}"
        said.q(label, "curvature", row, "second derivatives of f at x, plus the damping λ")
    try:
        d = solve(h, g)
    except ArithmeticError:
        said.line("H + λI is singular: no Newton step")
        return said
    said.line(f"(H + λI)⁻¹·∇f = {vec(d, True)}")
    said.q("(H + λI)⁻¹·∇f", "Newton step", d, "the slope divided by the curvature")
    _step_line(said, "x ← x − lr·(H + λI)⁻¹·∇f", f"{vec(n.x0, True)} − {term(lr)}·{vec(d)}")
    return said


def _lbfgs(n: StepNumbers) -> Said:
    said = Said(n)
    before, after = n.memory_before, n.memory_after
    iterations = (0 if after is None else after.n_iter) - (0 if before is None else before.n_iter)
    said.line(f"this step: {iterations} inner iteration(s), {n.evaluations} function evaluation(s)")
    if after is not None and after.d is not None:
        d, t = np.array(after.d), after.t
        said.line(f"last direction d = {vec(d, True)}, step length t = {num(t)}")
        said.q("d", "direction", d, "the last L-BFGS direction, −H·g with H learnt from history")
        said.q("t", "step length", t, "how far along d the last iteration went")
        if after.H_diag is not None:
            said.q(
                "γ", "initial scale", after.H_diag, "y·s / y·y of the newest pair (torch's H_diag)"
            )
        pairs = 0 if after.old_dirs is None else len(after.old_dirs)
        said.q("m", "pairs remembered", pairs, "how many (s, y) pairs the history holds")
    said.line(f"x: {vec(n.x0, True)} → {vec(n.x1, True)}")
    return said


def _sgld(n: StepNumbers) -> Said:
    said, p, g = _prelude(n, "l2")
    lr, temperature = n.hp["lr"], n.hp["temperature"]
    xi = np.array(n.problem.normal(LANGEVIN_STREAM), dtype=np.float64)
    spread = math.sqrt(2.0 * lr * temperature)
    said.line(f"√(2·lr·T) = √(2·{term(lr)}·{term(temperature)}) = {num(spread)}")
    said.line(f"ξ = {vec(xi, True)}   (drawn from N(0, I), seed and step)")
    said.q("ξ", "random kick", xi, "this step's draw from N(0, I)")
    said.q("√(2·lr·T)·ξ", "noise term", spread * xi, "the random part of the step")
    _step_line(
        said,
        "x ← x − lr·∇f + √(2·lr·T)·ξ",
        f"{vec(p, True)} − {term(lr)}·{vec(g)} + {term(spread)}·{vec(xi)}",
    )
    return said


DERIVED: dict[str, Derive] = {
    "sgd": _sgd,
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
    "adam": lambda n: _adam(n, decoupled=False),
    "adamw": lambda n: _adam(n, decoupled=True),
    "adamax": _adamax,
    "nadam": _nadam,
    "radam": _radam,
    "adadelta": _adadelta,
    "rprop": _rprop,
    "lion": _lion,
    "newton": _newton,
    "lbfgs": _lbfgs,
    "sgld": _sgld,
}
