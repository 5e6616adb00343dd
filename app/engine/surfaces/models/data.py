"""Data sets a model landscape is built on: the built-in ones and points a student gives.

The built-in sets were drawn once from a fixed seed (``tools/make_datasets.py``) and are
shipped as ``datasets.json``.  Points a student adds or drags are checked like any input
(:func:`checked_data`): a bounded number of finite points in a bounded range, and for
classes, labels 0 or 1.

    >>> DATASETS["separable"].kind, DATASETS["separable"].size
    ('classes', 24)
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

DATASETS_FILE = Path(__file__).with_name("datasets.json")

MAX_POINTS = 100  # points in a data set: each step's loss is a mean over them
MAX_VALUE = 100.0  # |x| and |y| at most this
DataKind = Literal["regression", "classes"]


class ModelError(ValueError):
    """A model landscape refused: ``field`` names what to change (``data.x``, ``loss`` …)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, eq=False)
class Dataset:
    """Points (x, y): y a number for regression, a class label 0 or 1 for classes."""

    x: np.ndarray
    y: np.ndarray
    id: str = ""  # a built-in set's id; "" for points a student gave
    name: str = "Your points"
    kind: DataKind = "regression"
    description: str = ""

    @property
    def size(self) -> int:
        return len(self.x)

    def key(self) -> tuple[Any, ...]:
        """What identifies the data: a built-in's id, or every point exactly."""
        return (self.id,) if self.id else (tuple(self.x.tolist()), tuple(self.y.tolist()))

    def to_json(self) -> dict[str, Any]:
        return {"x": self.x.tolist(), "y": self.y.tolist()}


def _load() -> dict[str, Dataset]:
    sets = json.loads(DATASETS_FILE.read_text(encoding="utf-8"))
    return {
        s["id"]: Dataset(
            np.array(s["x"], dtype=np.float64),
            np.array(s["y"], dtype=np.float64),
            s["id"],
            s["name"],
            s["kind"],
            s["description"],
        )
        for s in sets
    }


DATASETS: dict[str, Dataset] = _load()


def checked_data(x: Sequence[Any], y: Sequence[Any]) -> Dataset:
    """Points a student gave, checked; ModelError names ``data.x``, ``data.y`` or one point
    (``data.x.3``)."""
    for name, values in (("x", x), ("y", y)):
        if not isinstance(values, Sequence) or isinstance(values, str):
            raise ModelError(f"data.{name}", "must be a list of numbers")
        if len(values) > MAX_POINTS:
            raise ModelError(f"data.{name}", f"at most {MAX_POINTS} points, got {len(values)}")
        for i, v in enumerate(values):
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ModelError(f"data.{name}.{i}", f"must be a finite number, got {v!r}")
            if abs(v) > MAX_VALUE:
                raise ModelError(f"data.{name}.{i}", f"must lie within ±{MAX_VALUE:g}, got {v}")
    if len(x) != len(y):
        raise ModelError("data.y", f"give one y per x: {len(x)} x and {len(y)} y")
    if not x:
        raise ModelError("data.x", "give at least one point")
    return Dataset(np.array(x, dtype=np.float64), np.array(y, dtype=np.float64))
