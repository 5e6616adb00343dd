"""The L2 landscape f + (λ/2)·‖x‖² and its lowest point (app/engine/surfaces/regularized.py):
exact derivatives, closed forms matched to 1e-8, the pull toward 0, and λ → 0."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from app.engine.backend import SCALAR
from app.engine.surfaces import SURFACES
from app.engine.surfaces.models import DATASETS, ModelSpec, model_surface
from app.engine.surfaces.regularized import l2_lowest, l2_surface

POINTS = {1: [(-1.3,), (0.4,), (2.1,)], 2: [(-1.2, 0.7), (0.3, -0.4), (1.9, 1.1)]}


def _central(f: Any, p: tuple[float, ...], i: int, h: float) -> float:
    up, down = list(p), list(p)
    up[i] += h
    down[i] -= h
    return float((f(*up) - f(*down)) / (2 * h))


@pytest.mark.parametrize("surface_id", ["roll_downhill", "double_well", "rosenbrock", "himmelblau"])
def test_gradient_and_hessian_match_central_differences(surface_id: str) -> None:
    landscape = l2_surface(SURFACES[surface_id], 3.0)
    for p in POINTS[landscape.dim]:
        grad, hess = landscape.grad(SCALAR, *p), landscape.hess(SCALAR, *p)
        scale = max(1.0, abs(landscape.value(SCALAR, *p)))
        for i in range(landscape.dim):
            h = 1e-5
            fd = _central(lambda *q: landscape.value(SCALAR, *q), p, i, h)
            assert grad[i] == pytest.approx(fd, rel=1e-6, abs=1e-6 * scale), (p, i)
            for j in range(landscape.dim):
                fd2 = _central(lambda *q, j=j: landscape.grad(SCALAR, *q)[j], p, i, h)
                assert hess[i][j] == pytest.approx(fd2, rel=1e-5, abs=1e-5), (p, i, j)


def test_value_gradient_and_hessian_gain_exactly_the_penalty() -> None:
    surface = SURFACES["himmelblau"]
    landscape = l2_surface(surface, 0.5)
    x, y = 1.5, -2.0
    assert landscape.value(SCALAR, x, y) == surface.value(SCALAR, x, y) + 0.25 * (x * x + y * y)
    gx, gy = surface.grad(SCALAR, x, y)
    assert landscape.grad(SCALAR, x, y) == (gx + 0.5 * x, gy + 0.5 * y)
    (a, b), (c, d) = surface.hess(SCALAR, x, y)
    assert landscape.hess(SCALAR, x, y) == ((a + 0.5, b), (c, d + 0.5))


def test_linear_regression_under_mse_moves_to_ridge_regressions_closed_form() -> None:
    # MSE = (1/n)·‖Aθ − y‖², so the penalized minimum solves (2AᵀA/n + λI)θ = 2Aᵀy/n.
    data = DATASETS["noisy_line"]
    a = np.stack([data.x, np.ones_like(data.x)], axis=-1)
    n = len(data.x)
    for lam in (0.1, 1.0, 4.0):
        ridge = np.linalg.solve(2 * a.T @ a / n + lam * np.eye(2), 2 * a.T @ data.y / n)
        lowest = l2_lowest(model_surface(ModelSpec("linear", "mse", "noisy_line")), lam)
        assert lowest is not None
        assert lowest.position == pytest.approx(tuple(ridge), abs=1e-8)


def test_a_1d_fit_through_the_origin_moves_to_its_closed_form() -> None:
    # (1/n)·Σ(w·xᵢ − yᵢ)² + (λ/2)·w² is lowest at w = (2x·y/n) / (2x·x/n + λ).
    data = DATASETS["noisy_line"]
    n, lam = len(data.x), 0.7
    lowest = l2_lowest(model_surface(ModelSpec("linear", "mse", "noisy_line", dim=1)), lam)
    assert lowest is not None
    w = (2 * data.x @ data.y / n) / (2 * data.x @ data.x / n + lam)
    assert lowest.position[0] == pytest.approx(w, abs=1e-8)


@pytest.mark.parametrize("surface_id", ["roll_downhill", "himmelblau", "rosenbrock"])
def test_the_lowest_point_moves_toward_0_as_the_decay_grows(surface_id: str) -> None:
    surface = SURFACES[surface_id]
    distances = []
    for lam in (0.01, 0.3, 3.0, 30.0, 1000.0):
        lowest = l2_lowest(surface, lam)
        assert lowest is not None and lowest.kind == "global"
        distances.append(math.hypot(*lowest.position))
    assert distances == sorted(distances, reverse=True)
    assert distances[-1] < 0.2 * distances[0]


@pytest.mark.parametrize("surface_id", ["roll_downhill", "double_well", "himmelblau", "beale"])
def test_a_vanishing_decay_gives_the_surfaces_own_global_minimum(surface_id: str) -> None:
    surface = SURFACES[surface_id]
    lowest = l2_lowest(surface, 1e-12)
    assert lowest is not None
    own = [m.position for m in surface.minima if m.kind == "global"]
    assert any(lowest.position == pytest.approx(p, abs=1e-9) for p in own)


def test_a_global_minimum_at_the_origin_stays_even_where_newton_cannot_work() -> None:
    # Ackley's minimum is a cone tip at 0: the penalty, 0 there, keeps it lowest.
    lowest = l2_lowest(SURFACES["ackley"], 2.0)
    assert lowest is not None
    assert lowest.position == (0.0, 0.0)
    assert lowest.value == SURFACES["ackley"].value(SCALAR, 0.0, 0.0)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_a_decay_that_is_not_a_positive_number_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="weight_decay"):
        l2_surface(SURFACES["parabola"], bad)
