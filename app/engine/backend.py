"""Array backends: the same formulas run on numpy arrays or on plain Python floats.

Every surface and update rule in the engine is written once, against a small namespace
``xp`` (``xp.sin``, ``xp.sqrt``, ``xp.exp`` ...), over *components*: a point in ``dim``
dimensions is a tuple of ``dim`` components, each either a numpy array of the batch shape
or a Python float.  A crowd of balls runs on :data:`NUMPY`; a single ball runs on
:data:`SCALAR`, because numpy's per-call overhead (about half a microsecond per ufunc on a
one-element array) makes a single-ball step some 15x slower than the same arithmetic on
floats.  On numpy, overflow gives ``inf`` and invalid operations ``nan``; on floats they
raise instead.  The runner reports either as divergence.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np

Component = Any  # a float, or a numpy array of the batch shape
Vector = tuple[Component, ...]


def _maximum(a: float, b: float) -> float:
    # torch.maximum propagates NaN; Python's max() would not.
    if a != a or b != b:
        return math.nan
    return a if a >= b else b


def _minimum(a: float, b: float) -> float:
    if a != a or b != b:
        return math.nan
    return a if a <= b else b


def _sign(x: float) -> float:
    # -1.0, 0.0 or 1.0 (0.0 for -0.0 too, like torch.sign and np.sign); NaN stays NaN, as
    # np.sign has it, so a NaN reaching a sign-based rule (Rprop, Lion) still reads as
    # divergence.  (torch's CPU sign gives 0 for NaN; the engine's rules only take the sign
    # of finite values, so the two never meet.)
    if x != x:
        return math.nan
    return float((x > 0) - (x < 0))


def _where(condition: bool, a: float, b: float) -> float:
    return a if condition else b


# Plain math functions: where numpy would return inf or nan (math.exp(1000), math.sqrt(-1),
# and 0.0 / 0.0 in the formulas), these raise ArithmeticError or ValueError, which the
# runner reports as divergence, the verdict the non-finite value would have earned.
SCALAR = SimpleNamespace(
    name="scalar",
    sin=math.sin,
    cos=math.cos,
    sqrt=math.sqrt,
    tanh=math.tanh,
    exp=math.exp,
    # For typed formulas (surfaces.formula): math.log, math.asin ... raise ValueError
    # outside their domain and math.pow, math.sinh ... OverflowError past float range.
    tan=math.tan,
    log=math.log,
    log10=math.log10,
    sinh=math.sinh,
    cosh=math.cosh,
    arctan=math.atan,
    arcsin=math.asin,
    arccos=math.acos,
    power=math.pow,
    maximum=_maximum,
    minimum=_minimum,
    abs=abs,
    sign=_sign,
    where=_where,
)

NUMPY = SimpleNamespace(
    name="numpy",
    sin=np.sin,
    cos=np.cos,
    sqrt=np.sqrt,
    tanh=np.tanh,
    exp=np.exp,
    tan=np.tan,
    log=np.log,
    log10=np.log10,
    sinh=np.sinh,
    cosh=np.cosh,
    arctan=np.arctan,
    arcsin=np.arcsin,
    arccos=np.arccos,
    power=np.power,
    maximum=np.maximum,
    minimum=np.minimum,
    abs=np.abs,
    sign=np.sign,
    where=np.where,
)


def backend_for(batch_shape: tuple[int, ...]) -> SimpleNamespace:
    """The backend for a batch: floats for a single ball, numpy for anything else."""
    return SCALAR if batch_shape == () else NUMPY


def split(points: np.ndarray, batch_shape: tuple[int, ...]) -> Vector:
    """(..., dim) array -> tuple of components in the backend for ``batch_shape``."""
    if batch_shape == ():
        return tuple(float(v) for v in points)
    return tuple(np.array(points[..., i], dtype=np.float64) for i in range(points.shape[-1]))


def join(components: Vector, batch_shape: tuple[int, ...]) -> np.ndarray:
    """Tuple of components -> (..., dim) float64 array."""
    if batch_shape == ():
        return np.array(components, dtype=np.float64)
    return np.stack(
        [np.broadcast_to(np.asarray(c, dtype=np.float64), batch_shape) for c in components],
        axis=-1,
    )
