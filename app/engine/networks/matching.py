"""Two networks, one valley? Match the hidden units of one to the other's.

Swapping two hidden units of a layer — their incoming weights and biases, and their columns
in the next layer's weights — leaves the network's function unchanged, so two networks
trained from different seeds may sit in the same valley with their units in another order.
:func:`match` finds, layer by layer, the order of B's units that best lines them up with A's
(*weight matching*, Ainsworth et al. 2023): for hidden layer l it maximises
⟨Wₐˡ, P Wᵦˡ⟩ + ⟨bₐˡ, P bᵦˡ⟩ + ⟨Wₐˡ⁺¹, Wᵦˡ⁺¹ Pᵀ⟩ over permutations P with the other layers'
orders fixed — a linear assignment problem, solved by SciPy's ``linear_sum_assignment`` —
and sweeps the layers until no order changes.  The matched B computes exactly the function B
computes; only its place in weight space moves, next to A.

    >>> from app.engine.networks.model import NetworkSpec, init_weights, predict
    >>> spec = NetworkSpec(2, (4, 3), 1, "tanh", "bce")
    >>> a, b = init_weights(spec, "xavier", 0), init_weights(spec, "xavier", 1)
    >>> matched = match(spec, a, b)
    >>> X = np.array([[0.5, -1.0], [2.0, 0.3]])
    >>> bool(np.allclose(predict(spec, matched.theta, X), predict(spec, b, X), rtol=1e-13))
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from .model import NetworkSpec, unpack

__all__ = ["Matched", "match", "permute"]

MAX_SWEEPS = 50  # sweeps over the layers; each one can only raise the objective


@dataclass(frozen=True)
class Matched:
    theta: np.ndarray  # B with its hidden units reordered
    orders: tuple[np.ndarray, ...]  # per hidden layer: B's unit placed at each of A's units
    sweeps: int  # how many sweeps the orders took to settle


def permute(spec: NetworkSpec, theta: np.ndarray, orders: tuple[np.ndarray, ...]) -> np.ndarray:
    """θ with hidden layer l's units taken in the order ``orders[l]`` (the same function)."""
    out = theta.copy()
    layers, new = unpack(spec, theta), unpack(spec, out)
    previous = np.arange(spec.inputs)
    for n, (w, b) in enumerate(layers):
        order = orders[n] if n < len(spec.hidden) else np.arange(spec.outputs)
        new[n][0][...] = w[order][:, previous]
        new[n][1][...] = b[order]
        previous = order
    return out


def match(spec: NetworkSpec, theta_a: np.ndarray, theta_b: np.ndarray) -> Matched:
    """B's hidden units reordered to line up with A's (weight matching)."""
    la, lb = unpack(spec, theta_a), unpack(spec, theta_b)
    hidden = len(spec.hidden)
    orders = [np.arange(u) for u in spec.hidden]

    def order_of(n: int) -> np.ndarray:  # layer n's order; inputs and outputs stay put
        if n < 0:
            return np.arange(spec.inputs)
        return orders[n] if n < hidden else np.arange(spec.outputs)

    sweeps = 0
    while sweeps < MAX_SWEEPS:
        sweeps += 1
        changed = False
        for n in range(hidden):
            (wa, ba), (wb, bb) = la[n], lb[n]
            (wa_next, _), (wb_next, _) = la[n + 1], lb[n + 1]
            similarity = (
                wa @ wb[:, order_of(n - 1)].T
                + np.outer(ba, bb)
                + wa_next.T @ wb_next[order_of(n + 1)]
            )
            _, columns = linear_sum_assignment(similarity, maximize=True)
            if not np.array_equal(columns, orders[n]):
                orders[n], changed = columns, True
        if not changed:
            break
    frozen = tuple(orders)
    return Matched(permute(spec, theta_b, frozen), frozen, sweeps)
