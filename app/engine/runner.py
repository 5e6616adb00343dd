"""Run an optimizer on a surface: step, record, stop, serialize, resume.

A :class:`Run` moves a batch of balls (batch shape ``()`` for one ball) and reports each
step's positions, losses and gradients.  Each ball stops on its own:

* ``converged`` — gradient norm <= ``grad_tol`` and the last step's length <= ``step_tol``;
* ``diverged`` — a non-finite value, or a position outside :meth:`Surface.runaway_box`
  (such a step is not recorded: the ball stays at its last sound position);
* ``max_steps`` — still moving when the requested steps are used up.

Finished balls keep their place while the others go on.  The state after any step
(:class:`RunState`) serializes to JSON; resuming from it gives exactly the numbers of an
unbroken run, since nothing else carries over between steps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from .backend import NUMPY, SCALAR, Vector, backend_for, join, split
from .errors import StateError
from .gradients import (
    LANGEVIN_STREAM,
    PLAIN,
    RunOptions,
    apply_options,
    standard_normal,
    step_noise,
)
from .optimizers import Optimizer
from .points import point_step
from .schedules import BoundSchedule, hyperparameters_at
from .surfaces import Surface

RUNNING, CONVERGED, DIVERGED, MAX_STEPS = 0, 1, 2, 3
STATUS_NAMES = {
    RUNNING: "running",
    CONVERGED: "converged",
    DIVERGED: "diverged",
    MAX_STEPS: "max_steps",
}

GRAD_TOL = 1e-6
STEP_TOL = 1e-7


@dataclass(frozen=True)
class RunState:
    """Everything needed to continue a run: where the balls are and the optimizer's memory."""

    surface: str
    optimizer: str
    step: int
    position: Vector
    buffers: tuple[Vector | None, ...]
    batch_shape: tuple[int, ...] = ()
    # A whole-point optimizer's memory (L-BFGS): one object per ball (an object array for
    # a batch), None before its first step.
    memory: Any = None

    def to_json(self, optimizer: Optimizer) -> dict[str, Any]:
        def lists(v: Vector) -> Any:
            return join(v, self.batch_shape).tolist()

        if optimizer.kind == "point":
            buffers = _memory_json(optimizer, self.memory, self.batch_shape)
        else:
            buffers = {
                name: None if buf is None else lists(buf)
                for name, buf in zip(optimizer.buffers, self.buffers, strict=True)
            }
        return {
            "surface": self.surface,
            "optimizer": self.optimizer,
            "step": self.step,
            "position": lists(self.position),
            "buffers": buffers,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], surface: Surface, optimizer: Optimizer) -> RunState:
        """Check a serialized state against the run it resumes; StateError names the field."""
        if data.get("surface") != surface.id:
            raise StateError(
                "surface", f"the state is for surface {data.get('surface')!r}, not {surface.id!r}"
            )
        if data.get("optimizer") != optimizer.id:
            raise StateError(
                "optimizer",
                f"the state is for optimizer {data.get('optimizer')!r}, not {optimizer.id!r}",
            )
        step = data.get("step")
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise StateError("step", "must be a whole number >= 0")
        position = _finite_array(data.get("position"), "position", surface.dim)
        for axis, (lo, hi) in enumerate(surface.runaway_box()):
            if not ((position[..., axis] >= lo) & (position[..., axis] <= hi)).all():
                raise StateError(
                    "position",
                    f"coordinate {axis} lies outside [{lo}, {hi}], "
                    "beyond where any run of this surface can go",
                )
        batch_shape = position.shape[:-1]
        buffers_in = data.get("buffers")
        if not isinstance(buffers_in, Mapping):
            raise StateError("buffers", "must be an object")
        unknown = set(buffers_in) - set(optimizer.buffers)
        if unknown:
            raise StateError(
                f"buffers.{sorted(unknown)[0]}", f"{optimizer.name} has no buffer of that name"
            )
        if optimizer.kind == "point":
            memory = _memory_from_json(optimizer, buffers_in, batch_shape, surface.dim)
            return cls(
                surface.id,
                optimizer.id,
                step,
                split(position, batch_shape),
                optimizer.empty_buffers(),
                batch_shape,
                memory,
            )
        buffers: list[Vector | None] = []
        for name in optimizer.buffers:
            raw = buffers_in.get(name)
            if raw is None:
                buffers.append(None)
                continue
            arr = _finite_array(raw, f"buffers.{name}", surface.dim)
            if arr.shape != position.shape:
                raise StateError(
                    f"buffers.{name}", f"must have the shape of position, {list(position.shape)}"
                )
            if name in optimizer.nonnegative_buffers and (arr < 0).any():
                raise StateError(f"buffers.{name}", "must not be negative")
            buffers.append(split(arr, batch_shape))
        return cls(
            surface.id,
            optimizer.id,
            step,
            split(position, batch_shape),
            tuple(buffers),
            batch_shape,
        )


def _memory_json(optimizer: Optimizer, memory: Any, batch_shape: tuple[int, ...]) -> dict[str, Any]:
    """A point optimizer's memory by torch's state keys; for a batch, each key's values
    nested in the batch's shape."""
    if optimizer.memory_to_json is None:
        return {}
    to_json = optimizer.memory_to_json

    def one(m: Any) -> dict[str, Any]:
        return dict.fromkeys(optimizer.buffers) if m is None else to_json(m)

    if batch_shape == ():
        return one(memory)
    per_ball = np.empty(batch_shape, dtype=object)
    for idx in np.ndindex(batch_shape):
        per_ball[idx] = one(None if memory is None else memory[idx])
    return {
        name: np.vectorize(lambda d, n=name: d[n], otypes=[object])(per_ball).tolist()
        for name in optimizer.buffers
    }


def _memory_from_json(
    optimizer: Optimizer, raw: Mapping[str, Any], batch_shape: tuple[int, ...], dim: int
) -> Any:
    from_json = optimizer.memory_from_json
    if from_json is None or all(raw.get(n) is None for n in optimizer.buffers):
        return None

    def one(ball: Mapping[str, Any]) -> Any:
        if all(v is None for v in ball.values()):
            return None
        try:
            return from_json(ball, dim)
        except StateError as exc:
            raise StateError(f"buffers.{exc.field}", exc.reason) from None

    if batch_shape == ():
        return one(raw)
    memory = np.empty(batch_shape, dtype=object)
    for idx in np.ndindex(batch_shape):
        ball = {}
        for name in optimizer.buffers:
            value = raw.get(name)
            for axis, i in enumerate(idx):
                if value is None:
                    break
                if not isinstance(value, list) or len(value) != batch_shape[axis]:
                    raise StateError(f"buffers.{name}", "must follow the batch's shape")
                value = value[i]
            ball[name] = value
        memory[idx] = one(ball)
    return memory


def _finite_array(raw: Any, field: str, dim: int) -> np.ndarray:
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise StateError(field, "must be a list of numbers") from None
    if arr.ndim == 0 or arr.shape[-1] != dim:
        raise StateError(field, f"must have {dim} coordinate(s) per point")
    if not np.isfinite(arr).all():
        raise StateError(field, "must hold finite numbers")
    return arr


def start_state(surface: Surface, optimizer: Optimizer, start: Any) -> RunState:
    """A fresh state at ``start`` (shape (..., dim)), no optimizer memory yet."""
    points = np.asarray(start, dtype=np.float64)
    batch_shape = points.shape[:-1]
    return RunState(
        surface.id,
        optimizer.id,
        0,
        split(points, batch_shape),
        optimizer.empty_buffers(),
        batch_shape,
    )


@dataclass
class Trace:
    """Recorded steps: the entries at index i of every list belong to ``steps[i]``.

    ``positions``, ``losses``, ``gradients``: where the ball is after the step, f there and
    the exact ∇f there.  How the step was taken: ``lrs`` — the learning rate in effect
    (after any schedule); ``applied`` — the gradient the optimizer was given (after noise,
    precision and clipping, at the step's starting point); ``underflows`` — how many of
    its components float16 rounded to zero; ``evaluations`` — how many times the step
    evaluated the function (L-BFGS: several).  A starting point has ``None``, ``None``, 0, 0.
    """

    steps: list[int]
    positions: list[Vector]
    losses: list[Any]
    gradients: list[Vector]
    lrs: list[float | None]
    applied: list[Vector | None]
    underflows: list[Any]
    evaluations: list[Any]

    @classmethod
    def empty(cls) -> Trace:
        return cls([], [], [], [], [], [], [], [])

    def __len__(self) -> int:
        return len(self.steps)

    def extend(self, other: Trace) -> None:
        self.steps += other.steps
        self.positions += other.positions
        self.losses += other.losses
        self.gradients += other.gradients
        self.lrs += other.lrs
        self.applied += other.applied
        self.underflows += other.underflows
        self.evaluations += other.evaluations

    def arrays(self, batch_shape: tuple[int, ...]) -> dict[str, np.ndarray]:
        """Stacked arrays: positions/gradients/applied (steps, ..., dim), losses, underflows
        and evaluations (steps, ...), lrs (steps,); a starting point's lr and applied
        gradient are NaN."""

        def per_ball(values: list[Any], dtype: Any) -> np.ndarray:
            return np.stack(
                [np.broadcast_to(np.asarray(v, dtype=dtype), batch_shape) for v in values]
            )

        dim = len(self.positions[0])
        nan = (math.nan,) * dim
        return {
            "steps": np.asarray(self.steps, dtype=np.int64),
            "positions": np.stack([join(p, batch_shape) for p in self.positions]),
            "losses": per_ball(self.losses, np.float64),
            "gradients": np.stack([join(g, batch_shape) for g in self.gradients]),
            "lrs": np.array([math.nan if v is None else v for v in self.lrs], dtype=np.float64),
            "applied": np.stack([join(nan if a is None else a, batch_shape) for a in self.applied]),
            "underflows": per_ball(self.underflows, np.int64),
            "evaluations": per_ball(self.evaluations, np.int64),
        }

    def to_json(self) -> dict[str, list[Any]]:
        """A single ball's steps for a JSON encoder (tuples encode as arrays)."""
        return {
            "steps": self.steps,
            "positions": self.positions,
            "losses": self.losses,
            "gradients": self.gradients,
            "lrs": self.lrs,
            "applied_gradients": self.applied,
            "underflows": self.underflows,
            "evaluations": self.evaluations,
        }


class Run:
    """A run in progress.  ``advance(n)`` takes up to n more steps and returns them.

    Buffers of coordinate-wise rules are kept per coordinate (``coord_buffers[i]`` holds
    coordinate i's buffer values), the layout those rules consume; :meth:`state` turns
    them back into one vector per buffer.  Whole-point rules (L-BFGS, Newton) keep one
    ``memory`` per ball instead.

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
    ) -> None:
        self.surface = surface
        self.optimizer = optimizer
        self.hyperparameters = dict(hyperparameters)
        self.options = options
        self.plain = options.plain  # the exact gradient goes to the optimizer unchanged
        self.schedule = None if schedule is None or schedule.is_constant else schedule
        self._bound: tuple[Any, ...] | None = None  # (lr, momentum, betas) of the bound rule
        self.update: Any = None
        self.batch_shape = state.batch_shape
        self.xp = backend_for(self.batch_shape)
        self.step = state.step
        self.position = state.position
        self.coord_buffers = [
            tuple(None if b is None else b[i] for b in state.buffers) for i in range(surface.dim)
        ]
        self.memory = state.memory
        self.grad_tol2 = grad_tol * grad_tol
        self.step_tol2 = step_tol * step_tol
        self.box = surface.runaway_box()
        self.gradient = surface.grad(self.xp, *self.position)
        self.loss = surface.value(self.xp, *self.position)
        self.status: Any = RUNNING if self.xp is SCALAR else np.zeros(self.batch_shape, np.int8)
        self.batch_ones: Any = 1 if self.xp is SCALAR else np.ones(self.batch_shape, np.int64)

    def state(self) -> RunState:
        buffers = tuple(
            None
            if self.coord_buffers[0][k] is None
            else tuple(coord[k] for coord in self.coord_buffers)
            for k in range(len(self.optimizer.buffers))
        )
        if self.optimizer.kind == "point":
            buffers = self.optimizer.empty_buffers()
        return RunState(
            self.surface.id,
            self.optimizer.id,
            self.step,
            self.position,
            buffers,
            self.batch_shape,
            self.memory,
        )

    def current(self) -> Trace:
        """The present point as a one-step trace (where a run or resumed run begins)."""
        zero = 0 if self.xp is SCALAR else np.zeros(self.batch_shape, np.int64)
        return Trace(
            [self.step],
            [self.position],
            [self.loss],
            [self.gradient],
            [None],
            [None],
            [zero],
            [zero],
        )

    def advance(self, n: int) -> Trace:
        trace = Trace.empty()
        if self.xp is SCALAR:
            self._advance_scalar(n, trace)
        else:
            with np.errstate(all="ignore"):
                self._advance_batch(n, trace)
        return trace

    def finish(self) -> None:
        """Mark balls still rolling as having used up their steps."""
        if self.xp is SCALAR:
            if self.status == RUNNING:
                self.status = MAX_STEPS
        else:
            self.status = np.where(self.status == RUNNING, MAX_STEPS, self.status).astype(np.int8)

    def _rule_for(self, step: int) -> tuple[Any, float]:
        """The update rule bound to step ``step``'s learning rate (and cycled momentum)."""
        hp = self.hyperparameters
        if self.schedule is None:  # the hot path: bound once
            if self.update is None:
                self.update = self.optimizer.rule(hp)
            return self.update, hp["lr"]
        # torch: optimizer step k runs at the scheduler's epoch k − 1
        scheduled = hyperparameters_at(self.schedule, hp, step - 1)
        key = (scheduled["lr"], scheduled.get("momentum"), scheduled.get("betas"))
        if self._bound != key:
            self.update = self.optimizer.rule(scheduled)
            self._bound = key
        return self.update, scheduled["lr"]

    def _step_all(self, xp: Any, step: int) -> tuple[Vector, Any, float, Any, Any, Any]:
        """Step ``step`` for every ball: (positions, buffers or memory, lr, applied
        gradient, float16 underflows, evaluations)."""
        update, lr = self._rule_for(step)
        # One draw of the step's noise serves the record and a whole-point rule's closure.
        noise = None
        if self.options.noise:
            noise = step_noise(self.options, step, self.batch_shape, self.surface.dim)
        if self.plain:
            g, underflow = self.gradient, 0
        else:
            applied = apply_options(self.options, step, self.gradient, self.batch_shape, noise)
            g, underflow = applied.gradient, applied.underflow
        if self.optimizer.kind == "point":
            new_pos, memory, evaluations = point_step(
                update,
                self.surface,
                self.options,
                step,
                self.position,
                self.memory,
                self.batch_shape,
                noise,
            )
            return new_pos, memory, lr, g, underflow, evaluations
        new_pos, new_bufs = [], []
        if self.optimizer.draws_noise:
            z = standard_normal(
                self.options.seed, step, LANGEVIN_STREAM, self.batch_shape, self.surface.dim
            )
            coords = zip(self.position, g, self.coord_buffers, z, strict=True)
            for p, gc, bufs, zc in coords:
                p, bufs = update(xp, step, p, gc, bufs, zc)
                new_pos.append(p)
                new_bufs.append(bufs)
        else:
            for p, gc, bufs in zip(self.position, g, self.coord_buffers, strict=True):
                p, bufs = update(xp, step, p, gc, bufs)
                new_pos.append(p)
                new_bufs.append(bufs)
        return tuple(new_pos), new_bufs, lr, g, underflow, self.batch_ones

    def _commit(self, new_pos: Vector, kept: Any) -> None:
        self.position = new_pos
        if self.optimizer.kind == "point":
            self.memory = kept
        else:
            self.coord_buffers = kept

    # One ball on floats: the hot path for the web API, kept free of masks and generators.
    def _advance_scalar(self, n: int, trace: Trace) -> None:
        xp, surface, isfinite = SCALAR, self.surface, math.isfinite
        for _ in range(n):
            if self.status != RUNNING:
                break
            try:
                new_pos, kept, lr, applied, underflow, evaluations = self._step_all(
                    xp, self.step + 1
                )
                grad = surface.grad(xp, *new_pos)
                loss = surface.value(xp, *new_pos)
            except (ArithmeticError, ValueError):  # where numpy would give inf or nan
                self.status = DIVERGED
                break
            sound = isfinite(loss)
            moved2 = grad2 = 0.0
            for c, old, gc, (lo, hi) in zip(new_pos, self.position, grad, self.box, strict=True):
                sound = sound and isfinite(gc) and lo <= c <= hi
                moved2 += (c - old) * (c - old)
                grad2 += gc * gc
            if not sound:
                self.status = DIVERGED
                break
            self.step += 1
            self._commit(new_pos, kept)
            self.gradient, self.loss = grad, loss
            trace.steps.append(self.step)
            trace.positions.append(new_pos)
            trace.losses.append(loss)
            trace.gradients.append(grad)
            trace.lrs.append(lr)
            trace.applied.append(applied)
            trace.underflows.append(underflow)
            trace.evaluations.append(evaluations)
            if grad2 <= self.grad_tol2 and moved2 <= self.step_tol2:
                self.status = CONVERGED

    # Many balls on numpy arrays: finished balls are frozen with masks.
    def _advance_batch(self, n: int, trace: Trace) -> None:
        xp, surface = NUMPY, self.surface
        for _ in range(n):
            active = self.status == RUNNING
            if not active.any():
                break
            new_pos, kept, lr, applied, underflow, evaluations = self._step_all(xp, self.step + 1)
            grad = surface.grad(xp, *new_pos)
            loss = surface.value(xp, *new_pos)
            sound = np.isfinite(loss)
            moved2 = grad2 = 0.0
            for c, old, gc, (lo, hi) in zip(new_pos, self.position, grad, self.box, strict=True):
                sound = sound & np.isfinite(gc) & (c >= lo) & (c <= hi)
                moved2 = moved2 + (c - old) * (c - old)
                grad2 = grad2 + gc * gc
            moves = active & sound
            if not moves.any():
                self.status = np.where(active, DIVERGED, self.status).astype(np.int8)
                break
            converged = moves & (grad2 <= self.grad_tol2) & (moved2 <= self.step_tol2)
            status = np.where(active & ~sound, DIVERGED, self.status)
            self.status = np.where(converged, CONVERGED, status).astype(np.int8)

            keep = partial(_keep, moves)
            if self.optimizer.kind == "point":
                kept = keep(kept, self.memory)
            else:
                kept = [
                    tuple(map(keep, nb, ob))
                    for nb, ob in zip(kept, self.coord_buffers, strict=True)
                ]
            self._commit(tuple(map(keep, new_pos, self.position)), kept)
            self.gradient = tuple(map(keep, grad, self.gradient))
            self.loss = keep(loss, self.loss)
            self.step += 1
            trace.steps.append(self.step)
            trace.positions.append(self.position)
            trace.losses.append(self.loss)
            trace.gradients.append(self.gradient)
            trace.lrs.append(lr)
            trace.applied.append(tuple(np.where(moves, a, math.nan) for a in applied))
            trace.underflows.append(np.where(moves, underflow, 0))
            trace.evaluations.append(np.where(moves, evaluations, 0))


def _keep(moves: np.ndarray, new: Any, old: Any) -> Any:
    """New values where balls moved, old ones where they are frozen.

    A buffer the rule creates on this step takes its new value for frozen balls too.
    """
    return None if new is None else np.where(moves, new, new if old is None else old)


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
