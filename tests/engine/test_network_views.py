"""The landscape views of a run (app/engine/networks/views.py): each against what it claims to
show — the line's ends are the runs' losses, a path's projection lands where the path is,
the sharpness is the Hessian's, matching lowers the barrier — and the progress it reports."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.engine.maps.crowd import Cancelled
from app.engine.networks.data import NetworkError
from app.engine.networks.landscape import data_losses, top_eigenvalues
from app.engine.networks.model import hessian, unpack
from app.engine.networks.scenario import build
from app.engine.networks.views import DETAIL, VIEWS, Sizes, ViewRequest, compute, work

SMALL = Sizes(side=9, points=11, samples=6, lanczos=12, top=3, path=25)


def _scenario(head="bce", steps=60, optimizers=None, **model):
    data = {"bce": "circle", "ce": "three_classes", "mse": "sine"}[head]
    features = ["x1"] if head == "mse" else ["x1", "x2"]
    return build(
        {
            "data": {"dataset": data, "points": 80},
            "model": {"hidden": [6], "activation": "tanh", "features": features, **model},
            "optimizers": optimizers
            or [
                {"optimizer": "sgd", "hyperparameters": {"lr": 0.3}},
                {"optimizer": "adam", "hyperparameters": {"lr": 0.03}},
            ],
            "steps": steps,
        }
    )


def _finite(value) -> bool:
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    return not isinstance(value, float) or math.isfinite(value)


def _path(s, racer):
    run = s.start(racer)
    thetas = [run.theta.copy()]
    for _ in range(s.steps):
        run.advance(1)
        thetas.append(run.theta.copy())
    return np.array(thetas)


@pytest.mark.parametrize("head", ["bce", "ce", "mse"])
@pytest.mark.parametrize("kind", VIEWS)
def test_every_view_answers_every_task_with_plain_finite_numbers(head, kind):
    s = _scenario(head)
    counted = []
    answer = compute(s, ViewRequest(kind, SMALL), counted.append)
    assert answer["view"] == kind
    assert answer["task"] == s.setup.data.task
    assert answer["loss_name"] in ("binary cross-entropy", "cross-entropy", "mean squared error")
    assert _finite(answer)
    # the progress bar's total bounds what was reported, and is reached when nothing stops early
    assert sum(counted) == work(s, ViewRequest(kind, SMALL))


def test_the_line_runs_from_the_initial_to_the_current_weights():
    s = _scenario()
    answer = compute(s, ViewRequest("line", SMALL))
    st = s.setup
    for racer, line in enumerate(answer["racers"]):
        end = _path(s, racer)[-1]
        ends = data_losses(st.spec, np.stack([s.theta0, end]), st.x_train, st.y_train)
        assert line["train"][0] == pytest.approx(ends[0], rel=1e-12)
        assert line["train"][-1] == pytest.approx(ends[1], rel=1e-12)
        assert line["distance"] == pytest.approx(np.linalg.norm(end - s.theta0))
        rises = np.diff(line["train"]) > 1e-9
        assert line["monotone"] == (not rises.any())
        chord = np.linspace(line["train"][0], line["train"][-1], len(line["train"]))
        assert line["barrier"]["train"] == pytest.approx(max(0.0, np.max(line["train"] - chord)))


def test_a_path_on_the_random_plane_ends_at_its_centre_and_says_how_far_off_it_was():
    s = _scenario(steps=80)
    answer = compute(s, ViewRequest("plane", SMALL, racer=1, seed=3, span=0.5))
    assert answer["alphas"][0] == -0.5 and answer["alphas"][-1] == 0.5
    assert len(answer["train"]) == SMALL.side and len(answer["train"][0]) == SMALL.side
    mine, other = answer["paths"][1], answer["paths"][0]
    assert mine["step"][-1] == 80
    assert abs(mine["alpha"][-1]) < 1e-12 and abs(mine["beta"][-1]) < 1e-12
    assert mine["off"][-1] < 1e-12
    assert mine["plane_train"][-1] == pytest.approx(answer["centre"]["train"], rel=1e-12)
    # the start lies almost wholly off a random plane: the picture there is not the path
    assert mine["off"][0] > 0.9 * mine["distance"][0]
    assert mine["train"][0] != pytest.approx(mine["plane_train"][0], rel=0.05)
    # the other racer's path ends elsewhere: off the plane
    assert other["off"][-1] > 0
    # filter normalisation: each direction as long as the weights (biases left out)
    st = s.setup
    centre = _path(s, 1)[-1]
    weights_only = np.concatenate([w.ravel() for w, _ in unpack(st.spec, centre)])
    for norm in answer["direction_norms"]:
        assert norm == pytest.approx(np.linalg.norm(weights_only), rel=1e-12)


def test_the_paths_plane_is_shared_and_holds_most_of_the_paths():
    s = _scenario(steps=80)
    answer = compute(s, ViewRequest("pca", SMALL))
    share = answer["explained"]
    assert 0 < share[1] <= share[0] and share[0] + share[1] <= 1 + 1e-12
    for racer, path in enumerate(answer["paths"]):
        assert path["alpha"][0] == pytest.approx(0, abs=1e-12)  # every racer starts at θ₀
        assert path["off"][0] == pytest.approx(0, abs=1e-12)
        end = _path(s, racer)[-1]
        assert path["distance"][-1] == pytest.approx(np.linalg.norm(end - s.theta0))
    a, b = answer["alphas"], answer["betas"]
    for path in answer["paths"]:  # the grid covers every path
        assert a[0] <= min(path["alpha"]) and max(path["alpha"]) <= a[-1]
        assert b[0] <= min(path["beta"]) and max(path["beta"]) <= b[-1]
    assert answer["origin"]["train"] == pytest.approx(answer["paths"][0]["train"][0])


def test_sharpness_is_the_hessians_top_eigenvalue_beside_the_rates_limit():
    s = _scenario(
        steps=40,
        optimizers=[
            {"optimizer": "sgd", "hyperparameters": {"lr": 0.2}},
            {"optimizer": "sgd", "hyperparameters": {"lr": 0.2, "momentum": 0.5}},
            {"optimizer": "adam", "hyperparameters": {"lr": 0.01}},
        ],
    )
    answer = compute(s, ViewRequest("sharpness", SMALL))
    plain, heavy, adam = answer["racers"]
    st = s.setup
    end = _path(s, 0)[-1]
    exact = np.sort(np.linalg.eigvalsh(hessian(st.spec, end, st.x_train, st.y_train)))[::-1]
    assert plain["final"] == pytest.approx(exact[: SMALL.top].tolist(), rel=1e-6)
    assert plain["step"][0] == 0 and plain["step"][-1] == 40
    top0 = top_eigenvalues(st.spec, s.theta0, st.x_train, st.y_train, 1, SMALL.lanczos)[0]
    assert plain["top"][0] == pytest.approx(top0, rel=1e-12)
    assert plain["limit"] == pytest.approx([2 / 0.2] * len(plain["step"]))
    assert heavy["limit"][0] == pytest.approx(2 * 1.5 / 0.2)  # momentum bears 2(1 + μ)/lr
    assert not plain["preconditioned"] and adam["preconditioned"]
    ratios = np.array(plain["top"]) / np.array(plain["limit"])
    assert plain["edge"]["ratio"] == pytest.approx(np.median(ratios[-2:]))


def test_a_schedule_moves_the_limit_with_the_learning_rate():
    s = _scenario(
        steps=30,
        optimizers=[
            {
                "optimizer": "sgd",
                "hyperparameters": {"lr": 0.2},
                "schedule": {"name": "step", "parameters": {"step_size": 10, "gamma": 0.5}},
            }
        ],
    )
    racer = compute(s, ViewRequest("sharpness", SMALL))["racers"][0]
    for step, lr, limit in zip(racer["step"], racer["lr"], racer["limit"], strict=True):
        assert lr == pytest.approx(0.2 * 0.5 ** (min(step, 29) // 10))
        assert limit == pytest.approx(2 / lr)


def test_matching_the_second_seed_brings_it_nearer_and_lowers_the_barrier():
    s = _scenario(steps=300, optimizers=[{"optimizer": "adam", "hyperparameters": {"lr": 0.03}}])
    answer = compute(s, ViewRequest("seeds", SMALL))
    assert answer["seeds"] == [0, 1]
    assert answer["distance"]["after"] < answer["distance"]["before"]
    assert answer["after"]["barrier"]["train"] < answer["before"]["barrier"]["train"]
    assert answer["moved"] > 0
    # the same two ends, before and after: matching changes the place, not the function
    for line in ("before", "after"):
        assert answer[line]["train"][0] == pytest.approx(answer["ends"]["a"]["train"])
        assert answer[line]["train"][-1] == pytest.approx(answer["ends"]["b"]["train"], rel=1e-9)
    other = compute(s, ViewRequest("seeds", SMALL, second_seed=7))
    assert other["seeds"] == [0, 7]


def test_progress_that_raises_stops_the_work():
    s = _scenario(steps=200)
    calls = []

    def cancel_after_two(n):
        calls.append(n)
        if len(calls) == 2:
            raise Cancelled

    for kind in VIEWS:
        calls.clear()
        with pytest.raises(Cancelled):
            compute(s, ViewRequest(kind, DETAIL["normal"]), cancel_after_two)
        assert len(calls) == 2


def test_a_racer_that_is_not_there_is_refused_by_name():
    s = _scenario()
    for kind in ("plane", "seeds"):
        with pytest.raises(NetworkError) as caught:
            compute(s, ViewRequest(kind, SMALL, racer=2))
        assert caught.value.field == "racer"
    with pytest.raises(NetworkError) as caught:
        compute(s, ViewRequest("cone", SMALL))
    assert caught.value.field == "view"


def test_a_diverged_racer_is_drawn_as_far_as_it_went():
    s = _scenario(
        "mse", steps=50, optimizers=[{"optimizer": "sgd", "hyperparameters": {"lr": 50.0}}]
    )
    answer = compute(s, ViewRequest("line", SMALL))
    assert answer["steps"][0] < 50
    assert _finite(answer)
