"""How a run ended (app.engine.run.outcome.decide), checked on real runs of the runner.

Each scenario first asserts what the ball actually does (what a student sees on the
plot), then the word for it.  Scenarios 1-7 are sentences the page (static/js/verdict.js)
gets wrong today; the table below them gives every outcome at least one real run, and a
few synthetic Endings pin rules no catalog run reaches cleanly.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from app.engine.backend import SCALAR
from app.engine.optimizers import OPTIMIZERS
from app.engine.run import Trace, run, start_state
from app.engine.run.options import validate_options
from app.engine.run.outcome import OUTCOMES, WINDOW, Ending, Outcome, decide
from app.engine.surfaces import SURFACES

# --- a finished run, and how it ended ---------------------------------------------------


def simulate(
    sid: str,
    oid: str,
    given: dict[str, Any],
    start: Any,
    steps: int,
    options: dict[str, Any] | None = None,
) -> tuple[Outcome, Ending, Trace]:
    surface, opt = SURFACES[sid], OPTIMIZERS[oid]
    hp, opts = opt.validate(given), validate_options(options or {})
    state = start_state(surface, opt, np.asarray(start, dtype=np.float64))
    trace, r = run(surface, opt, hp, state, steps, options=opts)
    ending = r.ending()
    assert r.outcome() == decide(surface, ending)
    return r.outcome(), ending, trace


def xs(trace: Trace) -> np.ndarray:
    return np.array([p[0] for p in trace.positions])


def index_of(sid: str, position: tuple[float, ...]) -> int:
    minima = SURFACES[sid].minima
    return min(range(len(minima)), key=lambda i: math.dist(minima[i].position, position))


# --- the sentences the page gets wrong today ----------------------------------------------


def test_1_heavy_momentum_swinging_far_off_the_plot_is_bouncing_not_crawling() -> None:
    got, end, trace = simulate("roll_downhill", "sgd", {"lr": 1.0, "momentum": 0.9}, [3.5], 1000)
    x = xs(trace)
    assert end.status == "max_steps"
    assert end.position[0] == pytest.approx(24.787, abs=1e-3)  # off the plot's [-5, 5]
    # Swings of ±20 to the very end, never leaving the runaway box [-50, 50] nor settling:
    assert x[-100:].min() < -20 and x[-100:].max() > 20 and np.abs(x).max() < 30
    assert np.sign(np.diff(x[-WINDOW:])).tolist().count(-1) > 10  # both ways in the window
    assert got == Outcome("bouncing", None)


def test_2_lbfgs_sitting_on_a_local_minimum_is_that_minimum_not_short_of_one() -> None:
    got, end, trace = simulate("roll_downhill", "lbfgs", {}, [1.5], 1000)
    # One step lands on x = 1.88476 and L-BFGS never moves again, yet its gradient
    # (-2.1e-6) stays above the runner's tolerance: max_steps, positions identical.
    assert end.status == "max_steps"
    assert len(set(trace.positions[1:])) == 1
    assert end.position[0] == pytest.approx(1.8847560, abs=1e-6)
    assert 1e-6 < abs(end.gradient[0]) < 1e-5
    assert got == Outcome("local_minimum", index_of("roll_downhill", (1.885,)))
    assert SURFACES["roll_downhill"].minima[got.minimum].kind == "local"


def test_3_adagrad_a_hair_from_himmelblaus_minimum_is_there_not_crawling() -> None:
    got, end, _ = simulate("himmelblau", "adagrad", {"lr": 0.1}, [0.0, -1.0], 1000)
    assert end.status == "max_steps"  # not converged: |∇f| is still 0.02
    assert math.hypot(*end.gradient) > 1e-2
    assert math.dist(end.position, (3.0, 2.0)) < 1e-3
    assert got == Outcome("global_minimum", index_of("himmelblau", (3.0, 2.0)))


def test_4_lbfgs_on_the_saddle_runs_away_downhill_it_does_not_diverge() -> None:
    got, end, _ = simulate("saddle", "lbfgs", {}, [1.8, 0.01], 1000)
    assert end.status == "diverged" and len(end.recent) == 1  # its very first step
    assert end.escape is not None and end.escape_loss is not None
    assert abs(end.escape[1]) > 1000  # far out along y, where f = x² − y² falls away
    assert end.escape_loss < -1e7 < end.loss
    assert got == Outcome("ran_away", None)


@pytest.mark.parametrize(
    ("sid", "oid", "given", "start", "options", "near"),
    [
        ("roll_downhill", "sgd", {"lr": 0.05}, [3.5], {"noise": 0.5}, (1.885,)),
        ("himmelblau", "sgld", {"lr": 0.01, "temperature": 0.1}, [0.0, -1.0], {}, (3.58, -1.85)),
        ("parabola", "sgld", {"lr": 0.01, "temperature": 1.0}, [2.5], {}, (0.0,)),
    ],
)
def test_5_noise_around_a_minimum_is_jittering_not_a_too_large_learning_rate(
    sid: str, oid: str, given: dict, start: list, options: dict, near: tuple
) -> None:
    got, end, trace = simulate(sid, oid, given, start, 1000, options)
    steps = np.diff(np.array(end.recent), axis=0)
    reversals = (np.sum(steps[1:] * steps[:-1], axis=1) < 0).mean()
    assert end.status == "max_steps"
    assert reversals > 0.3  # what today's reversal count takes for bouncing
    assert np.linalg.norm(steps, axis=1).max() > 0.01  # it keeps moving ...
    assert math.dist(np.mean(end.recent, axis=0), near) < 0.3  # ... around the minimum
    assert got == Outcome("jittering", index_of(sid, near))


def test_6_undamped_newton_settles_on_a_hilltop_a_maximum() -> None:
    got, end, _ = simulate("roll_downhill", "newton", {}, [3.632], 100)
    assert end.status == "converged"
    assert end.position[0] == pytest.approx(3.6322952, abs=1e-6)
    assert SURFACES["roll_downhill"].hess(SCALAR, *end.position)[0][0] < -9  # f'' < 0
    assert got == Outcome("maximum", None)


def test_7_a_converged_ball_far_out_on_the_plateau_is_on_a_plateau() -> None:
    got, end, _ = simulate("plateau_wall", "sgd", {"lr": 0.1}, [12.0], 1000)
    assert end.status == "converged" and len(end.recent) == 2  # after one step
    assert 1e-10 < end.gradient[0] < 1e-9  # not zero: just too small for the tolerance
    assert math.dist(end.position, SURFACES["plateau_wall"].minima[0].position) > 10
    assert got == Outcome("plateau", None)


# --- every outcome from real runs ---------------------------------------------------------


def case(
    kind: str,
    sid: str,
    oid: str,
    given: dict[str, Any],
    start: list[float],
    steps: int,
    near: tuple[float, ...] | None = None,
    **options: Any,
) -> Any:
    """A real run expected to end as ``kind`` (near that minimum of the surface's)."""
    return pytest.param(
        kind, sid, oid, given, start, steps, near, options, id=f"{kind}-{sid}-{oid}"
    )


WOLFE = {"line_search_fn": "strong_wolfe"}
COOL = {"lr": 0.01, "temperature": 0.01}  # SGLD, a tenth of its default temperature

REAL_RUNS = [
    case("global_minimum", "roll_downhill", "sgd", {"lr": 0.05}, [-1.5], 1000, (-0.628,)),
    case("global_minimum", "rosenbrock", "lbfgs", WOLFE, [-1.5, 2.5], 1000, (1.0, 1.0)),
    case("global_minimum", "parabola", "sgd", {"lr": 0.1, "momentum": 0.9}, [2.5], 200, (0.0,)),
    case("local_minimum", "double_well", "sgd", {"lr": 0.05}, [1.8], 1000, (0.96,)),
    case("local_minimum", "six_hump_camel", "lbfgs", {}, [-1.5, -1.0], 300, (-1.70, 0.80)),
    # a valley floor off the plotted domain [-5, 5]: a minimum surface.minima does not hold
    case("local_minimum", "roll_downhill", "sgd", {"lr": 0.05}, [7.0], 1000),
    # started exactly on the x axis, GD slides into the saddle point and stops there
    case("saddle", "saddle", "sgd", {"lr": 0.1}, [1.8, 0.0], 1000),
    case("saddle", "saddle", "newton", {}, [1.8, 0.01], 10),
    case("maximum", "roll_downhill", "newton", {}, [3.5], 100),
    case("plateau", "plateau_wall", "sgd", {"lr": 0.01}, [7.0], 1000),
    case("plateau", "plateau_wall", "sgd", {"lr": 0.01}, [10.0], 1000, noise=1e-3),
    case("ran_away", "parabola", "sgd", {"lr": 0.1, "maximize": True}, [2.5], 1000),
    # still inside the runaway box when the steps run out, but off the plot and going
    case("ran_away", "parabola", "sgd", {"lr": 0.1, "maximize": True}, [2.5], 10),
    case("ran_away", "saddle", "sgd", {"lr": 0.01}, [1.8, 0.01], 300),
    case("ran_away", "saddle", "sgd", {"lr": 0.01}, [1.8, 0.01], 1000),
    case("diverged", "parabola", "sgd", {"lr": 1.01}, [2.5], 1000),
    case("diverged", "himmelblau", "sgd", {"lr": 0.05}, [0.0, -1.0], 1000, noise=0.5),
    case("float16_stuck", "plateau_wall", "sgd", {"lr": 0.1}, [12.0], 1000, precision="float16"),
    case("stalled", "rosenbrock", "lbfgs", {"tolerance_change": 0.01}, [-1.5, 2.5], 300),
    case("stalled", "himmelblau", "lbfgs", {"tolerance_change": 0.01}, [0.0, -1.0], 300),
    case("bouncing", "roll_downhill", "sgd", {"lr": 1.2}, [3.5], 1000),
    case("bouncing", "parabola", "sgd", {"lr": 0.99}, [2.5], 100),
    case("crawling", "rosenbrock", "sgd", {"lr": 1e-4}, [-1.5, 2.5], 1000),
    case("crawling", "rosenbrock", "sgd", {"lr": 1e-4}, [-1.5, 2.5], 1000, noise=1.0),
    # without a line search L-BFGS creeps along the banana valley by 1e-5 a step
    case("crawling", "rosenbrock", "lbfgs", {}, [-1.5, 2.5], 1000),
    # momentum's swings dying out on the way into the parabola's minimum: not bouncing
    case("crawling", "parabola", "sgd", {"lr": 0.1, "momentum": 0.9}, [2.5], 60),
    case("crawling", "parabola", "sgd", {"lr": 0.1}, [2.5], 0),  # no step taken yet
    case("jittering", "roll_downhill", "sgld", COOL, [3.5], 1000, (1.885,)),
    # hot SGLD hopping between two basins: moved by the temperature, around no one minimum
    case("jittering", "roll_downhill", "sgld", {"lr": 0.01, "temperature": 1.0}, [3.5], 1000),
    # the learning rate alone would bounce, but with noise on it is never called bouncing
    case("jittering", "roll_downhill", "sgd", {"lr": 1.2}, [3.5], 1000, noise=0.1),
]


@pytest.mark.parametrize(
    ("kind", "sid", "oid", "given", "start", "steps", "near", "options"), REAL_RUNS
)
def test_real_run_outcome(
    kind: str,
    sid: str,
    oid: str,
    given: dict[str, Any],
    start: list[float],
    steps: int,
    near: tuple[float, ...] | None,
    options: dict[str, Any],
) -> None:
    got, end, _ = simulate(sid, oid, given, start, steps, options)
    expected = None if near is None else index_of(sid, near)
    if expected is not None:
        assert math.dist(SURFACES[sid].minima[expected].position, near) < 0.05, "table typo"
    assert got == Outcome(kind, expected), end


# --- rules no catalog run pins down cleanly -----------------------------------------------


def synthetic(**fields: Any) -> Ending:
    base: dict[str, Any] = dict(
        status="max_steps",
        position=(0.0,),
        loss=0.0,
        gradient=(0.0,),
        recent=((0.0,),),
        underflows=(),
        escape=None,
        escape_loss=None,
        noisy=False,
        float16=False,
        maximize=False,
    )
    base.update(fields)
    if "recent" not in fields:
        base["recent"] = (base["position"],)
    if "underflows" not in fields:
        base["underflows"] = (0,) * (len(base["recent"]) - 1)
    return Ending(**base)


def test_a_ball_swinging_through_a_minimum_is_not_at_it() -> None:
    # Parabola: a 2-cycle between ±1 that happens to end a hair from x = 0.
    swing = tuple((v,) for v in [1.0, -1.0] * 10 + [1e-4])
    parabola = SURFACES["parabola"]
    got = decide(parabola, synthetic(position=(1e-4,), gradient=(2e-4,), recent=swing))
    assert got == Outcome("bouncing", None)
    slow = tuple((v,) for v in np.linspace(0.01, 1e-4, 20))
    assert decide(parabola, synthetic(position=(1e-4,), recent=slow)) == Outcome(
        "global_minimum", 0
    )


def test_a_noisy_ball_is_never_bouncing() -> None:
    swing = tuple((v,) for v in [3.0, 2.0] * 20 + [3.0])
    surface = SURFACES["roll_downhill"]
    quiet = synthetic(position=(3.0,), gradient=(2.0,), recent=swing)
    assert decide(surface, quiet).kind == "bouncing"
    assert decide(surface, replace(quiet, noisy=True)).kind != "bouncing"


def test_a_non_finite_escape_is_diverged_even_downhill() -> None:
    got = decide(
        SURFACES["saddle"],
        synthetic(
            status="diverged",
            position=(0.0, 1.0),
            loss=-1.0,
            gradient=(0.0, -2.0),
            escape=(0.0, math.inf),
            escape_loss=math.nan,
        ),
    )
    assert got == Outcome("diverged", None)


def test_a_step_out_of_a_bowl_landing_lower_is_diverged_not_ran_away() -> None:
    # Rosenbrock has a bottom (0): an overshoot from f = 2509 out of the box onto the
    # valley floor at f = 16 went down, but not below the map's lowest point.
    rosenbrock = SURFACES["rosenbrock"]
    high = synthetic(
        status="diverged",
        position=(-2.0, -1.0),
        loss=rosenbrock.value(SCALAR, -2.0, -1.0),
        gradient=rosenbrock.grad(SCALAR, -2.0, -1.0),
        escape=(5.0, 25.0),
        escape_loss=rosenbrock.value(SCALAR, 5.0, 25.0),
    )
    assert high.escape_loss is not None and high.escape_loss < high.loss
    assert decide(rosenbrock, high) == Outcome("diverged", None)


def test_float16_stuck_needs_every_nonzero_component_underflowed() -> None:
    at = (12.0,)
    surface = SURFACES["plateau_wall"]
    stuck = synthetic(
        status="converged",
        position=at,
        gradient=surface.grad(SCALAR, *at),
        recent=(at, at),
        underflows=(1,),
        float16=True,
    )
    assert decide(surface, stuck).kind == "float16_stuck"
    assert decide(surface, replace(stuck, underflows=(0,))).kind == "plateau"


def test_every_outcome_is_produced_by_a_real_run() -> None:
    assert {param.values[0] for param in REAL_RUNS} == set(OUTCOMES)
    assert len(OUTCOMES) == len(set(OUTCOMES)) == 12


def test_one_tiny_step_at_a_swings_turning_point_is_not_a_stop() -> None:
    # Momentum carries the ball up the parabola's side; at the top of the swing one step
    # is shorter than STEP_TOL.  The ball has not stopped: it is still on its way.
    climb = ((0.0,), (1.0,), (1.8,), (1.95,), (1.95 + 5e-8,))
    got = decide(SURFACES["parabola"], synthetic(position=climb[-1], gradient=(3.9,), recent=climb))
    assert got == Outcome("crawling", None)


CROWDS = [
    ("roll_downhill", {"lr": 0.1}, [[3.5], [-1.0], [4.9]]),
    ("parabola", {"lr": 1.0}, [[2.5], [0.0]]),  # x → −x for ever, and the bottom
    ("saddle", {"lr": 0.1}, [[1.8, 0.01], [1.8, 0.0], [-1.0, 0.5]]),
    ("plateau_wall", {"lr": 0.1}, [[12.0], [3.5]]),
]


@pytest.mark.parametrize(("sid", "given", "starts"), CROWDS)
def test_a_crowd_ends_as_its_balls_do_one_by_one(sid: str, given: dict, starts: list) -> None:
    # The batched loop keeps each ball's window and escape as the one-ball loop does, so
    # every ball of a crowd (one diverging while another settles, say) gets the outcome it
    # gets alone.
    surface, sgd = SURFACES[sid], OPTIMIZERS["sgd"]
    hp = sgd.validate(given)
    alone = [run(surface, sgd, hp, start_state(surface, sgd, s), 300)[1].outcome() for s in starts]
    crowd = run(surface, sgd, hp, start_state(surface, sgd, starts), 300)[1].outcome()
    assert list(crowd) == alone
    assert len({o.kind for o in alone}) > 1  # the crowd's balls end differently
