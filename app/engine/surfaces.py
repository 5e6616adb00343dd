"""The surface catalog: every built-in loss surface, by id.

Formulas take the backend namespace ``xp`` and one argument per coordinate, so the same
code evaluates one point (floats) or a whole grid or crowd of balls (numpy arrays)::

    >>> s = SURFACES["parabola"]
    >>> s.value(SCALAR, 1.5), s.grad(SCALAR, 1.5)
    (2.25, (3.0,))
    >>> r = SURFACES["rosenbrock"]
    >>> r.value(SCALAR, 0.0, 1.0), r.grad(SCALAR, 0.0, 1.0)
    (101.0, (-2.0, 200.0))

The type and the minima search live in :mod:`app.engine.surface`; the surfaces
themselves in :mod:`app.engine.surfaces_1d` and :mod:`app.engine.surfaces_2d`.
"""

from __future__ import annotations

from .backend import SCALAR
from .surface import (
    Formulas,
    Minimum,
    MinimumKind,
    Reference,
    Surface,
    locate_minima_1d,
    locate_minima_2d,
)
from .surfaces_1d import SURFACES_1D
from .surfaces_2d import SURFACES_2D

__all__ = [
    "SCALAR",
    "SURFACES",
    "SURFACES_1D",
    "SURFACES_2D",
    "Formulas",
    "Minimum",
    "MinimumKind",
    "Reference",
    "Surface",
    "locate_minima_1d",
    "locate_minima_2d",
]

SURFACES: dict[str, Surface] = {s.id: s for s in SURFACES_1D + SURFACES_2D}
