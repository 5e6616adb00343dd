"""A crowd of balls run to its end, keeping only what a map shows of each ball.

:func:`roll` runs one :class:`Setting` (a run's surface, optimizer, hyperparameters,
options, schedule and step count) from many starts at once.  A hyperparameter may be an
array of the batch shape — one value per ball — when the optimizer takes it so
(``Optimizer.batched``).  Nothing of the path is recorded but each ball's end and,
when asked, its last ``keep`` positions: a 256×256 map of 500 steps would otherwise
hold 65,536 × 500 steps.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..backend import join
from ..optimizers import Optimizer
from ..optimizers.interface import BallState
from ..run import RUNNING, Run, start_state
from ..run.options import PLAIN, RunOptions
from ..run.schedules import BoundSchedule
from ..surfaces import Surface

CHUNK = 400_000
"""Ball-steps between progress reports: some 30–60 ms of work for a numpy crowd."""

PER_BALL_CHUNK = 2_000
"""The same for a rule that steps each ball in Python (L-BFGS, Newton: 20–500 µs a
ball-step), whose crowd also sets its finished balls aside after every chunk: each of them
would cost as much as a rolling one."""

Progress = Callable[[int], None]
"""Told how many ball-steps were just done; raising :class:`Cancelled` stops the map."""


class Cancelled(Exception):
    """The map's caller no longer wants it (its progress callback raises this)."""


@dataclass(frozen=True)
class Setting:
    """What every ball of a map shares: a run, but for where it starts."""

    surface: Surface
    optimizer: Optimizer
    hyperparameters: Mapping[str, Any]  # validated
    options: RunOptions = PLAIN
    schedule: BoundSchedule | None = None
    steps: int = 100


@dataclass(frozen=True)
class Ends:
    """How each ball of a crowd ended; arrays of the batch shape (positions add a last
    axis of dim)."""

    outcome: np.ndarray  # int8: indices into OUTCOMES
    minimum: np.ndarray  # int16: indices into the surface's minima, NO_MINIMUM for none
    status: np.ndarray  # int8: the runner's codes (converged, diverged, max_steps)
    steps: np.ndarray  # int64: the steps each ball took
    loss: np.ndarray  # f at the last position
    position: np.ndarray  # (..., dim)
    last: np.ndarray | None  # (keep, ..., dim): the last positions, oldest first
    last_loss: np.ndarray | None  # (keep, ...)


def roll(
    setting: Setting,
    starts: np.ndarray,
    hyperparameters: Mapping[str, Any] | None = None,
    keep: int = 0,
    progress: Progress | None = None,
) -> Ends:
    """Run every start of ``starts`` (shape (..., dim), at least one batch axis) for
    ``setting.steps`` steps; ``hyperparameters`` replaces the setting's (arrays allowed
    for the optimizer's ``batched`` ones).

    When fewer than half the balls are still rolling (a rule stepping each ball in Python:
    when any has stopped), the finished ones are set aside (:meth:`Run.take`) and the rest
    go on as a smaller crowd, without masks: a basin map's balls mostly settle early.
    ``progress`` is told every ball-step done or, for a ball that stopped, skipped, so its
    counts add up to balls × steps."""
    surface, optimizer = setting.surface, setting.optimizer
    hp = setting.hyperparameters if hyperparameters is None else hyperparameters
    starts = np.asarray(starts, dtype=np.float64)
    assert starts.ndim >= 2, "a crowd has a batch axis"
    shape, dim = starts.shape[:-1], starts.shape[-1]
    run = Run(
        surface,
        optimizer,
        hp,
        start_state(surface, optimizer, starts),
        options=setting.options,
        schedule=setting.schedule,
    )
    # Random draws per ball depend on the crowd's size: such runs are never split.
    random = bool(setting.options.noise) or bool(np.any(np.asarray(hp.get("temperature", 0))))
    splits = not keep and not random
    per_ball = issubclass(optimizer.bind.state, BallState)
    chunk, split = (PER_BALL_CHUNK, 1.0) if per_ball else (CHUNK, SPLIT)
    size = math.prod(shape)
    out = _Flat(size, dim)
    cells = np.arange(size)  # where the current crowd's balls are in the whole
    last: list[np.ndarray] = []
    last_loss: list[np.ndarray] = []
    left = setting.steps

    def report(n: int) -> None:
        if progress is not None and n:
            progress(n)

    while left > 0:
        running = (run.status == RUNNING).reshape(-1)
        if not running.any():
            break
        if splits and running.sum() < split * len(cells):
            stopped = np.flatnonzero(~running)
            out.put(run.take(stopped), cells[stopped])
            report(left * len(stopped))
            moving = np.flatnonzero(running)
            run, cells = run.take(moving), cells[moving]
        n = min(max(1, chunk // len(cells)), left - keep) if left > keep else 1
        run.advance(n, record=False)
        left -= n
        if left < keep:
            last.append(join(run.position, run.batch_shape))
            last_loss.append(np.broadcast_to(run.loss, run.batch_shape).copy())
        report(n * len(cells))
    report(left * len(cells))
    run.finish()
    out.put(run, cells)
    ends = out.ends(shape)
    if not keep:
        return ends
    # A crowd that stopped early stays where it stopped.
    last += [ends.position] * (keep - len(last))
    last_loss += [ends.loss] * (keep - len(last_loss))
    return dataclasses.replace(
        ends, last=np.stack(last[-keep:]), last_loss=np.stack(last_loss[-keep:])
    )


DECIDE_SLICE = 8192
"""Balls whose outcomes are decided together (see :meth:`_Flat.put`)."""

SPLIT = 0.5
"""Set the finished balls aside when fewer than this fraction of a crowd still rolls."""


class _Flat:
    """A crowd's ends, filled in as its parts finish, by flat index."""

    def __init__(self, size: int, dim: int) -> None:
        self.outcome = np.empty(size, np.int8)
        self.minimum = np.empty(size, np.int16)
        self.status = np.empty(size, np.int8)
        self.steps = np.empty(size, np.int64)
        self.loss = np.empty(size)
        self.position = np.empty((size, dim))

    def put(self, run: Run, cells: np.ndarray) -> None:
        """The finished balls of ``run``, which are ``cells`` of the whole.  Their outcomes
        are decided a slice at a time: deciding works on each ball's last 65 positions, and
        all of a big crowd's at once would need several times the crowd's own memory."""
        for part in np.array_split(np.arange(len(cells)), -(-len(cells) // DECIDE_SLICE)):
            kinds, minima = run.take(part).outcome_codes()
            self.outcome[cells[part]] = kinds
            self.minimum[cells[part]] = minima
        self.status[cells] = np.asarray(run.status).reshape(-1)
        self.steps[cells] = run.steps_taken.reshape(-1)
        self.loss[cells] = np.broadcast_to(run.loss, run.batch_shape).reshape(-1)
        self.position[cells] = join(run.position, run.batch_shape).reshape(len(cells), -1)

    def ends(self, shape: tuple[int, ...]) -> Ends:
        return Ends(
            outcome=self.outcome.reshape(shape),
            minimum=self.minimum.reshape(shape),
            status=self.status.reshape(shape),
            steps=self.steps.reshape(shape),
            loss=self.loss.reshape(shape),
            position=self.position.reshape(shape + (-1,)),
            last=None,
            last_loss=None,
        )


def roll_cells(
    setting: Setting,
    starts: np.ndarray,
    values: Mapping[str, np.ndarray],
    keep: int = 0,
    progress: Progress | None = None,
) -> Ends:
    """Run every start of ``starts`` (shape (..., dim)) with its own hyperparameters:
    ``values[name]`` (of the batch shape) for each name given, the setting's for the rest.

    Names the optimizer takes as arrays (``Optimizer.batched``) vary within a crowd; for
    the others the cells are grouped by their values, one crowd per group (see
    :func:`groups`), and the ends put back in place."""
    starts = np.asarray(starts, dtype=np.float64)
    shape, dim = starts.shape[:-1], starts.shape[-1]
    flat_starts = starts.reshape(-1, dim)
    flat = {name: np.broadcast_to(v, shape).reshape(-1) for name, v in values.items()}
    batched = {n: v for n, v in flat.items() if n in setting.optimizer.batched}
    parts = []
    for cells, fixed in groups(setting, flat):
        hp = dict(setting.hyperparameters)
        for name, value in fixed.items():
            hp = with_value(hp, name, value)
        for name, v in batched.items():
            hp = with_value(hp, name, v[cells])
        parts.append((cells, roll(setting, flat_starts[cells], hp, keep, progress)))
    return _scatter(parts, shape, dim, keep)


def groups(
    setting: Setting, flat: Mapping[str, np.ndarray]
) -> list[tuple[np.ndarray, dict[str, float]]]:
    """The crowds :func:`roll_cells` runs: (the flat indices of its cells, the values of
    the names the optimizer cannot take as arrays), one per distinct set of those values."""
    unbatched = [n for n in flat if n not in setting.optimizer.batched]
    count = len(next(iter(flat.values()))) if flat else 0
    if not unbatched:
        return [(np.arange(count), {})]
    table = np.stack([flat[n] for n in unbatched], axis=-1)
    combos, inverse = np.unique(table, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return [
        (np.flatnonzero(inverse == k), {n: float(v) for n, v in zip(unbatched, combo, strict=True)})
        for k, combo in enumerate(combos)
    ]


def _scatter(
    parts: list[tuple[np.ndarray, Ends]], shape: tuple[int, ...], dim: int, keep: int
) -> Ends:
    """One Ends of the batch ``shape`` from crowds that each ran the flat cells given."""
    size = int(np.prod(shape))

    def gather(name: str, tail: tuple[int, ...], lead: tuple[int, ...] = ()) -> np.ndarray:
        first = getattr(parts[0][1], name)
        out = np.empty(lead + (size,) + tail, dtype=first.dtype)
        for cells, ends in parts:
            out[(slice(None),) * len(lead) + (cells,)] = getattr(ends, name)
        return out.reshape(lead + shape + tail)

    return Ends(
        outcome=gather("outcome", ()),
        minimum=gather("minimum", ()),
        status=gather("status", ()),
        steps=gather("steps", ()),
        loss=gather("loss", ()),
        position=gather("position", (dim,)),
        last=gather("last", (dim,), (keep,)) if keep else None,
        last_loss=gather("last_loss", (), (keep,)) if keep else None,
    )


def with_value(hyperparameters: Mapping[str, Any], name: str, value: Any) -> dict[str, Any]:
    """``hyperparameters`` with ``name`` set (``betas.1``: entry 1 of the tuple ``betas``)."""
    out = dict(hyperparameters)
    key, _, entry = name.partition(".")
    if entry:
        values = list(out[key])
        values[int(entry)] = value
        out[key] = tuple(values)
    else:
        out[key] = value
    return out
