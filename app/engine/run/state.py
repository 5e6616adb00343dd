"""Where a run stands after any step, and its JSON: the resume state.

Resuming from it gives exactly the numbers of an unbroken run, since nothing else carries
over between steps: the schedule and the random draws depend only on the step number and
the seed.

An optimizer's buffer may hold ±inf or nan while its ball still moves: a float16 gradient
overflows to ±inf, and a sign-based rule (Lion, Rprop) keeps stepping. JSON has no such
numbers, so the state writes each as the string JavaScript's ``String()`` gives
(:data:`NON_FINITE`: "Infinity", "-Infinity", "NaN") and reads it back as the same float.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..backend import Vector, join, split
from ..errors import StateError
from ..optimizers import Optimizer
from ..optimizers.interface import finite_array
from ..surfaces import Surface

# A non-finite number in a state's JSON, by its text.
NON_FINITE: dict[str, float] = {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}


def encode_non_finite(value: Any) -> Any:
    """``value`` (JSON data) with each non-finite float written as its :data:`NON_FINITE` text.

    >>> encode_non_finite({"exp_avg": [float("inf"), 1.5], "n": None})
    {'exp_avg': ['Infinity', 1.5], 'n': None}
    """
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, list):
        return [encode_non_finite(v) for v in value]
    if isinstance(value, Mapping):
        return {k: encode_non_finite(v) for k, v in value.items()}
    return value


def decode_non_finite(value: Any) -> Any:
    """What :func:`encode_non_finite` wrote, with the floats back (other text is left as it
    is, for the buffers' own checks to refuse)."""
    if isinstance(value, str):
        return NON_FINITE.get(value, value)
    if isinstance(value, list):
        return [decode_non_finite(v) for v in value]
    if isinstance(value, Mapping):
        return {k: decode_non_finite(v) for k, v in value.items()}
    return value


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
            "buffers": encode_non_finite(self.buffers.to_json(self.batch_shape)),
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
        raw = decode_non_finite(raw)
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
