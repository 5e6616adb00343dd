"""The runner: resume equivalence, batches, stopping, and resume-state validation."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from app.engine.errors import HyperparameterError, StateError
from app.engine.optimizers import OPTIMIZERS
from app.engine.run import RunState, run, start_state, status_names
from app.engine.run.options import validate_options
from app.engine.surfaces import SURFACES, Surface

from .optimizer_cases import CASES

# One configuration per optimizer that creates every buffer it can (the table of cases).
RESUME_CONFIGS = {oid: dict(case.resume) for oid, case in CASES.items()}


def go(
    sid: str,
    oid: str,
    given: dict[str, Any],
    start: Any,
    steps: int,
    **tolerances: float,
) -> tuple[Any, Any]:
    surface, opt = SURFACES[sid], OPTIMIZERS[oid]
    state = start_state(surface, opt, np.asarray(start, dtype=np.float64))
    return run(surface, opt, opt.validate(given), state, steps, **tolerances)


def resume(sid: str, oid: str, given: dict[str, Any], data: dict[str, Any], steps: int, **tol):
    surface, opt = SURFACES[sid], OPTIMIZERS[oid]
    state = RunState.from_json(data, surface, opt)
    return run(surface, opt, opt.validate(given), state, steps, **tol)


def round_trip(state: RunState, oid: str) -> dict[str, Any]:
    return json.loads(json.dumps(state.to_json(), allow_nan=False))


# --- resume equivalence -----------------------------------------------------------------


@pytest.mark.parametrize("oid", sorted(RESUME_CONFIGS))
def test_resumed_run_is_bit_identical_to_an_unbroken_one(oid: str) -> None:
    hp, no_stop = RESUME_CONFIGS[oid], {"grad_tol": 0.0, "step_tol": 0.0}
    whole, whole_run = go("roll_downhill", oid, hp, [3.5], 400, **no_stop)
    first, first_run = go("roll_downhill", oid, hp, [3.5], 137, **no_stop)
    data = round_trip(first_run.state(), oid)
    assert data["step"] == 137
    assert all(v is not None for v in data["buffers"].values()), data["buffers"]
    second, second_run = resume("roll_downhill", oid, hp, data, 263, **no_stop)

    assert second.steps[0] == 137 and second.positions[0] == first.positions[-1]
    assert first.steps + second.steps[1:] == whole.steps == list(range(401))
    assert first.positions + second.positions[1:] == whole.positions
    assert first.losses + second.losses[1:] == whole.losses
    assert first.gradients + second.gradients[1:] == whole.gradients
    assert round_trip(second_run.state(), oid) == round_trip(whole_run.state(), oid)
    assert status_names(second_run.status) == status_names(whole_run.status) == "max_steps"


@pytest.mark.parametrize("oid", sorted(RESUME_CONFIGS))
def test_resumed_batch_is_bit_identical_to_an_unbroken_one(oid: str) -> None:
    hp, no_stop = RESUME_CONFIGS[oid], {"grad_tol": 0.0, "step_tol": 0.0}
    starts = [[3.5], [-4.0], [0.5]]
    whole, _ = go("roll_downhill", oid, hp, starts, 150, **no_stop)
    first, first_run = go("roll_downhill", oid, hp, starts, 60, **no_stop)
    data = round_trip(first_run.state(), oid)
    second, _ = resume("roll_downhill", oid, hp, data, 90, **no_stop)
    a, b, c = whole.arrays((3,)), first.arrays((3,)), second.arrays((3,))
    for key in ("positions", "losses", "gradients"):
        assert np.array_equal(np.concatenate([b[key], c[key][1:]]), a[key]), key


def test_resume_with_rmsprop_momentum_switched_on() -> None:
    plain, boost, no_stop = {"lr": 0.01}, {"lr": 0.01, "momentum": 0.5}, {"grad_tol": 0.0}
    first, first_run = go("roll_downhill", "rmsprop", plain, [3.5], 50, **no_stop)
    data = round_trip(first_run.state(), "rmsprop")
    assert data["buffers"]["momentum_buffer"] is None
    # Reference for the first resumed step: a buffer born at zero, then buf = g / avg.
    plain_next, _ = resume("roll_downhill", "rmsprop", plain, data, 1, **no_stop)
    boosted, boosted_run = resume("roll_downhill", "rmsprop", boost, data, 50, **no_stop)

    assert len(boosted) == 51 and boosted.steps[-1] == 100
    assert np.isfinite(boosted.arrays(())["positions"]).all()
    assert boosted.positions[1][0] == pytest.approx(plain_next.positions[1][0], rel=1e-15)
    after = round_trip(boosted_run.state(), "rmsprop")
    assert after["buffers"]["momentum_buffer"] is not None
    # ... and the momentum really acts afterwards.
    plain_more, _ = resume("roll_downhill", "rmsprop", plain, data, 50, **no_stop)
    assert boosted.positions[-1] != plain_more.positions[-1]


def test_rprop_keeps_its_step_sizes_when_resumed_with_another_lr() -> None:
    # torch reads lr only when it creates the step sizes; a resumed run carries them on.
    hp, no_stop = {"lr": 0.05}, {"grad_tol": 0.0, "step_tol": 0.0}
    whole, _ = go("roll_downhill", "rprop", hp, [3.5], 60, **no_stop)
    _, first_run = go("roll_downhill", "rprop", hp, [3.5], 20, **no_stop)
    data = round_trip(first_run.state(), "rprop")
    second, _ = resume("roll_downhill", "rprop", {"lr": 5.0}, data, 40, **no_stop)
    assert second.positions == whole.positions[20:]


def test_resume_with_adamw_amsgrad_switched_on() -> None:
    plain, ams, no_stop = {"lr": 0.05}, {"lr": 0.05, "amsgrad": True}, {"grad_tol": 0.0}
    _, first_run = go("roll_downhill", "adamw", plain, [3.5], 30, **no_stop)
    data = round_trip(first_run.state(), "adamw")
    assert data["buffers"]["max_exp_avg_sq"] is None
    # torch's max_exp_avg_sq is born at 0, so the first AMSGrad step equals a plain one.
    plain_next, _ = resume("roll_downhill", "adamw", plain, data, 1, **no_stop)
    ams_next, ams_run = resume("roll_downhill", "adamw", ams, data, 1, **no_stop)
    assert ams_next.positions == plain_next.positions
    after = round_trip(ams_run.state(), "adamw")["buffers"]
    assert after["max_exp_avg_sq"] == after["exp_avg_sq"]


# --- batches ------------------------------------------------------------------------------


# SGLD draws fresh noise for every ball of a batch; single balls with one seed share theirs.
@pytest.mark.parametrize("oid", sorted(set(RESUME_CONFIGS) - {"sgld"}))
def test_every_optimizer_runs_a_2d_batch_exactly_like_single_balls(oid: str) -> None:
    # Himmelblau is a polynomial: numpy and Python floats round every operation alike, so
    # the numpy backend (a (2, 2) batch of 2D points) and the float one agree bit for bit.
    starts = np.array([[[0.0, -1.0], [-2.5, 3.0]], [[1.0, 1.0], [4.0, -4.5]]])
    hp, no_stop = RESUME_CONFIGS[oid], {"grad_tol": 0.0, "step_tol": 0.0}
    trace, batch_run = go("himmelblau", oid, hp, starts, 150, **no_stop)
    arrays = trace.arrays((2, 2))
    assert arrays["positions"].shape == (151, 2, 2, 2)
    for idx in np.ndindex(2, 2):
        single, single_run = go("himmelblau", oid, hp, starts[idx], 150, **no_stop)
        one, n = single.arrays(()), len(single)
        for key in ("positions", "losses", "gradients"):
            ours = arrays[key][(slice(None), *idx)]
            assert np.array_equal(ours[:n], one[key]), (key, idx)
            assert (ours[n:] == ours[n - 1]).all()  # a ball that stopped stays put
        assert status_names(single_run.status) == status_names(batch_run.status)[idx]


def test_a_batch_matches_single_balls() -> None:
    starts = np.linspace(-4.5, 4.5, 12).reshape(4, 3, 1)
    hp, no_stop = {"lr": 0.02, "momentum": 0.9}, {"grad_tol": 0.0, "step_tol": 0.0}
    trace, batch_run = go("roll_downhill", "sgd", hp, starts, 200, **no_stop)
    arrays = trace.arrays((4, 3))
    assert arrays["positions"].shape == (201, 4, 3, 1)
    assert arrays["gradients"].shape == (201, 4, 3, 1)
    assert arrays["losses"].shape == (201, 4, 3)
    assert arrays["steps"].tolist() == list(range(201))
    assert np.shape(batch_run.status) == (4, 3)
    for idx in np.ndindex(4, 3):
        single, single_run = go("roll_downhill", "sgd", hp, starts[idx], 200, **no_stop)
        one = single.arrays(())
        assert one["positions"].shape == (201, 1)
        for key in ("positions", "losses", "gradients"):
            np.testing.assert_allclose(arrays[key][(slice(None), *idx)], one[key], rtol=1e-12)
        assert status_names(single_run.status) == status_names(batch_run.status)[idx]


def test_a_2d_batch_matches_single_balls() -> None:
    starts = np.array([[-1.5, 2.5], [0.5, -0.5], [1.9, 2.9]])
    hp, no_stop = {"lr": 0.05}, {"grad_tol": 0.0, "step_tol": 0.0}
    trace, _ = go("rosenbrock", "adam", hp, starts, 300, **no_stop)
    arrays = trace.arrays((3,))
    assert arrays["positions"].shape == (301, 3, 2)
    assert arrays["gradients"].shape == (301, 3, 2)
    for i, start in enumerate(starts):
        single, _ = go("rosenbrock", "adam", hp, start, 300, **no_stop)
        one = single.arrays(())
        for key in ("positions", "losses", "gradients"):
            np.testing.assert_allclose(arrays[key][:, i], one[key], rtol=1e-12, atol=1e-300)


def test_a_resumed_2d_run_is_bit_identical_to_an_unbroken_one() -> None:
    hp, no_stop = RESUME_CONFIGS["rmsprop"], {"grad_tol": 0.0, "step_tol": 0.0}
    whole, _ = go("himmelblau", "rmsprop", hp, [0.0, -1.0], 300, **no_stop)
    first, first_run = go("himmelblau", "rmsprop", hp, [0.0, -1.0], 120, **no_stop)
    data = round_trip(first_run.state(), "rmsprop")
    assert len(data["position"]) == 2 and len(data["buffers"]["grad_avg"]) == 2
    second, _ = resume("himmelblau", "rmsprop", hp, data, 180, **no_stop)
    assert first.positions + second.positions[1:] == whole.positions
    assert first.gradients + second.gradients[1:] == whole.gradients


@pytest.mark.parametrize("kappa", [20.0, 100.0])
def test_gradient_descent_on_the_ravine_needs_lr_below_two_over_kappa(kappa: float) -> None:
    # The lesson the ravine teaches: the steep walls set the largest stable step, 2/κ.
    surface, opt = SURFACES["ravine"].with_parameters({"kappa": kappa}), OPTIMIZERS["sgd"]
    state = start_state(surface, opt, np.array(surface.start))
    _, calm = run(surface, opt, opt.validate({"lr": 1.9 / kappa}), state, 5000)
    _, wild = run(surface, opt, opt.validate({"lr": 2.1 / kappa}), state, 5000)
    assert status_names(calm.status) == "converged"
    assert status_names(wild.status) == "diverged"


def test_finished_balls_stay_put_in_a_batch() -> None:
    # The default tolerances stop each ball on its own; a ball that has stopped keeps its
    # place while the rest go on, and matches its single-ball run up to there.
    starts = [[2.5], [0.001], [-1.0]]
    trace, r = go("parabola", "sgd", {"lr": 0.1}, starts, 500)
    pos = trace.arrays((3,))["positions"]
    names = status_names(r.status)
    assert list(names) == ["converged", "converged", "converged"]
    for i, start in enumerate(starts):
        single, _ = go("parabola", "sgd", {"lr": 0.1}, start, 500)
        n = len(single)
        np.testing.assert_allclose(pos[:n, i], single.arrays(())["positions"], rtol=1e-12)
        assert (pos[n:, i] == pos[n - 1, i]).all()


# --- stopping -----------------------------------------------------------------------------


def test_converges_on_a_parabola() -> None:
    trace, r = go("parabola", "sgd", {"lr": 0.1}, [2.5], 1000)
    assert status_names(r.status) == "converged"
    assert len(trace) < 1001
    assert abs(trace.positions[-1][0]) < 1e-6


def test_diverges_on_a_parabola_with_a_large_step() -> None:
    trace, r = go("parabola", "sgd", {"lr": 1.5}, [2.5], 1000)
    assert status_names(r.status) == "diverged"
    last = trace.positions[-1][0]
    assert np.isfinite(last)
    ((lo, hi),) = SURFACES["parabola"].runaway_box()
    assert lo <= last <= hi
    # x -> -2x each step: 2.5, -5, 10, -20; -> 40 would leave the box and is not recorded.
    assert [p[0] for p in trace.positions] == [2.5, -5.0, 10.0, -20.0]


def test_max_steps_otherwise() -> None:
    trace, r = go("parabola", "sgd", {"lr": 0.01}, [2.5], 10)
    assert status_names(r.status) == "max_steps"
    assert len(trace) == 11


def quartic() -> Surface:
    """x⁴ on a huge domain: SGD with lr 1 overshoots until x⁴ and 4x³ overflow to inf,
    while x itself is still finite and well inside the runaway box."""
    return Surface(
        id="quartic",
        name="Quartic",
        formula="f(x) = x⁴",
        domain=((-1e200, 1e200),),
        start=(10.0,),
        value=lambda xp, x: x * x * x * x,
        grad=lambda xp, x: (4.0 * x * x * x,),
        hess=lambda xp, x: ((12.0 * x * x,),),
    )


@pytest.mark.parametrize("batch", [False, True])
def test_a_gradient_turning_non_finite_is_divergence(batch: bool) -> None:
    surface, opt = quartic(), OPTIMIZERS["sgd"]
    start = np.array([[10.0]] if batch else [10.0])
    state = start_state(surface, opt, start)
    trace, r = run(surface, opt, opt.validate({"lr": 1.0}), state, 100)
    shape = (1,) if batch else ()
    arrays = trace.arrays(shape)
    for key in ("positions", "losses", "gradients"):
        assert np.isfinite(arrays[key]).all(), key
    assert np.ravel(status_names(r.status)).tolist() == ["diverged"]
    # The next step lands inside the runaway box, where the gradient is infinite.
    x = float(np.ravel(arrays["positions"][-1])[0])
    g = float(np.ravel(arrays["gradients"][-1])[0])
    nxt = x - 1.0 * g
    ((lo, hi),) = surface.runaway_box()
    assert lo <= nxt <= hi
    with np.errstate(over="ignore"):
        assert not np.isfinite(4.0 * np.float64(nxt) ** 3)
    assert len(trace) == 4


@pytest.mark.parametrize("batch", [False, True])
def test_nan_update_is_divergence(batch: bool) -> None:
    # Adagrad with eps 0 at a stationary start: 0 / (sqrt(0) + 0).
    start = [[0.0]] if batch else [0.0]
    trace, r = go("parabola", "adagrad", {"eps": 0.0}, start, 10)
    assert np.ravel(status_names(r.status)).tolist() == ["diverged"]
    assert len(trace) == 1
    assert np.isfinite(trace.arrays((1,) if batch else ())["positions"]).all()


# --- resume-state validation ----------------------------------------------------------------


def state_json(**changes: Any) -> dict[str, Any]:
    _, r = go("roll_downhill", "adam", {"lr": 0.1}, [3.5], 5)
    data = round_trip(r.state(), "adam")
    data.update(changes)
    return data


def refuses(data: dict[str, Any], sid: str = "roll_downhill", oid: str = "adam") -> StateError:
    with pytest.raises(StateError) as info:
        RunState.from_json(data, SURFACES[sid], OPTIMIZERS[oid])
    assert isinstance(info.value, ValueError)
    return info.value


def test_a_good_state_is_accepted() -> None:
    state = RunState.from_json(state_json(), SURFACES["roll_downhill"], OPTIMIZERS["adam"])
    assert state.step == 5 and state.batch_shape == ()


def test_state_for_another_surface_is_refused() -> None:
    assert refuses(state_json(), sid="parabola").field == "surface"


def test_state_for_another_optimizer_is_refused() -> None:
    data = state_json()
    assert refuses(data, oid="rmsprop").field == "optimizer"


@pytest.mark.parametrize("position", [[1.0, 2.0], [], 1.0, [[1.0, 2.0]]])
def test_state_of_the_wrong_dimension_is_refused(position: Any) -> None:
    assert refuses(state_json(position=position)).field == "position"


def test_buffer_of_the_wrong_dimension_is_refused() -> None:
    data = state_json()
    data["buffers"]["exp_avg"] = [0.1, 0.2]
    assert refuses(data).field == "buffers.exp_avg"


def test_buffer_of_another_shape_is_refused() -> None:
    data = state_json()
    data["buffers"]["exp_avg"] = [[0.1], [0.2]]
    assert refuses(data).field == "buffers.exp_avg"


@pytest.mark.parametrize("name", ["exp_avg_sq", "max_exp_avg_sq"])
def test_negative_second_moment_is_refused(name: str) -> None:
    data = state_json()
    data["buffers"][name] = [-1e-6]
    err = refuses(data)
    assert err.field == f"buffers.{name}"
    assert "negative" in err.reason


NONNEGATIVE = sorted(
    (oid, name) for oid, opt in OPTIMIZERS.items() for name in getattr(opt.state, "nonnegative", ())
)


@pytest.mark.parametrize(("oid", "name"), NONNEGATIVE)
def test_every_negative_nonnegative_buffer_is_refused(oid: str, name: str) -> None:
    _, r = go("roll_downhill", oid, RESUME_CONFIGS[oid], [3.5], 5)
    data = round_trip(r.state(), oid)
    assert data["buffers"][name] is not None
    RunState.from_json(data, SURFACES["roll_downhill"], OPTIMIZERS[oid])
    data["buffers"][name] = [-1e-6]
    err = refuses(data, oid=oid)
    assert err.field == f"buffers.{name}" and "negative" in err.reason


def test_buffers_that_must_not_be_negative() -> None:
    # The ones a run can never make negative: squares and their averages, maxima of sizes,
    # the step sizes, and NAdam's product of momentum factors.
    assert set(NONNEGATIVE) >= {
        ("adamax", "exp_inf"),
        ("nadam", "mu_product"),
        ("adadelta", "square_avg"),
        ("adadelta", "acc_delta"),
        ("rprop", "step_size"),
    }


def test_negative_first_moment_is_fine() -> None:
    data = state_json()
    data["buffers"]["exp_avg"] = [-0.5]
    RunState.from_json(data, SURFACES["roll_downhill"], OPTIMIZERS["adam"])


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_a_non_finite_position_is_refused_and_a_buffer_kept(bad: float) -> None:
    # a ball is always somewhere; a buffer may have overflowed (test_resume_non_finite.py)
    assert refuses(state_json(position=[bad])).field == "position"
    data = state_json()
    data["buffers"]["exp_avg"] = [bad]
    state = RunState.from_json(data, SURFACES["roll_downhill"], OPTIMIZERS["adam"])
    assert np.array_equal(state.buffers.buffer("exp_avg"), [bad], equal_nan=True)


@pytest.mark.parametrize("step", [-1, 1.5, "3", None, True])
def test_bad_step_is_refused(step: Any) -> None:
    assert refuses(state_json(step=step)).field == "step"


def test_unknown_buffer_is_refused() -> None:
    data = state_json()
    data["buffers"]["momentum_buffer"] = [0.0]
    assert refuses(data).field == "buffers.momentum_buffer"


def test_non_numeric_position_is_refused() -> None:
    assert refuses(state_json(position=["a"])).field == "position"


def test_state_outside_the_runaway_box_is_refused() -> None:
    data = {
        "surface": "plateau_wall",
        "optimizer": "sgd",
        "step": 0,
        "position": [-200.0],
        "buffers": {},
    }
    with pytest.raises(StateError):
        RunState.from_json(data, SURFACES["plateau_wall"], OPTIMIZERS["sgd"])


# --- noise: Langevin sampling and mini-batch noise ---------------------------------------


def test_sgld_samples_the_boltzmann_distribution() -> None:
    # On f = x², x ← x − 2·lr·x + √(2·lr·T)·ξ settles to a Gaussian of variance
    # T / (2·(1 − lr)) (T/2, the variance of exp(−f/T), up to the step's own error).
    lr, temperature = 0.01, 0.5
    surface, opt = SURFACES["parabola"], OPTIMIZERS["sgld"]
    hp = opt.validate({"lr": lr, "temperature": temperature})
    starts = np.full((4000, 1), 2.0)
    trace, _ = run(surface, opt, hp, start_state(surface, opt, starts), 600)
    final = trace.arrays((4000,))["positions"][-1, :, 0]
    assert abs(final.mean()) < 0.05
    assert final.var() == pytest.approx(temperature / (2 * (1 - lr)), rel=0.08)
    cold = opt.validate({"lr": lr, "temperature": 0.0})
    sgd = OPTIMIZERS["sgd"]
    a, _ = run(surface, opt, cold, start_state(surface, opt, [2.0]), 50)
    b, _ = run(surface, sgd, sgd.validate({"lr": lr}), start_state(surface, sgd, [2.0]), 50)
    assert a.positions == b.positions  # T = 0 is gradient descent


def test_gradient_noise_shrinks_with_the_batch() -> None:
    surface, opt = SURFACES["parabola"], OPTIMIZERS["sgd"]
    hp = opt.validate({"lr": 0.0})  # stand still: every step sees the same exact gradient
    for batch in (1, 16):
        options = validate_options({"noise": 2.0, "batch_size": batch, "seed": 1})
        trace, _ = run(surface, opt, hp, start_state(surface, opt, [1.0]), 2000, options=options)
        arrays = trace.arrays(())
        noise = arrays["applied_gradients"][1:, 0] - arrays["gradients"][:-1, 0]
        assert noise.std() == pytest.approx(2.0 / np.sqrt(batch), rel=0.06)
        assert abs(noise.mean()) < 4 * 2.0 / np.sqrt(batch * 2000)


@pytest.mark.parametrize("scale", [3.0, 1000.0, 1.5])
def test_a_loss_scale_must_be_a_power_of_two(scale: float) -> None:
    with pytest.raises(HyperparameterError, match="must be a power of two"):
        validate_options({"precision": "float16", "loss_scale": scale})
    assert validate_options({"loss_scale": 1024}).loss_scale == 1024


# --- one ball's plain steps (Run._advance_plain) --------------------------------------------


@pytest.mark.parametrize("oid", sorted(RESUME_CONFIGS))
@pytest.mark.parametrize(("sid", "start"), [("roll_downhill", [3.5]), ("himmelblau", [1.0, -2.0])])
def test_one_balls_plain_steps_are_the_general_steps(oid: str, sid: str, start: list) -> None:
    """The plain path (a coordinate-wise rule called directly) and the general one (taken
    when the run records sharpness) give the same trace, state and status, bit for bit,
    at the case's settings and at the largest learning rate (thrown out, mostly)."""
    surface, opt = SURFACES[sid], OPTIMIZERS[oid]
    top = next(h.max for h in opt.hyperparameters if h.name == "lr")
    for given in (RESUME_CONFIGS[oid], {**RESUME_CONFIGS[oid], "lr": top}):
        hp = opt.validate(given)
        ran = []
        for sharpness in (False, True):
            state = start_state(surface, opt, np.asarray(start, dtype=np.float64))
            ran.append(run(surface, opt, hp, state, 300, sharpness=sharpness))
        (plain, plain_run), (general, general_run) = ran
        for field in ("steps", "positions", "losses", "gradients", "lrs", "evaluations"):
            assert getattr(plain, field) == getattr(general, field), field
        assert plain.applied_gradients == general.applied_gradients
        assert round_trip(plain_run.state(), oid) == round_trip(general_run.state(), oid)
        assert plain_run.status == general_run.status
        assert plain_run.escape == general_run.escape or np.isnan(plain_run.escape).all()
        assert plain_run.outcome() == general_run.outcome()
