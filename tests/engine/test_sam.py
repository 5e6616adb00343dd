"""SAM and ASAM as run options around any first-order optimizer: the step, written out by
hand; its record (ascent points and gradients, two evaluations a step); crowds, resume and
the other options; the network's second pass over the batch; what it refuses."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from app.engine.backend import SCALAR
from app.engine.errors import HyperparameterError
from app.engine.maps.crowd import Setting
from app.engine.maps.sizes import basins_seconds
from app.engine.networks.data import generate
from app.engine.networks.model import loss_and_grad
from app.engine.networks.train import NetworkRun, init_weights, setup
from app.engine.optimizers import OPTIMIZERS
from app.engine.run import RunState, run, start_state
from app.engine.run.explain import explain
from app.engine.run.options import (
    SAM_EPS,
    RunOptions,
    apply_options,
    sam_ascent,
    sam_ascent_vector,
    step_noise,
    validate_options,
)
from app.engine.run.runner import Run
from app.engine.surfaces import SURFACES
from app.engine.surfaces.models import ModelSpec, model_surface

from .optimizer_cases import CASES

NO_STOP = {"grad_tol": 0.0, "step_tol": 0.0}
SAM = {"sam_rho": 0.2}
ASAM = {"sam_rho": 0.5, "sam_adaptive": True, "sam_eta": 0.05}
# The rules SAM wraps: every first-order one (L-BFGS and Newton evaluate for themselves).
WRAPPED = sorted(oid for oid, o in OPTIMIZERS.items() if o.group != "second-order")


def go(sid: str, oid: str, hp: dict[str, Any], start: Any, steps: int, options: dict[str, Any]):
    surface, opt = SURFACES[sid], OPTIMIZERS[oid]
    state = start_state(surface, opt, np.asarray(start, dtype=np.float64))
    return run(
        surface,
        opt,
        opt.validate(hp),
        state,
        steps,
        options=validate_options(options),
        **NO_STOP,
    )


def grad(sid: str, p: np.ndarray) -> np.ndarray:
    return np.array(SURFACES[sid].grad(SCALAR, *map(float, p)))


def by_hand(sid: str, start: tuple[float, ...], lr: float, steps: int, o: RunOptions) -> list:
    """Plain SGD with SAM (or ASAM), Algorithm 1 of Foret et al. written out."""
    x = np.array(start, dtype=np.float64)
    out = [x.copy()]
    for _ in range(steps):
        g = grad(sid, x)
        if o.sam_adaptive:
            t = np.abs(x) + o.sam_eta
            e = o.sam_rho * t * t * g / (np.linalg.norm(t * g) + SAM_EPS)
        else:
            e = o.sam_rho * g / (np.linalg.norm(g) + SAM_EPS)
        x = x - lr * grad(sid, x + e)
        out.append(x.copy())
    return out


@pytest.mark.parametrize("options", [SAM, ASAM], ids=["sam", "asam"])
@pytest.mark.parametrize("sid", ["himmelblau", "sharp_and_wide", "sharp_and_wide_1d"])
def test_sgd_with_sam_is_algorithm_1_written_out(sid: str, options: dict[str, Any]) -> None:
    surface = SURFACES[sid]
    # (25 steps: ASAM's ρ = 0.5 throws the ball about Himmelblau, and after 45 steps the
    # last-place differences of the two ways of taking the norm have grown past 1e-12)
    trace, _ = go(sid, "sgd", {"lr": 0.01}, surface.start, 25, options)
    expected = by_hand(sid, surface.start, 0.01, 25, validate_options(options))
    np.testing.assert_allclose(
        np.array(trace.positions), np.array(expected), rtol=1e-12, atol=1e-14
    )


def test_the_ascent_is_rho_along_the_gradient_and_asam_scales_it_by_t_squared() -> None:
    e = np.subtract(sam_ascent(RunOptions(sam_rho=0.5), (1.0, 2.0), (3.0, 4.0)), (1.0, 2.0))
    assert np.linalg.norm(e) == pytest.approx(0.5, rel=1e-12)
    assert e / np.linalg.norm(e) == pytest.approx([0.6, 0.8])
    # ASAM: ‖T⁻¹e‖ = ρ (the ball is measured in units of T = |x| + η)
    o = RunOptions(sam_rho=0.5, sam_adaptive=True, sam_eta=0.01)
    x, g = (2.0, -0.5), (1.0, 3.0)
    e = np.subtract(sam_ascent(o, x, g), x)
    t = np.abs(x) + 0.01
    assert np.linalg.norm(e / t) == pytest.approx(0.5, rel=1e-12)
    # where the gradient vanishes SAM does not climb (ε keeps it finite)
    assert sam_ascent(RunOptions(sam_rho=0.5), (1.0,), (0.0,)) == (1.0,)
    # the network's form, over every parameter at once, agrees with one ball's
    theta, gv = np.array([2.0, -0.5]), np.array([1.0, 3.0])
    np.testing.assert_allclose(sam_ascent_vector(o, theta, gv), sam_ascent(o, x, g), rtol=1e-15)


def test_the_record_holds_the_ascent_and_counts_two_evaluations() -> None:
    sid = "sharp_and_wide"
    trace, r = go(sid, "adam", {"lr": 0.05}, SURFACES[sid].start, 20, SAM)
    nulls = r.nulls()
    assert not {"ascent_points", "ascent_gradients", "evaluations", "applied_gradients"} & nulls
    assert trace.ascent_points[0] is None and trace.evaluations[0] == 0
    assert trace.evaluations[1:] == [2] * 20
    for i in range(1, 21):
        x, a = np.array(trace.positions[i - 1]), np.array(trace.ascent_points[i])
        assert np.linalg.norm(a - x) == pytest.approx(0.2, rel=1e-9)
        assert trace.ascent_gradients[i] == SURFACES[sid].grad(SCALAR, *a)
        assert trace.applied_gradients[i] == trace.ascent_gradients[i]  # nothing else on
    # SAM off: the fields carry nothing and say so
    trace, r = go(sid, "adam", {"lr": 0.05}, SURFACES[sid].start, 5, {})
    assert {"ascent_points", "ascent_gradients", "evaluations"} <= r.nulls()
    assert set(trace.to_json(r.nulls())) >= {"ascent_points", "ascent_gradients"}
    assert trace.to_json(r.nulls())["ascent_points"] is None


@pytest.mark.parametrize("oid", sorted(set(WRAPPED) - {"sgld"}))
def test_every_wrapped_optimizer_runs_a_crowd_with_sam_like_single_balls(oid: str) -> None:
    starts = np.array([[0.0, -1.0], [-2.5, 3.0], [1.0, 1.0]])
    hp = dict(CASES[oid].resume)
    options = ASAM if oid == "adam" else SAM
    trace, _ = go("himmelblau", oid, hp, starts, 40, options)
    arrays = trace.arrays((3,))
    for i, start in enumerate(starts):
        single, _ = go("himmelblau", oid, hp, start, 40, options)
        one, n = single.arrays(()), len(single)  # (a ball thrown off stops early)
        for key in ("positions", "ascent_points", "ascent_gradients", "evaluations"):
            ours = arrays[key][:n, i]
            np.testing.assert_allclose(ours, one[key], rtol=1e-12, atol=0, err_msg=key)


def test_a_resumed_sam_run_is_bit_identical_to_an_unbroken_one() -> None:
    sid, oid = "sharp_and_wide", "adam"
    hp, start = {"lr": 0.05}, SURFACES[sid].start
    whole, _ = go(sid, oid, hp, start, 40, ASAM)
    first, r = go(sid, oid, hp, start, 25, ASAM)
    data = json.loads(json.dumps(r.state().to_json()))
    surface, opt = SURFACES[sid], OPTIMIZERS[oid]
    state = RunState.from_json(data, surface, opt)
    rest, _ = run(
        surface, opt, opt.validate(hp), state, 15, options=validate_options(ASAM), **NO_STOP
    )
    assert first.positions + rest.positions[1:] == whole.positions
    assert first.ascent_points + rest.ascent_points[1:] == whole.ascent_points


def test_noise_is_one_draw_for_both_gradients_and_clipping_only_the_second() -> None:
    """SAM with noise, float16 and clipping: the ascent comes from the noisy float16 gradient
    at x (unclipped); the optimizer gets the gradient at x + e with the same noise, in
    float16, then clipped."""
    sid = "himmelblau"
    given = {
        "sam_rho": 0.3,
        "noise": 2.0,
        "seed": 4,
        "precision": "float16",
        "clip_grad_norm": 1.0,
    }
    o = validate_options(given)
    trace, _ = go(sid, "sgd", {"lr": 0.01}, (0.0, -1.0), 5, given)
    x = np.array([0.0, -1.0])
    for step in range(1, 6):
        noise = step_noise(o, step, (), 2)
        ascent_only = RunOptions(noise=2.0, seed=4, precision="float16")
        first = apply_options(ascent_only, step, tuple(grad(sid, x)), (), noise).gradient
        a = np.array(sam_ascent(o, tuple(x), first))
        assert trace.ascent_points[step] == tuple(a)
        given_g = apply_options(
            RunOptions(noise=2.0, seed=4, precision="float16", clip_grad_norm=1.0),
            step,
            tuple(grad(sid, a)),
            (),
            noise,
        ).gradient
        assert trace.applied_gradients[step] == given_g
        assert math.hypot(*given_g) <= 1.0 + 1e-12
        x = x - 0.01 * np.array(given_g)
        assert trace.positions[step] == tuple(x)


@pytest.mark.parametrize("oid", ["lbfgs", "newton"])
def test_sam_refuses_the_rules_that_evaluate_for_themselves(oid: str) -> None:
    surface, opt = SURFACES["himmelblau"], OPTIMIZERS[oid]
    state = start_state(surface, opt, np.array(surface.start))
    with pytest.raises(HyperparameterError) as caught:
        Run(surface, opt, opt.validate({}), state, options=validate_options(SAM))
    assert caught.value.field == "sam_rho"
    assert opt.name in caught.value.reason and "set sam_rho to 0" in caught.value.reason
    Run(surface, opt, opt.validate({}), state)  # without SAM it runs


@pytest.mark.parametrize(
    ("given", "field", "words"),
    [
        ({"sam_rho": -0.1}, "sam_rho", "must be between 0.0 and 10.0"),
        ({"sam_rho": "big"}, "sam_rho", "must be a number"),
        ({"sam_adaptive": 1}, "sam_adaptive", "must be true or false"),
        ({"sam_eta": 2.0}, "sam_eta", "must be between 0.0 and 1.0"),
    ],
)
def test_sam_options_are_checked_naming_the_field(given, field, words) -> None:
    with pytest.raises(HyperparameterError) as caught:
        validate_options(given)
    assert caught.value.field == field and words in caught.value.reason


def test_the_update_rule_panel_shows_the_climb() -> None:
    sid = "sharp_and_wide"
    surface, opt = SURFACES[sid], OPTIMIZERS["adam"]
    state = start_state(surface, opt, np.array(surface.start))
    r = Run(surface, opt, opt.validate({"lr": 0.05}), state, options=validate_options(SAM))
    said = explain(r)
    names = [q.symbol for q in said.quantities]
    assert "e" in names and "x + e" in names
    (g,) = [q for q in said.quantities if q.symbol == "g"]
    assert "ascent point" in g.meaning
    assert said.evaluations == 2


def test_the_network_takes_a_second_pass_over_the_same_batch_at_the_ascent_point() -> None:
    s = setup(generate("xor", 40, 0.1, 0), ("x1", "x2"), (4,), "tanh", test_ratio=0.25)
    theta0 = init_weights(s.spec, "xavier", 0)
    sgd = OPTIMIZERS["sgd"]
    for given in (SAM, ASAM):
        options = validate_options({**given, "batch_size": 5}, len(s.y_train))
        r = NetworkRun(s, sgd, sgd.validate({"lr": 0.1}), theta0=theta0, options=options)
        r.advance(1)
        epoch, number, rows = r.batch_at(1)
        X, y = s.x_train[rows], s.y_train[rows]
        _, g = loss_and_grad(s.spec, theta0, X, y)
        if given is ASAM:
            t = np.abs(theta0) + 0.05
            e = 0.5 * t * t * g / (np.linalg.norm(t * g) + SAM_EPS)
        else:
            e = 0.2 * g / (np.linalg.norm(g) + SAM_EPS)
        _, g_sam = loss_and_grad(s.spec, theta0 + e, X, y)
        np.testing.assert_allclose(r.theta, theta0 - 0.1 * g_sam, rtol=1e-12, atol=1e-15)
    lbfgs = OPTIMIZERS["lbfgs"]
    with pytest.raises(HyperparameterError, match="set sam_rho to 0"):
        NetworkRun(s, lbfgs, lbfgs.validate({}), theta0=theta0, options=validate_options(SAM))


def test_a_sam_map_is_estimated_to_cost_more_than_the_same_map_without() -> None:
    surface, adam = SURFACES["himmelblau"], OPTIMIZERS["adam"]
    hp = adam.validate({"lr": 0.05})
    plain = basins_seconds(Setting(surface, adam, hp, steps=200))((80, 80))
    sam = basins_seconds(Setting(surface, adam, hp, validate_options(SAM), steps=200))((80, 80))
    assert 1.2 * plain < sam < 3 * plain


def test_on_a_model_with_mini_batches_both_gradients_are_the_steps_batchs() -> None:
    surface = model_surface(ModelSpec("linear", "mse", "noisy_line"))
    sgd = OPTIMIZERS["sgd"]
    options = validate_options({"sam_rho": 0.3, "batch_size": 4, "seed": 2}, surface.data_size)
    state = start_state(surface, sgd, np.array([0.0, 0.0]))
    r = Run(surface, sgd, sgd.validate({"lr": 0.05}), state, options=options, **NO_STOP)
    trace = r.advance(6)
    x = np.array([0.0, 0.0])
    for i in range(6):
        batch = r.batches.at(i + 1)
        g = np.array(batch.formulas.grad(SCALAR, *x))
        a = x + 0.3 * g / (math.sqrt(float(g @ g)) + SAM_EPS)
        ga = np.array(batch.formulas.grad(SCALAR, *a))
        np.testing.assert_allclose(trace.ascent_points[i], a, rtol=1e-14)
        np.testing.assert_allclose(trace.ascent_gradients[i], ga, rtol=1e-14)
        x = x - 0.05 * ga
        np.testing.assert_allclose(trace.positions[i], x, rtol=1e-13)
