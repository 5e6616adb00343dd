"""What happened to a ball: one word for how its run ended, decided from where it stopped.

:func:`decide` takes the surface and an :class:`Ending` (what the runner knows about one
ball when its run stops: status, last position, exact gradient, the last few positions)
and returns an :class:`Outcome`: one of :data:`OUTCOMES`, and the index of the minimum
the ball is at (or jittering around) in ``surface.minima``.  It is pure and cheap: one
Hessian, a handful of function values and O(WINDOW) arithmetic, once per run end.

Sizes are measured against the plotted domain's diagonal D (what a student sees), and
"small" gradients and steps against the runner's own tolerances (``GRAD_TOL``,
``STEP_TOL``), so the words agree with the runner's ``converged``.

The rules, first match wins:

1. **Diverged** (the runner rejected a step: non-finite, or outside the runaway box).
   ``ran_away`` when the rejected point is finite and went the way the optimizer wants
   (lower f; with ``maximize``, higher) and, for descent, below every minimum on the map
   (so it cannot be a too-large step that happened to land lower on a bowl that has a
   bottom); otherwise ``diverged``: a non-finite point, or a step that flew off uphill.
2. **Still**: ``converged``, or the last :data:`STILL_STEPS` steps each no longer than
   ``STEP_TOL`` (the runner's own "did not move", e.g. L-BFGS ending every call at once).
3. **At a minimum**: within :data:`NEAR` · D of one of ``surface.minima`` (the nearest),
   and either still, or — without noise — its last step is itself shorter than NEAR · D
   (so a ball swinging *through* a minimum is not "at" it) → ``global_minimum`` /
   ``local_minimum``.  A noisy ball that keeps moving is jittering (rule 5), not at rest.
4. **A still ball elsewhere**, in order:

   * ``float16_stuck`` — float16 run whose last step had every non-zero component of
     the true gradient rounded to zero (the optimizer saw flat ground that is not flat);
   * the exact Hessian H = QΛQᵀ and c = Qᵀ∇f decide whether the ball sits *at* a
     stationary point: along every curved direction (|λᵢ|·NEAR·D > GRAD_TOL, i.e. over
     the "at a minimum" radius the slope changes by more than the runner's gradient
     tolerance) the local model's stationary point |cᵢ/λᵢ| lies within NEAR·D, and along
     every flat direction |cᵢ| ≤ GRAD_TOL.  Then the signs of the curved λᵢ name it:
     both signs → ``saddle``; only negative → ``maximum`` (a hilltop or ridge crest);
     only positive → ``local_minimum`` with ``minimum=None`` (a valley floor that is not
     in ``surface.minima``: off the plotted domain);
   * ``plateau`` — |∇f| ≤ :data:`PLATEAU_GRAD`: no stationary point near, the ground is
     just too flat to move on;
   * ``stalled`` — the gradient is not small but the optimizer stopped stepping
     (L-BFGS's ``tolerance_change`` ends every call before it moves).
5. **Noisy and moving** (gradient noise, mini-batches or SGLD temperature — or SAM, whose
   gradient at the ascent point x + e does not vanish at a minimum, so it never comes to
   rest; never "bouncing": the reversals are the noise's, or SAM's climb):

   * ``ran_away`` / ``crawling`` — steady progress (rule 6's ratio ≥ PROGRESS);
   * ``jittering`` around minimum m — every recent position is nearer to m than to any
     other minimum, and their mean distance to m is at most :data:`JITTER` · D;
   * ``plateau`` — |∇f| ≤ PLATEAU_GRAD: only the noise moves it, on flat ground;
   * ``jittering`` with ``minimum=None`` — kept moving by the noise around no single
     minimum (hot SGLD hopping between basins).
6. **Moving, no noise.**  The window's progress ratio = |last − first| / path length
   (the sum of the step lengths): ≈ 1 for steady progress, ≈ 0 for going back and forth,
   however many steps a swing takes (momentum swings last many steps, so counting
   reversals of consecutive steps would miss them).

   * ``ran_away`` — steady (ratio ≥ PROGRESS), off the plotted domain, and going the
     optimizer's way: f fell over the window and is below every minimum on the map
     (with ``maximize``: f rose).  It has not left the runaway box yet, but it will.  On
     a surface with no minimum anywhere (``Surface.no_minimum``: separable classes under
     cross-entropy) it need not have left the map: there is nowhere else to go;
   * ``bouncing`` — ratio < :data:`PROGRESS` and the swings are not dying out: the
     second half of the window's path is at least :data:`DYING` of the first half's;
   * ``crawling`` — otherwise: steady progress, or swings dying out on the way in.
     A run that took no step at all is also still on its way: crawling.

While a run goes, and ending early.  The same :func:`decide` on a run still going (its
window so far) is the run's *running verdict* (``Run.verdict``, streamed with every event
the pages play).  A run asked to end early (``Run(end_early=True)``: one ball, as the pages
run it; never the maps, whose crowds run to the end and keep their answers) ends at the step
where the verdict can no longer change: still for :data:`STILL_STEPS` steps with a still
outcome (:data:`STILL_OUTCOMES`), ``ran_away`` (rule 6: steady, off the map, below every
minimum), or ``bouncing`` over two full windows with the later window's path at least
:data:`SUSTAINED` of the earlier's (:func:`sustained_bouncing`).  It only shortens the run:
its steps are the unbroken run's, and ``tests/engine/test_outcome_early.py`` holds, for every
real-run case below, that its outcome is the unbroken run's too.

Why two deciders.  :func:`decide_crowd` applies the same rules, in the same order, to a
whole crowd at once (the maps' 65,536 balls); :func:`decide` applies them to one ball with
plain floats.  One decider over arrays would serve both, but for one ball numpy's cost per
call on tiny arrays dominates: ``bench/outcome.py`` measured the crowd form at a median 6.5×
the one-ball form on the same, already gathered ball (from 5× to 360×: a ball running away
off the saddle is decided in about a microsecond), and a whole one-ball run (its steps, then
the decision) at a median 3.9× as long with it — against a bar of 1.1×.  So both stay, and
``tests/engine/test_outcome_crowd.py`` holds them equal ball by ball, over cases that reach
every outcome except perhaps ``maximum``, ``stalled`` and ``float16_stuck`` (which
``tests/engine/test_outcome.py`` reaches one ball at a time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..backend import SCALAR
from ..surfaces import Surface

# What counts as "not moving": a gradient norm and a step length at most these.  The
# runner's ``converged`` uses the same two (it imports them from here).
GRAD_TOL = 1e-6
STEP_TOL = 1e-7

WINDOW = 64
"""How many recent steps the runner keeps for the decision (WINDOW + 1 positions).

64 rather than 32: the progress ratio only sees a swing as back-and-forth once the window
spans a whole swing.  Heavy-ball momentum β = 0.9 swings with a period of 2π/θ steps,
cos θ = (1 + β − lr·L)/(2√β): up to ~30 steps for lr·L ≥ 0.05 and ~60 for lr·L = 0.01 —
and a window of 64 also holds two halves of 32 steps for the DYING test.  Keeping 65
positions per ball is nothing next to the trace itself."""

NEAR = 1e-3
""""At" a point: within NEAR · D (D = the plotted domain's diagonal), today's page rule.
On the 10-wide roll_downhill plot that is 0.014, under one of its ~500 pixels: a ball
drawn on the minimum is called at it.  A converged ball (|∇f| ≤ 1e-6) is within |∇f|/λ
of its minimum, far inside that for any curvature λ ≥ 1e-3."""

STILL_STEPS = 4
"""A ball not marked converged is still when its last 4 steps each moved ≤ STEP_TOL
(four, not one: a single tiny step also happens mid-swing at a turning point)."""

PLATEAU_GRAD = 1e-4
"""|∇f| at or below this is "too small to move": at STEP_TOL = 1e-7, a learning rate of
1e-3 (small for these surfaces) would need |∇f| ≥ 1e-4 for a gradient step to count as
moving.  The catalog's surfaces are scaled to O(1) slopes, as are the runner's
absolute tolerances."""

PROGRESS = 0.5
"""Progress ratio at or above this is steady progress, below it going back and forth:
going forward a and back b gives (a − b)/(a + b) < 0.5 exactly when b > a/3, more than
a third of the path undone.  Measured: bouncing runs stay below 0.2 (GD at lr 1.2 on
roll_downhill ≤ 0.10, momentum 0.9 at lr 1 ≤ 0.20), GD on Rosenbrock's valley ≥ 0.98."""

DYING = 0.25
"""Swings whose second half-window path is under a quarter of the first half's are dying
out (settling, not bouncing).  A swing shrinking by ρ per step gives ρ^(WINDOW/2):
0.25 ↔ ρ ≈ 0.957, so heavy-ball momentum β ≤ 0.9 (ρ = √β ≈ 0.949) near a minimum counts
as settling, while GD at lr 0.99 on the parabola (ρ = 0.98, 0.52) still bounces.
Chaotic bouncing (momentum 0.9, lr 1 on roll_downhill) measured ≥ 0.29 in every window."""

EARLY_CHECK = 16
"""A run that ends early (``Run(end_early=True)``, the pages' runs) looks at its verdict
every EARLY_CHECK steps once its window is full: often enough that a runaway or a sustained
bounce ends within a fraction of a second at any speed, rare enough that deciding costs the
hot path little (a decision costs about as much as a few steps)."""

SUSTAINED = 0.9
"""Bouncing for good: over two full windows both going back and forth (ratio < PROGRESS,
swings not dying within each), the later window's path at least SUSTAINED of the earlier's.
A swing shrinking by ρ per step passes when ρ^WINDOW ≥ 0.9 (ρ ≥ 0.9984): after the rest of
a press of Play (1000 steps) it is still at least 0.9^(1000/64) ≈ 0.19 of its size, so
still bouncing — while GD at lr 0.99 on the parabola (ρ = 0.98), which is bouncing in any
one window but settles within 1000 steps, is not ended early."""

JITTER = 0.1
"""A noisy ball hovers around a minimum when its recent positions are on average within
a tenth of the diagonal of it: on the plot, a cloud around the minimum.  SGLD at its
default temperature 0.1 measures 0.03 on the parabola and 0.004 on Himmelblau."""

OUTCOMES = (
    "global_minimum",
    "local_minimum",
    "saddle",
    "maximum",
    "plateau",
    "ran_away",
    "diverged",
    "float16_stuck",
    "stalled",
    "bouncing",
    "crawling",
    "jittering",
)


@dataclass(frozen=True)
class Ending:
    """What the runner knows about one ball when its run stops."""

    status: str  # "converged" | "diverged" | "max_steps"
    position: tuple[float, ...]  # last sound position
    loss: float  # f there
    gradient: tuple[float, ...]  # exact ∇f there
    # last ≤ WINDOW+1 positions, oldest first, ending with `position` (just the start when
    # no step was taken)
    recent: tuple[tuple[float, ...], ...]
    # float16-underflowed gradient components of each of the recent steps
    # (len(recent) - 1 entries)
    underflows: tuple[int, ...]
    escape: tuple[float, ...] | None  # diverged: the rejected point (may hold inf/nan)
    escape_loss: float | None  # diverged: f at the rejected point (nan if not finite)
    noisy: bool  # kept moving by design: noise σ > 0, mini-batches, SGLD temperature > 0, SAM
    float16: bool  # the run's precision is float16
    maximize: bool  # gradient ascent


@dataclass(frozen=True)
class Outcome:
    kind: str  # one of OUTCOMES
    minimum: int | None  # index into surface.minima when at (or jittering around) one


def decide(surface: Surface, ending: Ending) -> Outcome:
    """How the ball's run ended (see the module's rules, applied in order)."""
    diagonal = math.hypot(*(hi - lo for lo, hi in surface.domain))
    near = NEAR * diagonal
    minima = surface.minima

    if ending.status == "diverged":
        return Outcome(_escape_kind(surface, ending), None)

    path = np.asarray(ending.recent, dtype=np.float64).reshape(len(ending.recent), -1)
    steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    still = ending.status == "converged" or (
        len(steps) > 0 and bool((steps[-STILL_STEPS:] <= STEP_TOL).all())
    )

    index, distance = _nearest(minima, ending.position)
    if index is not None and distance <= near:
        settled = still or (not ending.noisy and (len(steps) == 0 or steps[-1] <= near))
        if settled:
            return _at_minimum(minima, index)

    gradient_size = math.hypot(*ending.gradient)
    if still:
        return _resting(surface, ending, near, gradient_size)

    ratio = _progress(path, steps)
    steady = ratio is not None and ratio >= PROGRESS
    if steady and _running_away(surface, ending):
        return Outcome("ran_away", None)
    if ending.noisy:
        if steady:
            return Outcome("crawling", None)
        around = _hovering(minima, path, JITTER * diagonal)
        if around is not None:
            return Outcome("jittering", around)
        if gradient_size <= PLATEAU_GRAD:
            return Outcome("plateau", None)
        return Outcome("jittering", None)
    if ratio is not None and not steady and not _dying(steps):
        return Outcome("bouncing", None)
    return Outcome("crawling", None)


STILL_OUTCOMES = frozenset(
    ("global_minimum", "local_minimum", "saddle", "maximum", "plateau", "float16_stuck", "stalled")
)
"""What a still ball can be: a run that has stopped moving ends early with one of these."""


def sustained_bouncing(path: np.ndarray) -> bool:
    """Two full windows of positions (2·WINDOW + 1 of them, oldest first): the earlier
    window too goes back and forth with swings not dying (rule 6's tests), and the later
    window's path is at least :data:`SUSTAINED` of the earlier's.  With :func:`decide`
    saying ``bouncing`` on the later window, the ball is bouncing for good."""
    if len(path) < 2 * WINDOW + 1:
        return False
    steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    earlier, later = path[: WINDOW + 1], steps[WINDOW:]
    earlier_steps = steps[:WINDOW]
    ratio = _progress(earlier, earlier_steps)
    if ratio is None or ratio >= PROGRESS or _dying(earlier_steps):
        return False
    return float(later.sum()) >= SUSTAINED * float(earlier_steps.sum())


def _at_minimum(minima: tuple, index: int) -> Outcome:
    kind = "global_minimum" if minima[index].kind == "global" else "local_minimum"
    return Outcome(kind, index)


def _nearest(minima: tuple, point: tuple[float, ...]) -> tuple[int | None, float]:
    best, best_d = None, math.inf
    for i, m in enumerate(minima):
        d = math.dist(m.position, point)
        if d < best_d:
            best, best_d = i, d
    return best, best_d


def _better(ending: Ending, new: float, old: float) -> bool:
    """``new`` is where the optimizer wants to go from ``old`` (lower f; higher with maximize)."""
    return new > old if ending.maximize else new < old


def _below_the_map(surface: Surface, ending: Ending, value: float) -> bool:
    """Ascent: always; descent: f is below every minimum on the map (or there is none)."""
    minima = surface.minima
    return ending.maximize or not minima or value < min(m.value for m in minima)


def _escape_kind(surface: Surface, ending: Ending) -> str:
    escape, value = ending.escape, ending.escape_loss
    if escape is None or value is None:
        return "diverged"
    if not (all(math.isfinite(c) for c in escape) and math.isfinite(value)):
        return "diverged"
    if _better(ending, value, ending.loss) and _below_the_map(surface, ending, value):
        return "ran_away"
    return "diverged"


def _resting(surface: Surface, ending: Ending, near: float, gradient_size: float) -> Outcome:
    """A ball that no longer moves, not at a listed minimum (rule 4)."""
    if ending.float16 and ending.underflows:
        nonzero = sum(1 for g in ending.gradient if g != 0)
        if nonzero and ending.underflows[-1] >= nonzero:
            return Outcome("float16_stuck", None)
    critical = _critical_point(surface, ending, near)
    if critical is not None:
        return Outcome(critical, None)
    if gradient_size <= PLATEAU_GRAD:
        return Outcome("plateau", None)
    return Outcome("stalled", None)


def _critical_point(surface: Surface, ending: Ending, near: float) -> str | None:
    """saddle / maximum / local_minimum when the ball sits at a curved stationary point."""
    try:
        h = np.array(surface.hess(SCALAR, *ending.position), dtype=np.float64)
    except (ArithmeticError, ValueError):
        return None
    g = np.array(ending.gradient, dtype=np.float64)
    if not (np.isfinite(h).all() and np.isfinite(g).all()):
        return None
    lam, q = np.linalg.eigh(h)
    c = q.T @ g
    curved = np.abs(lam) * near > GRAD_TOL
    if not curved.any():
        return None
    if (np.abs(c[~curved]) > GRAD_TOL).any():
        return None
    if np.linalg.norm(c[curved] / lam[curved]) > near:
        return None
    down, up = (lam[curved] < 0).any(), (lam[curved] > 0).any()
    if down and up:
        return "saddle"
    return "maximum" if down else "local_minimum"


def _progress(path: np.ndarray, steps: np.ndarray) -> float | None:
    """|last − first| / path length over the window; None when it did not move."""
    total = float(steps.sum())
    if not total > 0:
        return None
    return float(np.linalg.norm(path[-1] - path[0])) / total


def _dying(steps: np.ndarray) -> bool:
    """The swings are dying out: the later half of the path is under DYING of the earlier."""
    if len(steps) < 8:
        return False
    half = len(steps) // 2
    earlier, later = float(steps[:half].sum()), float(steps[-half:].sum())
    return later < DYING * earlier


def _running_away(surface: Surface, ending: Ending) -> bool:
    """Off the plotted domain (or on a surface with no minimum anywhere) and steadily
    going the optimizer's way, past every minimum."""
    inside = all(lo <= c <= hi for c, (lo, hi) in zip(ending.position, surface.domain, strict=True))
    if inside and not surface.no_minimum:
        return False
    try:
        before = surface.value(SCALAR, *ending.recent[0])
    except (ArithmeticError, ValueError):
        return False
    return _better(ending, ending.loss, before) and _below_the_map(surface, ending, ending.loss)


def _hovering(minima: tuple, path: np.ndarray, radius: float) -> int | None:
    """The minimum every recent position is nearest to, if they stay within ``radius``."""
    if not minima:
        return None
    centres = np.array([m.position for m in minima], dtype=np.float64)
    d = np.linalg.norm(path[:, None, :] - centres[None, :, :], axis=-1)
    nearest = d.argmin(axis=1)
    index = int(nearest[-1])
    if (nearest != index).any() or d[:, index].mean() > radius:
        return None
    return index


# --- a crowd at once ---------------------------------------------------------------------------

NO_MINIMUM = -1
""":func:`decide_crowd`'s minimum index for a ball at no minimum (the scalar form's None)."""


@dataclass(frozen=True)
class Crowd:
    """What the runner knows about a whole crowd when it stops: :class:`Ending`'s fields as
    arrays over the batch (``recent`` stacked as (L, ..., dim), ``underflows`` the last
    step's counts or None)."""

    status: np.ndarray  # the runner's codes: 1 converged, 2 diverged, 3 max_steps
    position: np.ndarray  # (..., dim)
    loss: np.ndarray  # (...)
    gradient: np.ndarray  # (..., dim)
    recent: np.ndarray  # (L, ..., dim), oldest first
    underflows: np.ndarray | None  # (...) float16 runs: the last step's underflow count
    escape: np.ndarray  # (..., dim), NaN where the ball did not diverge
    escape_loss: np.ndarray  # (...)
    noisy: np.ndarray  # (...) bool
    float16: bool
    maximize: np.ndarray  # (...) bool


CONVERGED_CODE, DIVERGED_CODE = 1, 2  # the runner's status codes (runner.py owns them)


def decide_crowd(surface: Surface, crowd: Crowd) -> tuple[np.ndarray, np.ndarray]:
    """:func:`decide` for every ball at once: (outcome codes — indices into OUTCOMES —
    and minimum indices, NO_MINIMUM for none), each of the batch shape.  The same rules in
    the same order, on arrays; a test holds it equal to :func:`decide` ball by ball."""
    shape = crowd.loss.shape
    kind = np.full(shape, -1, dtype=np.int8)
    minimum = np.full(shape, NO_MINIMUM, dtype=np.int16)
    code = {name: i for i, name in enumerate(OUTCOMES)}
    diagonal = math.hypot(*(hi - lo for lo, hi in surface.domain))
    near = NEAR * diagonal
    minima = surface.minima

    def settle(mask: np.ndarray, name: str, at: np.ndarray | int = NO_MINIMUM) -> None:
        """Give the undecided balls of ``mask`` outcome ``name`` (first match wins)."""
        mask = mask & (kind < 0)
        kind[mask] = code[name]
        if not isinstance(at, int) or at != NO_MINIMUM:
            minimum[mask] = np.broadcast_to(at, shape)[mask]

    with np.errstate(all="ignore"):
        # 1. diverged
        diverged = crowd.status == DIVERGED_CODE
        value = crowd.escape_loss
        finite = np.isfinite(crowd.escape).all(axis=-1) & np.isfinite(value)
        ran = finite & _better_crowd(crowd, value, crowd.loss) & _below_crowd(minima, crowd, value)
        settle(diverged & ran, "ran_away")
        settle(diverged, "diverged")

        # 2. still
        steps = np.linalg.norm(np.diff(crowd.recent, axis=0), axis=-1)  # (L-1, ...)
        moved = len(steps) > 0
        still = crowd.status == CONVERGED_CODE
        if moved:
            still = still | (steps[-STILL_STEPS:] <= STEP_TOL).all(axis=0)

        # 3. at a minimum
        if minima:
            centres = np.array([m.position for m in minima], dtype=np.float64)
            d = np.linalg.norm(crowd.position[None, ...] - _rows(centres, crowd.position), axis=-1)
            index = d.argmin(axis=0)
            close = d.min(axis=0) <= near
            last_short = (steps[-1] <= near) if moved else np.ones(shape, bool)
            settled = still | (~crowd.noisy & last_short)
            global_ = np.array([m.kind == "global" for m in minima])[index]
            settle(close & settled & global_, "global_minimum", index)
            settle(close & settled & ~global_, "local_minimum", index)

        # 4. a still ball elsewhere
        gradient_size = np.linalg.norm(crowd.gradient, axis=-1)
        if crowd.float16 and crowd.underflows is not None:
            nonzero = (crowd.gradient != 0).sum(axis=-1)
            settle(still & (nonzero > 0) & (crowd.underflows >= nonzero), "float16_stuck")
        resting = still & (kind < 0)
        if resting.any():
            for name, mask in _critical_points(surface, crowd, near, resting).items():
                settle(mask, name)
        settle(still & (gradient_size <= PLATEAU_GRAD), "plateau")
        settle(still, "stalled")

        # 5 and 6. moving
        total = steps.sum(axis=0) if moved else np.zeros(shape)
        has_ratio = total > 0
        ratio = np.linalg.norm(crowd.recent[-1] - crowd.recent[0], axis=-1) / np.where(
            has_ratio, total, 1.0
        )
        steady = has_ratio & (ratio >= PROGRESS)
        settle(steady & _running_away_crowd(surface, crowd), "ran_away")
        noisy = crowd.noisy
        settle(noisy & steady, "crawling")
        undecided = noisy & (kind < 0)
        if minima and undecided.any():
            where = np.nonzero(undecided)
            around = np.full(shape, NO_MINIMUM)
            paths = crowd.recent[:, undecided]  # (L, n, dim)
            around[where] = _hovering_crowd(centres, paths, JITTER * diagonal)
            settle(around >= 0, "jittering", around)
        settle(noisy & (gradient_size <= PLATEAU_GRAD), "plateau")
        settle(noisy, "jittering")
        settle(has_ratio & ~steady & ~_dying_crowd(steps, shape), "bouncing")
        settle(np.ones(shape, bool), "crawling")
    return kind, minimum


def _rows(centres: np.ndarray, position: np.ndarray) -> np.ndarray:
    """(M, dim) centres shaped to broadcast against (M, ..., dim)."""
    return centres.reshape((len(centres),) + (1,) * (position.ndim - 1) + (centres.shape[1],))


def _better_crowd(crowd: Crowd, new: np.ndarray, old: np.ndarray) -> np.ndarray:
    return np.where(crowd.maximize, new > old, new < old)


def _below_crowd(minima: tuple, crowd: Crowd, value: np.ndarray) -> np.ndarray:
    if not minima:
        return np.ones(value.shape, bool)
    return np.asarray(crowd.maximize | (value < min(m.value for m in minima)))


def _critical_points(
    surface: Surface, crowd: Crowd, near: float, resting: np.ndarray
) -> dict[str, np.ndarray]:
    """saddle / maximum / local_minimum masks for the resting balls (rule 4, vectorized)."""
    from ..backend import NUMPY

    where = np.nonzero(resting)
    points = crowd.position[where]  # (n, dim)
    n, dim = points.shape
    rows = surface.hess(NUMPY, *(points[:, i] for i in range(dim)))
    h = np.empty((n, dim, dim))
    for i in range(dim):
        for j in range(dim):
            h[:, i, j] = np.broadcast_to(np.asarray(rows[i][j], dtype=np.float64), (n,))
    g = crowd.gradient[where]
    sound = np.isfinite(h).all(axis=(1, 2)) & np.isfinite(g).all(axis=1)
    h = np.where(sound[:, None, None], h, 0.0)
    lam, q = np.linalg.eigh(h)
    c = np.einsum("nji,nj->ni", q, np.where(sound[:, None], g, 0.0))
    curved = np.abs(lam) * near > GRAD_TOL
    flat_ok = ~((np.abs(c) > GRAD_TOL) & ~curved).any(axis=1)
    offset = np.sqrt((np.where(curved, c / np.where(curved, lam, 1.0), 0.0) ** 2).sum(axis=1))
    at = sound & curved.any(axis=1) & flat_ok & (offset <= near)
    down = (curved & (lam < 0)).any(axis=1)
    up = (curved & (lam > 0)).any(axis=1)
    out = {}
    for name, mask in (
        ("saddle", at & down & up),
        ("maximum", at & down & ~up),
        ("local_minimum", at & up & ~down),
    ):
        full = np.zeros(resting.shape, bool)
        full[where] = mask
        out[name] = full
    return out


def _dying_crowd(steps: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if len(steps) < 8:
        return np.zeros(shape, bool)
    half = len(steps) // 2
    return np.asarray(steps[-half:].sum(axis=0) < DYING * steps[:half].sum(axis=0))


def _running_away_crowd(surface: Surface, crowd: Crowd) -> np.ndarray:
    from ..backend import NUMPY

    inside = np.ones(crowd.loss.shape, bool)
    for axis, (lo, hi) in enumerate(surface.domain):
        c = crowd.position[..., axis]
        inside &= (lo <= c) & (c <= hi)
    first = crowd.recent[0]
    before = np.broadcast_to(
        surface.value(NUMPY, *(first[..., i] for i in range(first.shape[-1]))), crowd.loss.shape
    )
    away = np.full(crowd.loss.shape, True) if surface.no_minimum else ~inside
    return np.asarray(
        away
        & _better_crowd(crowd, crowd.loss, before)
        & _below_crowd(surface.minima, crowd, crowd.loss)
    )


def _hovering_crowd(centres: np.ndarray, path: np.ndarray, radius: float) -> np.ndarray:
    """For paths (L, n, dim): the minimum every recent position is nearest to, if they stay
    within ``radius`` of it on average, else NO_MINIMUM."""
    d = np.linalg.norm(path[:, None, :, :] - centres[None, :, None, :], axis=-1)  # (L, M, n)
    nearest = d.argmin(axis=1)  # (L, n)
    index = nearest[-1]
    same = (nearest == index[None, :]).all(axis=0)
    mean = np.take_along_axis(d, index[None, None, :], axis=1)[:, 0].mean(axis=0)
    return np.where(same & (mean <= radius), index, NO_MINIMUM)
