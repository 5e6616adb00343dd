"""A run whose optimizer buffers hold ±inf or nan resumes exactly: float16 overflows a
gradient to ±inf, a sign-based rule (Lion) keeps stepping with it in its momentum, and the
resume state (JSON, which has no such numbers) carries it as text."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from app.engine.errors import StateError
from app.engine.optimizers import OPTIMIZERS
from app.engine.run import RunState, run, start_state
from app.engine.run.options import validate_options
from app.engine.run.state import NON_FINITE, decode_non_finite, encode_non_finite
from app.engine.surfaces import SURFACES

OVERFLOW = validate_options({"precision": "float16", "loss_scale": 65536.0})


def lion(state: RunState, steps: int):
    surface, opt = SURFACES["roll_downhill"], OPTIMIZERS["lion"]
    no_stop = {"grad_tol": 0.0, "step_tol": 0.0}
    return run(surface, opt, opt.validate({"lr": 1e-4}), state, steps, options=OVERFLOW, **no_stop)


def fresh() -> RunState:
    return start_state(SURFACES["roll_downhill"], OPTIMIZERS["lion"], np.array([3.5]))


def test_a_lion_run_with_an_infinite_momentum_resumes_bit_identically() -> None:
    whole, whole_run = lion(fresh(), 40)
    first, first_run = lion(fresh(), 15)
    data = json.loads(json.dumps(first_run.state().to_json(), allow_nan=False))  # strict JSON
    assert data["buffers"]["exp_avg"] == ["Infinity"]  # float16 overflowed: +inf kept
    assert first.positions[-1] != first.positions[0]  # and the ball still moves

    state = RunState.from_json(data, SURFACES["roll_downhill"], OPTIMIZERS["lion"])
    (momentum,) = state.buffers.buffer("exp_avg")
    assert momentum == math.inf
    second, second_run = lion(state, 25)
    assert first.positions + second.positions[1:] == whole.positions
    assert second_run.state().to_json() == whole_run.state().to_json()


def test_non_finite_numbers_round_trip_as_text() -> None:
    data = {"a": [math.inf, -math.inf, 1.5], "b": [[math.nan]], "c": None, "d": 2}
    text = json.dumps(encode_non_finite(data), allow_nan=False)
    back = decode_non_finite(json.loads(text))
    assert back["a"] == [math.inf, -math.inf, 1.5] and back["c"] is None and back["d"] == 2
    assert math.isnan(back["b"][0][0])
    assert set(NON_FINITE) == {"Infinity", "-Infinity", "NaN"}


def test_the_position_must_still_be_finite_and_other_text_is_refused() -> None:
    data = json.loads(json.dumps(lion(fresh(), 15)[1].state().to_json(), allow_nan=False))
    with pytest.raises(StateError) as info:
        RunState.from_json(
            {**data, "position": ["Infinity"]}, SURFACES["roll_downhill"], OPTIMIZERS["lion"]
        )
    assert info.value.field == "position"
    data["buffers"]["exp_avg"] = ["lots"]
    with pytest.raises(StateError) as info:
        RunState.from_json(data, SURFACES["roll_downhill"], OPTIMIZERS["lion"])
    assert info.value.field == "buffers.exp_avg"
