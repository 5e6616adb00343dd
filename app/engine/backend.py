"""Array backends: the same formulas run on numpy arrays or on plain Python floats.

Every surface and update rule in the engine is written once, against a small namespace
``xp`` (``xp.sin``, ``xp.sqrt``, ``xp.div`` ...), over *components*: a point in ``dim``
dimensions is a tuple of ``dim`` components, each either a numpy array of the batch shape
or a Python float.  A crowd of balls runs on :data:`NUMPY`; a single ball runs on
:data:`SCALAR`, because numpy's per-call overhead (about half a microsecond per ufunc on a
one-element array) makes a single-ball step some 15x slower than the same arithmetic on
floats.  Both backends follow IEEE semantics: overflow gives ``inf``, invalid operations
give ``nan``, and nothing raises — the runner reports non-finite values as divergence.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np

Component = Any  # a float, or a numpy array of the batch shape
Vector = tuple[Component, ...]


def _nan_on_domain_error(fn: Any) -> Any:
    def wrapped(x: float) -> float:
        try:
            return fn(x)
        except ValueError:  # math.sin(inf), math.sqrt(-1), ...
            return math.nan

    wrapped.__name__ = fn.__name__
    return wrapped


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _log(x: float) -> float:
    if x == 0.0:
        return -math.inf
    try:
        return math.log(x)
    except ValueError:
        return math.nan


def _div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0.0 or a != a:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _where(cond: bool, a: float, b: float) -> float:
    return a if cond else b


def _maximum(a: float, b: float) -> float:
    # torch.maximum propagates NaN; Python's max() would not.
    if a != a or b != b:
        return math.nan
    return a if a >= b else b


SCALAR = SimpleNamespace(
    name="scalar",
    sin=_nan_on_domain_error(math.sin),
    cos=_nan_on_domain_error(math.cos),
    sqrt=_nan_on_domain_error(math.sqrt),
    tanh=math.tanh,
    exp=_exp,
    log=_log,
    abs=abs,
    div=_div,
    where=_where,
    maximum=_maximum,
    isfinite=math.isfinite,
    pi=math.pi,
)

NUMPY = SimpleNamespace(
    name="numpy",
    sin=np.sin,
    cos=np.cos,
    sqrt=np.sqrt,
    tanh=np.tanh,
    exp=np.exp,
    log=np.log,
    abs=np.abs,
    div=np.divide,
    where=np.where,
    maximum=np.maximum,
    isfinite=np.isfinite,
    pi=math.pi,
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
