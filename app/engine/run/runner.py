"""Run an optimizer on a surface: step, record, stop, and say what happened.

A :class:`Run` moves a batch of balls (batch shape ``()`` for one ball) and reports each
step's positions, losses and gradients (:class:`~.trace.Trace`).  Each ball stops on its
own:

* ``converged`` — gradient norm <= ``grad_tol`` and the last step's length <= ``step_tol``;
* ``diverged`` — a non-finite value, or a position outside :meth:`Surface.runaway_box`
  (such a step is not recorded: the ball stays at its last sound position);
* ``max_steps`` — still moving when the requested steps are used up;
* ``decided`` — with ``end_early`` (one ball, as the pages run it): the engine can already
  tell how the run ends, so it ends there (:meth:`Run.decided`): the ball has stopped moving
  (a still outcome: stuck on float16, a plateau, a saddle, stalled …), it is running away,
  or it has been bouncing for two full windows without its swings dying
  (:func:`.outcome.sustained_bouncing`).  Its outcome is the one decided then.

While a run goes, :meth:`Run.verdict` is the outcome decided on the steps so far (None
until a full window of steps has been taken): what the stream sends as each run's
running verdict.

Finished balls keep their place while the others go on.  What that *means* — which
minimum, a saddle, ran away, bouncing … — is decided once a run stops, by
:func:`.outcome.decide`, from the last position and the recent steps this run took (the
window is not part of the resume state, so a run resumed for a few steps has little to
judge by: the pages only ask for an outcome after a real stretch of steps).  The
state after any step (:class:`~.state.RunState`) serializes to JSON; resuming from it gives
exactly the numbers of an unbroken run.

One ball runs on Python floats and a crowd on numpy arrays (see :mod:`app.engine.backend`):
two loops, :meth:`Run._advance_scalar` (the web API's hot path, free of masks) and
:meth:`Run._advance_batch` (finished balls frozen with masks), around one step,
:meth:`Run._step`, and tested against each other.
"""

from __future__ import annotations

import copy
import math
from collections import deque
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from ..backend import NUMPY, SCALAR, Vector, backend_for
from ..optimizers import Optimizer, Rule
from ..surfaces import Formulas, Surface
from .batches import Batch, mini_batches
from .options import PLAIN, RunOptions, apply_options, check_sam, sam_ascent, step_noise
from .outcome import (
    EARLY_CHECK,
    GRAD_TOL,
    NO_MINIMUM,
    OUTCOMES,
    STEP_TOL,
    STILL_OUTCOMES,
    STILL_STEPS,
    WINDOW,
    Crowd,
    Ending,
    Outcome,
    decide,
    decide_crowd,
    sustained_bouncing,
)
from .problem import StepProblem
from .schedules import BoundSchedule, hyperparameters_at
from .state import RunState
from .trace import Trace

RUNNING, CONVERGED, DIVERGED, MAX_STEPS, DECIDED = 0, 1, 2, 3, 4
# What Run._step returns: (positions, optimizer state, lr, applied gradient, underflows,
# evaluations, the mini-batch, SAM's (ascent point, the gradient there) or None).
Stepped = tuple[
    Vector, Any, float, Vector, Any, Any, "Batch | None", "tuple[Vector, Vector] | None"
]
STATUS_NAMES = {
    RUNNING: "running",
    CONVERGED: "converged",
    DIVERGED: "diverged",
    MAX_STEPS: "max_steps",
    DECIDED: "decided",
}


class Run:
    """A run in progress.  ``advance(n)`` takes up to n more steps and returns them.

    ``options`` (noise, precision, clipping) turn the exact gradient into the one each step
    is given; ``schedule`` sets each step's learning rate (and, for OneCycleLR, momentum)
    from the step number alone, so a resumed run continues the schedule where it was.
    """

    def __init__(
        self,
        surface: Surface,
        optimizer: Optimizer,
        hyperparameters: Mapping[str, Any],
        state: RunState,
        grad_tol: float = GRAD_TOL,
        step_tol: float = STEP_TOL,
        *,
        options: RunOptions = PLAIN,
        schedule: BoundSchedule | None = None,
        sharpness: bool = False,
        end_early: bool = False,
    ) -> None:
        if end_early and state.batch_shape != ():
            raise ValueError("end_early is for one ball (a crowd's maps run to the end)")
        self.surface = surface
        self.record_sharpness = sharpness  # record each step's sharpness (Surface.sharpness)
        self.optimizer = optimizer
        self.hyperparameters = dict(hyperparameters)
        check_sam(options, optimizer)
        self.options = options
        # SAM's first gradient: noise and float16 as the second's, no clipping
        self.ascent_options = replace(options, sam_rho=0.0, clip_grad_value=0.0, clip_grad_norm=0.0)
        # On a model landscape with batch_size below the data's size: each step's batch.
        self.batches = mini_batches(options, surface)
        # the exact gradient goes to the optimizer unchanged
        self.plain = options.plain and self.batches is None
        self.schedule = None if schedule is None or schedule.is_constant else schedule
        self._bound: tuple[Any, ...] | None = None  # (lr, momentum, betas) of the bound rule
        self.rule: Rule | None = None
        self.batch_shape = state.batch_shape
        self.xp = backend_for(self.batch_shape)
        self.problem = StepProblem(surface, options, self.batch_shape)
        self.step = state.step
        self.position = state.position
        self.buffers = state.buffers
        self.grad_tol2 = grad_tol * grad_tol
        self.step_tol2 = step_tol * step_tol
        self.box = surface.runaway_box()
        self.gradient = surface.grad(self.xp, *self.position)
        self.loss = surface.value(self.xp, *self.position)
        self.status: Any = RUNNING if self.xp is SCALAR else np.zeros(self.batch_shape, np.int8)
        # For the outcome: the last positions and (float16 only) underflow counts, and where
        # a diverged ball was thrown (NaN until it is).
        self.recent: deque[Vector] = deque([self.position], maxlen=WINDOW + 1)
        self.recent_underflows: deque[Any] = deque(maxlen=WINDOW)
        nan = math.nan if self.xp is SCALAR else np.full(self.batch_shape, math.nan)
        self.escape: Vector = (nan,) * surface.dim
        self.escape_loss: Any = nan
        # A crowd counts each ball's steps (balls stop on their own; one ball: self.step).
        self.steps_taken: Any = None if self.xp is SCALAR else np.zeros(self.batch_shape, np.int64)
        # Early ending: this run's first step number, the positions of two windows (for a
        # sustained bounce) and how many steps in a row have not moved.
        self.end_early = end_early
        self.first_step = state.step
        self.longer: deque[Vector] = deque([self.position], maxlen=2 * WINDOW + 1)
        self.quiet = 0

    def state(self) -> RunState:
        return RunState(
            self.surface.id,
            self.optimizer.id,
            self.step,
            self.position,
            self.buffers,
            self.batch_shape,
        )

    def current(self) -> Trace:
        """The present point as a one-step trace (where a run or resumed run begins)."""
        zero = 0 if self.xp is SCALAR else np.zeros(self.batch_shape, np.int64)
        trace = Trace()
        trace.append(
            self.step,
            self.position,
            self.loss,
            self.gradient,
            None,
            None,
            zero,
            zero,
            self._sharpness(self.position),
            None,
            *self._readouts(self.step),
        )
        return trace

    def _readouts(self, step: int) -> tuple[Any, Any]:
        """What the optimizer reports of where it is after ``step`` steps, besides the ball
        (the trace's ``averages`` and ``step_sizes``): its averaged point and its own step
        size (None where it reports none).  As in a torch loop, where the scheduler has
        stepped by then, a scheduled hyperparameter is the next step's (epoch ``step``)."""
        opt = self.optimizer
        if opt.average is None and opt.step_size is None:
            return None, None
        hp = self.hyperparameters
        if self.schedule is not None and opt.average is not None:
            hp = hyperparameters_at(self.schedule, hp, step)
        average = None if opt.average is None else opt.average(self.buffers, self.position, hp)
        size = None if opt.step_size is None else opt.step_size(self.buffers)
        return average, size

    def nulls(self) -> frozenset[str]:
        """The step fields that carry nothing for this run (sent as null, see Trace)."""
        nulls = set()
        if self.schedule is None:
            nulls.add("lrs")
        if self.plain:
            nulls.add("applied_gradients")
        if self.options.precision != "float16":
            nulls.add("underflows")
        if not self.optimizer.evaluations_vary and not self.options.sam:
            nulls.add("evaluations")
        if not self.options.sam:
            nulls.update(("ascent_points", "ascent_gradients"))
        if not self.record_sharpness:
            nulls.add("sharpness")
        if self.batches is None:
            nulls.update(("epochs", "batches", "batch_points"))
        if self.optimizer.average is None:
            nulls.add("averages")
        if self.optimizer.step_size is None:
            nulls.add("step_sizes")
        return frozenset(nulls)

    def advance(self, n: int, record: bool = True) -> Trace:
        """Take up to ``n`` steps; their trace, or an empty one with ``record=False``
        (a crowd whose every step would not fit in memory: a map keeps only the end)."""
        trace = Trace()
        if self.xp is SCALAR:
            self._advance_scalar(n, trace)
        else:
            with np.errstate(all="ignore"):
                self._advance_batch(n, trace if record else None)
        return trace

    def finish(self) -> None:
        """Mark balls still rolling as having used up their steps."""
        if self.xp is SCALAR:
            if self.status == RUNNING:
                self.status = MAX_STEPS
        else:
            self.status = np.where(self.status == RUNNING, MAX_STEPS, self.status).astype(np.int8)

    def take(self, cells: np.ndarray) -> Run:
        """This crowd's balls at flat indices ``cells``, as a crowd of their own (shape
        (len(cells),)) that goes on exactly as they would have: a map sets finished balls
        aside so the rest step without masks.  (Not for runs that draw random numbers per
        ball — gradient noise, SGLD: a smaller crowd draws other numbers.)"""
        shape = self.batch_shape

        def part(v: Any) -> Any:
            if isinstance(v, tuple):
                return tuple(part(c) for c in v)
            if isinstance(v, np.ndarray) and v.ndim:
                return np.broadcast_to(v, shape).reshape(-1)[cells]
            return v

        def points(p: Vector) -> Vector:
            return tuple(np.broadcast_to(c, shape).reshape(-1)[cells] for c in p)

        new = copy.copy(self)
        new.batch_shape = (len(cells),)
        new.problem = StepProblem(self.surface, self.options, new.batch_shape)
        new.hyperparameters = {k: part(v) for k, v in self.hyperparameters.items()}
        new.rule, new._bound = None, None  # bound again to the balls' own values
        new.position, new.gradient, new.escape = map(
            points, (self.position, self.gradient, self.escape)
        )
        new.loss, new.escape_loss = points((self.loss, self.escape_loss))
        new.buffers = self.buffers.take(cells, shape)
        new.status = self.status.reshape(-1)[cells]
        new.steps_taken = self.steps_taken.reshape(-1)[cells]
        new.recent = deque((points(p) for p in self.recent), maxlen=self.recent.maxlen)
        new.recent_underflows = deque(
            (part(u) for u in self.recent_underflows), maxlen=self.recent_underflows.maxlen
        )
        return new

    # --- what happened --------------------------------------------------------------------

    def ending(self, index: tuple[int, ...] = ()) -> Ending:
        """What the run knows about ball ``index`` (``()`` for a single ball)."""

        def at(v: Any) -> float:
            return float(v if index == () else v[index])

        def point(p: Vector) -> tuple[float, ...]:
            return tuple(at(c) for c in p)

        diverged = self.status_of(index) == "diverged"

        def hp(name: str, default: Any) -> Any:  # a map may give each ball its own value
            v = self.hyperparameters.get(name, default)
            return v[index] if isinstance(v, np.ndarray) and v.ndim else v

        return Ending(
            status=self.status_of(index),
            position=point(self.position),
            loss=at(self.loss),
            gradient=point(self.gradient),
            recent=tuple(point(p) for p in self.recent),
            underflows=tuple(int(at(u)) for u in self.recent_underflows)
            or (0,) * (len(self.recent) - 1),
            escape=point(self.escape) if diverged else None,
            escape_loss=at(self.escape_loss) if diverged else None,
            noisy=self.options.noise > 0
            or hp("temperature", 0) > 0
            or self.batches is not None
            or self.options.sam,
            float16=self.options.precision == "float16",
            maximize=bool(hp("maximize", False)),
        )

    def verdict(self) -> Outcome | None:
        """The outcome decided on the steps so far: a run that has ended, its outcome;
        one still going, :func:`.outcome.decide` on its window once the window is full
        (before, too early to tell: None).  One ball only."""
        if self.status == RUNNING and self.step - self.first_step < WINDOW:
            return None
        return decide(self.surface, self.ending())

    def decided(self) -> Outcome | None:
        """Early ending's test after a step (see the module docstring): the outcome when
        the engine can already tell how the run ends, else None."""
        taken = self.step - self.first_step
        if self.quiet >= STILL_STEPS:
            outcome = decide(self.surface, self.ending())
            return outcome if outcome.kind in STILL_OUTCOMES else None
        if taken < WINDOW or taken % EARLY_CHECK:
            return None
        outcome = decide(self.surface, self.ending())
        if outcome.kind == "ran_away":
            return outcome
        if outcome.kind == "bouncing":
            path = np.asarray(self.longer, dtype=np.float64).reshape(len(self.longer), -1)
            if sustained_bouncing(path):
                return outcome
        return None

    def status_of(self, index: tuple[int, ...] = ()) -> str:
        return STATUS_NAMES[int(self.status if index == () else self.status[index])]

    def outcome(self) -> Any:
        """The :class:`Outcome` of a single ball, or an object array of them for a crowd."""
        if self.batch_shape == ():
            return decide(self.surface, self.ending())
        kinds, minima = self.outcome_codes()
        outcomes = np.empty(self.batch_shape, dtype=object)
        for index in np.ndindex(self.batch_shape):
            m = int(minima[index])
            outcomes[index] = Outcome(OUTCOMES[kinds[index]], None if m == NO_MINIMUM else m)
        return outcomes

    def outcome_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """A crowd's outcomes at once: indices into OUTCOMES and into the surface's minima
        (NO_MINIMUM for none), of the batch shape (:func:`.outcome.decide_crowd`)."""
        return decide_crowd(self.surface, self.crowd())

    def crowd(self) -> Crowd:
        """What :meth:`ending` says of each ball, as arrays over the crowd."""
        shape, hp = self.batch_shape, self.hyperparameters

        def each(v: Any) -> np.ndarray:
            return np.broadcast_to(np.asarray(v, dtype=np.float64), shape)

        def points(p: Vector) -> np.ndarray:
            return np.stack([each(c) for c in p], axis=-1)

        noisy = (
            (self.options.noise > 0)
            | (self.batches is not None)
            | self.options.sam
            | (np.asarray(hp.get("temperature", 0)) > 0)
        )
        return Crowd(
            status=np.asarray(self.status),
            position=points(self.position),
            loss=each(self.loss),
            gradient=points(self.gradient),
            recent=np.stack([points(p) for p in self.recent]),
            underflows=np.asarray(self.recent_underflows[-1]) if self.recent_underflows else None,
            escape=points(self.escape),
            escape_loss=each(self.escape_loss),
            noisy=np.broadcast_to(noisy, shape),
            float16=self.options.precision == "float16",
            maximize=np.broadcast_to(np.asarray(hp.get("maximize", False), bool), shape),
        )

    # --- one step for every ball ----------------------------------------------------------

    def _rule_for(self, step: int) -> tuple[Rule, float]:
        """The rule bound to step ``step``'s learning rate (and cycled momentum)."""
        hp = self.hyperparameters
        if self.schedule is None:  # the hot path: bound once
            if self.rule is None:
                self.rule = self.optimizer.bind(hp)
            return self.rule, hp["lr"]
        # torch: optimizer step k runs at the scheduler's epoch k − 1
        scheduled = hyperparameters_at(self.schedule, hp, step - 1)
        key = tuple(_comparable(scheduled.get(name)) for name in ("lr", "momentum", "betas"))
        if self.rule is None or self._bound != key:
            self.rule = self.optimizer.bind(scheduled)
            self._bound = key
        return self.rule, scheduled["lr"]

    def _step(self, step: int) -> Stepped:
        """Step ``step`` for every ball: (positions, optimizer state, lr, applied gradient,
        float16 underflows, evaluations, the mini-batch if any, SAM's ascent point and the
        gradient there if SAM is on).  With SAM the gradient at x, after noise and float16
        (not clipping), sets the ascent; the gradient at the ascent point goes through every
        option (the same noise draw) to the optimizer (see :mod:`.options`)."""
        rule, lr = self._rule_for(step)
        problem = self.problem
        # One draw of the step's noise serves the record and a whole-point rule's closure.
        noise = None
        if self.options.noise:
            noise = step_noise(self.options, step, self.batch_shape, self.surface.dim)
        batch, g = None, self.gradient
        landscape: Surface | Formulas = self.surface
        if self.batches is not None:  # the step sees the loss over its batch only
            batch = self.batches.at(step)
            landscape = batch.formulas
            g = landscape.grad(self.xp, *self.position)
        ascent = None
        if self.options.sam:  # climb first; the optimizer gets the gradient up there
            first = apply_options(self.ascent_options, step, g, self.batch_shape, noise)
            point = sam_ascent(self.options, self.position, first.gradient)
            g = landscape.grad(self.xp, *point)
            ascent = (point, g)
        if self.options.plain:
            underflow = 0
        else:
            applied = apply_options(self.options, step, g, self.batch_shape, noise)
            g, underflow = applied.gradient, applied.underflow
        problem.step, problem.position, problem.gradient = step, self.position, g
        problem.noise, problem.landscape = noise, landscape
        new_pos, buffers, evaluations = rule.step(problem, step, self.position, self.buffers)
        if ascent is not None:
            evaluations = evaluations + 1
        return new_pos, buffers, lr, g, underflow, evaluations, batch, ascent

    # One ball on floats: the hot path for the web API, kept free of masks and generators.
    def _advance_scalar(self, n: int, trace: Trace) -> None:
        if (
            self.schedule is None
            and self.plain
            and not self.record_sharpness
            and not self.end_early
            and self.optimizer.average is None
        ):
            rule, _ = self._rule_for(self.step + 1)
            if rule.update is not None:
                self._advance_plain(n, trace, rule.update)
                return
        xp, surface, isfinite = SCALAR, self.surface, math.isfinite
        float16 = self.options.precision == "float16"  # only float16 underflows
        sharpness = self.record_sharpness
        for _ in range(n):
            if self.status != RUNNING:
                break
            new_pos: Vector = ()
            loss = math.nan
            try:
                new_pos, buffers, lr, applied, underflow, evaluations, batch, ascent = self._step(
                    self.step + 1
                )
                loss = surface.value(xp, *new_pos)
                grad = surface.grad(xp, *new_pos)
            except (ArithmeticError, ValueError):  # where numpy would give inf or nan
                self._diverge(new_pos, loss)
                break
            sound = isfinite(loss)
            moved2 = grad2 = 0.0
            for c, old, gc, (lo, hi) in zip(new_pos, self.position, grad, self.box, strict=True):
                sound = sound and isfinite(gc) and lo <= c <= hi
                moved2 += (c - old) * (c - old)
                grad2 += gc * gc
            if not sound:
                self._diverge(new_pos, loss)
                break
            self.step += 1
            self.position, self.buffers = new_pos, buffers
            self.gradient, self.loss = grad, loss
            self.recent.append(new_pos)
            if float16:
                self.recent_underflows.append(underflow)
            trace.append(
                self.step,
                new_pos,
                loss,
                grad,
                lr,
                applied,
                underflow,
                evaluations,
                self._sharpness(new_pos) if sharpness else None,
                batch,
                *self._readouts(self.step),
                ascent=ascent,
            )
            if grad2 <= self.grad_tol2 and moved2 <= self.step_tol2:
                self.status = CONVERGED
            elif self.end_early:
                self.longer.append(new_pos)
                self.quiet = self.quiet + 1 if moved2 <= self.step_tol2 else 0
                if self.decided() is not None:
                    self.status = DECIDED

    def _advance_plain(self, n: int, trace: Trace, update: Any) -> None:
        """:meth:`_advance_scalar` for a coordinate-wise rule given the exact gradient at a
        constant learning rate (what a page's run mostly is): the rule's ``update`` called
        on each coordinate directly, the state kept as plain tuples until the end — the
        same operations in the same order, so the same numbers, without the layers of
        :meth:`_step` and the rule's ``step`` in between."""
        xp, surface, isfinite = SCALAR, self.surface, math.isfinite
        value, slope, box = surface.value, surface.grad, self.box
        grad_tol2, step_tol2 = self.grad_tol2, self.step_tol2
        lr = self.hyperparameters["lr"]
        remember = self.recent.append
        steps, positions, losses = trace.steps.append, trace.positions.append, trace.losses.append
        gradients, lrs, given = trace.gradients.append, trace.lrs.append, trace.applied_gradients
        taken = 0
        position, gradient, step = self.position, self.gradient, self.step
        buffers = tuple(self.buffers)
        one = len(position) == 1
        (low, high) = box[0]
        status = self.status
        for _ in range(n):
            if status != RUNNING:
                break
            t = step + 1
            new_pos: Vector = ()
            loss = math.nan
            try:
                if one:
                    p, kept = update(xp, t, position[0], gradient[0], buffers[0])
                    new_pos, new_buffers = (p,), (kept,)
                else:
                    moved, held = [], []
                    for p, g, bufs in zip(position, gradient, buffers, strict=True):
                        p, bufs = update(xp, t, p, g, bufs)
                        moved.append(p)
                        held.append(bufs)
                    new_pos, new_buffers = tuple(moved), tuple(held)
                loss = value(xp, *new_pos)
                grad = slope(xp, *new_pos)
            except (ArithmeticError, ValueError):  # where numpy would give inf or nan
                status = DIVERGED
                break
            if one:  # (0.0 + d·d is d·d: the sums below, bit for bit)
                c, gc = new_pos[0], grad[0]
                sound = isfinite(loss) and isfinite(gc) and low <= c <= high
                d = c - position[0]
                moved2, grad2 = d * d, gc * gc
            else:
                sound = isfinite(loss)
                moved2 = grad2 = 0.0
                for c, old, gc, (lo, hi) in zip(new_pos, position, grad, box, strict=True):
                    sound = sound and isfinite(gc) and lo <= c <= hi
                    moved2 += (c - old) * (c - old)
                    grad2 += gc * gc
            if not sound:
                status = DIVERGED
                break
            steps(t)
            positions(new_pos)
            losses(loss)
            gradients(grad)
            lrs(lr)
            given.append(gradient)
            taken += 1
            remember(new_pos)
            step, position, gradient, buffers = t, new_pos, grad, new_buffers
            self.loss = loss
            if grad2 <= grad_tol2 and moved2 <= step_tol2:
                status = CONVERGED
        trace.plain_steps(taken)
        self.step, self.position, self.gradient = step, position, gradient
        self.buffers = self.optimizer.bind.state(buffers)
        if status == DIVERGED:
            self._diverge(new_pos, loss)
        else:
            self.status = status

    def _sharpness(self, position: Vector) -> Any:
        """Surface.sharpness at ``position`` if the run records it (None otherwise); NaN
        where the Hessian is not finite (a float for one ball, an array for a crowd)."""
        if not self.record_sharpness:
            return None
        if self.xp is SCALAR:
            try:
                value = self.surface.sharpness(SCALAR, *position)
            except (ArithmeticError, ValueError):
                return math.nan
            return value if math.isfinite(value) else math.nan
        with np.errstate(all="ignore"):
            value = np.broadcast_to(self.surface.sharpness(NUMPY, *position), self.batch_shape)
        return np.where(np.isfinite(value), value, math.nan)

    def _diverge(self, escape: Vector, loss: float) -> None:
        self.status = DIVERGED
        dim = self.surface.dim
        self.escape = tuple(escape) if len(escape) == dim else (math.nan,) * dim
        self.escape_loss = loss

    # Many balls on numpy arrays: finished balls are frozen with masks.
    def _advance_batch(self, n: int, trace: Trace | None) -> None:
        xp, surface = NUMPY, self.surface
        for _ in range(n):
            active = self.status == RUNNING
            if not active.any():
                break
            new_pos, buffers, lr, applied, underflow, evaluations, batch, ascent = self._step(
                self.step + 1
            )
            grad = surface.grad(xp, *new_pos)
            loss = surface.value(xp, *new_pos)
            sound = np.isfinite(loss)
            moved2 = grad2 = 0.0
            for c, old, gc, (lo, hi) in zip(new_pos, self.position, grad, self.box, strict=True):
                sound = sound & np.isfinite(gc) & (c >= lo) & (c <= hi)
                moved2 = moved2 + (c - old) * (c - old)
                grad2 = grad2 + gc * gc
            thrown = active & ~sound
            if thrown.any():
                self.escape = tuple(
                    np.where(thrown, c, e) for c, e in zip(new_pos, self.escape, strict=True)
                )
                self.escape_loss = np.where(thrown, loss, self.escape_loss)
            moves = active & sound
            everyone = bool(moves.all())  # the common case: no masks needed
            if not everyone and not moves.any():
                self.status = np.where(active, DIVERGED, self.status).astype(np.int8)
                break
            converged = moves & (grad2 <= self.grad_tol2) & (moved2 <= self.step_tol2)
            if not everyone or converged.any():
                status = np.where(thrown, DIVERGED, self.status)
                self.status = np.where(converged, CONVERGED, status).astype(np.int8)
            if everyone:  # (a constant component may be a plain float: give it the shape)
                shape = self.batch_shape
                self.buffers = buffers
                self.position = tuple(np.broadcast_to(c, shape) for c in new_pos)
                self.gradient = tuple(np.broadcast_to(c, shape) for c in grad)
                self.loss = np.broadcast_to(loss, shape)
            else:

                def keep(new: Any, old: Any, moves: np.ndarray = moves) -> Any:
                    return np.where(moves, new, old)

                self.buffers = buffers.select(moves, self.buffers)
                self.position = tuple(map(keep, new_pos, self.position))
                self.gradient = tuple(map(keep, grad, self.gradient))
                self.loss = keep(loss, self.loss)
            self.step += 1
            self.steps_taken += moves
            self.recent.append(self.position)
            float16 = self.options.precision == "float16"
            if float16 or trace is not None:  # (a map's crowd records neither)
                underflow = np.where(moves, underflow, 0)
            if float16:
                self.recent_underflows.append(underflow)
            if trace is None:
                continue
            trace.append(
                self.step,
                self.position,
                self.loss,
                self.gradient,
                lr,
                tuple(np.where(moves, a, math.nan) for a in applied),
                underflow,
                np.where(moves, evaluations, 0),
                self._sharpness(self.position),
                batch,
                *self._readouts(self.step),
                ascent=None if ascent is None else _unmoved(ascent, moves),
            )


def _unmoved(ascent: tuple[Vector, Vector], moves: np.ndarray) -> tuple[Vector, Vector]:
    """A crowd's SAM ascent record, NaN for the balls that did not move this step (as their
    applied gradient is)."""
    return tuple(tuple(np.where(moves, c, math.nan) for c in v) for v in ascent)  # type: ignore[return-value]


def _comparable(value: Any) -> Any:
    """A hyperparameter as something ``!=`` compares whole (a map's arrays by content)."""
    if isinstance(value, np.ndarray):
        return value.tobytes()
    if isinstance(value, tuple):
        return tuple(map(_comparable, value))
    return value


def run(
    surface: Surface,
    optimizer: Optimizer,
    hyperparameters: Mapping[str, Any],
    state: RunState,
    steps: int,
    grad_tol: float = GRAD_TOL,
    step_tol: float = STEP_TOL,
    *,
    options: RunOptions = PLAIN,
    schedule: BoundSchedule | None = None,
    sharpness: bool = False,
    end_early: bool = False,
) -> tuple[Trace, Run]:
    """Run up to ``steps`` steps from ``state``; the trace starts with the starting point."""
    r = Run(
        surface,
        optimizer,
        hyperparameters,
        state,
        grad_tol,
        step_tol,
        options=options,
        schedule=schedule,
        sharpness=sharpness,
        end_early=end_early,
    )
    trace = r.current()
    trace.extend(r.advance(steps))
    r.finish()
    return trace, r


def status_names(status: Any) -> Any:
    """Status code(s) as words: a string for one ball, an array of strings for a batch."""
    if isinstance(status, int):
        return STATUS_NAMES[status]
    return np.vectorize(STATUS_NAMES.__getitem__, otypes=[object])(status)


__all__ = ["Outcome", "Run", "RunState", "Trace", "run", "status_names"]
