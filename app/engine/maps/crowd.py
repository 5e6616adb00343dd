"""A crowd of balls run to its end, keeping only what a map shows of each ball.

:func:`roll` runs one :class:`Setting` (a run's surface, optimizer, hyperparameters,
options, schedule and step count) from many starts at once.  A hyperparameter may be an
array of the batch shape — one value per ball — when the optimizer takes it so
(``Optimizer.batched``).  Nothing of the path is recorded but each ball's end and,
when asked, its last ``keep`` positions: a 256×256 map of 500 steps would otherwise
hold 65,536 × 500 steps.
"""

from __future__ import annotations

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

# Seconds per step, measured on the development machine (bench/maps.py): a numpy crowd's
# work per ball (Adam on Himmelblau, 65,536 balls), a rule that steps each ball in Python
# (L-BFGS, Newton), and a crowd's fixed cost per step whatever its size.
CROWD_BALL_STEP = 100e-9
PER_BALL_STEP = 40e-6
CROWD_STEP = 100e-6

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

    def seconds(self, balls: int, crowds: int = 1) -> float:
        """A rough, machine-independent estimate of the work of ``balls`` balls run as
        ``crowds`` crowds: what the server's limit on a map's size is measured in."""
        per_ball = issubclass(self.optimizer.bind.state, BallState)
        ball_step = PER_BALL_STEP if per_ball else CROWD_BALL_STEP
        return self.steps * (balls * ball_step + crowds * CROWD_STEP)


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
    for the optimizer's ``batched`` ones)."""
    surface, optimizer = setting.surface, setting.optimizer
    starts = np.asarray(starts, dtype=np.float64)
    assert starts.ndim >= 2, "a crowd has a batch axis"
    run = Run(
        surface,
        optimizer,
        setting.hyperparameters if hyperparameters is None else hyperparameters,
        start_state(surface, optimizer, starts),
        options=setting.options,
        schedule=setting.schedule,
    )
    balls = int(np.prod(run.batch_shape))
    chunk = max(1, CHUNK // balls)
    last: list[np.ndarray] = []
    last_loss: list[np.ndarray] = []
    left = setting.steps
    while left > 0 and bool((run.status == RUNNING).any()):
        n = min(chunk, left - keep) if left > keep else 1  # the last `keep` one by one
        run.advance(n, record=False)
        left -= n
        if left < keep:
            last.append(join(run.position, run.batch_shape))
            last_loss.append(np.broadcast_to(run.loss, run.batch_shape).copy())
        if progress is not None:
            progress(n * balls)
    run.finish()
    kinds, minima = run.outcome_codes()
    position = join(run.position, run.batch_shape)
    loss = np.broadcast_to(run.loss, run.batch_shape).copy()
    if keep:
        # A crowd that stopped early stays where it stopped.
        last += [position] * (keep - len(last))
        last_loss += [loss] * (keep - len(last_loss))
    return Ends(
        outcome=kinds,
        minimum=minima,
        status=np.asarray(run.status),
        steps=run.steps_taken,
        loss=loss,
        position=position,
        last=np.stack(last[-keep:]) if keep else None,
        last_loss=np.stack(last_loss[-keep:]) if keep else None,
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
