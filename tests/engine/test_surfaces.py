"""Every surface: derivatives against finite differences, backends against each other,
listed minima against the surface itself and against an independent grid search."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from app.engine.backend import NUMPY, SCALAR
from app.engine.surfaces import SURFACES, Surface

SURFACE_IDS = sorted(SURFACES)
H = 1e-6  # central-difference step: truncation ~h² f''', rounding ~1e-16 |f| / h
FD_RTOL, FD_ATOL = 1e-6, 1e-8


def sample_points(surface: Surface, n: int = 50) -> np.ndarray:
    """(n, dim): a regular sweep of the domain plus seeded random points, all inside it."""
    lo = np.array([d[0] for d in surface.domain])
    hi = np.array([d[1] for d in surface.domain])
    sweep = np.linspace(0.0, 1.0, n // 2 + 2)[1:-1, None]  # no endpoints: FD steps stay inside
    rng = np.random.default_rng(20240601)
    random = rng.uniform(0.0, 1.0, size=(n - len(sweep), surface.dim))
    return lo + (hi - lo) * np.concatenate(
        [np.broadcast_to(sweep, (len(sweep), surface.dim)), random]
    )


def scalar_value(surface: Surface, x: np.ndarray) -> float:
    return surface.value(SCALAR, *map(float, x))


def scalar_grad(surface: Surface, x: np.ndarray) -> np.ndarray:
    return np.array(surface.grad(SCALAR, *map(float, x)), dtype=np.float64)


def scalar_hess(surface: Surface, x: np.ndarray) -> np.ndarray:
    return np.array(surface.hess(SCALAR, *map(float, x)), dtype=np.float64)


def unit(dim: int, i: int) -> np.ndarray:
    e = np.zeros(dim)
    e[i] = 1.0
    return e


@pytest.mark.parametrize("sid", SURFACE_IDS)
def test_gradient_matches_central_differences(sid: str) -> None:
    surface = SURFACES[sid]
    for x in sample_points(surface):
        grad = scalar_grad(surface, x)
        assert grad.shape == (surface.dim,)
        for i in range(surface.dim):
            e = unit(surface.dim, i) * H
            fd = (scalar_value(surface, x + e) - scalar_value(surface, x - e)) / (2 * H)
            assert abs(grad[i] - fd) <= FD_RTOL * abs(fd) + FD_ATOL, (x, i, grad[i], fd)


@pytest.mark.parametrize("sid", SURFACE_IDS)
def test_hessian_matches_central_differences_of_the_gradient(sid: str) -> None:
    surface = SURFACES[sid]
    for x in sample_points(surface):
        hess = scalar_hess(surface, x)
        assert hess.shape == (surface.dim, surface.dim)
        np.testing.assert_array_equal(hess, hess.T)
        for j in range(surface.dim):
            e = unit(surface.dim, j) * H
            fd = (scalar_grad(surface, x + e) - scalar_grad(surface, x - e)) / (2 * H)
            for i in range(surface.dim):
                assert abs(hess[i, j] - fd[i]) <= FD_RTOL * abs(fd[i]) + FD_ATOL, (x, i, j)


@pytest.mark.parametrize("sid", SURFACE_IDS)
def test_numpy_and_scalar_backends_agree(sid: str) -> None:
    surface = SURFACES[sid]
    points = sample_points(surface)
    coords = [np.ascontiguousarray(points[:, i]) for i in range(surface.dim)]
    value = surface.value(NUMPY, *coords)
    grad = surface.grad(NUMPY, *coords)
    hess = surface.hess(NUMPY, *coords)
    assert np.shape(value) == (len(points),)
    for k, x in enumerate(points):
        # numpy's and libm's exp/tanh/sin may round differently in the last place.
        np.testing.assert_allclose(value[k], scalar_value(surface, x), rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(
            [g[k] for g in grad], scalar_grad(surface, x), rtol=1e-13, atol=1e-14
        )
        np.testing.assert_allclose(
            [[np.broadcast_to(h, (len(points),))[k] for h in row] for row in hess],
            scalar_hess(surface, x),
            rtol=1e-13,
            atol=1e-14,
        )


def in_domain(surface: Surface, x: tuple[float, ...]) -> bool:
    return len(x) == surface.dim and all(
        lo <= c <= hi for c, (lo, hi) in zip(x, surface.domain, strict=True)
    )


@pytest.mark.parametrize("sid", SURFACE_IDS)
def test_start_lies_in_the_domain(sid: str) -> None:
    surface = SURFACES[sid]
    assert in_domain(surface, surface.start)
    for lo, hi in surface.domain:
        assert lo < hi


@pytest.mark.parametrize("sid", SURFACE_IDS)
def test_listed_minima_are_minima(sid: str) -> None:
    surface = SURFACES[sid]
    assert surface.minima
    for m in surface.minima:
        x = np.array(m.position)
        assert in_domain(surface, m.position)
        assert np.all(np.abs(scalar_grad(surface, x)) < 1e-8), m
        assert np.all(np.linalg.eigvalsh(scalar_hess(surface, x)) > 0), m
        assert m.value == scalar_value(surface, x)
    kinds = [m.kind for m in surface.minima]
    assert kinds.count("global") == 1
    assert set(kinds) <= {"global", "local"}
    lowest = min(surface.minima, key=lambda m: m.value)
    assert lowest.kind == "global"
    # Listed minima are distinct points.
    for a, b in itertools.combinations(surface.minima, 2):
        assert np.max(np.abs(np.subtract(a.position, b.position))) > 1e-6


def grid(surface: Surface) -> list[np.ndarray]:
    per_axis = {1: 200_001, 2: 2_001}.get(surface.dim)
    if per_axis is None:
        pytest.skip(f"no dense grid for {surface.dim} dimensions")
    axes = [np.linspace(lo, hi, per_axis) for lo, hi in surface.domain]
    return [a.ravel() for a in np.meshgrid(*axes, indexing="ij")]


@pytest.mark.parametrize("sid", SURFACE_IDS)
def test_grid_search_finds_the_global_minimum(sid: str) -> None:
    surface = SURFACES[sid]
    coords = grid(surface)
    values = surface.value(NUMPY, *coords)
    k = int(np.argmin(values))
    found = np.array([c[k] for c in coords])
    (best,) = [m for m in surface.minima if m.kind == "global"]
    assert np.max(np.abs(found - np.array(best.position))) < 1e-3, (found, best)
    # Nothing on the grid is meaningfully below the listed global minimum.
    assert values[k] >= best.value - 1e-12 * max(1.0, abs(best.value))
