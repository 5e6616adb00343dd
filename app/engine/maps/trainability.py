"""The trainability map: one start, a grid over two hyperparameters (lr × momentum,
lr × β₂, …), each cell coloured by how its run ended and how many steps it took.
Sohl-Dickstein (2024) showed the converge/diverge boundary of such maps is fractal —
zooming in keeps finding structure — already for a quadratic plus a cosine.

    >>> from app.engine.optimizers import OPTIMIZERS
    >>> from app.engine.surfaces import SURFACES
    >>> from app.engine.suggest import suggested_lr
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

Each axis's range, when the page has not chosen one, is :func:`default_range`'s: for the
learning rate of a gradient-scaled optimizer it ends a little above the largest rate that
settles at a minimum (the sweep's stability limit), so the map shows the edge between
settling and diverging on every landscape; elsewhere it brackets the suggested rate.

    >>> ravine, rosenbrock = SURFACES["ravine"], SURFACES["rosenbrock"]
    >>> def lr_range(surface):
    ...     s = Setting(surface, sgd, sgd.validate({"lr": suggested_lr(surface, "sgd")}))
    ...     return tuple(float(f"{v:.2g}") for v in default_range(s, "lr")[:2])
    >>> lr_range(ravine), lr_range(rosenbrock)
    ((6e-05, 0.06), (6e-06, 0.006))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import HyperparameterError
from ..run.outcome import OUTCOMES  # noqa: F401  (the doctest's words)
from ..suggest import suggested_lr
from .crowd import Ends, Progress, Setting, roll_cells, with_value
from .sweep import stability

Scale = Literal["log", "linear"]

LOG_SPAN = 30.0  # a log axis around a value v, by default: from v/30 to 30·v
# A gradient-scaled learning rate's axis: up to BEYOND times the largest rate that settles
# at some minimum (heavy-ball momentum near 1 doubles that rate, so the edge stays in view
# along a momentum axis), and DECADES decades down from there, where the balls crawl.
BEYOND = 3.0
DECADES = 3
AROUND = 3.0  # the run's own value is always inside, at least this factor from either end


@dataclass(frozen=True)
class Axis:
    name: str  # a hyperparameter, "betas.1" for an entry of a tuple
    min: float
    max: float
    scale: Scale
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


def current_value(setting: Setting, name: str) -> float:
    """The run's own value of axis ``name`` ("betas.1": an entry of a pair)."""
    key, _, entry = name.partition(".")
    value = setting.hyperparameters[key]
    return float(value[int(entry)] if entry else value)


def default_range(setting: Setting, name: str) -> tuple[float, float, Scale]:
    """(min, max, scale) of axis ``name`` (a numeric hyperparameter, "betas.1" for an entry
    of a pair) when none is asked for: a linear setting's whole range; a learning rate from
    this surface's stability limits or suggested rate (see the module's docstring); another
    log setting from its value ÷ to × LOG_SPAN.  The run's own value is always inside."""
    key = name.partition(".")[0]
    (h,) = (p for p in setting.optimizer.hyperparameters if p.name == key)
    assert h.min is not None and h.max is not None
    if h.scale == "linear":
        value = current_value(setting, name)
        return (
            _allowed(setting, name, value, h.min),
            _allowed(setting, name, value, h.max),
            "linear",
        )
    value = current_value(setting, name)
    if key == "lr":
        lo, hi = _lr_range(setting)
        if value > 0:
            lo, hi = min(lo, value / AROUND), max(hi, value * AROUND)
    else:
        lo, hi = (value / LOG_SPAN, value * LOG_SPAN) if value > 0 else (1e-4, 1.0)
    floor = h.min if h.min > 0 else math.nextafter(0.0, 1.0)
    return max(lo, floor), min(hi, h.max), "log"


def _allowed(setting: Setting, name: str, value: float, end: float) -> float:
    """``end`` if the optimizer takes it for ``name`` beside the run's other values, else
    the farthest value towards it that it takes (Rprop's η₋ must stay within (0, 1), inside
    its slider's range of 0 to 10), found by halving from the run's own ``value``."""

    def takes(v: float) -> bool:
        hp = with_value(setting.hyperparameters, name, v)
        plain = {k: list(x) if isinstance(x, tuple) else x for k, x in hp.items()}
        try:
            setting.optimizer.validate(plain)
        except HyperparameterError:
            return False
        return True

    if takes(end):
        return end
    good, bad = value, end
    for _ in range(40):
        middle = (good + bad) / 2
        good, bad = (middle, bad) if takes(middle) else (good, middle)
    # inward to four decimals, for the page's inputs: 0.0001 rather than 4.5e-13
    rounded = (math.ceil if end < value else math.floor)(good * 1e4) / 1e4
    return rounded if takes(rounded) else good


def _lr_range(setting: Setting) -> tuple[float, float]:
    optimizer = setting.optimizer
    if optimizer.lr_scales == "gradient":
        limits = [s.limit or s.descent_limit for s in stability(setting)]
        top = max((v for v in limits if v is not None and math.isfinite(v)), default=None)
        if top is not None:
            return top * BEYOND / 10**DECADES, top * BEYOND
    rate = suggested_lr(setting.surface, optimizer.id)
    return rate / LOG_SPAN, rate * LOG_SPAN
