"""Every surface: derivatives against finite differences, backends against each other,
listed minima against the surface itself, the literature and an independent grid search;
surface parameters (the ravine's condition number κ), checked like hyperparameters."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest

from app.engine.backend import NUMPY, SCALAR
from app.engine.errors import HyperparameterError
from app.engine.surfaces import SURFACES, Surface, locate_minima_2d

SURFACE_IDS = sorted(SURFACES)
IDS_2D = sorted(sid for sid, s in SURFACES.items() if s.dim == 2)
H = 1e-6  # central-difference step: truncation ~h² f''', rounding ~1e-16 |f| / h
# Relative to the derivative, plus an absolute part relative to the function differenced
# (rounding in f(x ± h) is ~1e-16 |f|, divided by 2h): Goldstein–Price reaches 1e6.
FD_RTOL, FD_ATOL = 1e-6, 1e-8

# How many minima each surface has on its domain (a user sees them as markers).
MINIMA_COUNT = {
    "roll_downhill": 4,
    "parabola": 1,
    "double_well": 2,
    "plateau_wall": 1,
    "rosenbrock": 1,
    "himmelblau": 4,
    "beale": 1,
    "booth": 1,
    "rastrigin": 121,  # one per whole-number point (i, j), |i|, |j| <= 5
    "ackley": 121,  # likewise on [-5, 5]², the origin being the global one
    "goldstein_price": 4,
    "six_hump_camel": 6,
    "styblinski_tang": 4,
    "mccormick": 2,
    "saddle": 0,
    "ravine": 1,
    "plateau": 1,
    "rippled_bowl": 13,  # (kπ, mπ) and (±π/2, ±π/2) that fit in [-4, 4]² (shifted inward)
    "sharp_and_wide": 2,  # the pit and the bowl (exact: catalog_2d)
    "sharp_and_wide_1d": 2,
}

# Published minima, written out here so the catalog is checked against the literature
# rather than against itself: (position, value, decimal places of the position and of the
# value (None: exact), source).  A figure must hold to one unit in its last place (some
# sources cut digits rather than round them).  VLSE: Surjanovic & Bingham, Virtual Library
# of Simulation Experiments, https://www.sfu.ca/~ssurjano/<page>.
LITERATURE: dict[str, list[tuple[tuple[float, float], float, int | None, int | None, str]]] = {
    "rosenbrock": [((1, 1), 0, None, None, "VLSE rosen.html")],
    "himmelblau": [
        ((3, 2), 0, None, None, "Himmelblau 1972"),
        ((-2.805118, 3.131312), 0, 6, None, "Himmelblau 1972, as usually quoted"),
        ((-3.779310, -3.283186), 0, 6, None, "Himmelblau 1972, as usually quoted"),
        ((3.584428, -1.848126), 0, 6, None, "Himmelblau 1972, as usually quoted"),
    ],
    "beale": [((3, 0.5), 0, None, None, "VLSE beale.html")],
    "booth": [((1, 3), 0, None, None, "VLSE booth.html")],
    "rastrigin": [((0, 0), 0, None, None, "VLSE rastr.html")],
    "ackley": [((0, 0), 0, None, None, "VLSE ackley.html")],
    "goldstein_price": [
        ((0, -1), 3, None, None, "VLSE goldpr.html"),
        # Local minima (exact: see the factorization in app/engine/surfaces/catalog_2d.py).
        ((-0.6, -0.4), 30, 1, None, "literature"),
        ((1.8, 0.2), 84, 1, None, "literature"),
        ((1.2, 0.8), 840, 1, None, "literature"),
    ],
    "six_hump_camel": [
        ((0.0898, -0.7126), -1.0316, 4, 4, "VLSE camel6.html"),
        ((-0.0898, 0.7126), -1.0316, 4, 4, "VLSE camel6.html"),
        # The four local minima: not placed by VLSE; 4-place figures from the issue.
        ((-1.7036, 0.7961), -0.2155, 4, 4, "issue 3"),
        ((1.7036, -0.7961), -0.2155, 4, 4, "issue 3"),
        ((-1.6071, -0.5687), 2.1043, 4, 4, "issue 3"),
        ((1.6071, 0.5687), 2.1043, 4, 4, "issue 3"),
    ],
    "styblinski_tang": [
        # VLSE: f = -39.16599·d; the exact figure is -39.166165...·d (5 places: -78.33233).
        ((-2.903534, -2.903534), -78.33233, 6, 5, "VLSE stybtang.html, value corrected"),
        ((2.746803, -2.903534), -64.19561, 6, 5, "VLSE's 1D roots combined"),
        ((-2.903534, 2.746803), -64.19561, 6, 5, "VLSE's 1D roots combined"),
        ((2.746803, 2.746803), -50.05889, 6, 5, "VLSE's 1D roots combined"),
    ],
    "mccormick": [
        ((-0.54719, -1.54719), -1.9133, 5, 4, "VLSE mccorm.html"),
        ((2.5944, 1.5944), 1.2284, 4, 4, "closed form: x + y = 4π/3, x - y = 1"),
    ],
}
# Surfaces whose minima on the domain the table above lists in full.
FULLY_LISTED = [sid for sid in LITERATURE if sid not in ("rastrigin", "ackley")]


def sample_points(surface: Surface, n: int = 50) -> np.ndarray:
    """(n, dim): a regular lattice over the domain plus seeded random points, all inside it.

    The lattice is offset so that it misses the domain's centre, where Ackley's cone has
    its tip (its Hessian is infinite there; that point is tested on its own).
    """
    lo = np.array([d[0] for d in surface.domain])
    hi = np.array([d[1] for d in surface.domain])
    k = n // 2 if surface.dim == 1 else 6
    axis = (np.arange(k) + 0.37) / k  # no endpoints: FD steps stay inside
    lattice = np.array(list(itertools.product(axis, repeat=surface.dim)))
    rng = np.random.default_rng(20240601)
    random = rng.uniform(0.0, 1.0, size=(n - len(lattice), surface.dim))
    points = lo + (hi - lo) * np.concatenate([lattice, random])
    assert (np.abs(points).max(axis=1) > 1e-3).all()
    return points


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


def check_gradient(surface: Surface) -> None:
    for x in sample_points(surface):
        grad = scalar_grad(surface, x)
        assert grad.shape == (surface.dim,)
        for i in range(surface.dim):
            e = unit(surface.dim, i) * H
            f_plus, f_minus = scalar_value(surface, x + e), scalar_value(surface, x - e)
            fd = (f_plus - f_minus) / (2 * H)
            atol = FD_ATOL * max(1.0, abs(f_plus), abs(f_minus))
            assert abs(grad[i] - fd) <= FD_RTOL * abs(fd) + atol, (x, i, grad[i], fd)


def check_hessian(surface: Surface) -> None:
    for x in sample_points(surface):
        hess = scalar_hess(surface, x)
        assert hess.shape == (surface.dim, surface.dim)
        np.testing.assert_array_equal(hess, hess.T)
        for j in range(surface.dim):
            e = unit(surface.dim, j) * H
            g_plus, g_minus = scalar_grad(surface, x + e), scalar_grad(surface, x - e)
            fd = (g_plus - g_minus) / (2 * H)
            atol = FD_ATOL * max(1.0, *np.abs(g_plus), *np.abs(g_minus))
            for i in range(surface.dim):
                assert abs(hess[i, j] - fd[i]) <= FD_RTOL * abs(fd[i]) + atol, (x, i, j)


def check_backends_agree(surface: Surface) -> None:
    points = sample_points(surface)
    coords = [np.ascontiguousarray(points[:, i]) for i in range(surface.dim)]
    value = surface.value(NUMPY, *coords)
    grad = surface.grad(NUMPY, *coords)
    hess = surface.hess(NUMPY, *coords)
    assert np.shape(value) == (len(points),)
    for k, x in enumerate(points):
        # numpy's and libm's exp/tanh/sin may round differently in the last place, and
        # that difference is then scaled by the terms it multiplies.
        f, g, h = scalar_value(surface, x), scalar_grad(surface, x), scalar_hess(surface, x)
        np.testing.assert_allclose(value[k], f, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose([c[k] for c in grad], g, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(
            [[np.broadcast_to(c, (len(points),))[k] for c in row] for row in hess],
            h,
            rtol=1e-13,
            atol=1e-14 * max(1.0, np.abs(h).max()),
        )


@pytest.mark.parametrize("sid", SURFACE_IDS)
def test_gradient_matches_central_differences(sid: str) -> None:
    check_gradient(SURFACES[sid])


@pytest.mark.parametrize("sid", SURFACE_IDS)
def test_hessian_matches_central_differences_of_the_gradient(sid: str) -> None:
    check_hessian(SURFACES[sid])


@pytest.mark.parametrize("sid", SURFACE_IDS)
def test_numpy_and_scalar_backends_agree(sid: str) -> None:
    check_backends_agree(SURFACES[sid])


def in_domain(surface: Surface, x: tuple[float, ...]) -> bool:
    return len(x) == surface.dim and all(
        lo <= c <= hi for c, (lo, hi) in zip(x, surface.domain, strict=True)
    )


@pytest.mark.parametrize("sid", SURFACE_IDS)
def test_start_lies_in_the_domain_and_is_not_at_rest(sid: str) -> None:
    surface = SURFACES[sid]
    assert in_domain(surface, surface.start)
    for lo, hi in surface.domain:
        assert lo < hi
    # The ball has somewhere to go: the start is not a stationary point.
    assert np.abs(scalar_grad(surface, np.array(surface.start))).max() > 1e-3


def test_the_plateau_is_flat_where_the_ball_starts() -> None:
    surface = SURFACES["plateau"]
    g = np.linalg.norm(scalar_grad(surface, np.array(surface.start)))
    assert 1e-3 < g < 3e-3
    # ... some 300 times flatter than the well's steepest slope (at radius 1).
    assert np.linalg.norm(scalar_grad(surface, np.array([1.0, 0.0]))) > 300 * g


@pytest.mark.parametrize("sid", SURFACE_IDS)
def test_listed_minima_are_minima(sid: str) -> None:
    surface = SURFACES[sid]
    assert len(surface.minima) == MINIMA_COUNT[sid]
    for m in surface.minima:
        x = np.array(m.position)
        assert in_domain(surface, m.position)
        assert m.value == scalar_value(surface, x)
        assert np.linalg.norm(scalar_grad(surface, x)) <= 1e-9 * max(1.0, abs(m.value)), m
        assert np.all(np.linalg.eigvalsh(scalar_hess(surface, x)) > 0), m
    if not surface.minima:
        return
    values = [m.value for m in surface.minima]
    assert values == sorted(values)  # lowest first
    lowest = values[0]
    tol = 1e-12 * max(1.0, abs(lowest))
    for m in surface.minima:
        assert m.kind == ("global" if m.value - lowest <= tol else "local"), m
    # Listed minima are distinct points.
    for a, b in itertools.combinations(surface.minima, 2):
        assert np.max(np.abs(np.subtract(a.position, b.position))) > 1e-6


@pytest.mark.parametrize("sid", sorted(LITERATURE))
def test_minima_agree_with_the_literature(sid: str) -> None:
    surface = SURFACES[sid]
    lowest = surface.minima[0].value
    for position, value, places, value_places, source in LITERATURE[sid]:
        pos_tol = 1e-12 if places is None else 10.0**-places
        near = [
            m
            for m in surface.minima
            if np.max(np.abs(np.subtract(m.position, position))) <= pos_tol
        ]
        assert len(near) == 1, (position, source)
        (m,) = near
        value_tol = 1e-12 * max(1.0, abs(value)) if value_places is None else 10.0**-value_places
        assert abs(m.value - value) <= value_tol, (m, value, source)
        # The literature's global minima are ours, and its local ones are not lower.
        assert (m.kind == "global") == (abs(value - LITERATURE[sid][0][1]) <= value_tol)
        assert m.value >= lowest
    if sid in FULLY_LISTED:
        assert len(surface.minima) == len(LITERATURE[sid])


@pytest.mark.parametrize("sid", FULLY_LISTED)
def test_searching_the_domain_finds_exactly_the_published_minima(sid: str) -> None:
    surface = SURFACES[sid]
    found = locate_minima_2d(surface)
    assert len(found) == len(surface.minima)
    for f in found:
        (m,) = [
            m for m in surface.minima if np.max(np.abs(np.subtract(f.position, m.position))) < 1e-9
        ]
        assert f.kind == m.kind
        assert f.value == pytest.approx(m.value, rel=1e-12, abs=1e-14)


def grid(surface: Surface) -> list[np.ndarray]:
    per_axis = {1: 200_001, 2: 1_201}.get(surface.dim)
    if per_axis is None:
        pytest.skip(f"no dense grid for {surface.dim} dimensions")
    axes = [np.linspace(lo, hi, per_axis) for lo, hi in surface.domain]
    return [a.ravel() for a in np.meshgrid(*axes, indexing="ij")]


@pytest.mark.parametrize("sid", sorted(set(SURFACE_IDS) - {"saddle"}))
def test_grid_search_finds_nothing_below_the_global_minimum(sid: str) -> None:
    surface = SURFACES[sid]
    coords = grid(surface)
    values = surface.value(NUMPY, *coords)
    k = int(np.argmin(values))
    found = np.array([c[k] for c in coords])
    span = np.array([hi - lo for lo, hi in surface.domain])
    # The grid's lowest point lies nearest to a listed global minimum ...
    nearest = min(surface.minima, key=lambda m: np.max(np.abs(found - m.position) / span))
    assert nearest.kind == "global", (found, nearest)
    assert np.max(np.abs(found - nearest.position) / span) < 0.01
    # ... and nothing on the grid is meaningfully below it.
    assert values[k] >= nearest.value - 1e-12 * max(1.0, abs(nearest.value))


def test_the_saddle_has_no_minimum_and_falls_away() -> None:
    surface = SURFACES["saddle"]
    assert surface.minima == ()
    coords = grid(surface)
    values = surface.value(NUMPY, *coords)
    k = int(np.argmin(values))
    (_, _), (ylo, yhi) = surface.domain
    assert coords[1][k] in (ylo, yhi)  # the lowest points are on the edge
    assert surface.value(SCALAR, 0.0, 100.0) == -10_000.0  # and further out it keeps falling


@pytest.mark.parametrize(
    ("sid", "sharp", "wide"),
    [
        ("sharp_and_wide", 100.0 * (1.0 - math.exp(-1.625)), 1.0),
        ("sharp_and_wide_1d", 100.0 * (1.0 - math.exp(-2.0)), 1.0),
    ],
)
def test_sharp_and_wide_has_two_equal_minima_of_known_sharpness(sid, sharp, wide) -> None:
    """Two minima, both f = 0 exactly, where the formulas' comments put them; the pit's
    sharpness q_bowl/0.1², the bowl's q_pit/1² (= 1 in float64), isotropic in 2D."""
    surface = SURFACES[sid]
    pit, bowl = sorted(surface.minima, key=lambda m: -m.position[0])
    assert (pit.value, bowl.value) == (0.0, 0.0)
    assert (pit.kind, bowl.kind) == ("global", "global")
    assert surface.sharpness(SCALAR, *pit.position) == pytest.approx(sharp, rel=1e-13)
    assert surface.sharpness(SCALAR, *bowl.position) == wide
    if surface.dim == 2:
        h = np.array(surface.hess(SCALAR, *pit.position))
        np.testing.assert_allclose(h, sharp * np.eye(2), rtol=1e-13, atol=1e-12)
    # A hump between them: halfway, f is well above both.
    middle = [(a + b) / 2 for a, b in zip(pit.position, bowl.position, strict=True)]
    assert surface.value(SCALAR, *middle) > 0.3


# --- particular surfaces --------------------------------------------------------------------


def test_goldstein_price_factorization_matches_the_textbook_formula() -> None:
    surface = SURFACES["goldstein_price"]
    x, y = sample_points(surface, 200).T
    textbook = (1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)) * (
        30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
    )
    np.testing.assert_allclose(surface.value(NUMPY, x, y), textbook, rtol=1e-12)


@pytest.mark.parametrize("xp", [SCALAR, NUMPY], ids=["scalar", "numpy"])
def test_ackley_cone_tip_has_a_zero_subgradient_and_a_huge_hessian(xp) -> None:
    surface = SURFACES["ackley"]
    zero = 0.0 if xp is SCALAR else np.zeros(3)
    assert np.all(np.asarray(surface.value(xp, zero, zero)) == 0.0)
    for g in surface.grad(xp, zero, zero):
        assert np.all(np.asarray(g) == 0.0)  # not 0/0
    (hxx, hxy), (_, hyy) = surface.hess(xp, zero, zero)
    assert np.all(np.asarray(hxx) > 1e100) and np.all(np.asarray(hyy) > 1e100)
    assert np.all(np.asarray(hxy) == 0.0)
    # Off the tip the cone is steep from any direction: slope 2√2 (the cone's 4·∂ρ/∂r).
    for angle in np.linspace(0.0, 2 * math.pi, 7):
        r = 1e-9
        g = scalar_grad(surface, np.array([r * math.cos(angle), r * math.sin(angle)]))
        assert np.linalg.norm(g) == pytest.approx(2 * math.sqrt(2), rel=1e-6)
    # Underflow in x² does not fling a ball standing next to the tip.
    assert np.all(np.abs(scalar_grad(surface, np.array([1e-170, 0.0]))) < 1e-10)


def test_mccormick_minima_have_their_closed_forms() -> None:
    surface = SURFACES["mccormick"]
    best, other = surface.minima
    third = math.pi / 3
    assert best.position == pytest.approx((0.5 - third, -0.5 - third), abs=1e-15)
    assert best.value == pytest.approx(-third - math.sqrt(3) / 2, abs=1e-15)
    assert other.position == pytest.approx((0.5 + 2 * third, -0.5 + 2 * third), abs=1e-15)
    assert other.value == pytest.approx(2 * third - math.sqrt(3) / 2, abs=1e-15)


# --- surface parameters ----------------------------------------------------------------------

RAVINE = SURFACES["ravine"]
KAPPAS = [1.0, 3.7, 20.0, 150.0, 1000.0]


def test_the_ravine_has_a_condition_number() -> None:
    (kappa,) = RAVINE.parameters
    assert kappa.name == "kappa"
    assert kappa.label == "Condition number κ"
    assert (kappa.default, kappa.scale, kappa.min, kappa.max) == (100.0, "log", 1.0, 1000.0)
    assert kappa.help
    assert kappa.invalid == "Invalid condition number"
    assert dict(RAVINE.parameter_values) == {"kappa": 100.0}


@pytest.mark.parametrize("sid", sorted(SURFACES))
def test_catalog_surfaces_are_bound_to_their_defaults(sid: str) -> None:
    surface = SURFACES[sid]
    assert dict(surface.parameter_values) == {p.name: p.default for p in surface.parameters}
    for p in surface.parameters:
        assert p.min is not None and p.max is not None and p.min <= p.default <= p.max
    # No values (or the defaults) give back the catalog surface itself.
    assert surface.with_parameters({}) is surface
    assert surface.with_parameters(dict(surface.parameter_values)) is surface


@pytest.mark.parametrize("kappa", KAPPAS)
def test_ravine_derivatives_for_every_condition_number(kappa: float) -> None:
    surface = RAVINE.with_parameters({"kappa": kappa})
    assert surface.parameter_values == {"kappa": kappa}
    check_gradient(surface)
    check_hessian(surface)
    check_backends_agree(surface)
    ((hxx, hxy), (hyx, hyy)) = surface.hess(SCALAR, 0.3, -0.2)
    assert (hxx, hxy, hyx, hyy) == (1.0, 0.0, 0.0, kappa)  # κ is the condition number
    (m,) = surface.minima
    assert m.position == (0.0, 0.0) and m.value == 0.0 and m.kind == "global"


def test_the_condition_number_reshapes_the_surface() -> None:
    steep = RAVINE.with_parameters({"kappa": 500})
    x, y = sample_points(RAVINE).T
    np.testing.assert_allclose(
        steep.value(NUMPY, x, y) - RAVINE.value(NUMPY, x, y), 0.5 * (500 - 100) * y * y
    )
    assert steep.id == RAVINE.id and steep.domain == RAVINE.domain
    assert steep.start == RAVINE.start and steep.runaway_box() == RAVINE.runaway_box()


def test_with_parameters_leaves_the_catalog_alone() -> None:
    before = RAVINE.grad(SCALAR, 1.0, 1.0)
    RAVINE.with_parameters({"kappa": 999.0})
    assert SURFACES["ravine"] is RAVINE
    assert dict(RAVINE.parameter_values) == {"kappa": 100.0}
    assert RAVINE.grad(SCALAR, 1.0, 1.0) == before == (1.0, 100.0)


def test_integers_are_accepted_as_numbers() -> None:
    assert RAVINE.with_parameters({"kappa": 100}).parameter_values["kappa"] == 100.0


def test_a_value_asked_for_twice_gives_the_same_surface() -> None:
    a = RAVINE.with_parameters({"kappa": 42.0})
    assert RAVINE.with_parameters({"kappa": 42}) is a  # minima found once


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (0, "Invalid condition number: 0.0 (must be between 1.0 and 1000.0)"),
        (-1, "Invalid condition number: -1.0 (must be between 1.0 and 1000.0)"),
        (0.999, "Invalid condition number: 0.999 (must be between 1.0 and 1000.0)"),
        (1e9, "Invalid condition number: 1000000000.0 (must be between 1.0 and 1000.0)"),
        (float("nan"), "Invalid condition number: nan (not finite)"),
        (float("inf"), "Invalid condition number: inf (not finite)"),
        ("abc", "must be a number, not 'abc'"),
        ("20", "must be a number, not '20'"),
        (True, "must be a number, not True"),
        (None, "must be a number, not None"),
        ([20.0], "must be a number, not [20.0]"),
    ],
)
def test_a_bad_condition_number_is_refused(value: Any, reason: str) -> None:
    with pytest.raises(HyperparameterError) as info:
        RAVINE.with_parameters({"kappa": value})
    assert info.value.field == "kappa"
    assert info.value.reason == reason


def test_an_unknown_parameter_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(HyperparameterError) as info:
        RAVINE.with_parameters({"kappa": 10.0, "condition": 10.0})
    assert info.value.field == "condition"
    assert info.value.reason == "Ravine has no parameter 'condition'; it has kappa"


def test_a_surface_without_parameters_refuses_any() -> None:
    with pytest.raises(HyperparameterError) as info:
        SURFACES["rosenbrock"].with_parameters({"kappa": 10.0})
    assert info.value.field == "kappa"
    assert info.value.reason == "Rosenbrock has no parameters"
