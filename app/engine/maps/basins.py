"""The basin-of-attraction map: a grid of starts over the plotted domain, each coloured by
where its ball ends up.

    >>> from app.engine.optimizers import OPTIMIZERS
    >>> from app.engine.surfaces import SURFACES
    >>> sgd = OPTIMIZERS["sgd"]
    >>> well = Setting(SURFACES["roll_downhill"], sgd, sgd.validate({"lr": 0.05}), steps=400)
    >>> m = basins(well, (5,))
    >>> m.x.tolist()
    [-5.0, -2.5, 0.0, 2.5, 5.0]
    >>> [OUTCOMES[k] for k in m.ends.outcome]
    ['local_minimum', 'local_minimum', 'global_minimum', 'local_minimum', 'local_minimum']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..run.outcome import OUTCOMES  # noqa: F401  (the doctest's words)
from .crowd import Ends, Progress, Setting, roll


@dataclass(frozen=True)
class BasinMap:
    x: np.ndarray  # the starts' x (nx,)
    y: np.ndarray | None  # and y (ny,) in 2D
    ends: Ends  # of shape (nx,) in 1D, (ny, nx) in 2D: [j][i] is the start (x[i], y[j])


def grid_starts(
    setting: Setting, resolution: tuple[int, ...]
) -> tuple[list[np.ndarray], np.ndarray]:
    """The axes of an evenly spaced grid over the domain (edges included) and its points,
    of shape (nx, 1) in 1D and (ny, nx, 2) in 2D."""
    axes = [
        np.linspace(lo, hi, n)
        for (lo, hi), n in zip(setting.surface.domain, resolution, strict=True)
    ]
    if len(axes) == 1:
        return axes, axes[0][:, None]
    x, y = np.meshgrid(axes[0], axes[1])
    return axes, np.stack([x, y], axis=-1)


def basins(
    setting: Setting, resolution: tuple[int, ...], progress: Progress | None = None
) -> BasinMap:
    """Run a ball from every point of a ``resolution`` grid ((nx,) or (nx, ny))."""
    axes, starts = grid_starts(setting, resolution)
    ends = roll(setting, starts, progress=progress)
    return BasinMap(axes[0], axes[1] if len(axes) > 1 else None, ends)
