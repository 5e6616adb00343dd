"""Schedule-Free AdamW and Prodigy where their reference packages are unusual (the goldens
hold the rest): Schedule-Free's weight decay at y and its averaged point; Prodigy's early
return on a zero gradient, its first jump past growth_rate, and its state read back."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.engine.errors import StateError
from app.engine.optimizers import OPTIMIZERS
from app.engine.optimizers.interface import Given
from app.engine.run import run, start_state
from app.engine.surfaces import SURFACES

SCHEDULEFREE, PRODIGY = OPTIMIZERS["schedulefree_adamw"], OPTIMIZERS["prodigy"]


def test_schedulefree_decays_at_y_inside_the_normalised_gradient() -> None:
    # First step: c = 1, so x₁ = z₀ − lr·ĝ with ĝ = g/(|g| + ε) + λ·x₀ (neither torch's L2
    # nor its 1 − lr·λ shrink: the case's decoupled_x is "own").
    lr, lam, x, g = 0.1, 0.3, 1.7, -0.4
    rule = SCHEDULEFREE.bind(SCHEDULEFREE.validate({"lr": lr, "weight_decay": lam}))
    (y,), state, _ = rule.step(Given((x,), lambda p: (g,)), 1, (x,), rule.init(1))
    denom = math.sqrt((1 - 0.999) * g * g / (1 - 0.999)) + 1e-8
    assert y == pytest.approx(x - lr * (g / denom + lam * x), rel=1e-15)
    assert state.buffer("z") == (y,)  # with c = 1 the ball is z


def test_schedulefree_average_is_the_eval_point_and_a_crowd_records_its_own() -> None:
    surface, opt = SURFACES["himmelblau"], SCHEDULEFREE
    hp = opt.validate({"lr": 0.05})
    one, _ = run(surface, opt, hp, start_state(surface, opt, np.array([0.0, 0.0])), 30)
    assert one.averages[0] == (0.0, 0.0)  # no z yet: x is the ball
    y, x = np.array(one.positions[-1]), np.array(one.averages[-1])
    _, r = run(surface, opt, hp, start_state(surface, opt, np.array([0.0, 0.0])), 30)
    z = np.array(r.buffers.buffer("z"))
    np.testing.assert_allclose(y, 0.1 * z + 0.9 * x, rtol=1e-13)  # ball = (1 − β₁)·z + β₁·x̄
    starts = np.array([[0.0, 0.0], [1.0, -1.0]])
    crowd, _ = run(surface, opt, hp, start_state(surface, opt, starts), 30)
    np.testing.assert_array_equal(crowd.arrays((2,))["averages"][:, 0], one.arrays(())["averages"])
    assert opt.average is not None
    assert opt.average(r.buffers, r.position, {**hp, "betas": (0.0, 0.999)}) is None


def test_prodigy_does_not_count_a_step_with_no_gradient() -> None:
    # The package returns early while Σ|s| is 0: no move, d and k unchanged.
    rule = PRODIGY.bind(PRODIGY.validate({}))
    (x,), state, _ = rule.step(
        Given((0.5,), lambda p: (0.0,), lambda p: 0.0), 1, (0.5,), rule.init(1)
    )
    assert x == 0.5 and state.memory.k == 0 and state.memory.d == 1e-6
    (x,), state, _ = rule.step(Given((0.5,), lambda p: (1.0,), lambda p: 0.0), 2, (0.5,), state)
    assert x < 0.5 and state.memory.k == 1


def test_prodigys_first_jump_from_d0_ignores_growth_rate() -> None:
    # While d is still d₀ it becomes max(d, d̂) at once; growth_rate limits later growth only.
    surface = SURFACES["roll_downhill"]
    hp = PRODIGY.validate({"growth_rate": 1.02})
    trace, _ = run(surface, PRODIGY, hp, start_state(surface, PRODIGY, np.array([3.5])), 40)
    d = np.array(trace.step_sizes[1:], dtype=np.float64)
    jumps = d[1:] / d[:-1]
    first = int(np.argmax(jumps > 1))
    assert jumps[first] > 1.02 and (jumps[first + 1 :] <= 1.02 * (1 + 1e-12)).all()


def test_prodigy_state_is_read_back_and_checked() -> None:
    surface = SURFACES["himmelblau"]
    hp = PRODIGY.validate({"betas": [0.0, 0.99]})  # no exp_avg with β₁ = 0
    _, r = run(surface, PRODIGY, hp, start_state(surface, PRODIGY, np.array([0.5, -1.0])), 5)
    raw = r.buffers.to_json(())
    assert raw["exp_avg"] is None and raw["k"] == 5
    assert PRODIGY.state.from_json(raw, (), 2) == r.buffers
    for key, bad, why in (
        ("d", 0.0, "positive"),
        ("k", 1.5, "whole number"),
        ("s", [1.0], "2 coordinate"),
        ("exp_avg_sq", [-1.0, 0.0], "negative"),
        ("p0", None, "missing"),
    ):
        with pytest.raises(StateError, match=why) as info:
            PRODIGY.state.from_json({**raw, key: bad}, (), 2)
        assert info.value.field.endswith(key)
