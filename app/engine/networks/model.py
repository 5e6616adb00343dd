"""A small multilayer perceptron, exactly: forward, backward and the Hessian, in float64 numpy.

The network is torch's ``nn.Sequential(nn.Linear, activation, …, nn.Linear)`` with its
parameters in torch's order and layout — per layer ``weight`` [out × in] and ``bias`` [out] —
flattened into one vector θ as ``torch.nn.utils.parameters_to_vector`` does, so a run's
weights can be loaded into torch and checked there.  The output layer and loss come as a pair
(the *head*), each as torch computes it from the last layer's outputs z (the logits):

* ``bce`` — one output, ``BCEWithLogitsLoss``: mean of log(1 + e^z) − y·z, p = σ(z);
* ``ce`` — K outputs, ``CrossEntropyLoss``: mean of logsumexp(z) − z_y, p = softmax(z);
* ``mse`` — one output, ``MSELoss``: mean of (z − y)², ŷ = z.

The training loss adds ``l1·Σ|W| + l2·ΣW²`` over every layer's weight (not the biases): the
loss-term form of regularization (weight decay through the optimizer is the optimizer's own
hyperparameter).  The gradient is back-propagation; the Hessian is Pearlmutter's R-operator
(forward-over-reverse), one Hessian-vector product per parameter, all at once.

    >>> spec = NetworkSpec(inputs=2, hidden=(3,), outputs=1, activation="tanh", head="bce")
    >>> spec.shapes, spec.size
    (((3, 2), (1, 3)), 13)
    >>> theta = init_weights(spec, "xavier", seed=0)
    >>> [list(np.shape(layer["weight"])) for layer in layers_of(spec, theta)]
    [[3, 2], [1, 3]]
    >>> X, y = np.array([[0.5, -1.0], [1.0, 2.0]]), np.array([0.0, 1.0])
    >>> loss, grad = loss_and_grad(spec, theta, X, y)
    >>> grad.shape, bool(abs(loss - data_loss(spec, theta, X, y)) < 1e-15)
    ((13,), True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..optimizers.interface import ParameterTensor
from .data import NetworkError

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear", "gelu")
INITS = ("xavier", "he", "zeros")
HEADS = ("bce", "ce", "mse")
INIT_STREAM = 3  # the random stream of the initial weights (see app.engine.run.batches)

_erf = np.vectorize(math.erf, otypes=[np.float64])
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class NetworkSpec:
    """A network's architecture and training loss (not its weights)."""

    inputs: int  # feature columns
    hidden: tuple[int, ...]  # units per hidden layer
    outputs: int  # 1 (bce, mse) or the number of classes (ce)
    activation: str  # of every hidden layer
    head: str  # "bce" | "ce" | "mse"
    l1: float = 0.0  # loss term l1·Σ|W|
    l2: float = 0.0  # loss term l2·ΣW²

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise NetworkError("model.activation", f"must be one of {', '.join(ACTIVATIONS)}")
        if self.head not in HEADS:
            raise NetworkError("model.head", f"must be one of {', '.join(HEADS)}")

    @property
    def widths(self) -> tuple[int, ...]:
        return (self.inputs, *self.hidden, self.outputs)

    @cached_property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        """Each layer's weight shape [out, in]."""
        w = self.widths
        return tuple((w[i + 1], w[i]) for i in range(len(w) - 1))

    @cached_property
    def offsets(self) -> tuple[tuple[int, int, int, int, int], ...]:
        """Per layer: (out, in, where its weight starts in θ, where its bias starts, where
        it ends)."""
        out, k = [], 0
        for o, i in self.shapes:
            out.append((o, i, k, k + o * i, k + o * i + o))
            k += o * i + o
        return tuple(out)

    @cached_property
    def parameter_shapes(self) -> tuple[tuple[int, ...], ...]:
        """Each parameter tensor's shape in torch's order: weight [out, in], bias [out]."""
        return tuple(shape for o, i in self.shapes for shape in ((o, i), (o,)))

    @cached_property
    def parameter_layout(self) -> tuple[ParameterTensor, ...]:
        """Each parameter tensor's shape and role in torch's order: whether its layer's
        outputs are hidden units (every layer but the last)."""
        last = len(self.shapes) - 1
        return tuple(
            ParameterTensor(shape, n < last)
            for n, (o, i) in enumerate(self.shapes)
            for shape in ((o, i), (o,))
        )

    @cached_property
    def size(self) -> int:
        """P, the number of parameters."""
        return sum(o * i + o for o, i in self.shapes)


# --- parameters ------------------------------------------------------------------------------


def unpack(spec: NetworkSpec, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) per layer as views into θ (``theta[..., P]``: a leading batch axis is kept)."""
    if theta.ndim == 1:  # the hot path
        return [(theta[w:b].reshape(o, i), theta[b:e]) for o, i, w, b, e in spec.offsets]
    lead = theta.shape[:-1]
    return [
        (theta[..., w:b].reshape(*lead, o, i), theta[..., b:e]) for o, i, w, b, e in spec.offsets
    ]


def parameters_of(spec: NetworkSpec, theta: np.ndarray) -> list[np.ndarray]:
    """θ as torch's ``model.parameters()``: each layer's weight [out, in], then its bias
    [out] (views into θ); :func:`flatten` is the inverse."""
    return [tensor for pair in unpack(spec, theta) for tensor in pair]


def flatten(tensors: Sequence[np.ndarray]) -> np.ndarray:
    """Parameter tensors back into θ, as ``parameters_to_vector`` does."""
    return np.concatenate([np.ravel(t) for t in tensors])


def layers_of(spec: NetworkSpec, theta: np.ndarray) -> list[dict[str, Any]]:
    """θ in torch's layout, JSON-ready: ``[{"weight": [[…]], "bias": […]}, …]``."""
    return [{"weight": w.tolist(), "bias": b.tolist()} for w, b in unpack(spec, theta)]


def theta_of(spec: NetworkSpec, layers: Sequence[Any]) -> np.ndarray:
    """The inverse of :func:`layers_of`; NetworkError names the layer that does not fit."""
    if not isinstance(layers, Sequence) or len(layers) != len(spec.shapes):
        raise NetworkError("weights", f"give {len(spec.shapes)} layers")
    parts = []
    for n, ((o, i), layer) in enumerate(zip(spec.shapes, layers, strict=True)):
        for key, shape in (("weight", (o, i)), ("bias", (o,))):
            try:
                value = np.asarray(layer[key], dtype=np.float64)
            except (KeyError, TypeError, ValueError):
                raise NetworkError(f"weights.{n}.{key}", "must be an array of numbers") from None
            if value.shape != shape:
                raise NetworkError(f"weights.{n}.{key}", f"must have the shape {list(shape)}")
            if not np.isfinite(value).all():
                raise NetworkError(f"weights.{n}.{key}", "must be finite")
            parts.append(value.ravel())
    return np.concatenate(parts)


def init_weights(spec: NetworkSpec, scheme: str, seed: int) -> np.ndarray:
    """The initial θ: ``xavier`` (Glorot uniform, U(±√(6/(fan_in + fan_out)))), ``he``
    (Kaiming normal, N(0, 2/fan_in)) or ``zeros``; biases 0.  Drawn layer by layer from
    ``numpy.random.default_rng([seed, INIT_STREAM])``."""
    if scheme not in INITS:
        raise NetworkError("model.init", f"must be one of {', '.join(INITS)}")
    rng = np.random.default_rng([seed, INIT_STREAM])
    parts = []
    for o, i in spec.shapes:
        if scheme == "xavier":
            bound = math.sqrt(6.0 / (i + o))
            w = rng.uniform(-bound, bound, size=(o, i))
        elif scheme == "he":
            w = rng.standard_normal((o, i)) * math.sqrt(2.0 / i)
        else:
            w = np.zeros((o, i))
        parts += [w.ravel(), np.zeros(o)]
    return np.concatenate(parts)


# --- activations -----------------------------------------------------------------------------


def activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.asarray(np.maximum(z, 0.0))
    if name == "tanh":
        return np.asarray(np.tanh(z))
    if name == "sigmoid":
        return np.asarray(1.0 / (1.0 + np.exp(-z)))
    if name == "gelu":  # torch's exact GELU: z·Φ(z)
        return np.asarray(z * 0.5 * (1.0 + _erf(z * _SQRT_HALF)))
    return z


def slope(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The activation's derivative at z (a = its value there), as torch's backward has it."""
    if name == "relu":
        return np.asarray((a > 0).astype(np.float64))
    if name == "tanh":
        return np.asarray(1.0 - a * a)
    if name == "sigmoid":
        return np.asarray((1.0 - a) * a)
    if name == "gelu":
        return np.asarray(
            0.5 * (1.0 + _erf(z * _SQRT_HALF)) + z * _INV_SQRT_2PI * np.exp(-0.5 * z * z)
        )
    return np.asarray(np.ones_like(z))


def curvature(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The activation's second derivative at z (0 almost everywhere for ReLU)."""
    if name == "tanh":
        return np.asarray(-2.0 * a * (1.0 - a * a))
    if name == "sigmoid":
        return np.asarray(a * (1.0 - a) * (1.0 - 2.0 * a))
    if name == "gelu":
        return np.asarray(_INV_SQRT_2PI * np.exp(-0.5 * z * z) * (2.0 - z * z))
    return np.asarray(np.zeros_like(z))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return np.asarray(e / e.sum(axis=-1, keepdims=True))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


# --- forward and backward --------------------------------------------------------------------


@dataclass
class Forward:
    """One forward pass: each layer's input a, pre-activation z (the last z are the logits)."""

    inputs: list[np.ndarray]  # a₀ = X, a₁ … a_{L−1}
    zs: list[np.ndarray]  # z₁ … z_L


def forward(spec: NetworkSpec, theta: np.ndarray, X: np.ndarray) -> Forward:
    layers = unpack(spec, theta)
    a, inputs, zs = X, [], []
    for n, (w, b) in enumerate(layers):
        inputs.append(a)
        z = a @ w.T + b
        zs.append(z)
        if n < len(layers) - 1:
            a = activate(spec.activation, z)
    return Forward(inputs, zs)


def _head_loss(spec: NetworkSpec, z: np.ndarray, y: np.ndarray) -> float:
    """The mean data loss from the logits z (n, outputs), as torch's loss modules compute it."""
    return float(head_losses(spec, z, y))


def head_losses(spec: NetworkSpec, z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The mean data loss from logits z (…, n, outputs): one per leading index (a stack of
    networks' logits on the same points gives each network's loss)."""
    n = len(y)
    if spec.head == "bce":
        z = z[..., 0]
        # max(z, 0) − z·y + log(1 + e^{−|z|}): finite for any z
        return np.asarray((np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))).sum(-1) / n)
    if spec.head == "ce":
        top = z.max(axis=-1, keepdims=True)
        lse = top[..., 0] + np.log(np.exp(z - top).sum(axis=-1))
        index = y.astype(np.int64).reshape((1,) * (z.ndim - 2) + (n, 1))
        picked = np.take_along_axis(z, index, axis=-1)[..., 0]
        return np.asarray((lse - picked).sum(-1) / n)
    r = z[..., 0] - y
    return np.asarray((r * r).sum(-1) / n)


def _head_delta(spec: NetworkSpec, z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∂(mean loss)/∂z, shape (n, outputs)."""
    n = len(y)
    if spec.head == "bce":
        return np.asarray(((_sigmoid(z[:, 0]) - y) / n)[:, None])
    if spec.head == "ce":
        d = _softmax(z)
        d[np.arange(n), y.astype(np.int64)] -= 1.0
        return np.asarray(d / n)
    return np.asarray((2.0 * (z[:, 0] - y) / n)[:, None])


def _penalty(spec: NetworkSpec, theta: np.ndarray) -> float:
    if not (spec.l1 or spec.l2):
        return 0.0
    total = 0.0
    for w, _ in unpack(spec, theta):
        if spec.l1:
            total += spec.l1 * float(np.abs(w).sum())
        if spec.l2:
            total += spec.l2 * float((w * w).sum())
    return total


def data_loss(spec: NetworkSpec, theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """The mean data loss (no regularization term): what the loss chart shows."""
    return _head_loss(spec, forward(spec, theta, X).zs[-1], y)


def loss_and_grad(
    spec: NetworkSpec, theta: np.ndarray, X: np.ndarray, y: np.ndarray
) -> tuple[float, np.ndarray]:
    """The training loss (data loss + regularization terms) and its exact gradient."""
    data, penalty, grad, _ = training_pass(spec, theta, X, y)
    return data + penalty, grad


def training_pass(
    spec: NetworkSpec, theta: np.ndarray, X: np.ndarray, y: np.ndarray
) -> tuple[float, float, np.ndarray, float | None]:
    """One forward and backward pass: (mean data loss, regularization terms, the exact
    gradient of their sum, the accuracy — None for regression)."""
    fw = forward(spec, theta, X)
    data = _head_loss(spec, fw.zs[-1], y)
    grad = np.empty_like(theta)
    gviews = unpack(spec, grad)
    layers = unpack(spec, theta)
    delta = _head_delta(spec, fw.zs[-1], y)
    for n in range(len(layers) - 1, -1, -1):
        w = layers[n][0]
        gw, gb = gviews[n]
        gw[...] = delta.T @ fw.inputs[n]
        if spec.l1:
            gw += spec.l1 * np.sign(w)
        if spec.l2:
            gw += 2.0 * spec.l2 * w
        gb[...] = delta.sum(axis=0)
        if n:
            a = fw.inputs[n]
            delta = (delta @ w) * slope(spec.activation, fw.zs[n - 1], a)
    return data, _penalty(spec, theta), grad, _accuracy(spec, fw.zs[-1], y)


def predict(spec: NetworkSpec, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
    """p(class 1) (bce), the class probabilities (ce, shape (n, K)) or ŷ (mse)."""
    z = forward(spec, theta, X).zs[-1]
    if spec.head == "bce":
        return _sigmoid(z[:, 0])
    if spec.head == "ce":
        return _softmax(z)
    return z[:, 0]


def hidden_outputs(spec: NetworkSpec, theta: np.ndarray, X: np.ndarray) -> list[np.ndarray]:
    """Each hidden layer's outputs (n, units), after the activation."""
    return forward(spec, theta, X).inputs[1:]


def evaluate(
    spec: NetworkSpec, theta: np.ndarray, X: np.ndarray, y: np.ndarray
) -> tuple[float, float | None]:
    """(mean data loss, the share of points classified right — None for regression), from
    one forward pass."""
    z = forward(spec, theta, X).zs[-1]
    return _head_loss(spec, z, y), _accuracy(spec, z, y)


def _accuracy(spec: NetworkSpec, z: np.ndarray, y: np.ndarray) -> float | None:
    if spec.head == "mse":
        return None
    guess = (z[:, 0] > 0) if spec.head == "bce" else z.argmax(axis=1)  # p > ½, the top class
    return float(np.count_nonzero(guess == y) / len(y))


def accuracy(spec: NetworkSpec, theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float | None:
    """The share of points classified right (None for regression or no points)."""
    return None if len(y) == 0 else evaluate(spec, theta, X, y)[1]


# --- the Hessian -----------------------------------------------------------------------------


def hessian(spec: NetworkSpec, theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The exact P × P Hessian of the training loss: the Hessian-vector products of every
    basis direction (it is symmetric, so row i is H·eᵢ)."""
    return hvp(spec, theta, X, y, np.eye(spec.size))


def hvp(
    spec: NetworkSpec, theta: np.ndarray, X: np.ndarray, y: np.ndarray, V: np.ndarray
) -> np.ndarray:
    """H·v for each row v of V (k × P) — H the exact Hessian of the training loss at θ — by
    Pearlmutter's R-operator: one forward and one backward pass carrying the directional
    derivative of every quantity along v (direction axis first), never H itself."""
    k = len(V)
    fw = forward(spec, theta, X)
    layers = unpack(spec, theta)
    dirs = unpack(spec, np.asarray(V, dtype=np.float64))  # (k, out, in) and (k, out) per layer
    act = spec.activation
    # forward: R{z_l} for every direction, shape (k, n, out)
    r_a = np.zeros((k, *X.shape))
    r_zs = []
    for n, ((w, _), (vw, vb)) in enumerate(zip(layers, dirs, strict=True)):
        a = fw.inputs[n]
        r_z = r_a @ w.T + a @ np.swapaxes(vw, 1, 2) + vb[:, None, :]
        r_zs.append(r_z)
        if n < len(layers) - 1:
            r_a = slope(act, fw.zs[n], fw.inputs[n + 1]) * r_z
    # the head: R{δ_L} = (∂²loss/∂z²)·R{z_L}
    z, r_z = fw.zs[-1], r_zs[-1]
    count = len(y)
    if spec.head == "bce":
        s = _sigmoid(z)
        r_delta = (s * (1.0 - s) / count) * r_z
    elif spec.head == "ce":
        p = _softmax(z)
        r_delta = (p * r_z - p * (p * r_z).sum(axis=-1, keepdims=True)) / count
    else:
        r_delta = (2.0 / count) * r_z
    delta = _head_delta(spec, z, y)
    hv = np.empty((k, spec.size))
    hviews = unpack(spec, hv)
    for n in range(len(layers) - 1, -1, -1):
        (w, _), (vw, _) = layers[n], dirs[n]
        a = fw.inputs[n]
        hw, hb = hviews[n]
        hw[...] = np.swapaxes(r_delta, 1, 2) @ a
        if n:  # the inputs themselves move along v too (not the data: layer 0's are fixed)
            hw += delta.T @ (slope(act, fw.zs[n - 1], a) * r_zs[n - 1])
        if spec.l2:
            hw += 2.0 * spec.l2 * vw
        hb[...] = r_delta.sum(axis=1)
        if n:
            z_prev = fw.zs[n - 1]
            d = slope(act, z_prev, a)
            back = delta @ w
            r_delta_new = (r_delta @ w + delta @ vw) * d + back * (
                curvature(act, z_prev, a) * r_zs[n - 1]
            )
            delta = back * d
            r_delta = r_delta_new
    return hv
