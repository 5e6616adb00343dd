"""How big a map is made when it leaves its size out, and the work each size costs.

A map that names no size gets a default one, scaled by the ``detail`` asked for and then
shrunk until its estimated work (:meth:`.crowd.Setting.seconds`, the same measure the
server's limit on a map is written in) fits a time budget.  The estimates here count the
crowds a size makes: balls that share every hyperparameter value the optimizer cannot take
per ball run as one crowd, so a sweep or a trainability grid can cost more than its balls.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from .crowd import Setting, groups
from .sweep import log_rates
from .trainability import Axis

# The sizes a map gets when it leaves its size out (see fit).
BASINS_1D, BASINS_2D, SWEEP, TRAINABILITY = (400,), (80, 80), (256,), (48, 48)

DETAIL = {"coarse": 0.5, "normal": 1.0, "fine": 2.0}  # the default's sides, times this


def fit(
    default: tuple[int, ...],
    seconds: Callable[[tuple[int, ...]], float],
    largest: int,
    detail: str,
    auto_seconds: float,
    max_seconds: float,
    smallest: int = 8,
) -> tuple[int, ...]:
    """``default`` scaled for ``detail`` (at most ``largest`` a side), each side shrunk by
    the same factor until the estimated ``seconds`` fit ``auto_seconds`` — a fine map
    ``max_seconds`` — but no side below ``smallest``.

    >>> fit((80, 80), lambda size: size[0] * size[1] / 1000, 256, "fine", 2.0, 30.0)
    (160, 160)
    >>> fit((80, 80), lambda size: size[0] * size[1] / 1000, 256, "normal", 2.0, 30.0)
    (40, 40)
    """
    budget = max_seconds if detail == "fine" else auto_seconds
    smallest = min(smallest, largest)
    size = tuple(max(smallest, min(round(n * DETAIL[detail]), largest)) for n in default)
    while seconds(size) > budget and max(size) > smallest:
        size = tuple(max(smallest, int(n * 0.8)) for n in size)
    return size


def basins_seconds(setting: Setting, resolution: tuple[int, ...]) -> float:
    """The work of a basin map: one crowd of a ball per start."""
    return setting.seconds(math.prod(resolution))


def sweep_seconds(setting: Setting, lr_min: float, lr_max: float, count: int) -> float:
    """The work of a sweep of ``count`` rates: one crowd per rate unless the optimizer
    takes a rate per ball."""
    lrs = log_rates(lr_min, lr_max, count)
    return setting.seconds(count, len(groups(setting, {"lr": lrs})))


def trainability_seconds(
    setting: Setting, x_axis: Axis, y_axis: Axis, resolution: tuple[int, ...]
) -> float:
    """The work of an ``[nx, ny]`` trainability grid over the two axes."""
    nx, ny = resolution
    shape = (ny, nx)
    xs = dataclasses.replace(x_axis, count=nx).values()
    ys = dataclasses.replace(y_axis, count=ny).values()
    values = {
        x_axis.name: np.broadcast_to(xs[None, :], shape).reshape(-1),
        y_axis.name: np.broadcast_to(ys[:, None], shape).reshape(-1),
    }
    return setting.seconds(nx * ny, len(groups(setting, values)))
