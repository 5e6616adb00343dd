"""Loss surfaces: value, exact gradient and Hessian, domain, default start and minima.

Formulas take the backend namespace ``xp`` and one argument per coordinate, so the same
code evaluates one point (floats) or a whole grid or crowd of balls (numpy arrays)::

    >>> s = SURFACES["parabola"]
    >>> s.value(SCALAR, 1.5), s.grad(SCALAR, 1.5)
    (2.25, (3.0,))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np

from .backend import NUMPY, SCALAR, Component, Vector

MinimumKind = Literal["global", "local"]


@dataclass(frozen=True)
class Minimum:
    position: tuple[float, ...]
    value: float
    kind: MinimumKind


@dataclass(frozen=True)
class Surface:
    """An analytic loss surface f: R^dim -> R.

    ``value(xp, *coords)`` returns f, ``grad(xp, *coords)`` a tuple of dim partial
    derivatives, ``hess(xp, *coords)`` a dim x dim tuple of tuples.  ``minima`` is
    either given (from the literature) or, for 1D, located numerically on the domain.
    """

    id: str
    name: str
    formula: str
    domain: tuple[tuple[float, float], ...]
    start: tuple[float, ...]
    value: Callable[..., Component]
    grad: Callable[..., Vector]
    hess: Callable[..., tuple[Vector, ...]]
    description: str = ""
    given_minima: tuple[Minimum, ...] | None = field(default=None, repr=False)

    @property
    def dim(self) -> int:
        return len(self.domain)

    @cached_property
    def minima(self) -> tuple[Minimum, ...]:
        if self.given_minima is not None:
            return self.given_minima
        if self.dim != 1:
            raise ValueError(f"surface {self.id!r}: minima of a {self.dim}D surface must be given")
        return locate_minima_1d(self)

    def runaway_box(self) -> tuple[tuple[float, float], ...]:
        """Beyond this box a ball counts as diverged: the domain widened tenfold."""
        box = []
        for lo, hi in self.domain:
            centre, half = (lo + hi) / 2, (hi - lo) / 2
            box.append((centre - 10 * half, centre + 10 * half))
        return tuple(box)


def locate_minima_1d(surface: Surface, samples: int = 4001) -> tuple[Minimum, ...]:
    """Interior minima of a 1D surface: sign changes of f' from - to +, refined by bisection.

    Each is verified (f' ~ 0, f'' > 0); the lowest is marked global.
    """
    ((lo, hi),) = surface.domain
    xs = np.linspace(lo, hi, samples)
    (g,) = surface.grad(NUMPY, xs)
    found: list[tuple[float, float]] = []
    for i in np.nonzero((g[:-1] < 0) & (g[1:] >= 0))[0]:
        a, b = float(xs[i]), float(xs[i + 1])
        for _ in range(200):
            mid = 0.5 * (a + b)
            if mid in (a, b):
                break
            if surface.grad(SCALAR, mid)[0] < 0:
                a = mid
            else:
                b = mid
        x = 0.5 * (a + b)
        # Prefer a round number where it is at least as good (the parabola's 0, not 1e-64).
        rounded = round(x, 12) + 0.0
        if abs(surface.grad(SCALAR, rounded)[0]) <= abs(surface.grad(SCALAR, x)[0]):
            x = rounded
        (gx,) = surface.grad(SCALAR, x)
        ((h,),) = surface.hess(SCALAR, x)
        if abs(gx) > 1e-9 or h <= 0 or not lo < x < hi:
            raise ValueError(f"surface {surface.id!r}: unverified minimum near x={x}")
        found.append((x, surface.value(SCALAR, x)))
    if not found:
        raise ValueError(f"surface {surface.id!r}: no interior minimum on its domain")
    lowest = min(v for _, v in found)
    return tuple(
        Minimum((x,), v, "global" if v - lowest <= 1e-12 * max(1.0, abs(lowest)) else "local")
        for x, v in found
    )


# --- the 1D library -----------------------------------------------------------------------


def _demo_f(xp: Any, x: Component) -> Component:
    return 0.12 * x * x + xp.sin(2.4 * x) + 0.3 * xp.cos(5.0 * x)


def _demo_g(xp: Any, x: Component) -> Vector:
    return (0.24 * x + 2.4 * xp.cos(2.4 * x) - 1.5 * xp.sin(5.0 * x),)


def _demo_h(xp: Any, x: Component) -> tuple[Vector, ...]:
    return ((0.24 - 5.76 * xp.sin(2.4 * x) - 7.5 * xp.cos(5.0 * x),),)


def _parabola_f(xp: Any, x: Component) -> Component:
    return x * x


def _parabola_g(xp: Any, x: Component) -> Vector:
    return (2.0 * x,)


def _parabola_h(xp: Any, x: Component) -> tuple[Vector, ...]:
    return ((2.0 + 0.0 * x,),)


def _double_well_f(xp: Any, x: Component) -> Component:
    w = x * x - 1.0
    return w * w + 0.3 * x


def _double_well_g(xp: Any, x: Component) -> Vector:
    return (4.0 * x * (x * x - 1.0) + 0.3,)


def _double_well_h(xp: Any, x: Component) -> tuple[Vector, ...]:
    return ((12.0 * x * x - 4.0,),)


# tanh^2 gives a wide plateau on the right (gradient ~ 4e^(-2x)); the exponential is a
# steep wall on the left, so an oversized step off the wall flings the ball far away.
_WALL = 4.0
_WALL_AT = -1.5


def _plateau_f(xp: Any, x: Component) -> Component:
    t = xp.tanh(x)
    return t * t + xp.exp(-_WALL * (x - _WALL_AT))


def _plateau_g(xp: Any, x: Component) -> Vector:
    t = xp.tanh(x)
    return (2.0 * t * (1.0 - t * t) - _WALL * xp.exp(-_WALL * (x - _WALL_AT)),)


def _plateau_h(xp: Any, x: Component) -> tuple[Vector, ...]:
    t = xp.tanh(x)
    s = 1.0 - t * t
    return ((2.0 * s * s - 4.0 * t * t * s + _WALL * _WALL * xp.exp(-_WALL * (x - _WALL_AT)),),)


SURFACES_1D: tuple[Surface, ...] = (
    Surface(
        id="roll_downhill",
        name="Roll Downhill",
        formula="f(x) = 0.12·x² + sin(2.4x) + 0.3·cos(5x)",
        description="A wavy bowl: one global minimum and several local ones.",
        domain=((-5.0, 5.0),),
        start=(3.5,),
        value=_demo_f,
        grad=_demo_g,
        hess=_demo_h,
    ),
    Surface(
        id="parabola",
        name="Parabola",
        formula="f(x) = x²",
        description="Convex: one minimum. Gradient descent diverges once lr > 1.",
        domain=((-3.0, 3.0),),
        start=(2.5,),
        value=_parabola_f,
        grad=_parabola_g,
        hess=_parabola_h,
    ),
    Surface(
        id="double_well",
        name="Double well",
        formula="f(x) = (x² − 1)² + 0.3·x",
        description="Two valleys; the left one is deeper. Where you start decides where you end.",
        domain=((-2.0, 2.0),),
        start=(1.8,),
        value=_double_well_f,
        grad=_double_well_g,
        hess=_double_well_h,
    ),
    Surface(
        id="plateau_wall",
        name="Plateau and wall",
        formula="f(x) = tanh²(x) + e^(−4(x + 1.5))",
        description="A long flat plateau where gradients nearly vanish, and a steep wall.",
        domain=((-2.0, 5.0),),
        start=(3.5,),
        value=_plateau_f,
        grad=_plateau_g,
        hess=_plateau_h,
    ),
)

SURFACES: dict[str, Surface] = {s.id: s for s in SURFACES_1D}
