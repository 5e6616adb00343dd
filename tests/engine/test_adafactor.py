"""Adafactor as torch computes it: relative steps, update clipping, one RMS per ball on a
landscape and, on a network, one factored second moment per weight matrix."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from app.engine.backend import NUMPY
from app.engine.errors import StateError
from app.engine.networks.explain import explain_weight, weight_index
from app.engine.networks.model import init_weights
from app.engine.networks.train import NetworkRun
from app.engine.optimizers import OPTIMIZERS
from app.engine.optimizers.adafactor import (
    FACTORED_FORMULA,
    FACTORED_SYMBOLS,
    AdafactorTensors,
    _settings,
    adafactor_step,
)
from app.engine.optimizers.interface import Given, TensorBinder, TensorRule, descend

from .test_network_goldens import assert_parts, engine_run, golden_setup, load
from .test_symbols import undefined_and_stale

ADAFACTOR = OPTIMIZERS["adafactor"]


@pytest.mark.parametrize("slope", [1e-6, 1.0, 5e3])
def test_from_the_origin_the_first_step_is_eps2_times_rho_whatever_the_slope(slope):
    # RMS(x) = 0 < ε₂: the step is ε₂·min(lr, 1) = 1e-3 · 1e-2, however steep the slope.
    (x,) = descend(ADAFACTOR, {}, (0.0,), 1, lambda p: (slope,))
    assert x == -1e-5
    # ... and so is every step until |x| reaches ε₂: ten steps go 1e-4 in all
    (x,) = descend(ADAFACTOR, {}, (0.0,), 10, lambda p: (slope,))
    assert x == pytest.approx(-1e-4, rel=1e-12)


def test_away_from_the_origin_each_step_is_lr_times_the_size_of_x():
    # torch 2.13: Adafactor([x], lr=0.1) on x² from 1.0, seven steps.
    (x,) = descend(ADAFACTOR, {"lr": 0.1}, (1.0,), 7, lambda p: (2 * p[0],))
    assert x == pytest.approx(0.5236170323787135, rel=1e-15)
    # the first step in 2D: U = sign(g), RMS(x) = 2, so each coordinate moves lr·2
    assert descend(ADAFACTOR, {}, (2.0, -2.0), 1, lambda p: (4.0, 0.1)) == (1.98, -2.02)


def test_rho_is_capped_by_one_over_root_t():
    # lr = 1 caps nothing: ρₜ = 1/√t, so step t (from x = 1 in a tilt) moves RMS(x)/√t.
    c = _settings(ADAFACTOR.validate({"lr": 1.0}))
    for t in (1, 4, 9):
        p, _, m = adafactor_step(c, t, np.array([1.0]), np.array([3.0]), {}, 1)
        assert m.rho == 1 / t**0.5
        assert p[0] == pytest.approx(1.0 - 1 / t**0.5, rel=1e-15)


def test_update_clipping_holds_rms_u_to_d_when_the_gradient_jumps():
    # g = 1 then g = 100: v lags behind g², U = g/√v comes out above d and is scaled to d.
    rule = ADAFACTOR.bind(ADAFACTOR.validate({"lr": 0.1}))
    x, state = (1.0,), rule.init(1)
    x, state, _ = rule.step(Given(x, lambda p: (1.0,)), 1, x, state)
    assert x == (0.9,)
    c = _settings(ADAFACTOR.validate({"lr": 0.1}))
    v = np.array([state.buffer("variance")[0]])
    _, _, m = adafactor_step(c, 2, np.array([0.9]), np.array([100.0]), {"variance": v}, 1)
    assert m.rms_u > 1.0 and m.denom == m.rms_u
    x, state, _ = rule.step(Given(x, lambda p: (100.0,)), 2, x, state)
    assert x[0] == pytest.approx(0.9 - 0.9 * 0.1, rel=1e-15)  # exactly αₜ: |U|/denom = 1


def test_a_crowd_gives_each_ball_its_own_rms():
    rule = ADAFACTOR.bind(ADAFACTOR.validate({"lr": 0.3, "weight_decay": 0.1}))
    starts = np.array([[0.0, 0.0], [1.0, -3.0], [1e-4, 2.0]])
    grad = lambda x: (2 * x[0] + 1.0, 4 * x[1] - 0.5)  # noqa: E731
    alone = [
        descend(ADAFACTOR, {"lr": 0.3, "weight_decay": 0.1}, tuple(s), 5, grad) for s in starts
    ]
    x = (starts[:, 0].copy(), starts[:, 1].copy())
    state = rule.init(2)
    for t in range(1, 6):
        crowd = SimpleNamespace(xp=NUMPY, batch_shape=(3,), gradient=grad(x))
        x, state, _ = rule.step(crowd, t, x, state)
    np.testing.assert_array_equal(np.stack(x, axis=-1), np.array(alone))


# --- on a network: per parameter tensor, as torch's param group -------------------------


def _network_run(steps: int) -> NetworkRun:
    g = load("adafactor-wd_d_batch10-xor_tanh.json")
    s = golden_setup(g)
    run = NetworkRun(
        s,
        ADAFACTOR,
        ADAFACTOR.validate({"lr": 0.05, "weight_decay": 0.1}),
        theta0=init_weights(s.spec, "xavier", 2),
    )
    run.advance(steps)
    return run


def test_a_weight_matrix_keeps_row_and_column_averages_and_a_bias_its_variance():
    run = _network_run(3)
    shapes = run.setup.spec.parameter_shapes  # ((5, 2), (5,), (1, 5), (1,))
    state = run.state_json()["buffers"]
    assert [np.shape(v) if v is not None else None for v in state["row_var"]] == [
        (5, 1),
        None,
        (1, 1),
        None,
    ]
    assert [np.shape(v) if v is not None else None for v in state["col_var"]] == [
        (1, 2),
        None,
        (1, 5),
        None,
    ]
    assert [np.shape(v) if v is not None else None for v in state["variance"]] == [
        None,
        (5,),
        None,
        (1,),
    ]
    assert len(shapes) == 4


def test_a_network_state_of_the_wrong_shape_is_refused_naming_the_key():
    run = _network_run(2)
    state = run.state_json()
    bad = dict(state["buffers"])
    bad["row_var"] = [[[1.0]] * 4, None, [[1.0]], None]
    with pytest.raises(StateError, match="buffers.row_var"):
        NetworkRun(
            run.setup,
            ADAFACTOR,
            run.hyperparameters,
            theta0=run.theta,
            state={**state, "buffers": bad},
        )
    negative = dict(state["buffers"])
    negative["variance"] = [None, [-1.0] * 5, None, [0.0]]
    with pytest.raises(StateError, match="buffers.variance"):
        NetworkRun(
            run.setup,
            ADAFACTOR,
            run.hyperparameters,
            theta0=run.theta,
            state={**state, "buffers": negative},
        )


def test_every_tensor_unfactored_fails_the_network_golden():
    # The golden's run with each weight matrix treated as a flat vector (one variance per
    # weight, as on a landscape): not torch's factored rule.
    g = load("adafactor-default-three_classes_tanh.json")

    def unfactored(hp):
        c = _settings(hp)

        def step(t, params, grads, state):
            before = state.tensors or ({},) * len(params)
            moved, kept = [], []
            for p, g_, bufs in zip(params, grads, before, strict=True):
                flat, new, _ = adafactor_step(c, t, p.ravel(), g_.ravel(), bufs, 1)
                moved.append(flat.reshape(p.shape))
                kept.append(new)
            return moved, AdafactorTensors(state.layout, tuple(kept))

        return TensorRule(AdafactorTensors.fresh, step)

    wrong = dataclasses.replace(ADAFACTOR, tensors=TensorBinder(unfactored, AdafactorTensors))
    assert_parts(engine_run(g, wrong), g)


def _by_symbol(e, symbol):
    (q,) = [q for q in e.quantities if q.symbol == symbol]
    return q.values[0]


def test_a_weight_in_a_matrix_is_explained_by_its_row_and_column():
    run = _network_run(4)
    j = weight_index(run, 0, "weight", 3, 1)  # layer 0's W[3, 1]
    e = explain_weight(run, j)
    before = run.state_json()["buffers"]
    assert e.formula == FACTORED_FORMULA
    run.advance(1)
    after = run.state_json()["buffers"]
    assert _by_symbol(e, "R") == after["row_var"][0][3][0] != before["row_var"][0][3][0]
    assert _by_symbol(e, "C") == after["col_var"][0][0][1]
    vhat = _by_symbol(e, "R") * _by_symbol(e, "C") / np.mean(after["row_var"][0])
    assert _by_symbol(e, "v̂") == pytest.approx(vhat, rel=1e-15)
    x0, decay = e.position_before[0], 1 - 0.05 * 0.1  # 1 − lr·λ
    alpha, u, denom = (_by_symbol(e, k) for k in ("αₜ", "U", "max(1, RMS(U)/d)"))
    assert e.position_after[0] == pytest.approx(x0 * decay - alpha / denom * u, rel=1e-14)
    assert e.position_after[0] == run.theta[j]
    assert e.substituted[-1].startswith("Δx = ")


def test_a_bias_is_explained_by_its_own_variance():
    run = _network_run(4)
    j = weight_index(run, 0, "bias", 2)
    e = explain_weight(run, j)
    assert e.formula == ADAFACTOR.formula
    run.advance(1)
    assert _by_symbol(e, "v") == run.state_json()["buffers"]["variance"][1][2]
    assert e.position_after[0] == run.theta[j]


def test_the_factored_formula_names_every_symbol_it_uses():
    undefined, stale = undefined_and_stale(FACTORED_FORMULA, FACTORED_SYMBOLS)
    assert not undefined and not stale
