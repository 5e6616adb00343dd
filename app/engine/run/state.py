"""Where a run stands after any step, and its JSON: the resume state.

Resuming from it gives exactly the numbers of an unbroken run, since nothing else carries
over between steps: the schedule and the random draws depend only on the step number and
the seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..backend import Vector, join, split
from ..errors import StateError
from ..optimizers import Optimizer
from ..optimizers.interface import finite_array
from ..surfaces import Surface


@dataclass(frozen=True)
class RunState:
    """Everything needed to continue a run: where the balls are and the optimizer's state
    (``buffers``: its :class:`~app.engine.optimizers.interface.OptimizerState`, by torch's
    state keys)."""

    surface: str
    optimizer: str
    step: int
    position: Vector
    buffers: Any
    batch_shape: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "surface": self.surface,
            "optimizer": self.optimizer,
            "step": self.step,
            "position": join(self.position, self.batch_shape).tolist(),
            "buffers": self.buffers.to_json(self.batch_shape),
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
        position = finite_array(data.get("position"), "position", surface.dim)
        for axis, (lo, hi) in enumerate(surface.runaway_box()):
            if not ((position[..., axis] >= lo) & (position[..., axis] <= hi)).all():
                raise StateError(
                    "position",
                    f"coordinate {axis} lies outside [{lo}, {hi}], "
                    "beyond where any run of this surface can go",
                )
        batch_shape = position.shape[:-1]
        raw = data.get("buffers")
        if not isinstance(raw, Mapping):
            raise StateError("buffers", "must be an object")
        unknown = sorted(set(raw) - set(optimizer.keys))
        if unknown:
            known = ", ".join(optimizer.keys) or "none"
            raise StateError(
                f"buffers.{unknown[0]}",
                f"{optimizer.name} has no state key of that name (it has {known})",
            )
        try:
            buffers = optimizer.state.from_json(raw, batch_shape, surface.dim)
        except StateError as exc:
            raise StateError(f"buffers.{exc.field}", exc.reason) from None
        return cls(
            surface.id, optimizer.id, step, split(position, batch_shape), buffers, batch_shape
        )


def start_state(surface: Surface, optimizer: Optimizer, start: Any) -> RunState:
    """A fresh state at ``start`` (shape (..., dim)), no optimizer memory yet."""
    points = np.asarray(start, dtype=np.float64)
    batch_shape = points.shape[:-1]
    return RunState(
        surface.id,
        optimizer.id,
        0,
        split(points, batch_shape),
        optimizer.state.fresh(surface.dim),
        batch_shape,
    )
