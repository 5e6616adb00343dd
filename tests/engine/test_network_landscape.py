"""The network's landscape: Hessian-vector products, sharpness, lines and planes through
weight space — each against the definition it computes."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.networks.landscape import (
    Interpolation,
    barrier,
    data_losses,
    filter_normalised,
    interpolate,
    pca_plane,
    plane,
    project,
    top_eigenvalues,
)
from app.engine.networks.model import data_loss, hessian, hvp, layers_of, loss_and_grad
from app.engine.networks.scenario import build


def _scenario(head="bce", activation="tanh", l2=0.0):
    data = {"bce": "circle", "ce": "three_classes", "mse": "sine"}[head]
    features = ["x1"] if head == "mse" else ["x1", "x2"]
    return build(
        {
            "data": {"dataset": data, "points": 60},
            "model": {"hidden": [5, 3], "activation": activation, "features": features, "l2": l2},
        }
    )


@pytest.mark.parametrize("head", ["bce", "ce", "mse"])
@pytest.mark.parametrize("activation", ["tanh", "gelu", "sigmoid"])
def test_a_hessian_vector_product_is_the_gradients_derivative_along_v(head, activation):
    s = _scenario(head, activation, l2=0.01)
    st = s.setup
    theta = s.theta0 + 0.1
    v = np.random.default_rng(1).standard_normal((3, st.spec.size))
    hv = hvp(st.spec, theta, st.x_train, st.y_train, v)
    h = 1e-6
    for row, direction in zip(hv, v, strict=True):
        g_plus = loss_and_grad(st.spec, theta + h * direction, st.x_train, st.y_train)[1]
        g_minus = loss_and_grad(st.spec, theta - h * direction, st.x_train, st.y_train)[1]
        np.testing.assert_allclose(row, (g_plus - g_minus) / (2 * h), rtol=1e-5, atol=1e-7)
    H = hessian(st.spec, theta, st.x_train, st.y_train)
    np.testing.assert_allclose(hv, v @ H, rtol=1e-10, atol=1e-12)


def test_lanczos_finds_the_hessians_top_eigenvalues():
    s = _scenario()
    st = s.setup
    exact = np.sort(np.linalg.eigvalsh(hessian(st.spec, s.theta0, st.x_train, st.y_train)))[::-1]
    found = top_eigenvalues(st.spec, s.theta0, st.x_train, st.y_train, k=3, iterations=40)
    np.testing.assert_allclose(found, exact[:3], rtol=1e-8)
    few = top_eigenvalues(st.spec, s.theta0, st.x_train, st.y_train, k=1, iterations=3)
    assert few[0] <= exact[0] + 1e-12  # a Ritz value never overshoots the top eigenvalue


def test_the_stacked_forward_pass_is_the_one_network_forward_pass():
    s = _scenario("ce")
    st = s.setup
    thetas = s.theta0 + np.random.default_rng(2).standard_normal((4, st.spec.size)) * 0.3
    stacked = data_losses(st.spec, thetas, st.x_train, st.y_train)
    one = [data_loss(st.spec, t, st.x_train, st.y_train) for t in thetas]
    np.testing.assert_allclose(stacked, one, rtol=1e-13)


def test_the_line_between_two_networks_and_its_barrier():
    s = _scenario()
    st = s.setup
    run = s.start(0)
    run.advance(200)
    line = interpolate(st.spec, s.theta0, run.theta, st.x_train, st.y_train, 11)
    assert line.losses[0] == pytest.approx(data_loss(st.spec, s.theta0, st.x_train, st.y_train))
    assert line.losses[-1] == pytest.approx(data_loss(st.spec, run.theta, st.x_train, st.y_train))
    assert barrier(line) >= 0.0


def test_the_barrier_is_the_rise_above_the_chord_between_the_ends():
    alphas = np.linspace(0, 1, 5)
    assert barrier(Interpolation(alphas, np.array([1.0, 0.8, 0.6, 0.4, 0.2]))) == 0.0
    assert barrier(Interpolation(alphas, np.array([1.0, 2.5, 3.0, 2.0, 0.0]))) == pytest.approx(2.5)
    assert barrier(Interpolation(alphas, np.array([1.0, 0.1, 0.1, 0.1, 1.0]))) == 0.0


def test_a_filter_normalised_direction_has_each_units_norm_and_no_bias():
    s = _scenario()
    theta = s.theta0 + 0.2
    d = filter_normalised(s.setup.spec, theta, seed=3, which=0)
    for dl, tl in zip(layers_of(s.setup.spec, d), layers_of(s.setup.spec, theta), strict=True):
        np.testing.assert_allclose(
            np.linalg.norm(dl["weight"], axis=1), np.linalg.norm(tl["weight"], axis=1)
        )
        assert not np.any(dl["bias"])
    assert not np.array_equal(d, filter_normalised(s.setup.spec, theta, seed=3, which=1))
    np.testing.assert_array_equal(d, filter_normalised(s.setup.spec, theta, seed=3, which=0))


def test_a_plane_is_centred_on_its_weights_and_a_path_on_it_lies_on_it():
    s = _scenario()
    st = s.setup
    d1 = filter_normalised(st.spec, s.theta0, 0, 0)
    d2 = filter_normalised(st.spec, s.theta0, 0, 1)
    grid = plane(
        st.spec,
        s.theta0,
        d1,
        d2,
        st.x_train,
        st.y_train,
        np.linspace(-1, 1, 5),
        np.linspace(-1, 1, 3),
    )
    assert grid.shape == (3, 5)
    assert grid[1, 2] == pytest.approx(data_loss(st.spec, s.theta0, st.x_train, st.y_train))
    on = s.theta0 + 0.3 * d1 - 0.7 * d2
    off = on + 0.5 * np.random.default_rng(5).standard_normal(st.spec.size)
    p = project(s.theta0, d1, d2, np.stack([on, off]))
    assert p.alphas[0] == pytest.approx(0.3) and p.betas[0] == pytest.approx(-0.7)
    assert p.off[0] == pytest.approx(0.0, abs=1e-12) and p.off[1] > 0.1


def test_the_pca_plane_of_paths_in_a_plane_explains_all_of_them():
    rng = np.random.default_rng(0)
    origin = rng.standard_normal(30)
    u, v = rng.standard_normal(30), rng.standard_normal(30)
    t = np.linspace(0, 1, 20)[:, None]
    paths = [origin + t * u + t**2 * v, origin + t * v - t * u]
    pca = pca_plane(origin, paths)
    assert sum(pca.explained) == pytest.approx(1.0)
    assert pca.explained[0] >= pca.explained[1] > 0
    p = project(origin, pca.d1, pca.d2, np.concatenate(paths))
    assert p.off.max() < 1e-10


@pytest.mark.parametrize(("lr", "start"), [(0.04, 0.5), (0.08, 0.9)])
def test_full_batch_gradient_descent_sharpens_to_two_over_lr_and_hovers_there(lr, start):
    """The edge of stability (Cohen et al. 2021): on a tanh network fitting a curve by full-batch
    gradient descent, the Hessian's top eigenvalue rises to 2/lr and stays there, while the
    loss keeps falling (non-monotonically) instead of diverging."""
    s = build(
        {
            "data": {"dataset": "sine", "points": 100, "test_ratio": 0},
            "model": {"hidden": [16, 16], "features": ["x1"]},
            "optimizers": [{"optimizer": "sgd", "hyperparameters": {"lr": lr}}],
        }
    )
    st, run = s.setup, s.start(0)
    edge = 2 / lr
    sharpness, losses = [], []
    for _ in range(40):
        trace = run.advance(100)
        losses.extend(trace.train_loss)
        sharpness.append(
            top_eigenvalues(st.spec, run.theta, st.x_train, st.y_train, iterations=20)[0]
        )
    first = top_eigenvalues(st.spec, s.theta0, st.x_train, st.y_train, iterations=20)[0]
    assert first < start * edge  # it starts below the edge (0.4 of it at lr 0.04) ...
    assert run.status == "running" and losses[-1] < 0.2 * losses[0]  # ... learns, never diverges
    rises = sum(b > a for a, b in zip(losses[2000:], losses[2001:], strict=False))
    assert rises > 100  # at the edge the loss falls non-monotonically
    late = np.array(sharpness[-10:]) / edge
    assert (np.abs(late - 1) < 0.12).all(), late  # ... and hovers at 2/lr
    assert max(sharpness) < 1.3 * edge
