"""The explorer's defaults teach what each landscape's lesson says.

Opened on a landscape with no racers in its address, the explorer races
:data:`app.facts.EXPLORER_RACERS` (gradient descent, momentum, Adam) from the landscape's
own start, each at the engine's suggested rate (:func:`app.engine.suggest.suggested_lr`),
with the default training options.  For every landscape an explorer lesson opens, that
default race must show the lesson's claim, not its opposite: on the Ravine momentum
reaches the bottom first (``momentum_ravine``) — at κ = 20 it could not, so the Ravine
opens at κ = 100.  A new explorer lesson on another landscape fails here until its claim
is added to :data:`CLAIMS`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from app.engine.run import run, start_state
from app.engine.run.options import validate_options
from app.engine.suggest import PRESETS, suggested_lr
from app.engine.surfaces import SURFACES, Surface
from app.facts import EXPLORER_RACERS, PLAY_STEPS
from app.lessons import LESSONS, Lesson
from app.lessons.lesson import resolve

from .test_lessons import Result


def landscape(lesson: Lesson) -> Surface:
    """The landscape as the explorer opens it: a catalog surface at its default parameters
    (not the lesson's), or the lesson's model on data."""
    return SURFACES[lesson.surface] if lesson.surface else lesson.bound_surface()


def key(lesson: Lesson) -> str:
    spec = lesson.spec
    return lesson.surface if spec is None else f"{spec.model}/{spec.loss}/{spec.data}"


def default_race(surface: Surface) -> dict[str, Result]:
    """Each default racer's run of one press of Play, as the explorer opens it."""
    raced = {}
    for choice in EXPLORER_RACERS:
        optimizer, preset = resolve(choice)
        hyperparameters = optimizer.validate({**preset, "lr": suggested_lr(surface, choice)})
        state = start_state(surface, optimizer, np.asarray(surface.start, dtype=np.float64))
        options = validate_options({}, surface.data_size)
        trace, r = run(surface, optimizer, hyperparameters, state, PLAY_STEPS, options=options)
        raced[choice] = Result(r.outcome(), trace, r)
    return raced


def reversals(raced: Result, axis: int, steps: int = 40) -> int:
    """How often the ball turns back along ``axis`` in its first ``steps`` steps."""
    d = np.diff(raced.path[: steps + 1, axis])
    return int((d[1:] * d[:-1] < 0).sum())


Claim = Callable[[Surface, dict[str, Result]], None]


def ravine(surface: Surface, race: dict[str, Result]) -> None:
    gd, heavy = race["gd"], race["momentum"]
    # momentum_ravine: gradient descent zigzags at every step and creeps along the floor;
    # momentum swings less and reaches the bottom first (here in about a third of the steps).
    assert gd.run.status_of() == heavy.run.status_of() == "converged"
    assert heavy.run.step < 0.5 * gd.run.step
    assert reversals(gd, 1) >= 35 and reversals(heavy, 1) < reversals(gd, 1) / 2
    # ravine_divergence: below 2/κ gradient descent zigzags across the valley, yet settles.
    y = gd.path[:, 1]
    assert (np.sign(y[1:21]) == -np.sign(y[:20])).all()
    assert gd.run.hyperparameters["lr"] < 2 / surface.parameter_values["kappa"]


def booth(surface: Surface, race: dict[str, Result]) -> None:
    # adagrad_halts: Adam keeps going and reaches the minimum.
    adam = race["adam"]
    assert adam.outcome.kind == "global_minimum" and adam.run.status_of() == "converged"


def saddle(surface: Surface, race: dict[str, Result]) -> None:
    # saddle_point: gradient descent heads for the flat centre, is slowest there, then
    # slides off along y and runs away.
    gd = race["gd"]
    assert gd.outcome.kind == "ran_away"
    lengths = np.linalg.norm(np.diff(gd.path, axis=0), axis=1)
    assert np.linalg.norm(gd.path[int(lengths.argmin())]) < 0.2
    assert abs(gd.path[-1, 1]) > 2 and abs(gd.path[-1, 0]) < 1e-3


def plateau(surface: Surface, race: dict[str, Result]) -> None:
    # plateau: from the landscape's start, where there is a slope, gradient descent gets to
    # the well (the lesson's "try this"), and Adam walks there too.
    assert race["gd"].outcome.kind == race["adam"].outcome.kind == "global_minimum"


def rosenbrock(surface: Surface, race: dict[str, Result]) -> None:
    # lbfgs_vs_adam: Adam on exact gradients is still short of (1, 1) after one press.
    adam = race["adam"]
    assert adam.outcome.kind == "crawling" and np.linalg.norm(adam.path[-1] - (1.0, 1.0)) > 0.05


def settles_at_least_squares(surface: Surface, race: dict[str, Result]) -> None:
    # outlier_pulls_mse, real_minibatches: full-batch gradient descent walks to the lowest
    # point of the squared error and stops there.
    gd = race["gd"]
    (minimum,) = surface.minima
    assert gd.outcome.kind == "global_minimum" and gd.run.status_of() == "converged"
    np.testing.assert_allclose(gd.path[-1], minimum.position, atol=1e-4)


def mirror_minima(surface: Surface, race: dict[str, Result]) -> None:
    # network_mirror_minima's contrast: away from the saddle gradient descent (and Adam) are
    # still crawling along the valley after one press, on their way into one of the twin
    # minima.  (Momentum at the shared sgd rate is first flung far off the map here.)
    centres = np.array([m.position for m in surface.minima])
    for raced in (race["gd"], race["adam"]):
        assert raced.outcome.kind == "crawling"
        distance = np.linalg.norm(raced.path[:, None, :] - centres[None], axis=-1).min(axis=1)
        assert distance[-1] < 0.5 * distance[0]


def himmelblau(surface: Surface, race: dict[str, Result]) -> None:
    # schedulefree_settles_without_a_schedule: Adam's jitter there is the noise's; on exact
    # gradients Adam at a constant rate comes to rest at the minimum (3, 2).
    adam = race["adam"]
    assert adam.outcome.kind == "global_minimum" and adam.run.status_of() == "converged"
    np.testing.assert_allclose(adam.path[-1], (3.0, 2.0), atol=1e-4)


def sharp_pit(surface: Surface, race: dict[str, Result]) -> None:
    # sam_wide_minimum: without SAM, from the start at the pit's rim, every default racer
    # (Adam too) drops into the sharp pit at (1, 0.5) and stays.
    pit = min(range(len(surface.minima)), key=lambda i: -surface.minima[i].position[0])
    assert surface.minima[pit].position == (1.0, 0.5)
    for raced in race.values():
        assert raced.outcome.kind == "global_minimum" and raced.outcome.minimum == pit


CLAIMS: dict[str, Claim] = {
    "ravine": ravine,
    "booth": booth,
    "saddle": saddle,
    "plateau": plateau,
    "rosenbrock": rosenbrock,
    "himmelblau": himmelblau,
    "linear/mse/outlier": settles_at_least_squares,
    "linear/mse/noisy_line": settles_at_least_squares,
    "tanh_net/mse/tanh_curve": mirror_minima,
    "sharp_and_wide": sharp_pit,
}

EXPLORED = {key(lesson): lesson for lesson in LESSONS.values() if lesson.page == "explore"}


def test_the_default_racers_come_from_the_facts() -> None:
    assert EXPLORER_RACERS == ("gd", "momentum", "adam")
    assert all(choice in PRESETS for choice in EXPLORER_RACERS[:2])


@pytest.mark.parametrize("landscape_key", sorted(EXPLORED))
def test_the_explorers_default_race_shows_the_landscapes_lesson(landscape_key: str) -> None:
    assert landscape_key in CLAIMS, f"add the claim of {EXPLORED[landscape_key].id} to CLAIMS"
    surface = landscape(EXPLORED[landscape_key])
    CLAIMS[landscape_key](surface, default_race(surface))


def test_at_kappa_20_the_default_race_would_teach_the_opposite() -> None:
    # Why the Ravine opens at κ = 100: at 20 gradient descent beats momentum.
    race = default_race(SURFACES["ravine"].with_parameters({"kappa": 20}))
    assert race["gd"].run.step < race["momentum"].run.step
    with pytest.raises(AssertionError):
        ravine(SURFACES["ravine"].with_parameters({"kappa": 20}), race)
