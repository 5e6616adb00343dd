"""The 1D surfaces: the Roll Downhill demo and three small lessons in one variable."""

from __future__ import annotations

from typing import Any

from ..backend import Component, Vector
from .surface import Surface


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
        description="Convex: one minimum, at x = 0, and the same curvature everywhere (f″ = 2).",
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
        description="Two valleys with a hump between them; the left one is deeper.",
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
        description="A long flat plateau where gradients nearly vanish (about 1.6e-8 at "
        "x = 10), and a steep wall.",
        domain=((-2.0, 12.0),),
        start=(3.5,),
        value=_plateau_f,
        grad=_plateau_g,
        hess=_plateau_h,
    ),
)
