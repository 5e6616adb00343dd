"""The step record, defined once: what a run reports of every step.

:class:`Trace` holds the recorded steps, one list per field; entry i of every list belongs
to ``steps[i]``.  Each field's metadata says what it means on the wire (``wire``: the JSON
type, ``description``) and, for a field that can carry nothing for a run, when it is sent
once as ``null`` instead of a list of copies (``null_when``).  The API's response and event
models are built from these fields (``app/api/schemas/runs.py``); the page reads the same names
(``static/js/state/track.js``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from ..backend import Vector, join

if TYPE_CHECKING:
    from .batches import Batch


def _record(
    description: str, wire: Any, null_when: str | None = None, *, indices: bool = False
) -> Any:
    """A step field; ``indices``: each entry is a list of data-point indices, not a vector
    of coordinates (a CSV writes it in one cell)."""
    return field(
        default_factory=list,
        metadata={
            "description": description,
            "wire": wire,
            "null_when": null_when,
            "indices": indices,
        },
    )


@dataclass
class Trace:
    """Recorded steps: the entries at index i of every list belong to ``steps[i]``.

    A starting point (step 0, or where a resumed run picks up) has lr and applied gradient
    None, and 0 underflows and evaluations.
    """

    steps: list[int] = _record(
        "The step number: 0 is the start, k the point after k updates.", list[int]
    )
    positions: list[Vector] = _record("Where the ball is after the step.", list[list[float]])
    losses: list[Any] = _record("f at that position.", list[float])
    gradients: list[Vector] = _record("The exact gradient ∇f at that position.", list[list[float]])
    lrs: list[float | None] = _record(
        "The learning rate the step used, after any schedule (null for a starting point).",
        list[float | None],
        null_when="no schedule is set: every step used the run's lr",
    )
    applied_gradients: list[Vector | None] = _record(
        "The gradient the optimizer was given, at the step's starting point: after noise, "
        "float16 and clipping (null for a starting point; a non-finite component is null).",
        list[list[float | None] | None],
        null_when="no noise, float16 or clipping is on: each step was given the exact "
        "gradient at its starting point (the previous entry of gradients)",
    )
    underflows: list[Any] = _record(
        "How many components of that gradient float16 rounded to zero.",
        list[int],
        null_when="the precision is float64: nothing underflows",
    )
    sharpness: list[Any] = _record(
        "The sharpness at that position: the largest eigenvalue of the exact Hessian (f″ in "
        "1D). Gradient descent cannot settle where it exceeds 2/lr, the edge of stability "
        "(null where the Hessian is not finite).",
        list[float | None],
        null_when="the run did not ask for it (`sharpness`: false)",
    )
    epochs: list[int | None] = _record(
        "On a model landscape with mini-batches: the epoch the step belongs to, from 1 "
        "(null for a starting point).",
        list[int | None],
        null_when="every step used the whole data set (no mini-batches, or not a model)",
    )
    batches: list[int | None] = _record(
        "The step's mini-batch: its number within the epoch, from 1 (null for a starting point).",
        list[int | None],
        null_when="every step used the whole data set (no mini-batches, or not a model)",
    )
    batch_points: list[tuple[int, ...] | None] = _record(
        "The data points in the step's mini-batch, as indices into the data (null for a "
        "starting point): the gradient given is the loss's gradient over these points.",
        list[list[int] | None],
        null_when="every step used the whole data set (no mini-batches, or not a model)",
        indices=True,
    )
    evaluations: list[Any] = _record(
        "How many times the step evaluated the function (L-BFGS: several; with SAM one more, "
        "at the ascent point; 0 for a starting point).",
        list[int],
        null_when="the optimizer evaluates the function once per step and SAM is off",
    )
    # SAM (run option sam_rho > 0): where each step took its gradient.
    ascent_points: list[Vector | None] = _record(
        "SAM's ascent point x + e of the step: where the gradient the optimizer was given was "
        "taken (null for a starting point).",
        list[list[float | None] | None],
        null_when="SAM is off (sam_rho = 0)",
    )
    ascent_gradients: list[Vector | None] = _record(
        "The gradient at SAM's ascent point, before noise, float16 and clipping: the loss's "
        "(on a model with mini-batches, the step's batch's; null for a starting point).",
        list[list[float | None] | None],
        null_when="SAM is off (sam_rho = 0)",
    )
    averages: list[Vector | None] = _record(
        "The averaged point the optimizer returns (ASGD's ax; Schedule-Free's x̄, the point "
        "it evaluates, while the ball is where it takes the gradient) after the step (null "
        "where it has none: Schedule-Free with β₁ = 0).",
        list[list[float] | None],
        null_when="the optimizer keeps no averaged point",
    )
    step_sizes: list[Any] = _record(
        "The step size the optimizer estimated for itself, after the step (Prodigy's d; at "
        "a starting point, null before the first step).",
        list[float | None],
        null_when="the optimizer does not estimate its own step size",
    )

    def __len__(self) -> int:
        return len(self.steps)

    def append(
        self,
        step: int,
        position: Vector,
        loss: Any,
        gradient: Vector,
        lr: float | None,
        applied: Vector | None,
        underflow: Any,
        evaluations: Any,
        sharpness: Any = None,
        batch: Batch | None = None,
        average: Vector | None = None,
        step_size: Any = None,
        ascent: tuple[Vector, Vector] | None = None,
    ) -> None:
        self.steps.append(step)
        self.positions.append(position)
        self.losses.append(loss)
        self.gradients.append(gradient)
        self.lrs.append(lr)
        self.applied_gradients.append(applied)
        self.underflows.append(underflow)
        self.sharpness.append(sharpness)
        self.epochs.append(None if batch is None else batch.epoch)
        self.batches.append(None if batch is None else batch.number)
        self.batch_points.append(None if batch is None else batch.points)
        self.evaluations.append(evaluations)
        self.averages.append(average)
        self.step_sizes.append(step_size)
        self.ascent_points.append(None if ascent is None else ascent[0])
        self.ascent_gradients.append(None if ascent is None else ascent[1])

    def plain_steps(self, n: int) -> None:
        """The fields one ball's last ``n`` plain steps leave the same (its position, loss,
        gradients and lr appended by the runner): one evaluation each, no underflow, no
        batch, no sharpness."""
        self.underflows.extend([0] * n)
        self.evaluations.extend([1] * n)
        for values in (
            self.sharpness,
            self.epochs,
            self.batches,
            self.batch_points,
            self.averages,
            self.step_sizes,
        ):
            values.extend([None] * n)
        self.ascent_points.extend([None] * n)
        self.ascent_gradients.extend([None] * n)

    def extend(self, other: Trace) -> None:
        for name in FIELDS:
            getattr(self, name).extend(getattr(other, name))

    def arrays(self, batch_shape: tuple[int, ...]) -> dict[str, np.ndarray]:
        """Stacked arrays: positions/gradients/applied_gradients/averages and SAM's ascent
        points and gradients (steps, ..., dim; NaN where there are none), losses, underflows,
        evaluations and step_sizes (steps, ...), lrs, epochs and batches (steps,); a starting
        point's lr and applied gradient are NaN, its epoch and batch 0 (the points of each
        batch stay in ``batch_points``)."""

        def per_ball(values: list[Any], dtype: Any) -> np.ndarray:
            return np.stack(
                [np.broadcast_to(np.asarray(v, dtype=dtype), batch_shape) for v in values]
            )

        nan = (math.nan,) * len(self.positions[0])
        return {
            "steps": np.asarray(self.steps, dtype=np.int64),
            "positions": np.stack([join(p, batch_shape) for p in self.positions]),
            "losses": per_ball(self.losses, np.float64),
            "gradients": np.stack([join(g, batch_shape) for g in self.gradients]),
            "lrs": np.array([math.nan if v is None else v for v in self.lrs], dtype=np.float64),
            "applied_gradients": np.stack(
                [join(nan if a is None else a, batch_shape) for a in self.applied_gradients]
            ),
            "underflows": per_ball(self.underflows, np.int64),
            "sharpness": per_ball(
                [math.nan if v is None else v for v in self.sharpness], np.float64
            ),
            "evaluations": per_ball(self.evaluations, np.int64),
            "averages": np.stack(
                [join(nan if a is None else a, batch_shape) for a in self.averages]
            ),
            "step_sizes": per_ball(
                [math.nan if v is None else v for v in self.step_sizes], np.float64
            ),
            "epochs": np.array([v or 0 for v in self.epochs], dtype=np.int64),
            "batches": np.array([v or 0 for v in self.batches], dtype=np.int64),
            "ascent_points": np.stack(
                [join(nan if a is None else a, batch_shape) for a in self.ascent_points]
            ),
            "ascent_gradients": np.stack(
                [join(nan if a is None else a, batch_shape) for a in self.ascent_gradients]
            ),
        }

    def to_json(self, nulls: frozenset[str] = frozenset()) -> dict[str, Any]:
        """A single ball's steps for a JSON encoder (tuples encode as arrays); the fields
        named in ``nulls`` (see :data:`NULLABLE`) carry nothing for this run and are null."""
        return {name: None if name in nulls else getattr(self, name) for name in FIELDS}


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Trace))
# The fields that are sent as null when they carry nothing for a run, and when that is.
NULLABLE: dict[str, str] = {
    f.name: f.metadata["null_when"] for f in fields(Trace) if f.metadata["null_when"]
}
