"""Muon on the network page: the usual recipe — Muon on the hidden layers' weight matrices,
AdamW (torch's defaults, the same lr and weight_decay) on the biases and the output layer —
with torch's state keys per tensor, and one weight's step explained by the part it is in.
(The recipe against torch is tests/engine/test_network_goldens.py's.)"""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.errors import StateError
from app.engine.networks.data import generate
from app.engine.networks.explain import explain_weight, weight_index
from app.engine.networks.model import init_weights, unpack
from app.engine.networks.train import NetworkRun, setup
from app.engine.optimizers import OPTIMIZERS
from app.engine.optimizers.muon import MATRIX_FORMULA, MUON, adjusted_lr

LR, WD = 0.02, 0.05


def _run(steps: int, optimizer: str = "muon", **hp: object) -> NetworkRun:
    s = setup(generate("circle", 40, 0.1, 0), ("x1", "x2"), (4, 3), "tanh")
    opt = OPTIMIZERS[optimizer]
    run = NetworkRun(
        s,
        opt,
        opt.validate({"lr": LR, "weight_decay": WD, **hp}),
        theta0=init_weights(s.spec, "xavier", 2),
    )
    run.advance(steps)
    return run


def _shapes(per_tensor: list) -> list:
    return [None if v is None else np.shape(v) for v in per_tensor]


def test_muon_keeps_a_momentum_buffer_per_hidden_matrix_and_adamw_the_rest():
    state = _run(3).state_json()["buffers"]
    # torch's parameters(): W₀ [4×2], b₀, W₁ [3×4], b₁, the output layer's W₂ [1×3], b₂
    assert _shapes(state["momentum_buffer"]) == [(4, 2), None, (3, 4), None, None, None]
    adamw = [None, (4,), None, (3,), (1, 3), (1,)]
    assert _shapes(state["exp_avg"]) == _shapes(state["exp_avg_sq"]) == adamw
    assert set(state) == {"momentum_buffer", "exp_avg", "exp_avg_sq"}


def test_a_hidden_matrix_steps_by_an_orthogonalised_update_of_length_eta():
    # W ← W·(1 − lr·λ) − η·O with O = NS(B̃): every singular value of O near 1 (0.7 to 1.2
    # for Keller Jordan's coefficients), whatever the gradient's size.
    run = _run(2)
    before = [w.copy() for w, _ in unpack(run.setup.spec, run.theta)]
    run.advance(1)
    for layer in (0, 1):
        w1 = unpack(run.setup.spec, run.theta)[layer][0]
        eta = adjusted_lr(LR, "original", w1.shape)
        o = (before[layer] * (1 - LR * WD) - w1) / eta
        singular = np.linalg.svd(o, compute_uv=False)
        assert singular.min() > 0.6 and singular.max() < 1.25, singular


def test_the_biases_and_the_output_layer_step_as_adamw_with_the_same_lr_and_decay():
    # From the same θ₀ the first gradient is the same: AdamW's tensors move as an AdamW run's.
    muon, adamw = _run(1), _run(1, "adamw")
    spec = muon.setup.spec
    ours, theirs = unpack(spec, muon.theta), unpack(spec, adamw.theta)
    for (_, b), (_, their_b) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(b, their_b)
    np.testing.assert_array_equal(ours[-1][0], theirs[-1][0])
    assert not np.array_equal(ours[0][0], theirs[0][0])  # a hidden matrix is Muon's


def test_a_state_with_a_buffer_on_the_wrong_tensor_is_refused_naming_the_key():
    run = _run(2)
    state = run.state_json()
    bad = dict(state["buffers"])
    bad["momentum_buffer"] = [*bad["momentum_buffer"][:-1], [0.0]]  # on the output bias
    with pytest.raises(StateError, match="buffers.momentum_buffer"):
        NetworkRun(
            run.setup, MUON, run.hyperparameters, theta0=run.theta, state={**state, "buffers": bad}
        )
    negative = dict(state["buffers"])
    negative["exp_avg_sq"] = [None, [-1.0] * 4, *negative["exp_avg_sq"][2:]]
    with pytest.raises(StateError, match="buffers.exp_avg_sq"):
        NetworkRun(
            run.setup,
            MUON,
            run.hyperparameters,
            theta0=run.theta,
            state={**state, "buffers": negative},
        )


def _by_symbol(e, symbol):
    (q,) = [q for q in e.quantities if q.symbol == symbol]
    return q.values[0]


def test_a_hidden_weight_is_explained_by_its_momentum_its_entry_of_o_and_eta():
    run = _run(4)
    j = weight_index(run, 1, "weight", 2, 3)  # layer 1's W[2, 3]: a hidden matrix's
    e = explain_weight(run, j)
    assert e.formula == MATRIX_FORMULA
    assert {"B", "B̃", "O", "η"} <= {q.symbol for q in e.quantities}
    x0 = e.position_before[0]
    eta, o = _by_symbol(e, "η"), _by_symbol(e, "O")
    assert eta == adjusted_lr(LR, "original", (3, 4))
    run.advance(1)
    assert e.position_after[0] == run.theta[j] == x0 * (1 - LR * WD) - eta * o
    assert _by_symbol(e, "B") == run.state_json()["buffers"]["momentum_buffer"][2][2][3]


@pytest.mark.parametrize(("layer", "kind"), [(2, "weight"), (0, "bias")])
def test_an_output_weight_or_a_bias_is_explained_as_adamw(layer, kind):
    run = _run(4)
    j = weight_index(run, layer, kind, 0, 1 if kind == "weight" else 0)
    e = explain_weight(run, j)
    assert e.formula == OPTIMIZERS["adamw"].formula
    assert {"m", "v", "m̂", "v̂"} <= {q.symbol for q in e.quantities}
    assert "AdamW's part of the recipe" in e.substituted[1]  # after g = ∂L/∂θ
    run.advance(1)
    assert e.position_after[0] == run.theta[j]
    tensor = 4 if kind == "weight" else 1  # W₂, or b₀
    m = np.ravel(run.state_json()["buffers"]["exp_avg"][tensor])
    assert _by_symbol(e, "m") == m[1 if kind == "weight" else 0]
