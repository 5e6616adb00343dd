"""Weight matching: the matched network is the same function, a shuffled copy is found out,
and two independently trained networks come closer — their barrier shrinks."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.networks.landscape import barrier, interpolate
from app.engine.networks.matching import match, permute
from app.engine.networks.model import init_weights, predict
from app.engine.networks.scenario import build

CIRCLE = ({"dataset": "circle"}, {"hidden": [16], "activation": "relu"})
SINE = ({"dataset": "sine"}, {"hidden": [16, 16], "features": ["x1"]})


def _trained(init_seed: int, steps: int = 800, task=CIRCLE):
    data, model = task
    s = build(
        {
            "data": {**data, "points": 200, "test_ratio": 0},
            "model": {**model, "init_seed": init_seed},
            "optimizers": [{"optimizer": "adam", "hyperparameters": {"lr": 0.01}}],
        }
    )
    run = s.start(0)
    run.advance(steps)
    return s.setup, run.theta


def test_a_matched_network_computes_the_same_function():
    st, a = _trained(0, 50)
    b = init_weights(st.spec, "xavier", 9)
    matched = match(st.spec, a, b)
    np.testing.assert_allclose(
        predict(st.spec, matched.theta, st.x_train), predict(st.spec, b, st.x_train), rtol=1e-12
    )
    assert not np.array_equal(matched.theta, b)  # ... from another place in weight space


def test_a_shuffled_copy_is_matched_back_to_the_original():
    st, a = _trained(0, 50)
    rng = np.random.default_rng(4)
    orders = tuple(rng.permutation(u) for u in st.spec.hidden)
    shuffled = permute(st.spec, a, orders)
    assert not np.array_equal(shuffled, a)
    np.testing.assert_array_equal(match(st.spec, a, shuffled).theta, a)


@pytest.mark.parametrize("task", [CIRCLE, SINE], ids=["circle relu", "sine tanh"])
def test_matching_shrinks_the_barrier_between_two_seeds(task):
    st, a = _trained(0, task=task)
    _, b = _trained(1, task=task)
    before = barrier(interpolate(st.spec, a, b, st.x_train, st.y_train, 21))
    matched = match(st.spec, a, b)
    after = barrier(interpolate(st.spec, a, matched.theta, st.x_train, st.y_train, 21))
    assert before > 0.3  # two seeds, two valleys on the straight line ...
    assert after < 0.25 * before  # ... much less so once the units are lined up
    assert np.linalg.norm(matched.theta - a) < np.linalg.norm(b - a)
