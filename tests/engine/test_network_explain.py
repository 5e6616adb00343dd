"""The Update rule panel for one weight: the explanation is the step the run then takes."""

from __future__ import annotations

import pytest

from app.engine.networks.data import NetworkError
from app.engine.networks.explain import explain_weight, weight_index
from app.engine.networks.scenario import build
from app.engine.optimizers import OPTIMIZERS


def _run(optimizer: str, steps: int = 4):
    lr = {"adadelta": 1.0, "lbfgs": 1.0, "newton": 0.5, "rprop": 0.01}.get(optimizer, 0.05)
    s = build(
        {
            "data": {"dataset": "xor", "points": 40},
            "model": {"hidden": [3]},
            "optimizers": [{"optimizer": optimizer, "hyperparameters": {"lr": lr}}],
            "options": {"batch_size": 10},
        }
    )
    run = s.start(0)
    run.advance(steps)
    return run


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_the_explained_step_is_the_step_the_run_takes(optimizer):
    run = _run(optimizer, steps=1 if optimizer in ("lbfgs", "newton") else 4)
    j = weight_index(run, 1, "weight", 0, 2)
    e = explain_weight(run, j)
    before = float(run.theta[j])
    run.advance(1)
    if run.status == "diverged":
        return
    assert e.step == run.step
    assert e.position_before == (before,)
    assert e.position_after[0] == pytest.approx(float(run.theta[j]), rel=1e-15, abs=1e-300)
    assert e.substituted[-1].startswith("Δx") or "share of the step" in e.substituted[-1]


def test_adams_buffers_are_the_weights_own():
    run = _run("adam")
    j = weight_index(run, 0, "bias", 2)
    e = explain_weight(run, j)
    exp_avg = run.buffers.buffer("exp_avg")[0]
    assert e.buffers_before["exp_avg"] == [float(exp_avg[j])]
    assert any("m̂" in q.symbol for q in e.quantities)


def test_a_weight_that_does_not_exist_is_named():
    run = _run("sgd")
    with pytest.raises(NetworkError, match="weight.row"):
        weight_index(run, 0, "weight", 3, 0)
    with pytest.raises(NetworkError, match="weight.col"):
        weight_index(run, 1, "weight", 0, 3)
    with pytest.raises(NetworkError, match="weight.layer"):
        weight_index(run, 2, "bias", 0)


def test_with_sam_the_explained_gradient_is_the_one_at_the_ascent_point():
    s = build(
        {
            "data": {"dataset": "xor", "points": 40},
            "model": {"hidden": [3]},
            "optimizers": [{"optimizer": "adam", "hyperparameters": {"lr": 0.05}}],
            "options": {"batch_size": 10, "sam_rho": 0.1},
        }
    )
    run = s.start(0)
    run.advance(3)
    j = weight_index(run, 1, "weight", 0, 2)
    e = explain_weight(run, j)
    (g,) = [q for q in e.quantities if q.symbol == "g"]
    assert "θ + e" in g.meaning and e.evaluations == 2
    assert e.substituted[0].startswith("g = ∂L/∂θ at θ + e")
    before = float(run.theta[j])
    run.advance(1)
    assert e.position_before == (before,)
    assert e.position_after[0] == pytest.approx(float(run.theta[j]), rel=1e-15, abs=1e-300)
