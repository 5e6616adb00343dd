"""Every lesson does what it says, checked by the engine that decides it; and a bad lessons
file is refused, naming the lesson and the field.

Each racer (and each contrast) runs through :func:`app.engine.run.run` exactly as a page's
run does — the choice expanded to its optimizer and preset, hyperparameters validated by
the catalog, options by ``validate_options``, the schedule by ``bind_schedule`` — and must
end in one of its expected outcomes.  Then each lesson's own check asserts what a student
is told to look for, where the outcome word alone does not carry it (AdaGrad's steps
shrink while RMSprop's do not; weight decay moves the end point toward 0; ...).  A change
to a default, a surface or an optimizer that breaks a lesson fails here, and so does a
lesson without its own check (``@shows``).
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
from pydantic import BaseModel

from app.engine.backend import SCALAR
from app.engine.maps.crowd import Setting
from app.engine.maps.sweep import stability
from app.engine.optimizers import OPTIMIZERS
from app.engine.run import Run, Trace, run, start_state
from app.engine.run.outcome import OUTCOMES, Outcome
from app.engine.suggest import suggested_lr
from app.engine.surfaces import SURFACES
from app.facts import MAX_RACERS, PLAY_STEPS
from app.lessons import (
    LESSONS,
    LESSONS_FILE,
    REVEAL,
    Lesson,
    LessonError,
    LessonSchedule,
    Racer,
    check,
    load,
    parse,
    prepare,
    resolve,
)

R = TypeVar("R", bound=BaseModel)


def replace(record: R, **changes: Any) -> R:
    """A copy of a lesson or racer with some fields changed, validated again."""
    return type(record).model_validate({**dict(record), **changes})


@dataclass
class Result:
    outcome: Outcome
    trace: Trace
    run: Run

    @property
    def path(self) -> np.ndarray:
        """Positions, shape (steps + 1, dim)."""
        return np.array(self.trace.positions, dtype=np.float64)

    @property
    def step_lengths(self) -> np.ndarray:
        return np.linalg.norm(np.diff(self.path, axis=0), axis=1)

    @property
    def end(self) -> np.ndarray:
        return self.path[-1]


def race(lesson: Lesson, racer: Racer, start: Any = None, steps: int | None = None) -> Result:
    """One racer's run, as the page runs it (optionally from another start)."""
    ready = prepare(lesson, racer)
    begin = lesson.start if start is None else start
    state = start_state(ready.surface, ready.optimizer, np.asarray(begin, dtype=np.float64))
    trace, r = run(
        ready.surface,
        ready.optimizer,
        ready.hyperparameters,
        state,
        lesson.steps if steps is None else steps,
        options=ready.options,
        schedule=ready.schedule,
    )
    return Result(r.outcome(), trace, r)


def vary(racer: Racer, *, options: dict | None = None, **hyperparameters: Any) -> Racer:
    """The racer with some hyperparameters (and options) changed: a "try this"."""
    return replace(
        racer,
        hyperparameters={**racer.hyperparameters, **hyperparameters},
        options={**racer.options, **(options or {})},
    )


def minimum_near(lesson: Lesson, *position: float) -> int:
    minima = lesson.bound_surface().minima
    index = min(range(len(minima)), key=lambda i: math.dist(minima[i].position, position))
    assert math.dist(minima[index].position, position) < 0.05, "no minimum there"
    return index


def basins(lesson: Lesson, path: np.ndarray) -> np.ndarray:
    """For each position, the index of the nearest minimum of the lesson's surface."""
    centres = np.array([m.position for m in lesson.bound_surface().minima])
    return np.linalg.norm(path[:, None, :] - centres[None], axis=-1).argmin(axis=1)


# --- every racer ends as the lesson says ----------------------------------------------------

ALL_RACERS = [
    pytest.param(lesson, racer, id=f"{lesson.id}-{kind}{i}")
    for lesson in LESSONS.values()
    for kind, racers in (("racer", lesson.racers), ("contrast", lesson.contrast))
    for i, racer in enumerate(racers, 1)
]


@pytest.mark.parametrize(("lesson", "racer"), ALL_RACERS)
def test_each_racer_ends_in_its_expected_outcome(lesson: Lesson, racer: Racer) -> None:
    got = race(lesson, racer)
    assert got.outcome.kind in racer.expected, (got.outcome, got.run.status_of(), got.end)


def test_the_catalog_is_well_formed() -> None:
    assert len(LESSONS) >= 15
    for lesson in LESSONS.values():
        check(lesson)  # raises on any problem, including a value the catalog refuses
        assert lesson.steps == PLAY_STEPS  # the outcome after one press of Play
        surface = lesson.bound_surface()
        if lesson.page == "roll":
            assert surface.dim == 1 and len(lesson.racers) == 1
        else:
            assert surface.dim == 2 and 1 <= len(lesson.racers) <= MAX_RACERS
        for racer in lesson.racers + lesson.contrast:
            assert set(racer.expected) <= set(OUTCOMES)
        if lesson.predict:
            assert set(lesson.expected[0]) <= set(lesson.choices) <= set(OUTCOMES)
    assert {lesson.page for lesson in LESSONS.values()} == {"roll", "explore"}
    assert sum(lesson.predict for lesson in LESSONS.values()) >= 5


def test_check_refuses_what_a_page_could_not_open() -> None:
    lesson = LESSONS["lr_just_right"]
    racer = lesson.racers[0]
    with pytest.raises(LessonError, match="racers: Roll Downhill rolls one ball"):
        check(replace(lesson, racers=(racer, racer)))
    with pytest.raises(LessonError, match="surface: The explorer needs a 2D"):
        check(replace(lesson, page="explore"))
    with pytest.raises(LessonError, match="start: .* not on the domain"):
        check(replace(lesson, start=(7.0,)))
    with pytest.raises(LessonError, match="racers.0..hyperparameters.lr: Invalid learning rate"):
        check(replace(lesson, racers=(vary(racer, lr=-0.1),)))
    with pytest.raises(LessonError, match="choices: must hold every expected outcome"):
        check(replace(lesson, predict=True, choices=("bouncing", "diverged")))


def test_a_preset_choice_runs_sgd_with_the_presets_values() -> None:
    optimizer, preset = resolve("nesterov")
    assert optimizer is OPTIMIZERS["sgd"] and preset["nesterov"] is True
    ready = prepare(LESSONS["momentum_escapes"], LESSONS["momentum_escapes"].racers[0])
    assert ready.optimizer.id == "sgd"
    assert ready.hyperparameters["momentum"] == 0.9 and ready.hyperparameters["lr"] == 0.1
    with pytest.raises(KeyError):
        resolve("heavy_ball")


# --- a predict-first lesson asks without telling ----------------------------------------------

# The words that give each outcome away: its id's words and the page's wording of it as a
# guess ("It keeps bouncing and never settles"), matched at the start of a word ("diverg"
# finds "diverges"; "maximum" does not find the setting "Maximize").
GIVES_AWAY: dict[str, tuple[str, ...]] = {
    "global_minimum": ("global", "minimum", "lowest", "deepest", "bottom"),
    "local_minimum": ("local", "minimum", "not the lowest", "first valley", "small valley"),
    "saddle": ("saddle", "stops", "stays"),
    "maximum": ("maximum", "hilltop", "top", "uphill"),
    "plateau": ("plateau", "stranded", "flat"),
    "ran_away": ("ran", "runs", "away", "for ever", "no bottom"),
    "diverged": ("diverg", "flies", "fly", "blow", "farther", "grow"),
    "float16_stuck": ("float16", "stuck", "round", "zero", "underflow"),
    "stalled": ("stall", "stops short", "shrink"),
    "bouncing": ("bounc", "never settles", "overshoot", "leap"),
    "crawling": ("crawl", "creep", "still on its way"),
    "jittering": ("jitter", "never quite still", "wander"),
}
PREDICT_FIRST = [lesson for lesson in LESSONS.values() if lesson.predict]


def test_every_outcome_has_the_words_that_give_it_away() -> None:
    assert set(GIVES_AWAY) == set(OUTCOMES)


@pytest.mark.parametrize("lesson", PREDICT_FIRST, ids=lambda lesson: lesson.id)
def test_a_predict_first_question_names_each_ball_and_not_its_end(lesson: Lesson) -> None:
    question = lesson.question.lower()
    # Each ball by optimizer (or preset) and rate: "gradient descent (lr 0.6)".
    for racer in lesson.racers:
        optimizer, _ = resolve(racer.choice)
        names = {optimizer.name} | {p.name for p in optimizer.presets if p.id == racer.choice}
        assert any(name.lower() in question for name in names), (racer.choice, names)
        assert f"lr {racer.hyperparameters['lr']:g}" in question
    # ... and nothing of how it ends: no word of a right answer.
    right = {outcome for racer in lesson.racers for outcome in racer.expected}
    for outcome in right:
        for words in GIVES_AWAY[outcome]:
            assert not re.search(rf"\b{re.escape(words)}", question), (outcome, words)
    # The texts that do are the reveal, shown after the run.
    assert lesson.reveal == REVEAL and {"title", "look_for"} <= set(REVEAL)


def test_only_a_predict_first_lesson_asks() -> None:
    for lesson in LESSONS.values():
        assert bool(lesson.question) == lesson.predict, lesson.id
        assert lesson.reveal == (REVEAL if lesson.predict else ())


# --- what each lesson shows beyond its outcome words ------------------------------------------

Check = Callable[[Lesson], None]
CHECKS: dict[str, Check] = {}


def shows(lesson_id: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        assert lesson_id in LESSONS and lesson_id not in CHECKS
        CHECKS[lesson_id] = check
        return check

    return register


@shows("lr_too_small")
def _lr_too_small(lesson: Lesson) -> None:
    slow = race(lesson, lesson.racers[0])
    assert slow.run.status_of() == "max_steps"
    assert abs(slow.end[0]) > 0.5  # a whole press of Play, and still far from x = 0.005
    assert slow.step_lengths.max() < 0.01  # every step tiny
    (fast_racer,) = lesson.contrast
    fast = race(lesson, fast_racer)
    assert fast.run.status_of() == "converged" and fast.run.step < 30  # "under 30 steps"
    # The note: on the wavy curve even the slider's smallest rate settles within 200 steps.
    wavy = replace(lesson, surface="roll_downhill", start=(3.5,))
    settles = race(wavy, lesson.racers[0])
    assert settles.run.status_of() == "converged" and settles.run.step < 200


@shows("lr_just_right")
def _lr_just_right(lesson: Lesson) -> None:
    got = race(lesson, lesson.racers[0])
    assert got.run.status_of() == "converged" and got.run.step <= 25  # "about 20 steps"
    assert got.outcome.minimum == minimum_near(lesson, 1.885)  # the nearest valley
    # The "try this": 0.05 still settles, more slowly; 0.15 is past 2/L ≈ 0.149 (L = f''
    # at the valley floor) and no longer does.
    curvature = lesson.bound_surface().hess(SCALAR, 1.885)[0][0]
    assert 0.1 < 2 / curvature < 0.15 and round(2 / curvature, 3) == 0.149
    # The note's numbers: L ≈ 13, lr·L ≈ 1.3, each overshoot about a third of the last.
    assert round(curvature) == 13 and round(0.1 * curvature, 1) == 1.3
    assert round(1 / abs(1 - 0.1 * curvature)) == 3
    slower = race(lesson, vary(lesson.racers[0], lr=0.05))
    assert slower.outcome == got.outcome and slower.run.step > got.run.step
    assert race(lesson, vary(lesson.racers[0], lr=0.15)).outcome.kind == "bouncing"


def outside(lesson: Lesson, result: Result) -> int:
    """How many of the run's positions lie off the landscape the page draws (its domain)."""
    lo, hi = np.array(lesson.bound_surface().domain, dtype=np.float64).T
    return int((~((result.path >= lo) & (result.path <= hi)).all(axis=1)).sum())


@shows("lr_too_large")
def _lr_too_large(lesson: Lesson) -> None:
    got = race(lesson, lesson.racers[0])
    assert got.run.status_of() == "max_steps"  # never thrown out of the box
    # "Through all four" valleys, to the end, and "never leaves the drawn curve".
    assert len(set(basins(lesson, got.path[-200:]).tolist())) == 4
    assert outside(lesson, got) == 0
    assert "0.12·x²" in lesson.bound_surface().formula
    # No rate on Roll Downhill's slider (0.01 ... 1.20) diverges from this start: too
    # large shows as bouncing here (true divergence has its own lessons).  The note: from
    # 0.7 up the ball does leap past the ends of the drawn curve.
    for hundredths in range(1, 121):
        swept = race(lesson, vary(lesson.racers[0], lr=hundredths / 100))
        assert swept.outcome.kind not in ("diverged", "ran_away"), hundredths
        if hundredths >= 70:
            assert outside(lesson, swept) > 0, hundredths


@shows("true_divergence")
def _true_divergence(lesson: Lesson) -> None:
    got = race(lesson, lesson.racers[0])
    x = got.path[:, 0]
    assert got.run.status_of() == "diverged"
    # x → (1 − 2·lr)·x = −1.1·x: side to side, each jump 10% longer.
    np.testing.assert_allclose(x[1:] / x[:-1], -1.1, rtol=1e-12)
    jumps = got.step_lengths
    np.testing.assert_allclose(jumps[1:] / jumps[:-1], 1.1, rtol=1e-12)
    # "Eleven jumps inside the picture": both ends on the domain the page draws.
    (lo, hi) = lesson.bound_surface().domain[0]
    inside = (x >= lo) & (x <= hi)
    assert int((inside[1:] & inside[:-1]).sum()) == 11 and inside[:12].all()
    (settles_racer,) = lesson.contrast
    settles = race(lesson, settles_racer)
    assert settles.run.status_of() == "converged"
    # ... still side to side at 0.9 (the note: zigzagging when lr > 0.5), jumps shrinking.
    y = settles.path[:20, 0]
    assert (np.sign(y[1:]) == -np.sign(y[:-1])).all()
    assert (np.diff(settles.step_lengths[:20]) < 0).all()
    assert race(lesson, vary(lesson.racers[0], lr=1.0)).outcome.kind == "bouncing"  # the border


@shows("ravine_divergence")
def _ravine_divergence(lesson: Lesson) -> None:
    assert lesson.bound_surface().parameter_values["kappa"] == 20  # "20 times steeper"
    fine, thrown = (race(lesson, r) for r in lesson.racers)
    assert fine.run.status_of() == "converged"
    y = fine.path[:, 1]
    assert (np.sign(y[1:8]) != np.sign(y[:7])).all()  # it zigzags across the floor first
    # The diverging one grows across the valley (y, factor 1 − 0.11·20 = −1.2) while it
    # still shrinks along it (x, factor 0.89): the steep direction sets the limit.
    p = thrown.path
    np.testing.assert_allclose(p[1:, 1] / p[:-1, 1], -1.2, rtol=1e-12)
    np.testing.assert_allclose(p[1:, 0] / p[:-1, 0], 0.89, rtol=1e-12)
    steep = replace(lesson, surface_parameters={"kappa": 100})  # "raise κ to 100"
    assert race(steep, lesson.racers[0]).outcome.kind == "diverged"


@shows("start_decides")
def _start_decides(lesson: Lesson) -> None:
    right = race(lesson, lesson.racers[0])
    assert right.outcome.minimum == minimum_near(lesson, 0.96)
    left = lesson.bound_surface().minima[minimum_near(lesson, -1.0)]
    assert left.position[0] < 0 and left.kind == "global"  # "the left-hand one is deeper"
    surface = lesson.bound_surface()
    # The hump between the valleys, where f' = 0 with f'' < 0, is near x = 0.075.
    hump = 0.0753
    assert surface.hess(SCALAR, hump)[0][0] < 0 and abs(surface.grad(SCALAR, hump)[0]) < 1e-3
    for start in (-1.8, -0.5, 0.0):
        assert race(lesson, lesson.racers[0], start=[start]).outcome.kind == "global_minimum"
    for start in (0.2, 1.0, 1.8):
        assert race(lesson, lesson.racers[0], start=[start]).outcome.kind == "local_minimum"


@shows("momentum_escapes")
def _momentum_escapes(lesson: Lesson) -> None:
    heavy = race(lesson, lesson.racers[0])
    (gd_racer,) = lesson.contrast
    gd = race(lesson, gd_racer)
    assert gd.outcome.minimum == minimum_near(lesson, 1.885)  # stops in the first dip
    assert heavy.outcome.minimum == minimum_near(lesson, -0.628)
    # "Not a guarantee": from x = 2.5 momentum too stops in the small valley.
    elsewhere = race(lesson, lesson.racers[0], start=[2.5])
    assert elsewhere.outcome == Outcome("local_minimum", minimum_near(lesson, 1.885))
    # Momentum went through the first dip and over the hump beyond it (the hilltop near
    # x = 0.98 between the two valleys); gradient descent never got past the dip.
    hilltop = 0.9835
    assert SURFACES["roll_downhill"].hess(SCALAR, hilltop)[0][0] < 0
    assert heavy.path[:, 0].min() < hilltop < gd.path[:, 0].min()


@shows("momentum_ravine")
def _momentum_ravine(lesson: Lesson) -> None:
    gd, heavy = (race(lesson, r) for r in lesson.racers)

    def reversals(result: Result, steps: int = 40) -> int:
        dy = np.diff(result.path[: steps + 1, 1])
        return int((dy[1:] * dy[:-1] < 0).sum())

    # Gradient descent turns back across the ravine at nearly every step; momentum a few
    # times, in smooth swings.
    assert reversals(gd) >= 35 and reversals(heavy) <= 12
    # ... and momentum reaches the bottom in well under half the steps.
    assert heavy.run.status_of() == gd.run.status_of() == "converged"
    assert heavy.run.step < 0.5 * gd.run.step
    # The same rate for gradient descent would be thrown out: 0.05 > 2/κ = 0.02.
    assert race(lesson, vary(lesson.racers[0], lr=0.05)).outcome.kind == "diverged"
    same_rate = race(lesson, vary(lesson.racers[1], lr=0.019))  # the "try this"
    assert reversals(same_rate) > reversals(heavy)
    # The note's caveat: at κ = 20 gradient descent at its suggested 0.08 wins against
    # momentum at every rate that settles (0.001 ... 0.199).
    shallow = replace(lesson, surface_parameters={"kappa": 20})
    assert suggested_lr(shallow.bound_surface(), "gd") == 0.08
    gd20 = race(shallow, vary(lesson.racers[0], lr=0.08))
    assert gd20.run.status_of() == "converged" and gd20.run.step == 177
    for thousandths in range(1, 200, 2):
        swept = race(shallow, vary(lesson.racers[1], lr=thousandths / 1000))
        if swept.run.status_of() == "converged":
            assert swept.run.step >= 280, thousandths
    assert round(math.sqrt(0.9), 2) == 0.95 and round(1 - 0.08 * 1.0, 2) == 0.92
    # ... and the explorer's Ravine opens at κ = 100, where both default racers get 0.016
    # and momentum arrives in about a third of gradient descent's steps.
    default = replace(lesson, surface_parameters={})
    assert default.bound_surface().parameter_values["kappa"] == 100
    assert {suggested_lr(default.bound_surface(), c) for c in ("gd", "momentum")} == {0.016}
    gd100, heavy100 = (race(default, vary(r, lr=0.016)) for r in lesson.racers)
    assert gd100.run.status_of() == heavy100.run.status_of() == "converged"
    assert 0.25 < heavy100.run.step / gd100.run.step < 0.4


@shows("adagrad_halts")
def _adagrad_halts(lesson: Lesson) -> None:
    target = np.array(lesson.bound_surface().minima[0].position)
    lr = 0.2
    assert all(r.hyperparameters["lr"] == lr for r in lesson.racers)
    adagrad, rmsprop, adam = (race(lesson, r) for r in lesson.racers)
    # First steps: AdaGrad's and Adam's lr along each axis (0.28 long), RMSprop's ten times
    # that (torch's square average starts at 0, with no bias correction).
    first = lr * math.sqrt(2)
    assert round(first, 2) == 0.28
    assert adagrad.step_lengths[0] == pytest.approx(first, rel=0.01)
    assert adam.step_lengths[0] == pytest.approx(first, rel=0.01)
    assert rmsprop.step_lengths[0] == pytest.approx(10 * first, rel=0.01)
    # AdaGrad's steps shrink to a small fraction of lr while it is still far away ...
    assert adagrad.step_lengths[-10:].mean() < 0.05 * lr
    assert np.linalg.norm(adagrad.end - target) > 1
    # ... while RMSprop's and Adam's steps stay a good part of lr all the way in (every
    # step taken more than 1 from the minimum), and both arrive.
    for other in (rmsprop, adam):
        far = np.linalg.norm(other.path[:-1] - target, axis=1) > 1
        assert far.sum() > 20 and other.step_lengths[far].min() > 0.2 * lr
        assert other.run.status_of() == "converged"


@shows("prodigy_finds_its_step")
def _prodigy_finds_its_step(lesson: Lesson) -> None:
    adam, prodigy = (race(lesson, r) for r in lesson.racers)
    target = np.array([1.0, 3.0])
    assert minimum_near(lesson, 1.0, 3.0) == prodigy.outcome.minimum
    # Adam "has moved 0.14 of the 7.6 it needs"
    assert f"{np.linalg.norm(adam.end - adam.path[0]):.2f}" == "0.14"
    assert f"{np.linalg.norm(target - adam.path[0]):.1f}" == "7.6"
    assert adam.run.status_of() == "max_steps"
    # Prodigy: d starts at 1e-6, the first step moves each coordinate by 0.000003 ...
    d = np.array([np.nan if v is None else v for v in prodigy.trace.step_sizes])
    assert np.isnan(d[0]) and d[1] == 1e-6
    assert {f"{v:.0e}" for v in prodigy.path[1] - prodigy.path[0]} == {"3e-06"}
    # ... within 50 steps d has grown a millionfold, to about 1 (settling at 1.04) ...
    assert d[50] > 0.5 and 0.5e6 < d[50] / d[1] < 2e6 and f"{d[-1]:.2f}" == "1.04"
    # ... and it reaches the minimum and stops in under 340 steps.
    assert prodigy.run.status_of() == "converged" and prodigy.run.step < 340
    # The "try this": d0 0.01 or lr 0.5 still find the minimum.
    for change in ({"d0": 0.01}, {"lr": 0.5}):
        other = race(lesson, vary(lesson.racers[1], **change))
        assert other.outcome == prodigy.outcome, change


@shows("saddle_point")
def _saddle_point(lesson: Lesson) -> None:
    gd, newton = (race(lesson, r) for r in lesson.racers)
    # Gradient descent comes close to the centre, is slowest there, then leaves along y.
    p, lengths = gd.path, gd.step_lengths
    slowest = int(lengths.argmin())
    assert np.linalg.norm(p[slowest]) < 0.2
    assert abs(p[-1, 1]) > 2 and abs(p[-1, 0]) < 1e-3
    # The note: the 0.01 offset in y grows by 1.2× per step (y → y + lr·2y).
    np.testing.assert_allclose(p[1:30, 1] / p[:29, 1], 1.2, rtol=1e-12)
    # Newton: onto the saddle point in one step, and it stays.
    np.testing.assert_allclose(newton.path[1:], 0.0, atol=1e-12)
    on_ridge = race(lesson, lesson.racers[0], start=[1.8, 0.0])  # the "try this"
    assert on_ridge.outcome.kind == "saddle"


@shows("plateau")
def _plateau(lesson: Lesson) -> None:
    gd, heavy, adam = (race(lesson, r) for r in lesson.racers)
    surface = lesson.bound_surface()
    # The note's numbers: the gradient is 1e-8, 7e-9 per coordinate.
    g = surface.grad(SCALAR, *lesson.start)
    assert f"{math.hypot(*g):.0e}" == "1e-08" and {f"{c:.0e}" for c in g} == {"7e-09"}
    for still in (gd, heavy):
        assert np.linalg.norm(still.end - lesson.start) < 1e-6
    # Adam's steps are a good part of lr however flat the ground (the first a bit under
    # half of lr·√2: the gradient, 7e-9 per coordinate, is near Adam's eps = 1e-8).
    lr = adam.run.hyperparameters["lr"]
    assert adam.step_lengths[0] > 0.4 * lr and adam.step_lengths[:50].max() > lr
    nearer = race(lesson, lesson.racers[0], start=[3.0, 2.5])  # the "try this"
    assert nearer.outcome.kind == "global_minimum"


@shows("minibatch_noise")
def _minibatch_noise(lesson: Lesson) -> None:
    noisy = race(lesson, lesson.racers[0])
    (quiet_racer,) = lesson.contrast
    quiet = race(lesson, quiet_racer)
    shallow, deeper = minimum_near(lesson, 4.396), minimum_near(lesson, 1.885)
    minima = lesson.bound_surface().minima
    assert quiet.outcome.minimum == shallow
    assert noisy.outcome.minimum == deeper and minima[deeper].value < minima[shallow].value
    # It was in the shallow dip first, then hopped out.
    where = basins(lesson, noisy.path)
    assert (where[:50] == shallow).mean() > 0.5 and (where[-100:] == deeper).all()
    # "Raise the batch size to 16": σ/√16, and the ball stays in the shallow dip.
    calm = race(lesson, vary(lesson.racers[0], options={"batch_size": 16}))
    assert calm.outcome == Outcome("jittering", shallow)
    # The same story for other draws of the noise: not one lucky seed.
    for seed in (1, 2, 3):
        other = race(lesson, vary(lesson.racers[0], options={"seed": seed}))
        assert other.outcome.minimum == deeper, seed


@shows("sgld_basins")
def _sgld_basins(lesson: Lesson) -> None:
    hot = race(lesson, lesson.racers[0])
    (cool_racer,) = lesson.contrast
    cool = race(lesson, cool_racer)
    visits = np.bincount(basins(lesson, hot.path), minlength=4)
    deepest = minimum_near(lesson, -0.628)
    assert (visits > 0).sum() >= 3  # valley to valley
    assert visits.argmax() == deepest  # most of its time in the deepest
    assert len(set(basins(lesson, cool.path[50:]).tolist())) == 1  # cool: stays in one
    assert cool.outcome.minimum == minimum_near(lesson, 1.885)


@shows("lbfgs_vs_adam")
def _lbfgs_vs_adam(lesson: Lesson) -> None:
    lbfgs, adam, noisy_lbfgs, noisy_adam = (race(lesson, r) for r in lesson.racers)
    target = np.array([1.0, 1.0])
    # "In 3 steps": within 1e-4 of (1, 1) at step 3 and not before, the loss 4e-11 from then
    # on; Adam after 1000 steps is still 0.09 short.
    distance = np.linalg.norm(lbfgs.path - target, axis=1)
    assert distance[2] > 1e-3 and distance[3:].max() < 1e-4
    assert {f"{loss:.0e}" for loss in lbfgs.trace.losses[3:]} == {"4e-11"}
    assert len(adam.trace) == PLAY_STEPS + 1
    assert f"{np.linalg.norm(adam.end - target):.1g}" == "0.09"
    # With noise L-BFGS is thrown off the map within 200 steps.
    assert noisy_lbfgs.run.status_of() == "diverged" and noisy_lbfgs.run.step < 200
    assert np.linalg.norm(noisy_adam.path[-64:].mean(axis=0) - target) < 0.2  # near (1, 1)


@shows("asgd_average_calm")
def _asgd_average_calm(lesson: Lesson) -> None:
    got = race(lesson, lesson.racers[0])
    floor = lesson.bound_surface().minima[minimum_near(lesson, 1.88)].position[0]
    x = got.path[:, 0]
    ax = np.array([np.nan if a is None else a[0] for a in got.trace.averages])
    # "since step 22 (t0 = 20)": ax is x through step 22, an average after.
    assert np.array_equal(ax[1:23], x[1:23]) and (ax[23:] != x[23:]).all()
    # The iterate keeps jittering "about 0.1 either side" of the floor; ax "within 0.01",
    # and it stays: over the last 200 steps x spreads by 0.1, ax by less than 0.001.
    assert got.outcome == Outcome("jittering", minimum_near(lesson, 1.88))
    assert f"{x[-200:].std():.1g}" == "0.1" and ax[-200:].std() < 0.001
    assert np.abs(x[-200:] - floor).mean() > 0.05
    assert np.abs(ax[-200:] - floor).max() < 0.01
    # Not one lucky seed.
    for seed in (1, 2, 3):
        other = race(lesson, vary(lesson.racers[0], options={"seed": seed}))
        xs = other.path[-200:, 0]
        axs = np.array([a[0] for a in other.trace.averages[-200:]])
        assert axs.std() < 0.02 * xs.std() and np.abs(axs - floor).max() < 0.01, seed
    # "Raise t0 above 1000 (torch's default is 1000000)": ax is the ball throughout.
    for t0 in (1001.0, 1e6):
        plain = race(lesson, vary(lesson.racers[0], t0=t0))
        assert plain.trace.averages[1:] == plain.trace.positions[1:]


@shows("schedulefree_settles_without_a_schedule")
def _schedulefree_settles(lesson: Lesson) -> None:
    adam, free = (race(lesson, r) for r in lesson.racers)
    (cosine_racer,) = lesson.contrast
    cosine = race(lesson, cosine_racer)
    target = np.array([3.0, 2.0])

    def spread(path: np.ndarray) -> float:  # mean distance from (3, 2), last 200 steps
        return float(np.linalg.norm(path[-200:] - target, axis=1).mean())

    # "0.07 from it on average", Schedule-Free's ball "about three times less (0.02)"
    assert f"{spread(adam.path):.1g}" == "0.07" and f"{spread(free.path):.1g}" == "0.02"
    assert 2.5 < spread(adam.path) / spread(free.path) < 3.5
    assert adam.outcome.minimum == free.outcome.minimum == minimum_near(lesson, 3.0, 2.0)
    # The note: its average x̄ (the trace's averages, not drawn yet) is ten times closer
    # (0.006); the ball is 0.9·x̄ + 0.1·z.
    averages = np.array(free.trace.averages, dtype=np.float64)
    assert f"{spread(averages):.1g}" == "0.006"
    assert 9 < spread(adam.path) / spread(averages) < 13
    assert adam.trace.averages == [None] * len(adam.trace)  # Adam keeps no average
    # The "try this": a cosine schedule calms Adam too, by ending at a rate near 0.
    assert spread(cosine.path) < spread(free.path) and cosine.trace.lrs[-1] < 1e-6
    # Not one lucky draw of the noise: three times calmer or more for other seeds.
    for seed in (1, 2, 3):
        a, f = (race(lesson, vary(r, options={"seed": seed})) for r in lesson.racers)
        assert spread(a.path) / spread(f.path) > 2.5, seed


@shows("schedule_explore_then_settle")
def _schedule(lesson: Lesson) -> None:
    got = race(lesson, lesson.racers[0])
    lrs = [lr for lr in got.trace.lrs if lr is not None]
    assert lrs[0] == 1.0 and lrs[-1] < 0.1  # the rate in effect falls along the cosine
    # Early it explores (several valleys in its first 100 steps), late its steps are small.
    assert len(set(basins(lesson, got.path[:100]).tolist())) >= 2
    lengths = got.step_lengths
    assert lengths[-20:].mean() < 0.05 * lengths[:50].mean()  # 20× smaller
    assert got.run.status_of() == "converged" and got.run.step < 300
    # The "try this": constant 1.0 bounces for ever; 0.1 settles in the first dip it meets.
    bouncing, first_dip = (race(lesson, r) for r in lesson.contrast)
    assert bouncing.outcome.kind == "bouncing"
    assert first_dip.outcome == Outcome("local_minimum", minimum_near(lesson, 1.885))


@shows("weight_decay_moves_minimum")
def _weight_decay(lesson: Lesson) -> None:
    decayed = race(lesson, lesson.racers[0])
    (plain_racer,) = lesson.contrast
    plain = race(lesson, plain_racer)
    surface = lesson.bound_surface()
    x, bottom = decayed.end[0], plain.end[0]
    assert bottom == pytest.approx(surface.minima[0].position[0], abs=1e-6)
    assert abs(x) < abs(bottom) - 0.1  # nearer 0, visibly (0.12 on a 4-wide plot)
    # It rests where f'(x) + λ·x = 0: the minimum of f + (λ/2)·x².
    assert abs(surface.grad(SCALAR, x)[0] + 1.0 * x) < 1e-9
    stronger = race(lesson, vary(lesson.racers[0], weight_decay=2.0))
    assert abs(stronger.end[0]) < abs(x)


@shows("float16_loss_scaling")
def _float16(lesson: Lesson) -> None:
    stuck = race(lesson, lesson.racers[0])
    (scaled_racer,) = lesson.contrast
    scaled = race(lesson, scaled_racer)
    g = lesson.bound_surface().grad(SCALAR, *lesson.start)[0]
    assert 0 < abs(g) < 3e-8  # not zero, but below float16's smallest half-step
    # The note's numbers: the gradient is 1.6e-8; float16's smallest magnitude about 6e-8.
    assert f"{abs(g):.1e}" == "1.6e-08"
    assert f"{float(np.finfo(np.float16).smallest_subnormal):.0e}" == "6e-08"
    assert stuck.trace.underflows[1] == 1 and (stuck.end == lesson.start).all()
    assert all(u == 0 for u in scaled.trace.underflows)
    float64 = race(lesson, replace(lesson.racers[0], options={}))
    assert float64.outcome.kind == "global_minimum"  # float16 was the only problem


@shows("gradient_ascent")
def _gradient_ascent(lesson: Lesson) -> None:
    got = race(lesson, lesson.racers[0])
    surface = lesson.bound_surface()
    x = got.end[0]
    assert np.all(np.diff(got.trace.losses) >= 0)  # uphill every step
    assert surface.hess(SCALAR, x)[0][0] < 0 and got.run.status_of() == "converged"
    # "the nearest hill": of the curve's hilltops (f' from + to −), the one nearest the start.
    xs = np.linspace(*surface.domain[0], 20001)
    slope = np.array([surface.grad(SCALAR, v)[0] for v in xs])
    tops = xs[1:][(slope[:-1] > 0) & (slope[1:] <= 0)]
    assert len(tops) >= 3
    assert abs(x - tops[np.abs(tops - lesson.start[0]).argmin()]) < 1e-3
    parabola = replace(lesson, surface="parabola", start=(2.5,))  # the "try this"
    assert race(parabola, lesson.racers[0]).outcome.kind == "ran_away"


@shows("sam_wide_minimum")
def _sam_wide_minimum(lesson: Lesson) -> None:
    pit = minimum_near(lesson, 1.0, 0.5)
    bowl = minimum_near(lesson, -0.5, -0.5)
    adam, sam = (race(lesson, r) for r in lesson.racers)
    assert adam.outcome == Outcome("global_minimum", pit)
    assert sam.outcome == Outcome("jittering", bowl)
    # "exactly as deep", and the sharpness tools' numbers: 80.3 in the pit, 1 in the bowl
    surface = lesson.bound_surface()
    assert surface.minima[pit].value == surface.minima[bowl].value == 0.0
    adam_opt = OPTIMIZERS["adam"]
    sharpness = {
        s.minimum: s.sharpness
        for s in stability(Setting(surface, adam_opt, adam_opt.validate({"lr": 0.05})))
    }
    assert round(sharpness[pit], 1) == 80.3 and sharpness[bowl] == 1.0
    # "climbs out": the ascent point is ρ = 0.2 from the ball, and the ball leaves the pit
    # through its rim (SAM costs a second gradient every step)
    climbs = np.linalg.norm(np.subtract(sam.trace.ascent_points[1:], sam.path[:-1]), axis=1)
    np.testing.assert_allclose(climbs, 0.2, rtol=1e-6)  # (ρ·‖g‖/(‖g‖ + 1e-12))
    assert sam.trace.evaluations[1:] == [2] * lesson.steps
    # jitters: it never comes to rest, but stays close to the bowl's bottom
    assert sam.step_lengths[-50:].min() > 0
    assert np.linalg.norm(sam.end - (-0.5, -0.5)) < 0.02
    # Robust: neighbouring rates, radii and starts tell the same story.  (Not every
    # radius: from ρ ≈ 0.3 the climb can land on the pit's bottom, where the gradient it
    # hands Adam is zero, and the ball stalls on the pit's far rim.)
    for lr in (0.05, 0.08):
        for rho in (0.2, 0.25):
            for start in ((1.15, 0.5), (1.0, 0.65), (1.2, 0.7), (0.95, 0.45)):
                plain = race(lesson, vary(lesson.racers[0], lr=lr), start=start)
                wide = race(lesson, vary(lesson.racers[1], lr=lr, options={"sam_rho": rho}), start)
                assert plain.outcome.minimum == pit and wide.outcome.minimum == bowl
    # The "try this": ρ = 0.05, inside the pit's width 0.1, stays in the pit.
    (small,) = lesson.contrast
    assert race(lesson, small).outcome.minimum == pit


@shows("outlier_pulls_mse")
def _outlier(lesson: Lesson) -> None:
    got = race(lesson, lesson.racers[0])
    assert lesson.spec is not None
    data = lesson.spec.dataset()
    bulk = np.arange(data.size) != data.size - 1  # the outlier is the last point
    assert bulk.sum() == 15  # "the fifteen points on a line"
    slope, intercept = np.polyfit(data.x[bulk], data.y[bulk], 1)  # the fifteen points' line
    # The ball ends at the normal equations' least-squares line ...
    a = np.stack([data.x, np.ones_like(data.x)], axis=1)
    lsq = np.linalg.lstsq(a, data.y, rcond=None)[0]
    np.testing.assert_allclose(got.end, lsq, atol=1e-5)
    # ... dragged towards the outlier; the absolute error's minimum (the "try this") is not.
    mae = replace(lesson, loss="mae")
    (robust,) = mae.bound_surface().minima
    assert abs(lsq[0] - slope) > 0.3 and abs(robust.position[0] - slope) < 0.1
    assert abs(robust.position[1] - intercept) < 0.1
    # The note's numbers: slope 0.75 instead of about 1.2 (absolute error: 1.16), the
    # outlier 5 units below the fifteen points' line.
    assert round(lsq[0], 2) == 0.75 and round(slope, 1) == 1.2
    assert round(robust.position[0], 2) == 1.16
    assert round(np.polyval([slope, intercept], data.x[-1]) - data.y[-1]) == 5
    # On the absolute error's kinks the same descent needs a shrinking rate to settle.
    assert race(mae, lesson.racers[0]).outcome.kind == "bouncing"
    cosine = LessonSchedule(name="cosine", parameters={"T_max": PLAY_STEPS})
    assert race(mae, replace(lesson.racers[0], schedule=cosine)).outcome.kind == "global_minimum"


@shows("separable_runs_away")
def _separable(lesson: Lesson) -> None:
    got = race(lesson, lesson.racers[0])
    surface = lesson.bound_surface()
    assert surface.minima == () and "no minimum" in surface.no_minimum
    w = got.path[:, 0]
    assert np.all(np.diff(w) > 0) and w[-1] > 5  # the weight grows and grows
    assert np.all(np.diff(got.trace.losses) < 0) and got.trace.losses[-1] < 0.02
    overlap = replace(lesson, data="overlap")  # try this
    assert race(overlap, lesson.racers[0]).outcome.kind == "global_minimum"


@shows("network_mirror_minima")
def _network(lesson: Lesson) -> None:
    surface = lesson.bound_surface()
    first, second = surface.minima
    np.testing.assert_allclose(first.position, -np.array(second.position), atol=1e-9)
    assert first.value == pytest.approx(second.value, rel=1e-12)
    assert surface.grad(SCALAR, 0.0, 0.0) == (0.0, 0.0)
    assert np.linalg.eigvalsh(np.array(surface.hess(SCALAR, 0.0, 0.0))).prod() < 0  # a saddle
    got = race(lesson, lesson.racers[0])
    steps = got.step_lengths
    assert steps[:3].max() < steps.max() / 10  # it lingers by the saddle first
    twin = race(lesson, lesson.racers[0], start=(-0.01, 0.01))  # try this
    assert got.outcome.minimum != twin.outcome.minimum
    assert twin.outcome.kind == "global_minimum"
    still = race(lesson, lesson.racers[0], start=(0.0, 0.0))
    assert still.outcome.kind == "saddle" and (still.end == 0).all()


@shows("real_minibatches")
def _minibatch(lesson: Lesson) -> None:
    full, single = (race(lesson, r) for r in lesson.racers)
    n = lesson.bound_surface().data_size
    assert full.trace.epochs == [None] * len(full.trace)  # every step saw every point
    assert single.trace.epochs[1:4] == [1, 1, 1] and single.trace.epochs[n + 1] == 2
    assert sorted(p for (p,) in single.trace.batch_points[1 : n + 1]) == list(range(n))
    # Each step follows one point's slope: the steps point every which way, then hover.
    (minimum,) = lesson.bound_surface().minima
    tail = single.path[-200:] - np.array(minimum.position)
    assert 0.01 < np.linalg.norm(tail, axis=1).mean() < 0.5
    # "Raise the batch size to 5, then 10: the zigzag calms down", each time.
    cloud = [np.linalg.norm(tail, axis=1).mean()]
    for batch_size in (5, 10):
        calmer = race(lesson, vary(lesson.racers[1], options={"batch_size": batch_size}))
        cloud.append(np.linalg.norm(calmer.path[-200:] - minimum.position, axis=1).mean())
    assert cloud[0] > cloud[1] > cloud[2]


@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_what_a_student_sees(lesson_id: str) -> None:
    # Keyed by the catalog: a lesson added to lessons.toml fails here until it has its test.
    assert lesson_id in CHECKS, f"{lesson_id} has no phenomenon test: add @shows({lesson_id!r})"
    CHECKS[lesson_id](LESSONS[lesson_id])


# --- the file: read once, and a bad one refused by lesson and field -----------------------


def lessons_file() -> dict[str, Any]:
    """The catalog's file, parsed, to spoil one value of."""
    return tomllib.loads(LESSONS_FILE.read_text(encoding="utf-8"))


def table(document: dict[str, Any], lesson_id: str) -> dict[str, Any]:
    return next(t for t in document["lesson"] if t["id"] == lesson_id)


def test_the_file_is_the_catalog_in_teaching_order() -> None:
    document = lessons_file()
    assert [t["id"] for t in document["lesson"]] == list(LESSONS)
    assert parse(copy.deepcopy(document)) == LESSONS
    # Each topic's lessons stand together: the gallery groups them in file order.
    topics = [lesson.topic for lesson in LESSONS.values()]
    assert all(t not in topics[:i] or topics[i - 1] == t for i, t in enumerate(topics))


SPOILED = [
    # (lesson, what to change, the field the error names, what it says)
    ("lr_too_small", {"look_fr": "typo"}, "look_fr", "Extra inputs are not permitted"),
    ("lr_too_small", {"try_this": "  "}, "try_this", "must be filled in"),
    ("lr_too_small", {"page": "roll_downhill"}, "page", "Input should be 'roll' or 'explore'"),
    (
        "lr_too_small",
        {"surface": "ravin"},
        "surface",
        "unknown surface 'ravin'; it must be one of roll_downhill,",
    ),
    ("lr_too_small", {"start": [70.0]}, "start", "not on the domain"),
    ("lr_too_small", {"start": [1.0, 2.0]}, "start", "not on the domain"),
    ("lr_too_small", {"model": "linear"}, "surface", "a built-in surface, or a model on data"),
    (
        "momentum_ravine",
        {"surface_parameters": {"kappa": -1}},
        "surface_parameters.kappa",
        "Invalid condition",
    ),
    ("outlier_pulls_mse", {"loss": "bce"}, "loss", "not 'bce'"),
    ("outlier_pulls_mse", {"page": "roll"}, "start", "not on the domain"),
    ("ravine_divergence", {"page": "roll"}, "surface", "Roll Downhill needs a 1D landscape"),
    ("lr_too_small", {"choices": ["crawling", "bouncing"]}, "choices", "predict-first"),
    ("lr_too_large", {"choices": ["bouncing"]}, "choices", "at least one more"),
    ("lr_too_large", {"question": " "}, "question", "asks its question before the guess"),
    ("lr_too_small", {"question": "What next?"}, "question", "is for predict-first lessons"),
]


@pytest.mark.parametrize(("lesson_id", "changes", "field", "says"), SPOILED)
def test_a_bad_lesson_is_refused_naming_it_and_the_field(
    lesson_id: str, changes: dict[str, Any], field: str, says: str
) -> None:
    document = lessons_file()
    table(document, lesson_id).update(changes)
    with pytest.raises(LessonError) as refused:
        parse(document)
    assert (refused.value.lesson, refused.value.field) == (lesson_id, field)
    assert says in refused.value.reason
    assert str(refused.value).startswith(f"lesson {lesson_id!r}, field {field}: ")


RACER_SPOILED = [
    # (what to change in adagrad_halts' second racer, its field, what the error says)
    (
        {"choice": "heavy_ball"},
        "choice",
        "unknown optimizer or preset 'heavy_ball'; it must be one of sgd,",
    ),
    ({"expected": ["stuck"]}, "expected[0]", "unknown outcome 'stuck'"),
    ({"expected": []}, "expected", "at least 1 item"),
    ({"hyperparameters": {"lr": -0.1}}, "hyperparameters.lr", "Invalid learning rate: -0.1"),
    (
        {"hyperparameters": {"lr": 0.1, "betas": [0.9, 0.9]}},
        "hyperparameters.betas",
        "RMSprop has no",
    ),
    ({"hyperparameters": {"momentum": 0.9}}, "hyperparameters", "must set lr"),
    ({"options": {"noise": -1}}, "options.noise", "Invalid noise: -1.0"),
    (
        {"schedule": {"name": "cosine", "parameters": {"T_max": 0}}},
        "schedule.parameters.T_max",
        "Invalid T_max",
    ),
    ({"schedule": {"name": "cosin"}}, "schedule.name", "unknown schedule 'cosin'"),
    ({"lable": "typo"}, "lable", "Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("changes", "field", "says"), RACER_SPOILED)
def test_a_bad_racer_is_refused_naming_it_and_the_field(
    changes: dict[str, Any], field: str, says: str
) -> None:
    document = lessons_file()
    table(document, "adagrad_halts")["racers"][1].update(changes)
    with pytest.raises(LessonError) as refused:
        parse(document)
    assert (refused.value.lesson, refused.value.field) == ("adagrad_halts", f"racers[1].{field}")
    assert says in refused.value.reason


def test_a_misspelt_key_is_named_with_the_field_it_meant() -> None:
    document = lessons_file()
    lesson = table(document, "plateau")
    lesson["look_fr"] = lesson.pop("look_for")
    with pytest.raises(LessonError) as refused:
        parse(document)
    assert str(refused.value) == (
        "lesson 'plateau', field look_for: Field required; look_fr: Extra inputs are not permitted"
    )


def test_a_contrast_racer_says_what_it_is_and_ids_are_unique() -> None:
    document = lessons_file()
    table(document, "lr_too_small")["contrast"][0]["label"] = ""
    with pytest.raises(LessonError, match=r"lesson 'lr_too_small', field contrast\[0\].label"):
        parse(document)
    document = lessons_file()
    document["lesson"][1]["id"] = document["lesson"][0]["id"]
    with pytest.raises(LessonError, match="field id: another lesson has this id"):
        parse(document)
    with pytest.raises(ValueError, match=r"holds \[\[lesson\]\] tables"):
        parse({"lessons": document["lesson"]})


def test_loading_a_bad_file_names_the_file_too(tmp_path: Path) -> None:
    bad = tmp_path / "lessons.toml"
    text = LESSONS_FILE.read_text(encoding="utf-8")
    bad.write_text(text.replace('expected = ["crawling"]', 'expected = ["crawl"]'))
    with pytest.raises(LessonError, match="'lr_too_small', field racers.0..expected.0.") as refused:
        load(bad)
    assert refused.value.__notes__ == [f"in {bad}"]
    bad.write_text(text.replace('id = "lr_too_small"', 'id = "lr_too_small'))
    with pytest.raises(tomllib.TOMLDecodeError) as broken:
        load(bad)
    assert broken.value.__notes__ == [f"in {bad}"]
    assert load() == LESSONS  # the real file, read the same way at start-up
