"""The 1D surfaces: the Roll Downhill demo and four small lessons in one variable."""

from __future__ import annotations

from typing import Any

from ..backend import Component, Vector
from .surface import Reference, Surface


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


# Sharp and wide: f = q₁·q₂ with qᵢ = 1 − exp(−(x − cᵢ)²/(2sᵢ²)), zero only at cᵢ, so f = 0
# exactly at the two centres (equally deep minima) and f > 0 elsewhere; between them one
# maximum.  At a centre f″ = q_other(cᵢ)/sᵢ²: 100·(1 − e^(−2)) ≈ 86.5 in the pit at x = 1,
# 1 − e^(−200) (1.0 in float64) in the bowl at x = −1.
_PIT, _PIT_WIDTH, _BOWL, _BOWL_WIDTH = 1.0, 0.1, -1.0, 1.0


def _sharp_wide_parts(xp: Any, x: Component) -> tuple[Any, ...]:
    d1, d2 = x - _PIT, x - _BOWL
    s1, s2 = _PIT_WIDTH * _PIT_WIDTH, _BOWL_WIDTH * _BOWL_WIDTH
    e1, e2 = xp.exp(-d1 * d1 / (2.0 * s1)), xp.exp(-d2 * d2 / (2.0 * s2))
    return d1, d2, s1, s2, 1.0 - e1, 1.0 - e2, e1 / s1, e2 / s2


def _sharp_wide_f(xp: Any, x: Component) -> Component:
    _, _, _, _, q1, q2, _, _ = _sharp_wide_parts(xp, x)
    return q1 * q2


def _sharp_wide_g(xp: Any, x: Component) -> Vector:
    d1, d2, _, _, q1, q2, k1, k2 = _sharp_wide_parts(xp, x)  # qᵢ′ = kᵢ·dᵢ
    return (k1 * d1 * q2 + q1 * k2 * d2,)


def _sharp_wide_h(xp: Any, x: Component) -> tuple[Vector, ...]:
    d1, d2, s1, s2, q1, q2, k1, k2 = _sharp_wide_parts(xp, x)  # qᵢ″ = kᵢ(1 − dᵢ²/sᵢ²)
    h1, h2 = k1 * (1.0 - d1 * d1 / s1), k2 * (1.0 - d2 * d2 / s2)
    return ((q2 * h1 + 2.0 * (k1 * d1) * (k2 * d2) + q1 * h2,),)


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
    Surface(
        id="sharp_and_wide_1d",
        name="Sharp and wide (1D)",
        formula="f(x) = (1 − e^(−(x − 1)²/(2·0.1²))) · (1 − e^(−(x + 1)²/2))",
        description="Two minima exactly as deep (f = 0): a narrow pit at x = 1 with "
        "f″ = 86.5 and a broad bowl at x = −1 with f″ = 1.",
        domain=((-3.0, 2.5),),
        start=(1.15,),
        value=_sharp_wide_f,
        grad=_sharp_wide_g,
        hess=_sharp_wide_h,
        references=(Reference((_PIT,), 0.0, "global"), Reference((_BOWL,), 0.0, "global")),
        search=False,
    ),
)
