"""The network's forward and backward passes and Hessian, against finite differences.

Every activation × head, with the regularization terms on and off: the gradient of
``loss_and_grad`` against central differences of its loss, and the Hessian against central
differences of the exact gradient.  Each check is shown able to fail (a wrong derivative is
caught)."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.networks.data import NetworkError
from app.engine.networks.model import (
    ACTIVATIONS,
    NetworkSpec,
    data_loss,
    evaluate,
    hessian,
    init_weights,
    layers_of,
    loss_and_grad,
    predict,
    theta_of,
)

RNG = np.random.default_rng(7)
X = RNG.uniform(-2, 2, size=(9, 3))
TARGETS = {
    "bce": (1, (RNG.uniform(size=9) > 0.5).astype(float)),
    "ce": (3, RNG.integers(0, 3, size=9).astype(float)),
    "mse": (1, RNG.standard_normal(9)),
}


def _spec(activation: str, head: str, l1: float = 0.0, l2: float = 0.0) -> NetworkSpec:
    outputs = TARGETS[head][0]
    return NetworkSpec(3, (4, 3), outputs, activation, head, l1, l2)


def _theta(spec: NetworkSpec) -> np.ndarray:
    # away from ReLU's kinks and |w| = 0 (L1's): a random start, not an init scheme
    return np.random.default_rng(3).uniform(0.2, 0.9, spec.size) * np.where(
        np.arange(spec.size) % 3 == 0, -1.0, 1.0
    )


def _fd_grad(f, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.empty_like(theta)
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = h
        out[i] = (f(theta + e) - f(theta - e)) / (2 * h)
    return out


CASES = [
    (act, head, l1, l2)
    for act in ACTIVATIONS
    for head in ("bce", "ce", "mse")
    for l1, l2 in ((0.0, 0.0), (0.01, 0.03))
]


@pytest.mark.parametrize(("activation", "head", "l1", "l2"), CASES)
def test_the_gradient_is_the_derivative_of_the_loss(activation, head, l1, l2):
    spec = _spec(activation, head, l1, l2)
    y = TARGETS[head][1]
    theta = _theta(spec)
    loss, grad = loss_and_grad(spec, theta, X, y)
    numeric = _fd_grad(lambda t: loss_and_grad(spec, t, X, y)[0], theta)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)
    assert loss == pytest.approx(data_loss(spec, theta, X, y) + _penalty(spec, theta, l1, l2))


def _penalty(spec, theta, l1, l2):
    ws = [np.asarray(layer["weight"]) for layer in layers_of(spec, theta)]
    return sum(l1 * np.abs(w).sum() + l2 * (w * w).sum() for w in ws)


@pytest.mark.parametrize(("activation", "head", "l1", "l2"), CASES)
def test_the_hessian_is_the_derivative_of_the_gradient(activation, head, l1, l2):
    spec = _spec(activation, head, l1, l2)
    y = TARGETS[head][1]
    theta = _theta(spec)
    H = hessian(spec, theta, X, y)
    numeric = np.column_stack(
        [
            (loss_and_grad(spec, theta + e, X, y)[1] - loss_and_grad(spec, theta - e, X, y)[1])
            / 2e-6
            for e in np.eye(spec.size) * 1e-6
        ]
    )
    np.testing.assert_allclose(H, numeric, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(H, H.T, atol=1e-12)


def test_a_wrong_derivative_is_caught():
    spec = _spec("tanh", "bce")
    y = TARGETS["bce"][1]
    theta = _theta(spec)
    _, grad = loss_and_grad(spec, theta, X, y)
    numeric = _fd_grad(lambda t: loss_and_grad(spec, t, X, y)[0], theta)
    grad[5] *= 1.001
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_the_losses_are_torchs_on_known_values():
    # one point, a network with no hidden layer: z = w·x + b by hand
    x = np.array([[2.0]])
    bce = NetworkSpec(1, (), 1, "tanh", "bce")
    theta = np.array([0.5, -0.25])  # z = 0.75
    assert data_loss(bce, theta, x, np.array([1.0])) == pytest.approx(np.log1p(np.exp(-0.75)))
    ce = NetworkSpec(1, (), 3, "tanh", "ce")
    theta = np.array([1.0, 0.0, -1.0, 0.0, 0.0, 0.0])  # z = (2, 0, −2)
    z = np.array([2.0, 0.0, -2.0])
    expected = np.log(np.exp(z).sum()) - z[1]
    assert data_loss(ce, theta, x, np.array([1.0])) == pytest.approx(expected)
    assert predict(ce, theta, x).sum() == pytest.approx(1.0)
    mse = NetworkSpec(1, (), 1, "relu", "mse")
    assert data_loss(mse, np.array([1.5, 1.0]), x, np.array([3.0])) == pytest.approx(1.0)


def test_a_huge_logit_gives_a_finite_loss():
    spec = NetworkSpec(1, (), 1, "tanh", "bce")
    loss, grad = loss_and_grad(spec, np.array([1e4, 0.0]), np.array([[1.0]]), np.array([0.0]))
    assert loss == pytest.approx(1e4) and np.isfinite(grad).all()


def test_weights_are_in_torchs_layout_and_come_back():
    spec = NetworkSpec(2, (5, 3), 4, "relu", "ce")
    theta = init_weights(spec, "he", 4)
    layers = layers_of(spec, theta)
    assert [np.shape(layer["weight"]) for layer in layers] == [(5, 2), (3, 5), (4, 3)]
    assert [np.shape(layer["bias"]) for layer in layers] == [(5,), (3,), (4,)]
    assert theta[:2].tolist() == layers[0]["weight"][0]  # row-major, weight before bias
    np.testing.assert_array_equal(theta_of(spec, layers), theta)
    with pytest.raises(NetworkError, match=r"weights\.1\.weight"):
        theta_of(spec, [layers[0], {"weight": [[0.0]], "bias": [0, 0, 0]}, layers[2]])


def test_init_schemes_have_their_spread_and_are_seeded():
    spec = NetworkSpec(16, (16,), 1, "relu", "bce")
    xavier = init_weights(spec, "xavier", 1)
    w = np.asarray(layers_of(spec, xavier)[0]["weight"])
    assert np.abs(w).max() <= np.sqrt(6 / 32)
    he = np.asarray(layers_of(spec, init_weights(spec, "he", 1))[0]["weight"])
    assert he.std() == pytest.approx(np.sqrt(2 / 16), rel=0.2)
    assert not init_weights(spec, "zeros", 1).any()
    np.testing.assert_array_equal(init_weights(spec, "xavier", 1), xavier)
    assert not np.array_equal(init_weights(spec, "xavier", 2), xavier)
    assert not np.asarray(layers_of(spec, xavier)[0]["bias"]).any()


def test_accuracy_counts_points_on_the_right_side():
    spec = NetworkSpec(1, (), 1, "tanh", "bce")
    x = np.array([[-1.0], [1.0], [2.0]])
    _, acc = evaluate(spec, np.array([1.0, 0.0]), x, np.array([0.0, 1.0, 0.0]))
    assert acc == pytest.approx(2 / 3)
