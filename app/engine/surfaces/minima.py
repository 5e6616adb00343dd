"""Where a surface's minima are: published ones polished to machine precision, the rest
found by searching the domain, each verified (∇f ≈ 0, Hessian positive definite).

:func:`newton` is a downhill Newton's method with the exact Hessian (damped away from a
minimum, quadratic near one); :func:`polish_reference` polishes a published minimum and
checks it against the published digits; :func:`locate_minima_1d` and
:func:`locate_minima_2d` search the domain.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..backend import NUMPY, SCALAR
from .surface import Minimum, Reference, distance

if TYPE_CHECKING:
    from .surface import Surface


def classify(points: Iterable[tuple[tuple[float, ...], float]]) -> tuple[Minimum, ...]:
    """Minima sorted lowest first; every one within rounding of the lowest is global."""
    ordered = sorted(points, key=lambda p: (p[1], p[0]))
    if not ordered:
        return ()
    lowest = ordered[0][1]
    tol = 1e-12 * max(1.0, abs(lowest))
    return tuple(Minimum(x, v, "global" if v - lowest <= tol else "local") for x, v in ordered)


# --- verifying and polishing minima -------------------------------------------------------


def _verified(surface: Surface, x: tuple[float, ...]) -> str | None:
    """Why ``x`` is not a verified interior minimum, or None if it is one."""
    try:
        f = surface.value(SCALAR, *x)
        g = np.array(surface.grad(SCALAR, *x), dtype=np.float64)
        h = np.array(surface.hess(SCALAR, *x), dtype=np.float64)
    except (ArithmeticError, ValueError) as exc:
        return f"not finite there ({exc})"
    if not (math.isfinite(f) and np.isfinite(g).all() and np.isfinite(h).all()):
        return "not finite there"
    if not all(lo < c < hi for c, (lo, hi) in zip(x, surface.domain, strict=True)):
        return "outside the domain"
    if np.abs(g).max() > 1e-9 * max(1.0, abs(f)):
        return f"gradient {g.tolist()} is not zero"
    if np.linalg.eigvalsh(h).min() <= 0:
        return f"Hessian {h.tolist()} is not positive definite"
    return None


def _gradient_size(surface: Surface, x: tuple[float, ...]) -> float:
    try:
        size: float = max(abs(g) for g in surface.grad(SCALAR, *x))
        return size
    except (ArithmeticError, ValueError):
        return math.inf


def _local_model(surface: Surface, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f (n,), gradient (n, dim) and Hessian (n, dim, dim) at the points p (n, dim)."""
    n, coords = len(p), [np.ascontiguousarray(c) for c in p.T]
    f = np.broadcast_to(surface.value(NUMPY, *coords), n)
    g = np.stack([np.broadcast_to(c, n) for c in surface.grad(NUMPY, *coords)], axis=-1)
    h = np.array([[np.broadcast_to(c, n) for c in row] for row in surface.hess(NUMPY, *coords)])
    return f, g, np.moveaxis(h, -1, 0)


def _solve(h: np.ndarray, g: np.ndarray) -> np.ndarray:
    """h⁻¹g for stacks of 1x1 or 2x2 matrices (Cramer's rule: no exception when singular)."""
    x: np.ndarray
    if h.shape[-1] == 1:
        x = g / h[:, 0]
        return x
    a, b, d = h[:, 0, 0], h[:, 0, 1], h[:, 1, 1]
    x = np.stack([d * g[:, 0] - b * g[:, 1], a * g[:, 1] - b * g[:, 0]], axis=-1)
    x = x / (a * d - b * b)[:, None]
    return x


def _eigenvalue_range(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if h.shape[-1] == 1:
        return h[:, 0, 0], h[:, 0, 0]
    a, b, d = h[:, 0, 0], h[:, 0, 1], h[:, 1, 1]
    mean, radius = 0.5 * (a + d), np.hypot(0.5 * (a - d), b)
    return mean - radius, mean + radius


def newton(
    surface: Surface, points: np.ndarray, iterations: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """Newton's method with the exact Hessian, made to go downhill, from each of ``points``.

    ``points`` is (n, dim) with dim 1 or 2.  Away from a minimum the method is damped: where
    the Hessian is not positive definite it is shifted until it is, and each step is halved
    until f falls enough (Armijo), so an iterate only goes down and does not settle on a
    saddle point or a maximum.  Close to a minimum (Hessian positive definite, predicted
    decrease below 1e-8 of f's size) it takes full steps and converges quadratically, into
    rounding noise; per point, the iterate with the smallest gradient where the Hessian is
    positive definite is returned (NaN where that never happens), and whether the
    iteration left the domain (where it stops: the surface falls away out of the domain).
    """
    if surface.dim > 2:
        raise NotImplementedError("Newton polishing is written for 1D and 2D surfaces")
    p = np.array(points, dtype=np.float64)
    n, eye = len(p), np.eye(surface.dim)
    best, best_g = np.full_like(p, np.nan), np.full(n, np.inf)
    lo, hi = np.array(surface.domain).T
    left = np.zeros(n, dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            f, g, h = _local_model(surface, p)
            lowest, highest = _eigenvalue_range(h)
            convex = lowest > 0
            size = np.abs(g).max(axis=-1)
            better = convex & (size < best_g)  # False for NaN
            best[better], best_g[better] = p[better], size[better]
            shift = np.where(convex, 0.0, 1e-3 * np.maximum(np.abs(highest), 1.0) - lowest)
            step = _solve(h + shift[:, None, None] * eye, g)
            decrease = (g * step).sum(axis=-1)  # twice the decrease the model predicts
            near = convex & (decrease <= 1e-8 * np.maximum(1.0, np.abs(f)))
            t, accept = np.ones(n), near | left
            for _ in range(60):
                trial = p - t[:, None] * step
                coords = [np.ascontiguousarray(c) for c in trial.T]
                f_trial = np.broadcast_to(surface.value(NUMPY, *coords), n)
                accept |= f_trial <= f - 1e-4 * t * decrease
                if accept.all():
                    break
                t = np.where(accept, t, 0.5 * t)
            settled = np.abs(step) <= 4e-16 * np.maximum(1.0, np.abs(p))
            if ((near & settled.all(axis=-1)) | ~accept | left).all():
                break
            p = np.where((accept & ~left)[:, None], p - t[:, None] * step, p)
            left |= ((p < lo) | (p > hi)).any(axis=-1)
    return best, left


def _prefer_round(surface: Surface, x: tuple[float, ...]) -> tuple[float, ...]:
    """``x`` rounded to 12 places where that is at least as good (0.0 rather than 1e-17)."""
    rounded = tuple(round(c, 12) + 0.0 for c in x)
    return rounded if _gradient_size(surface, rounded) <= _gradient_size(surface, x) else x


def polish_reference(surface: Surface, ref: Reference) -> Minimum:
    """A published minimum polished to machine precision, checked against what was published."""
    best, _ = newton(surface, np.array([ref.position], dtype=np.float64))
    x = _prefer_round(surface, tuple(float(c) for c in best[0]))
    why = _verified(surface, x)
    if why is not None:
        raise ValueError(f"surface {surface.id!r}: reference minimum {ref.position}: {why}")
    value = surface.value(SCALAR, *x)

    def unit(places: int | None, scale: float) -> float:
        return 1e-12 * max(1.0, abs(scale)) if places is None else 10.0**-places

    moved = distance(x, ref.position)
    if moved > unit(ref.places, max(map(abs, ref.position))):
        raise ValueError(
            f"surface {surface.id!r}: polishing {ref.position} moved it by {moved:.3g} to {x}, "
            "more than the published digits allow"
        )
    if abs(value - ref.value) > unit(ref.value_places, ref.value):
        raise ValueError(
            f"surface {surface.id!r}: the minimum at {x} has value {value!r}, "
            f"not the published {ref.value}"
        )
    return Minimum(x, value, ref.kind)  # the kind is checked once all minima are known


# --- searching the domain -----------------------------------------------------------------


def locate_minima_1d(
    surface: Surface, samples: int = 4001, *, strict: bool = True
) -> tuple[Minimum, ...]:
    """Interior minima of a 1D surface: sign changes of f' from - to +, refined by bisection.

    Each is verified (f' ~ 0, f'' > 0); the lowest is marked global.  With ``strict`` an
    unverified candidate, or no minimum at all, is an error; without, a candidate that
    fails (or raises) is left out and the result may be empty.
    """
    ((lo, hi),) = surface.domain
    xs = np.linspace(lo, hi, samples)
    with np.errstate(all="ignore"):
        (g,) = surface.grad(NUMPY, xs)
    found: list[tuple[tuple[float, ...], float]] = []
    for i in np.nonzero((g[:-1] < 0) & (g[1:] >= 0))[0]:
        try:
            x = _bisect(surface, float(xs[i]), float(xs[i + 1]))
            (gx,) = surface.grad(SCALAR, x)
            ((h,),) = surface.hess(SCALAR, x)
            value = surface.value(SCALAR, x)
        except (ArithmeticError, ValueError):
            if strict:
                raise
            continue
        if abs(gx) > 1e-9 or h <= 0 or not lo < x < hi or not math.isfinite(value):
            if not strict:
                continue
            raise ValueError(f"surface {surface.id!r}: unverified minimum near x={x}")
        found.append(((x,), value))
    if not found and strict:
        raise ValueError(f"surface {surface.id!r}: no interior minimum on its domain")
    return classify(found)


def _bisect(surface: Surface, a: float, b: float) -> float:
    """Where f' changes sign from - to + between a and b, to the last bit."""
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
    return x


def locate_minima_2d(
    surface: Surface,
    samples: int = 201,
    skip: Iterable[Sequence[float]] = (),
    *,
    strict: bool = True,
) -> tuple[Minimum, ...]:
    """Interior minima of a 2D surface: the grid's local minima, polished by Newton's method.

    The domain is sampled on a ``samples`` x ``samples`` grid; every grid point no higher
    than its eight neighbours is a candidate, polished by Newton with the exact Hessian and
    verified (finite, inside the domain, ∇f ~ 0, Hessian positive definite).  Newton's
    method is made to go downhill, so a candidate may leave the domain where the surface
    falls away out of it (or, from the grid's edge, fail in any way): it is dropped.  Any
    other interior candidate that does not verify is an error (a wrong derivative, or a
    grid too coarse for the surface).  Candidates within two grid steps of a point in
    ``skip`` are left out: known minima where Newton cannot work, such as a cone's tip.
    Polished candidates that meet are one minimum; the lowest are marked global.  A surface
    may have none (a saddle): the result is then empty.  Without ``strict`` (a typed
    formula) an interior candidate that does not verify is left out too.
    """
    (xlo, xhi), (ylo, yhi) = surface.domain
    axes = np.linspace(xlo, xhi, samples), np.linspace(ylo, yhi, samples)
    grid_x, grid_y = np.meshgrid(*axes, indexing="ij")
    with np.errstate(all="ignore"):
        f = np.broadcast_to(surface.value(NUMPY, grid_x, grid_y), grid_x.shape)
    f = np.where(np.isfinite(f), f, np.inf)
    padded = np.pad(f, 1, constant_values=np.inf)
    lowest = np.isfinite(f)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                lowest &= f <= padded[1 + di : 1 + di + samples, 1 + dj : 1 + dj + samples]
    index = np.argwhere(lowest)
    steps = np.array([(xhi - xlo) / (samples - 1), (yhi - ylo) / (samples - 1)])
    starts = np.stack([axes[0][index[:, 0]], axes[1][index[:, 1]]], axis=-1)
    keep = np.ones(len(starts), dtype=bool)
    for s in skip:
        keep &= (np.abs(starts - np.asarray(s)) > 2 * steps).any(axis=-1)
    index, starts = index[keep], starts[keep]
    edge = (index == 0) | (index == samples - 1)

    polished, left = newton(surface, starts)
    span = max(xhi - xlo, yhi - ylo)
    found: list[tuple[tuple[float, ...], float]] = []
    for start, end, off, on_edge in zip(starts, polished, left, edge.any(axis=-1), strict=True):
        if off:  # the surface falls away out of the domain from here
            continue
        x = tuple(float(c) for c in end)
        if np.isfinite(end).all():
            x = _prefer_round(surface, x)
        why = _verified(surface, x) if np.isfinite(end).all() else "Newton's method failed"
        if why is not None:
            if on_edge or not strict:
                continue
            raise ValueError(
                f"surface {surface.id!r}: unverified minimum from grid point {start.tolist()}, "
                f"polished to {x}: {why}"
            )
        if all(distance(x, y) > 1e-6 * span for y, _ in found):
            found.append((x, surface.value(SCALAR, *x)))
    return classify(found)
