"""The trainability map: one start, a grid over two hyperparameters (lr × momentum,
lr × β₂, …), each cell coloured by how its run ended and how many steps it took.
Sohl-Dickstein (2024) showed the converge/diverge boundary of such maps is fractal —
zooming in keeps finding structure — already for a quadratic plus a cosine.

    >>> from app.engine.optimizers import OPTIMIZERS
    >>> from app.engine.surfaces import SURFACES
    >>> sgd = OPTIMIZERS["sgd"]
    >>> setting = Setting(SURFACES["parabola"], sgd, sgd.validate({}), steps=200)
    >>> m = trainability(setting, (1.0,), Axis("lr", 0.5, 1.5, "linear", 3),
    ...                  Axis("momentum", 0.0, 0.5, "linear", 2))
    >>> for row in m.ends.outcome:
    ...     print([OUTCOMES[k] for k in row])
    ['global_minimum', 'bouncing', 'diverged']
    ['global_minimum', 'global_minimum', 'bouncing']

On f = x² (f″ = 2) gradient descent settles below lr = 2/f″ = 1, bounces for ever at 1
and diverges above; momentum 0.5 moves the edge to 2(1 + 0.5)/2 = 1.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..run.outcome import OUTCOMES  # noqa: F401  (the doctest's words)
from .crowd import Ends, Progress, Setting, roll_cells


@dataclass(frozen=True)
class Axis:
    name: str  # a hyperparameter, "betas.1" for an entry of a tuple
    min: float
    max: float
    scale: Literal["log", "linear"]
    count: int

    def values(self) -> np.ndarray:
        if self.scale == "log":
            return np.geomspace(self.min, self.max, self.count)
        return np.linspace(self.min, self.max, self.count)


@dataclass(frozen=True)
class TrainabilityMap:
    x: np.ndarray  # the x axis's values (nx,)
    y: np.ndarray  # (ny,)
    ends: Ends  # of shape (ny, nx): [j][i] ran with x[i] and y[j]


def trainability(
    setting: Setting,
    start: tuple[float, ...],
    x_axis: Axis,
    y_axis: Axis,
    progress: Progress | None = None,
) -> TrainabilityMap:
    x, y = x_axis.values(), y_axis.values()
    shape = (len(y), len(x))
    starts = np.broadcast_to(np.asarray(start, dtype=np.float64), shape + (len(start),))
    values = {
        x_axis.name: np.broadcast_to(x[None, :], shape),
        y_axis.name: np.broadcast_to(y[:, None], shape),
    }
    ends = roll_cells(setting, starts, values, progress=progress)
    return TrainabilityMap(x, y, ends)
