"""Suggested learning rates: with them, each landscape shows what its caption promises.

Every run goes through the real runner from the surface's default start (or a named one)
and asserts what a student would see on the map: where the ball ends up, whether it
zigzags, crawls, dawdles or is thrown off the map.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from app.engine.backend import SCALAR
from app.engine.optimizers import OPTIMIZERS
from app.engine.run import run, start_state, status_names
from app.engine.suggest import suggested_lr, suggested_lrs
from app.engine.surfaces import SURFACES, Minimum, Surface

from .optimizer_cases import CASES

SURFACE_IDS = sorted(SURFACES)
KAPPAS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 300.0, 1000.0)
# Step-sized from the start (RAdam only after its gradient-step warm-up), with how long
# their first step is in units of lr (the table of cases).
STEP_SIZED = [oid for oid, case in CASES.items() if case.first_step is not None]


def ravine(kappa: float) -> Surface:
    return SURFACES["ravine"].with_parameters({"kappa": kappa})


def every_surface() -> list[Surface]:
    return [SURFACES[sid] for sid in SURFACE_IDS] + [ravine(k) for k in KAPPAS]


def label(s: Surface) -> str:
    return f"{s.id}{dict(s.parameter_values)}"


def descend(
    surface: Surface,
    steps: int,
    lr: float | None = None,
    start: Sequence[float] | None = None,
    optimizer: str = "sgd",
    **hyperparameters: Any,
) -> tuple[np.ndarray, str]:
    """Positions (steps + 1, dim) of one ball and its final status; plain gradient descent
    at the suggested rate unless told otherwise."""
    opt = OPTIMIZERS[optimizer]
    given = {"lr": suggested_lr(surface, optimizer) if lr is None else lr, **hyperparameters}
    state = start_state(surface, opt, np.asarray(start or surface.start, dtype=np.float64))
    trace, r = run(surface, opt, opt.validate(given), state, steps)
    return np.array(trace.positions, dtype=np.float64), str(status_names(r.status))


def inside(surface: Surface, points: np.ndarray) -> bool:
    return all(
        ((points[:, i] >= lo) & (points[:, i] <= hi)).all()
        for i, (lo, hi) in enumerate(surface.domain)
    )


def settled_in(surface: Surface, positions: np.ndarray, status: str) -> Minimum:
    """The minimum the ball came to rest in (it must have converged, inside the domain)."""
    assert status == "converged", f"still {status} at {positions[-1]}"
    assert inside(surface, positions), "the ball left the domain on its way"
    end = positions[-1]
    nearest = min(surface.minima, key=lambda m: float(np.abs(np.subtract(m.position, end)).max()))
    assert np.abs(np.subtract(nearest.position, end)).max() < 1e-3, f"rests at {end}, no minimum"
    return nearest


def value(surface: Surface, p: Sequence[float]) -> float:
    return float(surface.value(SCALAR, *p))


# --- one lesson per landscape ------------------------------------------------------------


def roll_downhill(s: Surface) -> None:
    """A wavy bowl: gradient descent from the start stops in a local dip, not the bottom."""
    m = settled_in(s, *descend(s, 500))
    assert m.kind == "local"
    assert m.value > min(n.value for n in s.minima) + 0.2


def parabola(s: Surface) -> None:
    """Convex, one minimum; diverges once lr > 1: the suggestion stays below 1, overshoots
    the bottom each step (the sign flips) and still converges to 0."""
    lr = suggested_lr(s, "sgd")
    assert 0.5 < lr < 1.0
    p, status = descend(s, 500)
    assert (np.sign(p[1:12, 0]) == -np.sign(p[:11, 0])).all()  # hops across the bottom
    assert settled_in(s, p, status).position == (0.0,)
    assert descend(s, 100, lr=1.05)[1] == "diverged"  # just past lr = 1 it blows up


def double_well(s: Surface) -> None:
    """Two valleys, the left one deeper: where you start decides where you end."""
    right = settled_in(s, *descend(s, 500))
    left = settled_in(s, *descend(s, 500, start=(-1.8,)))
    assert right.position[0] > 0 and right.kind == "local"
    assert left.position[0] < 0 and left.kind == "global"


def plateau_wall(s: Surface) -> None:
    """Far out on the plateau the gradient nearly vanishes: the first steps barely move; the
    ball still gets down to the minimum without being flung off the wall."""
    p, status = descend(s, 2000)
    steps = np.abs(np.diff(p[:, 0]))
    assert steps[:20].max() < 0.01  # a few thousandths per step
    assert p[20, 0] > s.start[0] - 0.2
    assert settled_in(s, p, status).kind == "global"


def rosenbrock(s: Surface) -> None:
    """Easy to fall into: within ten steps the ball sits on the valley floor y = x² and
    stays there; slow to follow: after 1000 steps it is still well short of (1, 1)."""
    p, status = descend(s, 1000)
    assert status != "diverged" and inside(s, p)
    off_floor = np.abs(p[:, 1] - p[:, 0] ** 2)
    assert off_floor[0] > 0.2
    assert off_floor[10:].max() < 0.03
    assert p[1000, 0] > p[10, 0] + 0.3  # it does follow the valley ...
    assert np.hypot(p[1000, 0] - 1, p[1000, 1] - 1) > 1.0  # ... slowly


def himmelblau(s: Surface) -> None:
    """Four equally deep valleys: which one you reach depends on where you start (a start
    in each quadrant reaches that quadrant's valley) and how you move (from the same
    start, Adam and gradient descent end in different valleys)."""
    reached = set()
    for start in ((3.0, 3.0), (-3.0, 3.0), (-3.0, -3.0), (3.0, -3.0)):
        m = settled_in(s, *descend(s, 500, start=start))
        assert m.kind == "global"
        assert np.sign(m.position).tolist() == np.sign(start).tolist()
        reached.add(m.position)
    assert len(reached) == 4
    gd = settled_in(s, *descend(s, 500))
    adam = settled_in(s, *descend(s, 1000, optimizer="adam"))
    assert gd.position != adam.position


def beale(s: Surface) -> None:
    """A flat basin between steep ridges: the loss falls fast, then the ball takes hundreds
    of steps across the flat basin to (3, 0.5), never thrown up a ridge."""
    p, status = descend(s, 3000)
    assert status != "diverged" and inside(s, p)
    losses = np.array([value(s, q) for q in p])
    assert losses.max() <= losses[0]
    assert losses[50] < 0.05 * losses[0]
    distance = np.hypot(p[:, 0] - 3.0, p[:, 1] - 0.5)
    assert distance[300] > 0.2  # still crossing the basin
    assert distance[-1] < 0.01


def booth(s: Surface) -> None:
    """A tilted, stretched bowl, a fair first test: converges to (1, 3), promptly, the loss
    falling every step."""
    p, status = descend(s, 500)
    assert settled_in(s, p, status).position == pytest.approx((1.0, 3.0), abs=1e-6)
    assert len(p) < 200
    losses = [value(s, q) for q in p]
    assert all(b < a for a, b in zip(losses, losses[1:-1], strict=False))


def rastrigin(s: Surface) -> None:
    """A dimple near every whole-number point: gradient descent settles in the one next to
    the start, not at the origin; started in the middle one, it reaches the origin."""
    m = settled_in(s, *descend(s, 500))
    assert m.kind == "local"
    assert np.abs(np.subtract(m.position, np.round(m.position))).max() < 0.05
    assert np.abs(np.subtract(m.position, s.start)).max() < 1.0
    centre = settled_in(s, *descend(s, 500, start=(0.3, 0.2)))
    assert centre.kind == "global"


def ackley(s: Surface) -> None:
    """A dimpled plain with a funnel: from the start, gradient descent settles in a dimple
    on the plain far from the funnel; inside the funnel the sharp tip gives it no small
    gradient to settle on, so it rattles across the tip for ever."""
    m = settled_in(s, *descend(s, 500))
    assert m.kind == "local" and m.value > 5.0
    assert math.hypot(*m.position) > 2.0
    p, status = descend(s, 2000, start=(0.3, -0.2))
    assert status == "max_steps"
    assert np.hypot(p[-100:, 0], p[-100:, 1]).max() < 0.2  # at the tip ...
    assert np.hypot(*np.diff(p[-100:], axis=0).T).min() > 0.05  # ... still jumping


def goldstein_price(s: Surface) -> None:
    """A step size that suits one place fails in another: the suggestion, sized for the
    steep start, brings gradient descent down into a shallow pit (f = 840), while the rate
    that suits the narrow deepest pit at (0, −1) throws the ball off the map at once."""
    m = settled_in(s, *descend(s, 3000))
    assert m.kind == "local" and m.value == pytest.approx(840.0)
    pit = next(n for n in s.minima if n.kind == "global")
    stiffest = max(np.linalg.eigvalsh(np.array(s.hess(SCALAR, *pit.position))))
    p, status = descend(s, 50, lr=1.6 / stiffest)
    assert status == "diverged" and len(p) <= 3


def six_hump_camel(s: Surface) -> None:
    """Six valleys, two deepest near the middle: from the flank start gradient descent
    settles in a shallow flank valley; started near the middle, in a deepest one."""
    flank = settled_in(s, *descend(s, 500))
    assert flank.kind == "local" and abs(flank.position[0]) > 1.5
    for start in ((0.5, -0.5), (-0.5, 0.5)):
        middle = settled_in(s, *descend(s, 500, start=start))
        assert middle.kind == "global" and abs(middle.position[0]) < 0.1


def styblinski_tang(s: Surface) -> None:
    """Four valleys, one per quadrant: gradient descent settles in whichever is nearest —
    from the upper-right start the upper-right valley, not the deepest at the lower left."""
    for start in (s.start, (-4.5, -4.5), (4.5, -4.5), (-4.5, 4.5)):
        m = settled_in(s, *descend(s, 500, start=start))
        assert np.sign(m.position).tolist() == np.sign(start).tolist()
        assert (m.kind == "global") == (start == (-4.5, -4.5))


def mccormick(s: Surface) -> None:
    """A sloping trough with a wave along it: rolling down the trough from the start,
    gradient descent is stopped by the wave in the upper minimum; started below the wave,
    it reaches the deeper one at the lower left."""
    upper = settled_in(s, *descend(s, 500))
    assert upper.kind == "local" and upper.position[0] > 2.0
    lower = settled_in(s, *descend(s, 500, start=(0.0, -2.0)))
    assert lower.kind == "global" and lower.position[0] < 0


def saddle(s: Surface) -> None:
    """Gradient descent dawdles near the flat centre — short steps, many of them — before
    sliding off downhill along y and out of the domain."""
    p, status = descend(s, 500)
    assert status == "diverged"  # it ran away: the saddle has no bottom
    radius = np.hypot(p[:, 0], p[:, 1])
    steps = np.hypot(*np.diff(p, axis=0).T)
    slowest = int(np.argmin(steps))
    assert radius[slowest] < 0.25  # the slowest step is taken by the centre
    assert steps[slowest] < steps[0] / 10
    assert (radius < 0.3).sum() >= 8  # it lingers there
    left = int(np.argmax(np.abs(p[:, 1]) > 2.0))  # the first step off the map
    assert left > 20 and abs(p[left, 0]) < 0.01  # slid off along y, x long since settled


def ravine_at(kappa: float) -> None:
    s = ravine(kappa)
    p, status = descend(s, 5000)
    # Across the valley: y changes sign every step for the first twenty — a zigzag that
    # is visible (over 1% of the 6-wide map) for the first five.
    y = p[:, 1]
    assert (np.sign(y[1:21]) == -np.sign(y[:20])).all()
    assert (np.abs(y[:6]) > 0.06).all()
    # Along it: x creeps monotonically toward 0, and once the zigzag has faded the ball
    # has not yet covered half of the floor.
    x = p[:, 0]
    assert (np.diff(np.abs(x)) < 0).all()
    faded = int(np.argmax(np.abs(y) < 0.06))
    assert abs(x[faded]) > 0.5 * abs(x[0])
    assert settled_in(s, p, status).position == pytest.approx((0.0, 0.0), abs=1e-6)


def ravine_lesson(s: Surface) -> None:
    """κ times steeper across than along: gradient descent zigzags across the valley while
    it creeps along it (κ = 100, the default, and κ = 20)."""
    assert s.parameter_values["kappa"] == 100.0
    ravine_at(20.0)
    ravine_at(100.0)


def plateau(s: Surface) -> None:
    """Far out the gradient is a few thousandths, so gradient descent's steps barely move:
    it crawls for fifty steps while Adam, whose steps do not shrink with the gradient,
    covers the same ground many times over; it is never thrown off the map, and finally
    drops into the well."""
    p, status = descend(s, 1000)
    steps = np.hypot(*np.diff(p, axis=0).T)
    assert steps[:50].max() < 0.01
    crawled = math.hypot(*(p[50] - p[0]))
    assert crawled < 0.3
    q, _ = descend(s, 50, optimizer="adam")
    assert math.hypot(*(q[50] - q[0])) > 5 * crawled
    assert settled_in(s, p, status).kind == "global"


def rippled_bowl(s: Surface) -> None:
    """A bowl with ripples, thirteen minima: from the start gradient descent is caught in a
    ripple; started in the middle ripple, it reaches the centre."""
    m = settled_in(s, *descend(s, 500))
    assert m.kind == "local"
    assert settled_in(s, *descend(s, 500, start=(0.5, 0.3))).position == pytest.approx((0, 0))


def sharp_and_wide(s: Surface) -> None:
    """Two equally deep minima: from the start at the pit's edge, gradient descent at the
    suggested rate drops into the pit; from the bowl's side it settles in the bowl."""
    pit, bowl = sorted(s.minima, key=lambda m: -m.position[0])
    assert settled_in(s, *descend(s, 3000)) == pit
    away = tuple(c - 0.8 for c in bowl.position)
    assert settled_in(s, *descend(s, 3000, start=away)) == bowl


LESSONS: dict[str, Callable[[Surface], None]] = {
    "roll_downhill": roll_downhill,
    "parabola": parabola,
    "double_well": double_well,
    "plateau_wall": plateau_wall,
    "rosenbrock": rosenbrock,
    "himmelblau": himmelblau,
    "beale": beale,
    "booth": booth,
    "rastrigin": rastrigin,
    "ackley": ackley,
    "goldstein_price": goldstein_price,
    "six_hump_camel": six_hump_camel,
    "styblinski_tang": styblinski_tang,
    "mccormick": mccormick,
    "saddle": saddle,
    "ravine": ravine_lesson,
    "plateau": plateau,
    "rippled_bowl": rippled_bowl,
    "sharp_and_wide": sharp_and_wide,
    "sharp_and_wide_1d": sharp_and_wide,
}


def test_every_landscape_has_a_lesson() -> None:
    assert set(LESSONS) == set(SURFACES)


@pytest.mark.parametrize("surface_id", SURFACE_IDS)
def test_gradient_descent_at_the_suggestion_shows_the_caption(surface_id: str) -> None:
    LESSONS[surface_id](SURFACES[surface_id])


# --- across landscapes ----------------------------------------------------------------------


@pytest.mark.parametrize("surface", every_surface(), ids=label)
def test_every_optimizer_gets_a_positive_finite_rate(surface: Surface) -> None:
    rates = suggested_lrs(surface)
    presets = {p.id for p in OPTIMIZERS["sgd"].presets}
    assert set(rates) == set(OPTIMIZERS) | presets
    for key, lr in rates.items():
        assert math.isfinite(lr) and lr > 0, key
        oid = "sgd" if key in presets else key
        OPTIMIZERS[oid].validate({"lr": lr})  # inside the optimizer's own lr range
    assert rates["gd"] == rates["momentum"] == rates["sgd"] >= rates["nesterov"]
    for oid, opt in OPTIMIZERS.items():  # those that size their own steps keep torch's lr
        if opt.lr_scales == "own":
            (default,) = (h.default for h in opt.hyperparameters if h.name == "lr")
            assert rates[oid] == default


def test_the_step_sized_cases_are_the_catalogs() -> None:
    # What the catalog says lr sets is what the table's step-sized cases are tested for.
    assert [
        oid for oid, o in OPTIMIZERS.items() if o.lr_scales == "step" and not o.gradient_warm_up
    ] == STEP_SIZED
    assert {oid for oid, o in OPTIMIZERS.items() if o.lr_scales == "own"} >= {
        "adadelta",
        "rprop",
        "lbfgs",
        "newton",
    }


@pytest.mark.parametrize("kappa", KAPPAS)
def test_the_suggestion_follows_kappa(kappa: float) -> None:
    """For every condition number, gradient descent at the suggestion zigzags across the
    ravine (1/κ < lr) and converges (lr < 2/κ); momentum and Nesterov at theirs settle."""
    s = ravine(kappa)
    p, status = descend(s, 20000)
    assert (np.sign(p[1:11, 1]) == -np.sign(p[:10, 1])).all()
    assert status == "converged"
    for preset, extra in (("momentum", {}), ("nesterov", {"nesterov": True})):
        _, status = descend(s, 20000, lr=suggested_lr(s, preset), momentum=0.9, **extra)
        assert status == "converged", preset


def test_the_suggestion_shrinks_as_kappa_grows() -> None:
    rates = [suggested_lr(ravine(k), "sgd") for k in KAPPAS]
    assert all(b < a for a, b in zip(rates, rates[1:], strict=False))
    assert suggested_lr(ravine(20.0), "sgd") > 2 * suggested_lr(ravine(100.0), "sgd")


@pytest.mark.parametrize("surface", every_surface(), ids=label)
@pytest.mark.parametrize("optimizer", STEP_SIZED)
def test_step_sized_optimizers_move_about_lr_per_step(surface: Surface, optimizer: str) -> None:
    """Whatever the gradient's size (a few thousandths on the plateau, 80 000 at
    Goldstein–Price's start), the first step moves a coordinate by about lr (RMSprop's by
    10·lr: its square average starts at zero; Muon's, a direction, is about 0.7·lr long),
    and none of the next twenty goes further;
    lr is about 1% of the map, so the ball crosses it in about a hundred steps."""
    lr, case = suggested_lr(surface, optimizer), CASES[optimizer]
    p, status = descend(surface, 20, optimizer=optimizer, **case.first_step_extra)
    assert status != "diverged"
    steps = np.diff(p, axis=0)
    if case.first_step_measure == "length":
        moves = np.linalg.norm(steps, axis=1) / lr
    else:
        moves = np.abs(steps).max(axis=1) / lr
    first = case.first_step
    assert first is not None
    assert moves[0] == pytest.approx(first, rel=0.1)
    assert moves.max() < 2 * first
    span = min(hi - lo for lo, hi in surface.domain)
    assert 0.005 * span < lr < 0.015 * span


@pytest.mark.parametrize("surface", every_surface(), ids=label)
def test_radam_warm_up_stays_on_the_map(surface: Surface) -> None:
    """RAdam's first five steps are plain gradient steps (lr·m̂): at the suggestion they
    stay on the map, where 1% of the domain throws it off several landscapes."""
    p, status = descend(surface, 5, optimizer="radam")
    assert status != "diverged" and len(p) == 6
    if surface.minima:
        assert inside(surface, p)
