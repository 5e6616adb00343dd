"""Model landscapes on data (app/engine/surfaces/models) and the runs on them.

What is checked, each against numbers the test works out on its own from the data:

* every model × loss × dim on built-in and custom data sets: the gradient against central
  differences of the loss, the Hessian against central differences of the gradient (MAE
  away from its kinks, where the Hessian is exactly 0), numpy (crowd) and float (one
  ball) evaluation elementwise alike, and the losses against their textbook definitions;
* the minima: least squares (numpy.linalg.lstsq, Σxy/Σx²), least absolute deviations
  against a fine grid and every line through two points, the outlier lesson (MSE is
  pulled away from the bulk's slope, MAE is not), cross-entropy's one minimum on
  overlapping classes and none at all on separable ones, the network's mirror-image
  minima and its saddle at the origin;
* refusals naming the field to change;
* real mini-batches: each epoch partitions the data, the trace says which batch each step
  took, each step is given that batch's gradient, seeds, the full batch, resuming bit for
  bit, a crowd alike with its balls run alone;
* outcomes a lesson relies on: full-batch GD settles at the minimum, SGD jitters, and
  cross-entropy on separable classes runs away (one ball and a crowd).
"""

from __future__ import annotations

import itertools
import json
import math
import zlib
from typing import Any

import numpy as np
import pytest

from app.engine.backend import NUMPY, SCALAR
from app.engine.optimizers import OPTIMIZERS
from app.engine.run import Run, RunState, Trace, run, start_state
from app.engine.run.options import validate_options
from app.engine.surfaces import Surface
from app.engine.surfaces.models import (
    DATASETS,
    LOSSES,
    MAX_POINTS,
    MAX_VALUE,
    MODELS,
    ModelError,
    ModelSpec,
    model_surface,
)

H = 1e-6  # central-difference step
NO_STOP = {"grad_tol": 0.0, "step_tol": 0.0}

# The weight a 1D landscape holds fixed, as the lessons state it: b = 0, or w₂ = 1.
HELD = {"linear": 0.0, "logistic": 0.0, "tanh_net": 1.0}

# Small data sets given as points (as a student's request would give them).
CUSTOM_LINE = ((-1.5, -0.5, 0.25, 1.0, 2.0, 2.5), (-1.0, 0.3, 0.2, 1.4, 2.5, 2.2))
CUSTOM_CLASSES = ((-1.0, -0.3, 0.2, 0.5, 1.2, 1.5, -0.6), (0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0))

# (model, loss, data) for every combination; each is run in 1D and 2D.
COMBINATIONS: list[tuple[str, str, Any]] = [
    ("linear", "mse", "noisy_line"),
    ("linear", "mse", "outlier"),
    ("linear", "mse", CUSTOM_LINE),
    ("linear", "mae", "noisy_line"),
    ("linear", "mae", "outlier"),
    ("linear", "mae", CUSTOM_LINE),
    ("logistic", "bce", "overlap"),
    ("logistic", "bce", "separable"),
    ("logistic", "bce", CUSTOM_CLASSES),
    ("tanh_net", "mse", "tanh_curve"),
    ("tanh_net", "mse", "noisy_line"),
    ("tanh_net", "mse", CUSTOM_LINE),
]
SPECS = [ModelSpec(m, lo, d, dim) for m, lo, d in COMBINATIONS for dim in (1, 2)]


def spec_id(spec: ModelSpec) -> str:
    data = spec.data if isinstance(spec.data, str) else "custom"
    return f"{spec.model}-{spec.loss}-{data}-{spec.dim}d"


SPEC_IDS = [spec_id(s) for s in SPECS]


def points_of(spec: ModelSpec) -> tuple[np.ndarray, np.ndarray]:
    """The data, read here from the data set or the request, not from the surface."""
    if isinstance(spec.data, str):
        d = DATASETS[spec.data]
        return np.array(d.x, dtype=np.float64), np.array(d.y, dtype=np.float64)
    return np.array(spec.data[0], dtype=np.float64), np.array(spec.data[1], dtype=np.float64)


def weights(spec: ModelSpec, w: tuple[float, ...]) -> tuple[float, float]:
    return (w[0], w[1]) if spec.dim == 2 else (w[0], HELD[spec.model])


def textbook_prediction(spec: ModelSpec, w: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    """ŷ = w·x + b, z = w·x + b (logistic: the logit), ŷ = w₂·tanh(w₁·x)."""
    a, c = weights(spec, w)
    if spec.model == "tanh_net":
        return c * np.tanh(a * x)
    return a * x + c


def textbook_loss(spec: ModelSpec, w: tuple[float, ...], x: np.ndarray, y: np.ndarray) -> float:
    out = textbook_prediction(spec, w, x)
    if spec.loss == "mse":
        return float(np.mean((out - y) ** 2))
    if spec.loss == "mae":
        return float(np.mean(np.abs(out - y)))
    p = 1.0 / (1.0 + np.exp(-out))
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def textbook_grad(
    spec: ModelSpec, w: tuple[float, ...], x: np.ndarray, y: np.ndarray
) -> tuple[float, ...]:
    """∂L/∂weights by the chain rule, written out per model."""
    a, c = weights(spec, w)
    if spec.model == "tanh_net":
        t = np.tanh(a * x)
        r = c * t - y
        g = (np.mean(2 * r * c * (1 - t**2) * x), np.mean(2 * r * t))
    else:
        z = a * x + c
        if spec.loss == "mse":
            e = 2 * (z - y)
        elif spec.loss == "mae":
            e = np.sign(z - y)
        else:
            e = 1.0 / (1.0 + np.exp(-z)) - y
        g = (np.mean(e * x), np.mean(e))
    return tuple(float(v) for v in g[: spec.dim])


def random_points(spec: ModelSpec, surface: Surface, n: int = 6) -> list[tuple[float, ...]]:
    """n seeded points inside the domain (FD steps included); MAE: none within 1e-4 of a
    kink (a residual of 0)."""
    rng = np.random.default_rng(zlib.crc32(spec_id(spec).encode()))
    x, y = points_of(spec)
    found: list[tuple[float, ...]] = []
    while len(found) < n:
        p = tuple(float(rng.uniform(lo + 0.01, hi - 0.01)) for lo, hi in surface.domain)
        if spec.loss == "mae":
            r = textbook_prediction(spec, p, x) - y
            if np.abs(r).min() < 1e-4:
                continue
        found.append(p)
    return found


def central(f: Any, p: tuple[float, ...], i: int) -> float:
    up, down = list(p), list(p)
    up[i] += H
    down[i] -= H
    return (f(*up) - f(*down)) / (2 * H)


def solo(
    spec: ModelSpec, oid: str, hp: dict[str, Any], start: Any, steps: int, **opts: Any
) -> tuple[Trace, Run]:
    """A run from ``start`` (one ball, or a crowd of shape (..., dim)) with run options
    ``opts`` (batch_size left out: the whole data set)."""
    surface, opt = model_surface(spec), OPTIMIZERS[oid]
    options = validate_options(opts, surface.data_size)
    state = start_state(surface, opt, np.asarray(start, dtype=np.float64))
    return run(surface, opt, opt.validate(hp), state, steps, options=options, **NO_STOP)


# --- derivatives and evaluation ----------------------------------------------------------------


def test_every_model_and_loss_is_covered() -> None:
    pairs = {(m, lo) for m, lo, _ in COMBINATIONS}
    assert pairs == {(m.id, lo) for m in MODELS.values() for lo in m.losses}
    assert {lo for _, lo in pairs} == set(LOSSES)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_gradient_and_hessian_match_central_differences(spec: ModelSpec) -> None:
    s = model_surface(spec)
    assert s.dim == spec.dim

    def value(*p: float) -> float:
        return s.value(SCALAR, *p)

    for p in random_points(spec, s):
        f, g, h = value(*p), s.grad(SCALAR, *p), s.hess(SCALAR, *p)
        assert len(g) == spec.dim and len(h) == spec.dim
        for i in range(spec.dim):
            # rounding in f(p ± h) is ~1e-16·|f|, divided by 2h
            assert central(value, p, i) == pytest.approx(g[i], rel=1e-6, abs=1e-7 * (1 + abs(f)))
            for j in range(spec.dim):
                fd = central(lambda *q, j=j: s.grad(SCALAR, *q)[j], p, i)
                if spec.loss == "mae":
                    assert h[i][j] == 0.0 and fd == 0.0, (p, i, j)
                else:
                    assert fd == pytest.approx(h[i][j], rel=1e-6, abs=1e-7 * (1 + abs(g[j])))
        assert h[0][-1] == h[-1][0]  # symmetric


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_numpy_and_float_evaluation_agree(spec: ModelSpec) -> None:
    s = model_surface(spec)
    pts = np.array(random_points(spec, s, 6))  # (6, dim)
    for shape in ((6,), (2, 3)):
        coords = tuple(pts[:, i].reshape(shape) for i in range(spec.dim))
        f, g, h = s.value(NUMPY, *coords), s.grad(NUMPY, *coords), s.hess(NUMPY, *coords)
        assert np.shape(f) == shape
        assert all(np.shape(gi) == shape for gi in g)
        assert all(np.shape(hij) == shape for row in h for hij in row)
        for k, index in enumerate(np.ndindex(shape)):
            p = tuple(float(c) for c in pts[k])
            assert isinstance(s.value(SCALAR, *p), float)
            assert f[index] == pytest.approx(s.value(SCALAR, *p), rel=1e-14, abs=1e-15)
            for gi, ge in zip(g, s.grad(SCALAR, *p), strict=True):
                assert isinstance(ge, float)
                assert gi[index] == pytest.approx(ge, rel=1e-14, abs=1e-15)
            for row, rowe in zip(h, s.hess(SCALAR, *p), strict=True):
                for hij, he in zip(row, rowe, strict=True):
                    assert hij[index] == pytest.approx(he, rel=1e-14, abs=1e-15)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_the_loss_is_its_textbook_definition(spec: ModelSpec) -> None:
    s = model_surface(spec)
    x, y = points_of(spec)
    assert s.data_size == len(x)
    rng = np.random.default_rng(7)
    for _ in range(8):
        # moderate logits for cross-entropy, where the textbook form is still accurate
        p = tuple(float(v) for v in rng.uniform(-2.0, 2.0, spec.dim))
        assert s.value(SCALAR, *p) == pytest.approx(textbook_loss(spec, p, x, y), rel=1e-10)
        if spec.loss != "mae" or np.abs(textbook_prediction(spec, p, x) - y).min() > 1e-9:
            expected = textbook_grad(spec, p, x, y)
            assert s.grad(SCALAR, *p) == pytest.approx(expected, rel=1e-10, abs=1e-14)


def test_the_textbook_forms_are_what_they_say() -> None:
    """Hand-worked values: the 1D landscapes hold b = 0 and the network's w₂ = 1."""
    data = ((1.0, 2.0), (0.0, 1.0))
    assert model_surface(ModelSpec("linear", "mse", data, 1)).value(SCALAR, 1.0) == 1.0
    assert model_surface(ModelSpec("linear", "mse", data)).value(SCALAR, 1.0, -1.0) == 0.0
    assert model_surface(ModelSpec("linear", "mae", data)).value(SCALAR, 0.0, 0.0) == 0.5
    bce = model_surface(ModelSpec("logistic", "bce", data, 1))
    assert bce.value(SCALAR, 0.0) == pytest.approx(math.log(2), rel=1e-15)
    net = model_surface(ModelSpec("tanh_net", "mse", data, 1))
    expected = (math.tanh(0.5) ** 2 + (math.tanh(1.0) - 1) ** 2) / 2
    assert net.value(SCALAR, 0.5) == pytest.approx(expected, rel=1e-15)
    net2 = model_surface(ModelSpec("tanh_net", "mse", data))
    expected = ((2 * math.tanh(0.5)) ** 2 + (2 * math.tanh(1.0) - 1) ** 2) / 2
    assert net2.value(SCALAR, 0.5, 2.0) == pytest.approx(expected, rel=1e-15)


def test_a_mini_batch_loss_is_the_mean_over_its_points() -> None:
    spec = ModelSpec("logistic", "bce", "overlap")
    s = model_surface(spec)
    x, y = points_of(spec)
    chosen = np.array([3, 17, 0, 29])
    assert s.on_points is not None
    batch = s.on_points(chosen)
    p = (0.7, -0.4)
    assert batch.value(SCALAR, *p) == pytest.approx(
        textbook_loss(spec, p, x[chosen], y[chosen]), rel=1e-12
    )
    assert batch.grad(SCALAR, *p) == pytest.approx(textbook_grad(spec, p, x[chosen], y[chosen]))
    whole = s.on_points(np.arange(len(x)))
    assert whole.value(SCALAR, *p) == pytest.approx(s.value(SCALAR, *p), rel=1e-15)


# --- minima --------------------------------------------------------------------------------------

REGRESSION_DATA = ["noisy_line", "outlier", CUSTOM_LINE]


@pytest.mark.parametrize("data", REGRESSION_DATA, ids=["noisy_line", "outlier", "custom"])
def test_least_squares_minimum_is_the_textbook_one(data: Any) -> None:
    x, y = points_of(ModelSpec("linear", "mse", data))
    (two,) = model_surface(ModelSpec("linear", "mse", data)).minima
    solution, *_ = np.linalg.lstsq(np.stack([x, np.ones_like(x)], axis=1), y, rcond=None)
    assert two.kind == "global"
    assert two.position == pytest.approx(tuple(solution), rel=1e-12, abs=1e-12)
    (one,) = model_surface(ModelSpec("linear", "mse", data, 1)).minima
    assert one.position == pytest.approx((np.sum(x * y) / np.sum(x * x),), rel=1e-12)
    spec = ModelSpec("linear", "mse", data)
    assert two.value == pytest.approx(textbook_loss(spec, two.position, x, y), rel=1e-12)


def _lines_through_two_points(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    lines = []
    for i, j in itertools.combinations(range(len(x)), 2):
        if x[i] != x[j]:
            w = (y[j] - y[i]) / (x[j] - x[i])
            lines.append((w, y[i] - w * x[i]))
    return np.array(lines)


@pytest.mark.parametrize("data", REGRESSION_DATA, ids=["noisy_line", "outlier", "custom"])
def test_least_absolute_deviations_minimum_beats_a_fine_grid(data: Any) -> None:
    spec = ModelSpec("linear", "mae", data)
    x, y = points_of(spec)
    s = model_surface(spec)
    (m,) = s.minima
    assert m.kind == "global"
    assert m.value == pytest.approx(textbook_loss(spec, m.position, x, y), rel=1e-12)
    (lo, hi), _ = s.domain
    grid = np.linspace(lo, hi, 801)  # steps of 0.01 over [-4, 4]
    w, b = np.meshgrid(grid, grid, indexing="ij")
    on_grid = np.abs(w[..., None] * x + b[..., None] - y).mean(axis=-1)
    assert m.value <= on_grid.min() + 1e-12
    lines = _lines_through_two_points(x, y)
    through = np.abs(lines[:, :1] * x + lines[:, 1:] - y).mean(axis=1)
    assert m.value <= through.min() + 1e-12
    # 1D (b = 0): the minimum beats a fine grid over w and every line through the origin
    (m1,) = model_surface(ModelSpec("linear", "mae", data, 1)).minima
    ws = np.concatenate([np.linspace(lo, hi, 80001), y[x != 0] / x[x != 0]])
    assert m1.value <= np.abs(ws[:, None] * x - y).mean(axis=1).min() + 1e-12


def test_an_outlier_pulls_the_squared_error_line_not_the_absolute_one() -> None:
    bulk = 1.2  # the data set's slope: y = 1.2x − 0.8, one point far below
    (mse,) = model_surface(ModelSpec("linear", "mse", "outlier")).minima
    (mae,) = model_surface(ModelSpec("linear", "mae", "outlier")).minima
    assert abs(mae.position[0] - bulk) < 0.1
    assert abs(mse.position[0] - bulk) > 0.3
    assert abs(mse.position[0] - bulk) > 5 * abs(mae.position[0] - bulk)


@pytest.mark.parametrize("dim", [1, 2])
def test_cross_entropy_on_overlapping_classes_has_one_minimum(dim: int) -> None:
    spec = ModelSpec("logistic", "bce", "overlap", dim)
    s = model_surface(spec)
    assert s.no_minimum == ""
    (m,) = s.minima
    assert m.kind == "global"
    assert all(lo < c < hi for c, (lo, hi) in zip(m.position, s.domain, strict=True))
    assert math.hypot(*s.grad(SCALAR, *m.position)) < 1e-8
    assert (np.linalg.eigvalsh(np.array(s.hess(SCALAR, *m.position))) > 0).all()
    x, y = points_of(spec)
    grid = np.linspace(-8, 8, 161)
    for p in itertools.product(grid, repeat=dim):
        assert m.value <= textbook_loss(spec, p, x, y) + 1e-12


def _falls_forever(s: Surface, direction: tuple[float, ...], floor: float) -> bool:
    """Along t·direction the loss keeps falling as t grows, towards ``floor`` (0, or what
    points tied on the threshold cost) and never reaching it."""
    values = [s.value(SCALAR, *(t * d for d in direction)) for t in (1, 2, 4, 8, 16, 32)]
    falling = all(b < a for a, b in itertools.pairwise(values))
    return falling and values[-1] > floor and values[-1] - floor < 0.05 * (values[0] - floor)


SPLIT_AT_0 = ((-2.0, -1.0, -0.5, 0.5, 1.0, 2.0), (0.0, 0.0, 0.0, 1.0, 1.0, 1.0))
SPLIT_AT_175 = ((0.5, 1.0, 1.5, 2.0, 2.5, 3.0), (0.0, 0.0, 0.0, 1.0, 1.0, 1.0))
TIE = ((0.0, 1.0, 1.0, 2.0), (0.0, 0.0, 1.0, 1.0))  # a class-0 and a class-1 point at x = 1
ONE_CLASS = ((0.5, 1.0, 2.0), (1.0, 1.0, 1.0))
OVERLAP = ((-1.0, -0.5, 0.0, 0.5, 1.0), (0.0, 1.0, 0.0, 1.0, 1.0))
# (name, data, dim, a direction in which the loss falls forever or None where there is a
# minimum, and the floor it falls towards: 0, or log 2 for each pair of points tied on the
# threshold, which cost that however steep the sigmoid).
SEPARATION: list[tuple[str, Any, int, tuple[float, ...] | None, float]] = [
    ("separable", "separable", 1, (1.0,), 0.0),
    ("separable", "separable", 2, (1.0, 0.0), 0.0),
    ("split at 0", SPLIT_AT_0, 1, (1.0,), 0.0),
    ("split at 0", SPLIT_AT_0, 2, (1.0, 0.0), 0.0),
    ("split at 1.75", SPLIT_AT_175, 2, (1.0, -1.75), 0.0),
    # b = 0: a threshold at x = 0 cannot split points that all lie right of it
    ("split at 1.75", SPLIT_AT_175, 1, None, 0.0),
    ("reversed", ((-1.0, -0.5, 0.5, 1.0), (1.0, 1.0, 0.0, 0.0)), 2, (-1.0, 0.0), 0.0),
    ("a tie at x = 1", TIE, 2, (1.0, -1.0), 2 * math.log(2) / 4),
    ("one class", ONE_CLASS, 2, (0.0, 1.0), 0.0),
    ("one class", ONE_CLASS, 1, (1.0,), 0.0),
    ("one class, both sides of 0", ((-1.0, 1.0, 2.0), (1.0, 1.0, 1.0)), 1, None, 0.0),
    ("overlap", OVERLAP, 1, None, 0.0),
    ("overlap", OVERLAP, 2, None, 0.0),
    ("custom", CUSTOM_CLASSES, 2, None, 0.0),
]


@pytest.mark.parametrize(
    ("data", "dim", "direction", "floor"),
    [row[1:] for row in SEPARATION],
    ids=[f"{row[0]}-{row[2]}d" for row in SEPARATION],
)
def test_cross_entropy_has_no_minimum_exactly_where_classes_separate(
    data: Any, dim: int, direction: tuple[float, ...] | None, floor: float
) -> None:
    s = model_surface(ModelSpec("logistic", "bce", data, dim))
    if direction is not None:
        assert s.minima == ()
        assert len(s.no_minimum.split()) > 5 and s.no_minimum.endswith(".")
        assert _falls_forever(s, direction, floor)
    else:
        assert s.no_minimum == ""
        (m,) = s.minima
        assert math.hypot(*s.grad(SCALAR, *m.position)) < 1e-8


def test_the_network_has_mirror_image_minima_and_a_saddle_at_the_origin() -> None:
    s = model_surface(ModelSpec("tanh_net", "mse", "tanh_curve"))
    assert len(s.minima) == 2 and {m.kind for m in s.minima} == {"global"}
    a, b = s.minima
    assert a.position == pytest.approx(tuple(-c for c in b.position), abs=1e-9)
    assert a.value == pytest.approx(b.value, rel=1e-12)
    assert min(abs(c) for c in a.position) > 0.1  # not the origin, nor on an axis
    for m in s.minima:
        assert math.hypot(*s.grad(SCALAR, *m.position)) < 1e-8
    # the data's shape: y ≈ tanh(1.5x), so w₁·w₂ > 0 and the fit is close
    assert a.position[0] * a.position[1] > 0 and a.value < 0.02
    assert s.grad(SCALAR, 0.0, 0.0) == (0.0, 0.0)
    eigenvalues = np.linalg.eigvalsh(np.array(s.hess(SCALAR, 0.0, 0.0)))
    assert eigenvalues[0] < -0.1 and eigenvalues[1] > 0.1
    assert s.value(SCALAR, 0.0, 0.0) > a.value


# --- refusals ----------------------------------------------------------------------------------

TOO_MANY = tuple(float(i % 7) for i in range(MAX_POINTS + 1))
REFUSALS: list[tuple[str, ModelSpec, str]] = [
    ("unknown model", ModelSpec("forest", "mse", "noisy_line"), "model"),
    ("mae for logistic", ModelSpec("logistic", "mae", "overlap"), "loss"),
    ("bce for linear", ModelSpec("linear", "bce", "overlap"), "loss"),
    ("mae for the network", ModelSpec("tanh_net", "mae", "tanh_curve"), "loss"),
    ("unknown loss", ModelSpec("linear", "huber", "noisy_line"), "loss"),
    ("dim 3", ModelSpec("linear", "mse", "noisy_line", 3), "dim"),
    ("dim 0", ModelSpec("linear", "mse", "noisy_line", 0), "dim"),
    ("unknown data", ModelSpec("linear", "mse", "spiral"), "data"),
    ("label 0.5", ModelSpec("logistic", "bce", ((0.0, 1.0, 2.0), (0.0, 0.5, 1.0))), "data.y.1"),
    ("label 2", ModelSpec("logistic", "bce", ((0.0, 1.0, 2.0), (0.0, 1.0, 2.0)), 1), "data.y.2"),
    ("one x in 2D", ModelSpec("linear", "mse", ((1.0, 1.0, 1.0), (0.0, 1.0, 2.0))), "data.x"),
    ("one x, network", ModelSpec("tanh_net", "mse", ((0.5, 0.5), (0.0, 1.0))), "data.x"),
    ("all x = 0 in 1D", ModelSpec("linear", "mse", ((0.0, 0.0), (1.0, 2.0)), 1), "data.x"),
    ("too many points", ModelSpec("linear", "mse", (TOO_MANY, TOO_MANY)), "data.x"),
    ("NaN in x", ModelSpec("linear", "mse", ((0.0, math.nan), (1.0, 2.0))), "data.x.1"),
    ("inf in y", ModelSpec("linear", "mse", ((0.0, 1.0), (1.0, math.inf))), "data.y.1"),
    ("NaN in y", ModelSpec("linear", "mse", ((0.0, 1.0, 2.0), (1.0, 2.0, math.nan))), "data.y.2"),
    ("bool in x", ModelSpec("linear", "mse", ((0.0, True), (1.0, 2.0))), "data.x.1"),
    ("bool label", ModelSpec("logistic", "bce", ((0.0, 1.0), (False, True))), "data.y.0"),
    ("text in x", ModelSpec("linear", "mse", (("1", 2.0), (1.0, 2.0))), "data.x.0"),
    ("huge x", ModelSpec("linear", "mse", ((0.0, MAX_VALUE + 1), (1.0, 2.0))), "data.x.1"),
    ("huge y", ModelSpec("linear", "mse", ((0.0, 1.0), (-MAX_VALUE - 0.5, 2.0))), "data.y.0"),
    ("lengths differ", ModelSpec("linear", "mse", ((0.0, 1.0, 2.0), (1.0, 2.0))), "data.y"),
    ("empty", ModelSpec("linear", "mse", ((), ())), "data.x"),
]


@pytest.mark.parametrize(("spec", "field"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refusals_name_the_field(spec: ModelSpec, field: str) -> None:
    with pytest.raises(ModelError) as caught:
        model_surface(spec)
    assert caught.value.field == field
    assert caught.value.reason and str(caught.value).startswith(field + ":")


def test_the_limits_themselves_are_accepted() -> None:
    x = tuple(float(i % 11) - 5 for i in range(MAX_POINTS))
    y = tuple(MAX_VALUE if i % 2 else -MAX_VALUE for i in range(MAX_POINTS))
    assert model_surface(ModelSpec("linear", "mse", (x, y))).data_size == MAX_POINTS
    ints = model_surface(ModelSpec("logistic", "bce", ((0, 1, 2, 3), (0, 1, 0, 1))))
    assert ints.data_size == 4


# --- mini-batches ------------------------------------------------------------------------------

LINE = ModelSpec("linear", "mse", "noisy_line")  # 20 points


@pytest.mark.parametrize("size", [1, 3, 5, 6, 7, 19])
def test_each_epoch_partitions_the_data(size: int) -> None:
    n = model_surface(LINE).data_size
    per_epoch = math.ceil(n / size)
    steps = 3 * per_epoch
    trace, r = solo(LINE, "sgd", {"lr": 0.05}, (0.0, 0.0), steps, batch_size=size, seed=4)
    assert len(trace) == steps + 1
    assert trace.epochs[0] is None and trace.batches[0] is None and trace.batch_points[0] is None
    assert not {"epochs", "batches", "batch_points"} & r.nulls()
    orders = []
    for epoch in range(3):
        ks = range(1 + epoch * per_epoch, 1 + (epoch + 1) * per_epoch)
        assert [trace.epochs[k] for k in ks] == [epoch + 1] * per_epoch
        assert [trace.batches[k] for k in ks] == list(range(1, per_epoch + 1))
        sizes = [len(trace.batch_points[k]) for k in ks]
        last = n - size * (per_epoch - 1)
        assert sizes == [size] * (per_epoch - 1) + [last]
        assert (last < size) == (n % size != 0)
        order = [i for k in ks for i in trace.batch_points[k]]
        assert sorted(order) == list(range(n))  # every point once per epoch
        orders.append(order)
    assert orders[0] != orders[1] != orders[2]  # shuffled afresh each epoch


@pytest.mark.parametrize(
    ("spec", "oid", "hp"),
    [
        (LINE, "sgd", {"lr": 0.05}),
        (ModelSpec("linear", "mae", "outlier"), "sgd", {"lr": 0.05}),
        (ModelSpec("logistic", "bce", "overlap"), "sgd", {"lr": 0.5}),
        (ModelSpec("tanh_net", "mse", "tanh_curve"), "sgd", {"lr": 0.1}),
        (ModelSpec("tanh_net", "mse", "tanh_curve", 1), "sgd", {"lr": 0.1}),
        (ModelSpec("logistic", "bce", "overlap", 1), "adam", {"lr": 0.1}),
    ],
    ids=["linear-mse", "linear-mae", "logistic", "network", "network-1d", "logistic-1d-adam"],
)
def test_each_step_is_given_its_batch_gradient(spec: ModelSpec, oid: str, hp: dict) -> None:
    x, y = points_of(spec)
    s = model_surface(spec)
    trace, _ = solo(spec, oid, hp, s.start, 30, batch_size=7, seed=11)
    assert len(trace) == 31
    for k in range(1, 31):
        points = list(trace.batch_points[k])
        before = trace.positions[k - 1]
        expected = textbook_grad(spec, before, x[points], y[points])
        assert trace.applied_gradients[k] == pytest.approx(expected, rel=1e-12, abs=1e-15)
        # and the whole-data gradient is what the trace reports at each point
        assert trace.gradients[k] == pytest.approx(
            textbook_grad(spec, trace.positions[k], x, y), rel=1e-12, abs=1e-15
        )
        if oid == "sgd":  # plain SGD: the step is −lr times the batch's gradient
            moved = tuple(
                p + -hp["lr"] * g for p, g in zip(before, trace.applied_gradients[k], strict=True)
            )
            assert trace.positions[k] == moved


@pytest.mark.parametrize("line_search", ["strong_wolfe", "none"])
def test_lbfgs_closures_see_the_steps_batch(line_search: str) -> None:
    """One point per batch: its squared error is a trough L-BFGS solves within a step, so
    each step ends on a line through that step's point (had its closure seen the whole
    data, it would head for the least-squares line instead)."""
    x, y = points_of(LINE)
    hp = {"line_search_fn": line_search}
    trace, _ = solo(LINE, "lbfgs", hp, model_surface(LINE).start, 10, batch_size=1, seed=1)
    for k in range(1, 11):
        (i,) = trace.batch_points[k]
        (w0, b0), (w, b) = trace.positions[k - 1], trace.positions[k]
        assert (w0 * x[i] + b0 - y[i]) ** 2 > 1e-3
        assert (w * x[i] + b - y[i]) ** 2 < 1e-20


def test_the_seed_picks_the_batches() -> None:
    def go(seed: int) -> Any:
        return solo(LINE, "sgd", {"lr": 0.05}, (0.0, 0.0), 40, batch_size=4, seed=seed)[0]

    a, again, other = go(5), go(5), go(6)
    assert a.positions == again.positions and a.batch_points == again.batch_points
    assert a.batch_points != other.batch_points
    assert a.positions[-1] != other.positions[-1]


@pytest.mark.parametrize("spec", [LINE, ModelSpec("logistic", "bce", "overlap", 1)], ids=spec_id)
def test_a_batch_of_the_whole_data_is_full_batch_descent(spec: ModelSpec) -> None:
    s = model_surface(spec)
    n = s.data_size
    assert validate_options({}, n).batch_size == n
    plain, plain_run = solo(spec, "sgd", {"lr": 0.1, "momentum": 0.5}, s.start, 60)
    for size in (n, n + 1, 4096):
        whole, whole_run = solo(
            spec, "sgd", {"lr": 0.1, "momentum": 0.5}, s.start, 60, batch_size=size
        )
        assert whole_run.batches is None
        assert whole.positions == plain.positions
        assert whole.losses == plain.losses
        assert {"epochs", "batches", "batch_points", "applied_gradients"} <= whole_run.nulls()
        assert whole.epochs == [None] * len(whole)
        assert not whole_run.ending().noisy
    assert {"epochs", "batches", "batch_points"} <= plain_run.nulls()
    _, batched = solo(spec, "sgd", {"lr": 0.1}, s.start, 5, batch_size=n - 1)
    assert not {"epochs", "batches", "batch_points", "applied_gradients"} & batched.nulls()


RESUMED: list[tuple[str, dict[str, Any]]] = [
    ("sgd", {"lr": 0.05, "momentum": 0.9}),
    ("adam", {"lr": 0.05}),
    ("lbfgs", {"max_iter": 3, "history_size": 4, "line_search_fn": "strong_wolfe"}),
    ("lbfgs", {"lr": 0.1, "max_iter": 2}),
]
RESUMED_IDS = ["sgd-momentum", "adam", "lbfgs-wolfe", "lbfgs-plain"]


@pytest.mark.parametrize(
    "spec", [LINE, ModelSpec("tanh_net", "mse", "tanh_curve")], ids=["linear", "network"]
)
@pytest.mark.parametrize(("oid", "hp"), RESUMED, ids=RESUMED_IDS)
@pytest.mark.parametrize("through_json", [False, True], ids=["state", "json"])
def test_a_resumed_batch_run_is_bit_identical(
    spec: ModelSpec, oid: str, hp: dict[str, Any], through_json: bool
) -> None:
    s, opt = model_surface(spec), OPTIMIZERS[oid]
    given = {"batch_size": 4, "seed": 9}
    whole, _ = solo(spec, oid, hp, s.start, 100, **given)
    first, first_run = solo(spec, oid, hp, s.start, 37, **given)
    state = first_run.state()
    if through_json:
        data = json.loads(json.dumps(state.to_json(), allow_nan=False))
        state = RunState.from_json(data, s, opt)
    options = validate_options(given, s.data_size)
    again = Run(s, opt, opt.validate(hp), state, options=options, **NO_STOP)
    second = again.advance(63)
    assert second.steps == list(range(38, 101))
    assert first.positions + second.positions == whole.positions
    assert first.losses + second.losses == whole.losses
    assert first.batch_points + second.batch_points == whole.batch_points
    assert first.applied_gradients + second.applied_gradients == whole.applied_gradients
    assert len(set(whole.positions)) > 50  # it did move


@pytest.mark.parametrize(("oid", "hp"), RESUMED, ids=RESUMED_IDS)
def test_a_crowd_with_batches_runs_like_its_balls_alone(oid: str, hp: dict[str, Any]) -> None:
    spec = LINE
    starts = np.array([[-3.0, 3.0], [0.5, -2.0], [2.5, 1.5]])
    crowd, crowd_run = solo(spec, oid, hp, starts, 50, batch_size=4, seed=2)
    for i, start in enumerate(starts):
        alone, _ = solo(spec, oid, hp, start, 50, batch_size=4, seed=2)
        assert crowd.batch_points == alone.batch_points
        got = np.array([[c[i] for c in p] for p in crowd.positions])
        np.testing.assert_allclose(got, np.array(alone.positions), rtol=1e-15, atol=1e-15)


# --- outcomes ----------------------------------------------------------------------------------


def test_full_batch_descent_settles_and_sgd_jitters() -> None:
    s = model_surface(LINE)
    gd, gd_run = solo(LINE, "sgd", {"lr": 0.1}, s.start, 1000)
    assert gd_run.outcome().kind == "global_minimum"
    assert gd.positions[-1] == pytest.approx(s.minima[0].position, abs=1e-5)
    sgd, sgd_run = solo(LINE, "sgd", {"lr": 0.1}, s.start, 1000, batch_size=1, seed=3)
    assert sgd_run.status_of() == "max_steps"
    assert sgd_run.outcome().kind == "jittering" and sgd_run.outcome().minimum == 0
    assert sgd_run.ending().noisy
    # still bouncing around, near the minimum but not on it
    assert 1e-3 < math.dist(sgd.positions[-1], s.minima[0].position) < 0.5


def test_sgd_jitters_in_a_crowd_as_alone() -> None:
    s = model_surface(LINE)
    starts = np.array([s.start, (0.0, 0.0), (2.0, -2.0)])
    _, crowd = solo(LINE, "sgd", {"lr": 0.1}, starts, 600, batch_size=1, seed=3)
    outcomes = crowd.outcome()
    for i, start in enumerate(starts):
        _, alone = solo(LINE, "sgd", {"lr": 0.1}, start, 600, batch_size=1, seed=3)
        assert alone.outcome() == outcomes[i]
        assert outcomes[i].kind == "jittering"


@pytest.mark.parametrize("dim", [1, 2])
@pytest.mark.parametrize(("oid", "lr"), [("sgd", 0.5), ("adam", 0.1)])
def test_cross_entropy_on_separable_classes_runs_away(dim: int, oid: str, lr: float) -> None:
    spec = ModelSpec("logistic", "bce", "separable", dim)
    s = model_surface(spec)
    trace, r = solo(spec, oid, {"lr": lr}, s.start, 1000)
    assert r.outcome().kind == "ran_away"
    assert trace.losses[-1] < trace.losses[len(trace) // 2] < trace.losses[0]
    assert trace.positions[-1][0] > trace.positions[len(trace) // 2][0] > 0  # w keeps growing
    starts = np.array([s.start, (0.0,) * dim, (1.0,) * dim])
    _, crowd = solo(spec, oid, {"lr": lr}, starts, 1000)
    outcomes = crowd.outcome()
    for i, start in enumerate(starts):
        _, alone = solo(spec, oid, {"lr": lr}, start, 1000)
        assert alone.outcome() == outcomes[i]
        assert outcomes[i].kind == "ran_away"


@pytest.mark.parametrize("dim", [1, 2])
def test_cross_entropy_on_overlapping_classes_settles(dim: int) -> None:
    spec = ModelSpec("logistic", "bce", "overlap", dim)
    s = model_surface(spec)
    _, r = solo(spec, "sgd", {"lr": 1.0}, s.start, 3000)
    assert r.outcome().kind == "global_minimum"
