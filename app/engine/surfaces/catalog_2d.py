"""The 2D surfaces: ten classic optimization benchmarks and five designed lessons.

Benchmarks and their published minima follow the Virtual Library of Simulation
Experiments (VLSE, Surjanovic & Bingham, https://www.sfu.ca/~ssurjano/optimization.html;
one page per function, named below) unless a comment says otherwise.  Where VLSE
recommends a very wide domain (Ackley's ±32.768), a narrower one shows the features
better on screen.  Each benchmark's minima on its domain are listed as :class:`Reference`
figures, polished to machine precision on first use; where the references list only the
global minimum (Rastrigin, Ackley), the domain is searched for the local ones.

The designed surfaces (saddle, ravine, plateau, rippled bowl) have their minima found by
searching the domain (:func:`~app.engine.surfaces.minima.locate_minima_2d`); the sharp and
wide surface's two minima and their sharpness are exact (closed form, see its formulas).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..backend import Component, Vector
from ..hyperparameters import Hyperparameter
from .surface import Formulas, Reference, Surface, parametrized

C = Component
Hessian = tuple[Vector, ...]
TAU = 2.0 * math.pi

# --- Rosenbrock: a curved, flat-bottomed valley (VLSE rosen.html) ---------------------------


def _rosenbrock_f(xp: Any, x: C, y: C) -> C:
    a, b = 1.0 - x, y - x * x
    return a * a + 100.0 * (b * b)


def _rosenbrock_g(xp: Any, x: C, y: C) -> Vector:
    b = y - x * x
    return (-2.0 * (1.0 - x) - 400.0 * x * b, 200.0 * b)


def _rosenbrock_h(xp: Any, x: C, y: C) -> Hessian:
    return ((2.0 - 400.0 * y + 1200.0 * x * x, -400.0 * x), (-400.0 * x, 200.0 + 0.0 * x))


# --- Himmelblau: four equal minima (Himmelblau, Applied Nonlinear Programming, 1972) ----------


def _himmelblau_f(xp: Any, x: C, y: C) -> C:
    a, b = x * x + y - 11.0, x + y * y - 7.0
    return a * a + b * b


def _himmelblau_g(xp: Any, x: C, y: C) -> Vector:
    a, b = x * x + y - 11.0, x + y * y - 7.0
    return (4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b)


def _himmelblau_h(xp: Any, x: C, y: C) -> Hessian:
    a, b = x * x + y - 11.0, x + y * y - 7.0
    cross = 4.0 * (x + y)
    return ((4.0 * a + 8.0 * x * x + 2.0, cross), (cross, 4.0 * b + 8.0 * y * y + 2.0))


# --- Beale: sharp ridges around a flat basin (VLSE beale.html) -----------------------------
# f = t1² + t2² + t3² with t_k = c_k − x + x·y^k, c = (1.5, 2.25, 2.625).


def _beale_terms(x: C, y: C) -> tuple[C, C, C, C, C]:
    y2 = y * y
    y3 = y2 * y
    return 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3, y2, y3


def _beale_f(xp: Any, x: C, y: C) -> C:
    t1, t2, t3, _, _ = _beale_terms(x, y)
    return t1 * t1 + t2 * t2 + t3 * t3


def _beale_g(xp: Any, x: C, y: C) -> Vector:
    t1, t2, t3, y2, y3 = _beale_terms(x, y)
    gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
    gy = 2.0 * x * (t1 + 2.0 * y * t2 + 3.0 * y2 * t3)
    return (gx, gy)


def _beale_h(xp: Any, x: C, y: C) -> Hessian:
    t1, t2, t3, y2, y3 = _beale_terms(x, y)
    a1, a2, a3 = y - 1.0, y2 - 1.0, y3 - 1.0  # ∂t_k/∂x
    b1, b2, b3 = x, 2.0 * x * y, 3.0 * x * y2  # ∂t_k/∂y
    hxx = 2.0 * (a1 * a1 + a2 * a2 + a3 * a3)
    hxy = 2.0 * (a1 * b1 + a2 * b2 + a3 * b3 + t1 + 2.0 * y * t2 + 3.0 * y2 * t3)
    hyy = 2.0 * (b1 * b1 + b2 * b2 + b3 * b3 + 2.0 * x * t2 + 6.0 * x * y * t3)
    return ((hxx, hxy), (hxy, hyy))


# --- Booth: a tilted quadratic bowl (VLSE booth.html) --------------------------------------


def _booth_f(xp: Any, x: C, y: C) -> C:
    a, b = x + 2.0 * y - 7.0, 2.0 * x + y - 5.0
    return a * a + b * b


def _booth_g(xp: Any, x: C, y: C) -> Vector:
    a, b = x + 2.0 * y - 7.0, 2.0 * x + y - 5.0
    return (2.0 * a + 4.0 * b, 4.0 * a + 2.0 * b)


def _booth_h(xp: Any, x: C, y: C) -> Hessian:
    ten, eight = 10.0 + 0.0 * x, 8.0 + 0.0 * x
    return ((ten, eight), (eight, ten))


# --- Rastrigin: a bowl covered in egg-box dimples (VLSE rastr.html) ------------------------


def _rastrigin_f(xp: Any, x: C, y: C) -> C:
    return 20.0 + x * x - 10.0 * xp.cos(TAU * x) + y * y - 10.0 * xp.cos(TAU * y)


def _rastrigin_g(xp: Any, x: C, y: C) -> Vector:
    k = 10.0 * TAU
    return (2.0 * x + k * xp.sin(TAU * x), 2.0 * y + k * xp.sin(TAU * y))


def _rastrigin_h(xp: Any, x: C, y: C) -> Hessian:
    k = 10.0 * TAU * TAU
    zero = 0.0 * x
    return ((2.0 + k * xp.cos(TAU * x), zero), (zero, 2.0 + k * xp.cos(TAU * y)))


# --- Ackley: a cone-tipped well in a dimpled plain (VLSE ackley.html) ----------------------
# With ρ = √(½(x² + y²)), q = e^(−0.2ρ) and c = e^(½(cos 2πx + cos 2πy)):
#   f = −20q − c + e + 20,   f_x = 2q·x/ρ + π·sin(2πx)·c.
# The first term is a cone: its gradient has no limit at the origin, where we return the
# subgradient 0 (ρ is floored at _TIP, so x/ρ is 0/_TIP there, never 0/0), and its
# Hessian, which grows like 2/ρ, is genuinely infinite at the tip: there it is capped at
# about 2/_TIP = 2e150.  The floor is far above the ρ at which x² underflows.
_TIP = 1e-150


def _ackley_parts(xp: Any, x: C, y: C) -> tuple[C, C, C, C, C]:
    rho = xp.maximum(xp.sqrt(0.5 * (x * x + y * y)), _TIP)
    q = xp.exp(-0.2 * rho)
    c = xp.exp(0.5 * (xp.cos(TAU * x) + xp.cos(TAU * y)))
    return rho, q, c, x / rho, y / rho


def _ackley_f(xp: Any, x: C, y: C) -> C:
    _, q, c, _, _ = _ackley_parts(xp, x, y)
    return -20.0 * q - c + math.e + 20.0


def _ackley_g(xp: Any, x: C, y: C) -> Vector:
    _, q, c, u, w = _ackley_parts(xp, x, y)
    return (
        2.0 * q * u + math.pi * xp.sin(TAU * x) * c,
        2.0 * q * w + math.pi * xp.sin(TAU * y) * c,
    )


def _ackley_h(xp: Any, x: C, y: C) -> Hessian:
    rho, q, c, u, w = _ackley_parts(xp, x, y)
    sx, sy = xp.sin(TAU * x), xp.sin(TAU * y)
    pi2c = math.pi * math.pi * c
    hxx = 2.0 * q * ((1.0 - 0.5 * u * u) / rho - 0.1 * u * u) + pi2c * (
        2.0 * xp.cos(TAU * x) - sx * sx
    )
    hyy = 2.0 * q * ((1.0 - 0.5 * w * w) / rho - 0.1 * w * w) + pi2c * (
        2.0 * xp.cos(TAU * y) - sy * sy
    )
    hxy = -2.0 * q * u * w * (0.1 + 0.5 / rho) - pi2c * sx * sy
    return ((hxx, hxy), (hxy, hyy))


# --- Goldstein–Price (VLSE goldpr.html) ---------------------------------------------------
# The textbook form
#   f = [1 + (x + y + 1)²(19 − 14x + 3x² − 14y + 6xy + 3y²)]
#     · [30 + (2x − 3y)²(18 − 32x + 12x² + 48y − 36xy + 27y²)]
# factorizes: with s = x + y the first bracket's quadratic is 3s² − 14s + 19, and with
# v = 2x − 3y the second's is 3v² − 16v + 18 (12x² − 36xy + 27y² = 3v², −32x + 48y = −16v).
# Expanding, f = A(s)·B(v) with
#   A(s) = 1 + (s + 1)²(3s² − 14s + 19) = 3s⁴ − 8s³ − 6s² + 24s + 20,
#   B(v) = 30 + v²(3v² − 16v + 18)       = 3v⁴ − 16v³ + 18v² + 30.
# Since ∂s/∂(x, y) = (1, 1) and ∂v/∂(x, y) = (2, −3):
#   f_x = A′B + 2AB′,              f_y = A′B − 3AB′,
#   f_xx = A″B + 4A′B′ + 4AB″,     f_xy = A″B − A′B′ − 6AB″,     f_yy = A″B − 6A′B′ + 9AB″.
# A and B are positive, so the minima are where both are at a minimum: A′ = 12(s + 1)(s − 1)
# (s − 2) gives s ∈ {−1, 2}, B′ = 12v(v − 1)(v − 3) gives v ∈ {0, 3}, and x = (3s + v)/5,
# y = (2s − v)/5: four minima, all inside [−2, 2]², at exactly representable-in-decimal points.


def _gp_a(s: C) -> tuple[C, C, C]:
    return (
        (((3.0 * s - 8.0) * s - 6.0) * s + 24.0) * s + 20.0,
        ((12.0 * s - 24.0) * s - 12.0) * s + 24.0,
        (36.0 * s - 48.0) * s - 12.0,
    )


def _gp_b(v: C) -> tuple[C, C, C]:
    return (
        ((3.0 * v - 16.0) * v + 18.0) * v * v + 30.0,
        ((12.0 * v - 48.0) * v + 36.0) * v,
        (36.0 * v - 96.0) * v + 36.0,
    )


def _goldstein_price_f(xp: Any, x: C, y: C) -> C:
    a, _, _ = _gp_a(x + y)
    b, _, _ = _gp_b(2.0 * x - 3.0 * y)
    return a * b


def _goldstein_price_g(xp: Any, x: C, y: C) -> Vector:
    a, a1, _ = _gp_a(x + y)
    b, b1, _ = _gp_b(2.0 * x - 3.0 * y)
    return (a1 * b + 2.0 * a * b1, a1 * b - 3.0 * a * b1)


def _goldstein_price_h(xp: Any, x: C, y: C) -> Hessian:
    a, a1, a2 = _gp_a(x + y)
    b, b1, b2 = _gp_b(2.0 * x - 3.0 * y)
    hxy = a2 * b - a1 * b1 - 6.0 * a * b2
    return (
        (a2 * b + 4.0 * a1 * b1 + 4.0 * a * b2, hxy),
        (hxy, a2 * b - 6.0 * a1 * b1 + 9.0 * a * b2),
    )


# --- Six-hump camel (VLSE camel6.html) ---------------------------------------------------


def _camel_f(xp: Any, x: C, y: C) -> C:
    x2, y2 = x * x, y * y
    return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2


def _camel_g(xp: Any, x: C, y: C) -> Vector:
    x2 = x * x
    return (((2.0 * x2 - 8.4) * x2 + 8.0) * x + y, x + (16.0 * y * y - 8.0) * y)


def _camel_h(xp: Any, x: C, y: C) -> Hessian:
    x2 = x * x
    one = 1.0 + 0.0 * x
    return (((10.0 * x2 - 25.2) * x2 + 8.0, one), (one, 48.0 * y * y - 8.0))


# --- Styblinski–Tang: separable, four minima in 2D (VLSE stybtang.html) -------------------


def _styblinski_tang_f(xp: Any, x: C, y: C) -> C:
    x2, y2 = x * x, y * y
    return 0.5 * ((x2 - 16.0) * x2 + 5.0 * x + (y2 - 16.0) * y2 + 5.0 * y)


def _styblinski_tang_g(xp: Any, x: C, y: C) -> Vector:
    return ((2.0 * x * x - 16.0) * x + 2.5, (2.0 * y * y - 16.0) * y + 2.5)


def _styblinski_tang_h(xp: Any, x: C, y: C) -> Hessian:
    zero = 0.0 * x
    return ((6.0 * x * x - 16.0, zero), (zero, 6.0 * y * y - 16.0))


# --- McCormick (VLSE mccorm.html) --------------------------------------------------------
# ∇f = 0 gives cos(x + y) = −½ and x − y = 1; the Hessian is −sin(x + y)·[[1, 1], [1, 1]]
# + 2·[[1, −1], [−1, 1]], positive definite where sin(x + y) < 0: x + y = −2π/3 + 2kπ.
# On the domain k = 0 (the global minimum, f = −π/3 − √3/2) and k = 1 (a local one at
# x = ½ + 2π/3, f = 2π/3 − √3/2).


def _mccormick_f(xp: Any, x: C, y: C) -> C:
    d = x - y
    return xp.sin(x + y) + d * d - 1.5 * x + 2.5 * y + 1.0


def _mccormick_g(xp: Any, x: C, y: C) -> Vector:
    c, d = xp.cos(x + y), 2.0 * (x - y)
    return (c + d - 1.5, c - d + 2.5)


def _mccormick_h(xp: Any, x: C, y: C) -> Hessian:
    s = xp.sin(x + y)
    return ((2.0 - s, -2.0 - s), (-2.0 - s, 2.0 - s))


# --- designed surfaces ----------------------------------------------------------------------


def _saddle_f(xp: Any, x: C, y: C) -> C:
    return x * x - y * y


def _saddle_g(xp: Any, x: C, y: C) -> Vector:
    return (2.0 * x, -2.0 * y)


def _saddle_h(xp: Any, x: C, y: C) -> Hessian:
    zero = 0.0 * x
    return ((2.0 + zero, zero), (zero, -2.0 + zero))


# 100 by default: steep enough that momentum 0.9 at the suggested rate reaches the floor's
# end before gradient descent (from κ ≈ 35 on; at 20 gradient descent arrives first), as
# the momentum lesson teaches.
KAPPA = Hyperparameter(
    "kappa",
    "Condition number κ",
    100.0,
    "log",
    "How much steeper the valley's walls are than its floor (the Hessian's largest over "
    "smallest eigenvalue). Gradient descent must take lr < 2/κ, so a large κ makes it "
    "zigzag across the valley while it creeps along it.",
    1.0,
    1000.0,
    "Invalid condition number",
)


def _ravine(values: Mapping[str, float]) -> Formulas:
    kappa = values["kappa"]

    def value(xp: Any, x: C, y: C) -> C:
        return 0.5 * (x * x + kappa * (y * y))

    def grad(xp: Any, x: C, y: C) -> Vector:
        return (1.0 * x, kappa * y)

    def hess(xp: Any, x: C, y: C) -> Hessian:
        zero = 0.0 * x
        return ((1.0 + zero, zero), (zero, kappa + zero))

    return Formulas(value, grad, hess)


def _plateau_f(xp: Any, x: C, y: C) -> C:
    return 1.0 - xp.exp(-0.5 * (x * x + y * y))


def _plateau_g(xp: Any, x: C, y: C) -> Vector:
    e = xp.exp(-0.5 * (x * x + y * y))
    return (x * e, y * e)


def _plateau_h(xp: Any, x: C, y: C) -> Hessian:
    e = xp.exp(-0.5 * (x * x + y * y))
    hxy = -x * y * e
    return (((1.0 - x * x) * e, hxy), (hxy, (1.0 - y * y) * e))


def _rippled_f(xp: Any, x: C, y: C) -> C:
    return 0.1 * (x * x + y * y) + 1.0 - xp.cos(2.0 * x) * xp.cos(2.0 * y)


def _rippled_g(xp: Any, x: C, y: C) -> Vector:
    cx, cy = xp.cos(2.0 * x), xp.cos(2.0 * y)
    return (0.2 * x + 2.0 * xp.sin(2.0 * x) * cy, 0.2 * y + 2.0 * cx * xp.sin(2.0 * y))


def _rippled_h(xp: Any, x: C, y: C) -> Hessian:
    diag = 0.2 + 4.0 * xp.cos(2.0 * x) * xp.cos(2.0 * y)
    hxy = -4.0 * xp.sin(2.0 * x) * xp.sin(2.0 * y)
    return ((diag, hxy), (hxy, diag))


# --- sharp and wide: two equally deep minima, one a narrow pit, one a broad bowl -------------
# f = q₁·q₂ with qᵢ = 1 − exp(−‖p − cᵢ‖²/(2sᵢ²)): each factor is 0 only at its centre and
# below 1 elsewhere, so f ≥ 0 with f = 0 exactly at the two centres (the two minima, equally
# deep).  Both factors grow radially from their centres, so ∇f = q₂∇q₁ + q₁∇q₂ vanishes off
# the centres only on the segment between them (at one saddle): there are no other minima.
# At a centre ∇qᵢ = 0 and ∇²qᵢ = I/sᵢ², so the Hessian there is (q_other(cᵢ)/sᵢ²)·I and the
# sharpness is q_other(cᵢ)/sᵢ²: 100·(1 − e^(−1.625)) ≈ 80.3 in the pit, 1 − e^(−162.5),
# which is 1.0 in float64, in the bowl.
SHARP_AT, SHARP_WIDTH = (1.0, 0.5), 0.1
WIDE_AT, WIDE_WIDTH = (-0.5, -0.5), 1.0


def _well(xp: Any, dx: C, dy: C, s: float) -> tuple[C, C]:
    """q = 1 − exp(−r²/(2s²)) of a well, and e = exp(−r²/(2s²))."""
    e = xp.exp(-(dx * dx + dy * dy) / (2.0 * s * s))
    return 1.0 - e, e


def _sharp_and_wide_parts(xp: Any, x: C, y: C) -> tuple[Any, ...]:
    (ax, ay), (bx, by) = SHARP_AT, WIDE_AT
    dx1, dy1, dx2, dy2 = x - ax, y - ay, x - bx, y - by
    q1, e1 = _well(xp, dx1, dy1, SHARP_WIDTH)
    q2, e2 = _well(xp, dx2, dy2, WIDE_WIDTH)
    return dx1, dy1, q1, e1, dx2, dy2, q2, e2


def _sharp_and_wide_f(xp: Any, x: C, y: C) -> C:
    _, _, q1, _, _, _, q2, _ = _sharp_and_wide_parts(xp, x, y)
    return q1 * q2


def _sharp_and_wide_g(xp: Any, x: C, y: C) -> Vector:
    dx1, dy1, q1, e1, dx2, dy2, q2, e2 = _sharp_and_wide_parts(xp, x, y)
    k1, k2 = e1 / (SHARP_WIDTH * SHARP_WIDTH), e2 / (WIDE_WIDTH * WIDE_WIDTH)  # ∇qᵢ = kᵢ·dᵢ
    return (k1 * dx1 * q2 + q1 * k2 * dx2, k1 * dy1 * q2 + q1 * k2 * dy2)


def _sharp_and_wide_h(xp: Any, x: C, y: C) -> Hessian:
    # ∇²(q₁q₂) = q₂∇²q₁ + ∇q₁∇q₂ᵀ + ∇q₂∇q₁ᵀ + q₁∇²q₂, with ∇²qᵢ = kᵢ(I − dᵢdᵢᵀ/sᵢ²).
    dx1, dy1, q1, e1, dx2, dy2, q2, e2 = _sharp_and_wide_parts(xp, x, y)
    s1, s2 = SHARP_WIDTH * SHARP_WIDTH, WIDE_WIDTH * WIDE_WIDTH
    k1, k2 = e1 / s1, e2 / s2
    g1, g2 = (k1 * dx1, k1 * dy1), (k2 * dx2, k2 * dy2)
    d1, d2 = (dx1, dy1), (dx2, dy2)

    def entry(i: int, j: int) -> C:
        eye = 1.0 if i == j else 0.0
        h1 = k1 * (eye - d1[i] * d1[j] / s1)
        h2 = k2 * (eye - d2[i] * d2[j] / s2)
        return q2 * h1 + g1[i] * g2[j] + g2[i] * g1[j] + q1 * h2

    hxy = entry(0, 1)
    return ((entry(0, 0), hxy), (hxy, entry(1, 1)))


# --- the catalog --------------------------------------------------------------------------

SURFACES_2D: tuple[Surface, ...] = (
    Surface(
        id="rosenbrock",
        name="Rosenbrock",
        formula="f(x, y) = (1 − x)² + 100·(y − x²)²",
        description="A long, curved, nearly flat valley: easy to fall into, slow to follow "
        "to its end at (1, 1).",
        domain=((-2.0, 2.0), (-1.0, 3.0)),
        start=(-1.5, 2.5),
        value=_rosenbrock_f,
        grad=_rosenbrock_g,
        hess=_rosenbrock_h,
        references=(Reference((1.0, 1.0), 0.0, "global"),),
        search=False,
    ),
    Surface(
        id="himmelblau",
        name="Himmelblau",
        formula="f(x, y) = (x² + y − 11)² + (x + y² − 7)²",
        description="Four valleys, all equally deep: which one you reach depends on where you "
        "start and how you move.",
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        start=(0.0, -1.0),
        value=_himmelblau_f,
        grad=_himmelblau_g,
        hess=_himmelblau_h,
        # Himmelblau (1972); positions to 6 places as usually quoted (e.g. Wikipedia,
        # "Himmelblau's function").  All four are common zeros of both squares: f = 0.
        references=(
            Reference((3.0, 2.0), 0.0, "global"),
            Reference((-2.805118, 3.131312), 0.0, "global", places=6),
            Reference((-3.779310, -3.283186), 0.0, "global", places=6),
            Reference((3.584428, -1.848126), 0.0, "global", places=6),
        ),
        search=False,
    ),
    Surface(
        id="beale",
        name="Beale",
        formula="f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
        description="A flat basin hemmed in by steep ridges that shoot up toward the corners.",
        domain=((-4.5, 4.5), (-4.5, 4.5)),
        start=(1.0, 1.5),
        value=_beale_f,
        grad=_beale_g,
        hess=_beale_h,
        references=(Reference((3.0, 0.5), 0.0, "global"),),
        search=False,
    ),
    Surface(
        id="booth",
        name="Booth",
        formula="f(x, y) = (x + 2y − 7)² + (2x + y − 5)²",
        description="A tilted, stretched bowl: convex, one minimum, a fair first test.",
        domain=((-10.0, 10.0), (-10.0, 10.0)),
        start=(-8.0, 7.0),
        value=_booth_f,
        grad=_booth_g,
        hess=_booth_h,
        references=(Reference((1.0, 3.0), 0.0, "global"),),
        search=False,
    ),
    Surface(
        id="rastrigin",
        name="Rastrigin",
        formula="f(x, y) = 20 + x² − 10·cos(2πx) + y² − 10·cos(2πy)",
        description="A bowl covered in dimples: a local minimum near every whole-number point, "
        "the lowest at the origin.",
        domain=((-5.12, 5.12), (-5.12, 5.12)),
        start=(3.2, -2.4),
        value=_rastrigin_f,
        grad=_rastrigin_g,
        hess=_rastrigin_h,
        references=(Reference((0.0, 0.0), 0.0, "global"),),
    ),
    Surface(
        id="ackley",
        name="Ackley",
        formula="f(x, y) = −20·exp(−0.2·√(½(x² + y²))) − exp(½(cos 2πx + cos 2πy)) + e + 20",
        description="A nearly flat, dimpled plain with one deep funnel in the middle, whose "
        "sharp tip has no gradient to speak of.",
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        start=(2.5, -3.5),
        value=_ackley_f,
        grad=_ackley_g,
        hess=_ackley_h,
        references=(Reference((0.0, 0.0), 0.0, "global"),),
    ),
    Surface(
        id="goldstein_price",
        name="Goldstein–Price",
        formula="f(x, y) = [1 + (x + y + 1)²(19 − 14x + 3x² − 14y + 6xy + 3y²)]"
        " · [30 + (2x − 3y)²(18 − 32x + 12x² + 48y − 36xy + 27y²)]",
        description="Values from 3 to a million: a narrow pit at (0, −1) beside three "
        "shallower ones, in a landscape where a step size that suits one place fails "
        "in another.",
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        start=(1.0, 1.5),
        value=_goldstein_price_f,
        grad=_goldstein_price_g,
        hess=_goldstein_price_h,
        # VLSE gives the global minimum; the three local ones follow from the
        # factorization above (exact).
        references=(
            Reference((0.0, -1.0), 3.0, "global"),
            Reference((-0.6, -0.4), 30.0, "local"),
            Reference((1.8, 0.2), 84.0, "local"),
            Reference((1.2, 0.8), 840.0, "local"),
        ),
        search=False,
    ),
    Surface(
        id="six_hump_camel",
        name="Six-hump camel",
        formula="f(x, y) = (4 − 2.1x² + x⁴/3)·x² + xy + (4y² − 4)·y²",
        description="Six valleys: two equally deepest near the middle, four shallower ones "
        "out on the flanks.",
        domain=((-2.2, 2.2), (-1.2, 1.2)),
        start=(-1.5, -1.0),
        value=_camel_f,
        grad=_camel_g,
        hess=_camel_h,
        # VLSE gives the two global minima to 4 places (cut, not rounded: y = −0.712656...).
        # VLSE and benchmarkfcns.info say there are four local minima without placing them;
        # the four below are given to 4 places and confirmed by the domain search (tests).
        references=(
            Reference((0.0898, -0.7126), -1.0316, "global", places=4, value_places=4),
            Reference((-0.0898, 0.7126), -1.0316, "global", places=4, value_places=4),
            Reference((-1.7036, 0.7961), -0.2155, "local", places=4, value_places=4),
            Reference((1.7036, -0.7961), -0.2155, "local", places=4, value_places=4),
            Reference((1.6071, 0.5687), 2.1043, "local", places=4, value_places=4),
            Reference((-1.6071, -0.5687), 2.1043, "local", places=4, value_places=4),
        ),
        search=False,
    ),
    Surface(
        id="styblinski_tang",
        name="Styblinski–Tang",
        formula="f(x, y) = ½(x⁴ − 16x² + 5x + y⁴ − 16y² + 5y)",
        description="Four valleys, one in each quadrant; the deepest is at the lower left, "
        "and plain gradient descent settles in whichever is nearest.",
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        start=(4.5, 4.5),
        value=_styblinski_tang_f,
        grad=_styblinski_tang_g,
        hess=_styblinski_tang_h,
        # VLSE: x* = (−2.903534, ...), f = −39.16599·d.  That value is off in its last
        # places: the exact minimum is −39.16616570...·d, so −78.33233 here (d = 2).  The
        # other three minima combine −2.903534 with the 1D local minimum 2.746803.
        references=(
            Reference((-2.903534, -2.903534), -78.33233, "global", places=6, value_places=5),
            Reference((2.746803, -2.903534), -64.19561, "local", places=6, value_places=5),
            Reference((-2.903534, 2.746803), -64.19561, "local", places=6, value_places=5),
            Reference((2.746803, 2.746803), -50.05889, "local", places=6, value_places=5),
        ),
        search=False,
    ),
    Surface(
        id="mccormick",
        name="McCormick",
        formula="f(x, y) = sin(x + y) + (x − y)² − 1.5x + 2.5y + 1",
        description="A sloping trough with a wave along it: two minima, the deeper one "
        "down at the lower left.",
        domain=((-1.5, 4.0), (-3.0, 4.0)),
        start=(3.5, 3.8),
        value=_mccormick_f,
        grad=_mccormick_g,
        hess=_mccormick_h,
        # VLSE: f(−0.54719, −1.54719) = −1.9133.  The local minimum is the closed form above.
        references=(
            Reference((-0.54719, -1.54719), -1.9133, "global", places=5, value_places=4),
            Reference(
                (0.5 + 2.0 * math.pi / 3.0, -0.5 + 2.0 * math.pi / 3.0),
                2.0 * math.pi / 3.0 - math.sqrt(3.0) / 2.0,
                "local",
            ),
        ),
        search=False,
    ),
    Surface(
        id="saddle",
        name="Saddle",
        formula="f(x, y) = x² − y²",
        description="Curves up along x and down along y, like a horse's saddle; at the "
        "centre the slope is zero in every direction.",
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        start=(1.8, 0.01),
        value=_saddle_f,
        grad=_saddle_g,
        hess=_saddle_h,
    ),
    parametrized(
        _ravine,
        (KAPPA,),
        id="ravine",
        name="Ravine",
        formula="f(x, y) = ½(x² + κ·y²)",
        description="A stretched bowl, κ times steeper across than along: the step size the "
        "walls allow is too small for the floor.",
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        start=(-2.5, 1.0),
    ),
    Surface(
        id="plateau",
        name="Plateau",
        formula="f(x, y) = 1 − exp(−(x² + y²)/2)",
        description="A wide, almost flat tableland around a single well: the gradient is "
        "about 0.002 at the start (3, 2.5) and only 1e-8 at (4.5, 4.5), so small steps barely "
        "move.",
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        start=(3.0, 2.5),
        value=_plateau_f,
        grad=_plateau_g,
        hess=_plateau_h,
    ),
    Surface(
        id="rippled_bowl",
        name="Rippled bowl",
        formula="f(x, y) = (x² + y²)/10 + 1 − cos(2x)·cos(2y)",
        description="A gentle bowl with ripples: thirteen minima to get stuck in, the deepest "
        "at the centre.",
        domain=((-4.0, 4.0), (-4.0, 4.0)),
        start=(3.3, 2.0),
        value=_rippled_f,
        grad=_rippled_g,
        hess=_rippled_h,
    ),
    Surface(
        id="sharp_and_wide",
        name="Sharp and wide",
        formula="f(x, y) = (1 − e^(−‖p − a‖²/(2·0.1²))) · (1 − e^(−‖p − b‖²/2)),"
        " a = (1, 0.5), b = (−0.5, −0.5)",
        description="Two minima exactly as deep (f = 0): a narrow pit at (1, 0.5) whose "
        "sharpness (the Hessian's largest eigenvalue) is 80.3, and a broad bowl at "
        "(−0.5, −0.5) whose sharpness is 1. A small nudge throws a ball out of the pit; "
        "the bowl forgives it.",
        domain=((-3.0, 2.5), (-3.0, 2.5)),
        start=(1.1, 0.6),
        value=_sharp_and_wide_f,
        grad=_sharp_and_wide_g,
        hess=_sharp_and_wide_h,
        # Exact (see the formulas above): f = 0 at both centres and nowhere else.
        references=(
            Reference(SHARP_AT, 0.0, "global"),
            Reference(WIDE_AT, 0.0, "global"),
        ),
        search=False,
    ),
)
