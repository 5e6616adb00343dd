"""The surface catalog: every built-in loss surface, by id.

Formulas take the backend namespace ``xp`` and one argument per coordinate, so the same
code evaluates one point (floats) or a whole grid or crowd of balls (numpy arrays)::

    >>> s = SURFACES["parabola"]
    >>> s.value(SCALAR, 1.5), s.grad(SCALAR, 1.5)
    (2.25, (3.0,))
    >>> r = SURFACES["rosenbrock"]
    >>> r.value(SCALAR, 0.0, 1.0), r.grad(SCALAR, 0.0, 1.0)
    (101.0, (-2.0, 200.0))

The type lives in :mod:`.surface`, the minima search in :mod:`.minima`, the surfaces
themselves in :mod:`.catalog_1d` and :mod:`.catalog_2d`.
"""

from __future__ import annotations

from ..backend import SCALAR
from .catalog_1d import SURFACES_1D
from .catalog_2d import SURFACES_2D
from .minima import locate_minima_1d, locate_minima_2d
from .surface import Formulas, Minimum, MinimumKind, Reference, Surface

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
