"""How big a map is made when it leaves its size out, and the work each size costs.

A map that names no size gets a default one, scaled by the ``detail`` asked for and then
shrunk until its estimated work fits a time budget (the same measure the server's limit on
a map is written in).

The estimate (:func:`seconds`) counts what a map's time goes into, in seconds measured on
the development machine (bench/map_sizing.py prints estimate against measured for every
optimizer and map): a crowd's fixed cost per step (more when a schedule rebinds the rule
each step), the work per ball-step (a numpy crowd's share, or a rule that steps each ball
in Python, per evaluation of the loss and, for L-BFGS, per pair of its history), and the
balls' outcomes.  How many steps the balls take — a Newton ball settles in a few, an
L-BFGS ball under OneCycle evaluates twice a step over a history of 100 pairs — is
learnt from a :func:`pilot`: a few of the map's own balls run alone, up to
``PILOT_STEPS`` steps or ``PILOT_BALL_SECONDS`` of estimated work each (a ball still
rolling then is taken to roll to the end at the same cost per step).  Balls
that share every hyperparameter value the optimizer cannot take per ball run as one crowd,
so a sweep or a trainability grid can cost more than its balls.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ..optimizers.interface import BallState
from ..run import RUNNING, Run, start_state
from .crowd import Setting, groups, with_value
from .sweep import log_rates
from .trainability import Axis

# The sizes a map gets when it leaves its size out (see fit).
BASINS_1D, BASINS_2D, SWEEP, TRAINABILITY = (400,), (80, 80), (256,), (48, 48)

DETAIL = {"coarse": 0.5, "normal": 1.0, "fine": 2.0}  # the default's sides, times this

# Seconds, measured on the development machine (bench/map_sizing.py, one core):
MAP = 0.01  # a map's fixed cost: checks, grid, answer
CROWD = 1e-3  # a crowd's: its run set up, its outcomes decided
CROWD_STEP = 70e-6  # a crowd's fixed cost per step, whatever its size (a numpy rule's …
PER_BALL_CROWD_STEP = 50e-6  # … a per-ball rule's, whose own loop does much of the work)
SCHEDULED_STEP = 40e-6  # more per crowd step when a schedule rebinds the rule
NOISY_STEP = 40e-6  # more per crowd step that draws random numbers (noise, SGLD) …
NOISY_BALL_STEP = 100e-9  # … and per ball-step
# SAM's climb and second gradient (Adam on Himmelblau, 6400 balls: 350 → 700 µs a step)
SAM_STEP = 20e-6  # more per crowd step …
SAM_BALL_STEP = 55e-9  # … and per ball-step: about the rule's own work again
CROWD_BALL_STEP = 60e-9  # a numpy crowd's work per ball-step (Adam on Himmelblau)
PER_BALL_STEP = 5e-6  # a rule stepping each ball in Python: per ball-step …
PER_BALL_EVALUATION = 7e-6  # … per evaluation of the loss …
# … and per pair of L-BFGS history each evaluation goes over (its loop is unrolled in 1D and
# 2D; above, per dimension)
HISTORY_PAIR = {1: 0.2e-6, 2: 1.5e-6}
HISTORY_PAIR_PER_DIM = 1.2e-6
PER_BALL_MAP = 0.08  # a per-ball rule's map sets finished balls aside after every chunk
BALL_END = 2e-6  # each ball's outcome, decided when it stops
# On a model landscape each ball-step evaluates the loss over every data point (bench/
# models.py: the two-weight network on 24 points, 128 × 128 balls: 21 ns per point in a
# crowd; L-BFGS on one ball, 1.3 µs per point).
CROWD_POINT_STEP = 25e-9
PER_BALL_POINT_STEP = 2e-6

PILOT_STEPS = 128  # the most steps a pilot ball takes …
PILOT_BALL_SECONDS = 0.02  # … and the most estimated work (the pilot runs before the map)
PILOT_BALLS = {False: 9, True: 4}  # a numpy crowd's, a per-ball rule's (2D: 3 × 3, 2 × 2)


@dataclass(frozen=True)
class Pilot:
    """What a few of a map's balls did alone, extrapolated to the map's steps."""

    steps: float  # ball-steps per ball, on average
    longest: float  # the most steps a ball took: how long the crowd rolls
    work: float  # per ball, seconds of per-ball work (evaluations and history)
    each: tuple[int, ...]  # the steps each pilot ball took


def pilot(setting: Setting, starts: np.ndarray, values: Mapping[str, np.ndarray]) -> Pilot:
    """Run each of ``starts`` (shape (n, dim)) alone with its own ``values`` of the named
    hyperparameters, up to ``PILOT_STEPS`` steps: how many steps, and (a per-ball rule)
    evaluations and history, each ball takes."""
    surface, optimizer = setting.surface, setting.optimizer
    horizon = min(setting.steps, PILOT_STEPS)
    pair = HISTORY_PAIR.get(surface.dim, HISTORY_PAIR_PER_DIM * surface.dim)
    steps, work = [], []
    for i, start in enumerate(starts):
        hp = dict(setting.hyperparameters)
        for name, v in values.items():
            hp = with_value(hp, name, float(v[i]))
        run = Run(
            surface,
            optimizer,
            hp,
            start_state(surface, optimizer, start),
            options=setting.options,
            schedule=setting.schedule,
        )
        cost = 0.0
        for _ in range(horizon):
            trace = run.advance(1)
            if not len(trace):
                break
            evaluations = trace.evaluations[0]
            cost += evaluations * (PER_BALL_EVALUATION + pair * _history(run))
            if cost > PILOT_BALL_SECONDS:
                break
        taken = run.step
        if run.status == RUNNING and taken < setting.steps:
            cost *= setting.steps / taken
            taken = setting.steps
        steps.append(taken)
        work.append(cost)
    return Pilot(float(np.mean(steps)), float(max(steps)), float(np.mean(work)), tuple(steps))


def _history(run: Run) -> int:
    """The pairs of curvature history a rule keeps (L-BFGS's ``old_dirs``; 0 for others)."""
    memory = getattr(run.buffers, "memory", None)
    return len(getattr(memory, "old_dirs", None) or ())


def seconds(setting: Setting, balls: int, crowds: int, p: Pilot) -> float:
    """The estimated work of ``balls`` balls run as ``crowds`` crowds, from a pilot."""
    per_ball = issubclass(setting.optimizer.bind.state, BallState)
    crowd_step = PER_BALL_CROWD_STEP if per_ball else CROWD_STEP
    if setting.schedule is not None and not setting.schedule.is_constant:
        crowd_step += SCHEDULED_STEP
    noisy = setting.options.noise or np.any(setting.hyperparameters.get("temperature", 0))
    points = setting.surface.data_size
    if per_ball:
        ball_step = PER_BALL_STEP + points * PER_BALL_POINT_STEP
        per = p.steps * ball_step + p.work
        fixed = MAP + PER_BALL_MAP
    else:
        # balls that stopped ride along, masked, until half the crowd has (crowd.SPLIT)
        ball_step = CROWD_BALL_STEP + points * CROWD_POINT_STEP
        per = min(p.longest, 1.5 * p.steps) * ball_step
        fixed = MAP
    if noisy:
        crowd_step += NOISY_STEP
        per += p.steps * NOISY_BALL_STEP
    if setting.options.sam:  # (never a per-ball rule: L-BFGS and Newton refuse SAM)
        crowd_step += SAM_STEP
        per += min(p.longest, 1.5 * p.steps) * SAM_BALL_STEP
    # A crowd rolls as long as its longest ball: the pilot's longest for a crowd of as many
    # balls as the pilot's, its average for a crowd of one.
    share = min(1.0, (balls / crowds - 1) / (len(p.each) - 1)) if len(p.each) > 1 else 1.0
    crowd_steps = p.steps + share * (p.longest - p.steps)
    return fixed + crowds * (CROWD + crowd_steps * crowd_step) + balls * (per + BALL_END)


def fit(
    default: tuple[int, ...],
    seconds: Callable[[tuple[int, ...]], float],
    largest: int,
    detail: str,
    auto_seconds: float,
    fine_seconds: float,
    smallest: int = 8,
) -> tuple[int, ...]:
    """``default`` scaled for ``detail`` (at most ``largest`` a side), each side shrunk by
    the same factor until the estimated ``seconds`` fit ``auto_seconds`` — a fine map
    ``fine_seconds`` — but no side below ``smallest``.

    >>> fit((80, 80), lambda size: size[0] * size[1] / 1000, 256, "fine", 2.0, 30.0)
    (160, 160)
    >>> fit((80, 80), lambda size: size[0] * size[1] / 1000, 256, "normal", 2.0, 30.0)
    (40, 40)
    """
    budget = fine_seconds if detail == "fine" else auto_seconds
    smallest = min(smallest, largest)
    size = tuple(max(smallest, min(round(n * DETAIL[detail]), largest)) for n in default)
    while seconds(size) > budget and max(size) > smallest:
        size = tuple(max(smallest, int(n * 0.8)) for n in size)
    return size


def _pilot_balls(setting: Setting) -> int:
    return PILOT_BALLS[issubclass(setting.optimizer.bind.state, BallState)]


def _sample(lo: float, hi: float, n: int, log: bool = False) -> np.ndarray:
    """``n`` values at the centres of ``n`` equal parts of [lo, hi] (of log values)."""
    at = (np.arange(n) + 0.5) / n
    if log:
        return np.asarray(np.exp(np.log(lo) + at * (np.log(hi) - np.log(lo))))
    return lo + at * (hi - lo)


def basins_seconds(setting: Setting) -> Callable[[tuple[int, ...]], float]:
    """The work of a basin map by its resolution: one crowd of a ball per start."""
    side = round(_pilot_balls(setting) ** (1 / setting.surface.dim))
    axes = [_sample(lo, hi, side) for lo, hi in setting.surface.domain]
    starts = np.stack([c.reshape(-1) for c in np.meshgrid(*axes)], axis=-1)
    p = pilot(setting, starts, {})
    return lambda resolution: seconds(setting, math.prod(resolution), 1, p)


def sweep_seconds(
    setting: Setting, start: tuple[float, ...], lr_min: float, lr_max: float
) -> Callable[[int], float]:
    """The work of a sweep by its count of rates: one crowd per rate unless the optimizer
    takes a rate per ball."""
    lrs = _sample(lr_min, lr_max, _pilot_balls(setting), log=True)
    p = pilot(setting, np.tile(np.asarray(start, dtype=np.float64), (len(lrs), 1)), {"lr": lrs})

    def estimate(count: int) -> float:
        rates = log_rates(lr_min, lr_max, count)
        return seconds(setting, count, len(groups(setting, {"lr": rates})), p)

    return estimate


def trainability_seconds(
    setting: Setting, start: tuple[float, ...], x_axis: Axis, y_axis: Axis
) -> Callable[[tuple[int, ...]], float]:
    """The work of an ``[nx, ny]`` trainability grid over the two axes."""
    side = round(_pilot_balls(setting) ** 0.5)
    xs, ys = (_sample(a.min, a.max, side, a.scale == "log") for a in (x_axis, y_axis))
    grid = {x_axis.name: np.tile(xs, side), y_axis.name: np.repeat(ys, side)}
    p = pilot(setting, np.tile(np.asarray(start, dtype=np.float64), (side * side, 1)), grid)

    def estimate(resolution: tuple[int, ...]) -> float:
        nx, ny = resolution
        shape = (ny, nx)
        xs = dataclasses.replace(x_axis, count=nx).values()
        ys = dataclasses.replace(y_axis, count=ny).values()
        values = {
            x_axis.name: np.broadcast_to(xs[None, :], shape).reshape(-1),
            y_axis.name: np.broadcast_to(ys[:, None], shape).reshape(-1),
        }
        return seconds(setting, nx * ny, len(groups(setting, values)), p)

    return estimate
