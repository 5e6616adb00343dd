"""Training a network with the engine's optimizers: every optimizer learns, a crowd of P
parameters steps exactly as one ball in P dimensions, resuming gives the unbroken run, and
mini-batches, schedules and clipping are the bench's own."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.errors import StateError
from app.engine.networks.data import generate
from app.engine.networks.model import init_weights, loss_and_grad
from app.engine.networks.train import NetworkRun, setup
from app.engine.optimizers import OPTIMIZERS
from app.engine.optimizers.interface import BallState, Given
from app.engine.run.batches import epoch_order
from app.engine.run.options import validate_options
from app.engine.run.schedules import bind_schedule

LR = {
    "sgd": 0.5,
    "adagrad": 0.1,
    "rmsprop": 0.01,
    "adam": 0.02,
    "adamw": 0.02,
    "adamax": 0.02,
    "nadam": 0.02,
    "radam": 0.05,
    "adadelta": 1.0,
    "rprop": 0.01,
    "lion": 0.002,
    "newton": 0.5,
    "lbfgs": 1.0,
    "sgld": 0.2,
    "asgd": 0.5,
    "adafactor": 0.05,
    "schedulefree_adamw": 0.05,
    "prodigy": 1.0,
    "muon": 0.02,
}


COORDINATEWISE = [
    o
    for o in OPTIMIZERS
    if OPTIMIZERS[o].tensors is None and not issubclass(OPTIMIZERS[o].state, BallState)
]


def _setup(hidden=(4,), activation="tanh", dataset="xor", points=40, **kw):
    data = generate(dataset, points, 0.1, 0)
    features = ("x1", "x2") if data.x.shape[1] == 2 else ("x1",)
    return setup(data, features, hidden, activation, **kw)


def _run(s, optimizer, hp=None, steps=0, **kw):
    opt = OPTIMIZERS[optimizer]
    hp = opt.validate({"lr": LR[optimizer], **(hp or {})})
    run = NetworkRun(s, opt, hp, theta0=init_weights(s.spec, "xavier", 1), **kw)
    trace = run.advance(steps)
    return run, trace


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_trains_the_network(optimizer):
    assert set(LR) == set(OPTIMIZERS)
    s = _setup(hidden=(3,) if optimizer == "newton" else (4,))
    steps = 40 if optimizer in ("newton", "lbfgs") else 150
    hp = {"temperature": 1e-4} if optimizer == "sgld" else None
    run, trace = _run(s, optimizer, hp=hp, steps=steps)
    assert trace.step[0] == 0 and trace.step[-1] == run.step
    if optimizer == "newton":  # it heads for the nearest stationary point, here a saddle
        assert trace.grad_norm[-1] < 0.2 * trace.grad_norm[1]
    else:
        assert trace.train_loss[-1] < 0.9 * trace.train_loss[0], optimizer
    assert run.outcome().code in ("converged", "still_improving", "overfitting")


@pytest.mark.parametrize("optimizer", COORDINATEWISE)
def test_a_crowd_of_parameters_steps_as_one_ball_of_p_dimensions(optimizer):
    """The network's coordinate-wise path (P balls of one dimension, numpy) against the same
    rule on θ as one ball (a tuple of P floats): the same numbers."""
    names = {h.name for h in OPTIMIZERS[optimizer].hyperparameters}
    hp = {"weight_decay": 0.01} if "weight_decay" in names else {}
    if optimizer == "sgld":
        hp["temperature"] = 0.0  # Given's draws are zeros; the crowd's are the seed's
    s = _setup()
    run, _ = _run(s, optimizer, hp=hp)
    rule = OPTIMIZERS[optimizer].bind(run.hyperparameters)
    x = tuple(init_weights(s.spec, "xavier", 1).tolist())
    state = rule.init(len(x))

    def grad(p):
        return tuple(loss_and_grad(s.spec, np.array(p), s.x_train, s.y_train)[1].tolist())

    for t in range(1, 21):
        x, state, _ = rule.step(Given(x, grad), t, x, state)
    run.advance(20)
    np.testing.assert_allclose(run.theta, np.array(x), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_a_resumed_run_is_the_unbroken_run(optimizer):
    s = _setup(hidden=(3,), test_ratio=0.25)
    # mini-batches for the coordinate-wise rules; a whole-vector rule's step on 7 points
    # (a curvature from a handful of points) flies off
    batch = 7 if optimizer in COORDINATEWISE else len(s.y_train)
    options = validate_options({"batch_size": batch, "seed": 3}, len(s.y_train))
    # L-BFGS converges at step 3; Newton flies off at step 4 (it heads for a saddle)
    total, cut = (3, 1) if optimizer in ("lbfgs", "newton") else (30, 12)
    whole, trace = _run(s, optimizer, steps=total, options=options)
    first, _ = _run(s, optimizer, steps=cut, options=options)
    opt = OPTIMIZERS[optimizer]
    resumed = NetworkRun(
        s,
        opt,
        first.hyperparameters,
        theta0=np.zeros(s.spec.size),
        options=options,
        state=first.state_json(),
    )
    rest = resumed.advance(total - cut)
    assert rest.step[0] == cut + 1
    np.testing.assert_array_equal(resumed.theta, whole.theta)
    assert rest.train_loss == trace.train_loss[cut + 1 :]
    assert resumed.outcome() == whole.outcome()


def test_a_state_for_another_network_is_refused_naming_the_field():
    s = _setup(hidden=(3,))
    run, _ = _run(s, "adam", steps=2)
    state = run.state_json()
    bigger = _setup(hidden=(5,))
    with pytest.raises(StateError, match="theta"):
        NetworkRun(bigger, run.optimizer, run.hyperparameters, theta0=np.zeros(1), state=state)
    with pytest.raises(StateError, match="buffers.exp_avg"):
        NetworkRun(
            s,
            run.optimizer,
            run.hyperparameters,
            theta0=np.zeros(1),
            state={**state, "buffers": {**state["buffers"], "exp_avg": [1.0]}},
        )


def test_mini_batches_are_the_shuffled_epochs_of_the_bench():
    s = _setup(points=40, test_ratio=0.25)  # 30 training points
    options = validate_options({"batch_size": 8, "seed": 5}, len(s.y_train))
    run, trace = _run(s, "sgd", steps=9, options=options)
    assert trace.epoch == [0, 1, 1, 1, 1, 2, 2, 2, 2, 3]
    assert trace.batch == [0, 1, 2, 3, 4, 1, 2, 3, 4, 1]
    order = epoch_order(5, 1, 30)
    assert run.batch_at(5)[:2] == (2, 1)
    assert run.batch_at(5)[2].tolist() == order[:8].tolist()
    assert run.batch_at(8)[2].tolist() == order[24:].tolist()  # the last batch is smaller


def test_a_schedule_sets_each_steps_learning_rate():
    s = _setup()
    schedule = bind_schedule("step", {"step_size": 5, "gamma": 0.5})
    _, trace = _run(s, "sgd", steps=12, schedule=schedule)
    assert trace.lr[1:] == [0.5] * 5 + [0.25] * 5 + [0.125] * 2


def test_clipping_bounds_the_gradient_over_all_parameters():
    s = _setup(hidden=(8, 8))
    options = validate_options({"clip_grad_norm": 0.05}, len(s.y_train))
    _, plain = _run(s, "sgd", steps=5)
    _, clipped = _run(s, "sgd", steps=5, options=options)
    assert max(plain.grad_norm[1:]) > 0.05
    assert max(clipped.grad_norm[1:]) == pytest.approx(0.05, rel=1e-4)


def test_a_too_large_step_diverges_and_is_not_recorded():
    s = _setup(dataset="sine", activation="relu", hidden=(8,))
    run, trace = _run(s, "sgd", hp={"lr": 50.0}, steps=50)
    assert run.status == "diverged" and run.outcome().code == "diverged"
    assert all(np.isfinite(trace.train_loss)) and len(trace.step) < 51


def test_newton_is_refused_on_a_network_too_big_for_its_hessian():
    from app.engine.networks.data import NetworkError
    from app.engine.networks.scenario import NEWTON_MAX_WEIGHTS, build

    body = {
        "model": {"hidden": [16, 16]},
        "optimizers": [{"optimizer": "adam"}, {"optimizer": "newton"}],
    }
    with pytest.raises(
        NetworkError, match=rf"optimizers\.1\.optimizer.*at most {NEWTON_MAX_WEIGHTS}"
    ):
        build(body)
    body["model"] = {"hidden": [4]}
    assert build(body).setup.spec.size < NEWTON_MAX_WEIGHTS


def test_muon_is_refused_on_a_network_without_a_hidden_layer():
    # Muon's part of the recipe is the hidden layers' weight matrices: with none, nothing.
    from app.engine.networks.data import NetworkError
    from app.engine.networks.scenario import build

    body = {"model": {"hidden": []}, "optimizers": [{"optimizer": "adam"}, {"optimizer": "muon"}]}
    with pytest.raises(NetworkError) as info:
        build(body)
    assert info.value.field == "model.hidden"
    assert "optimizers.1" in info.value.reason and "add one, or pick AdamW" in info.value.reason
    body["model"] = {"hidden": [3]}
    assert build(body).racers[1].optimizer.id == "muon"
