"""A small model's loss over a data set, with its exact gradient and Hessian in closed form.

The loss is a mean over the points, as torch's ``reduction="mean"`` takes it; a
mini-batch's loss is the same mean over the batch's points (:meth:`Loss.on`).  The
coordinates are the model's two weights, or one with the other held fixed:

=========  =========================  =====================  ===========================
model      prediction                 weights (2D)           one weight (1D)
=========  =========================  =====================  ===========================
linear     ŷ = w·x + b                (w, b)                 w, with b = 0
logistic   p = σ(w·x + b)             (w, b)                 w, with b = 0
tanh_net   ŷ = w₂·tanh(w₁·x)          (w₁, w₂)               w₁, with w₂ = 1
=========  =========================  =====================  ===========================

Losses, with r = ŷ − y and z = w·x + b:

* ``mse``: (1/n)·Σ r², torch's MSELoss;
* ``mae``: (1/n)·Σ |r|, torch's L1Loss, whose gradient uses sign(0) = 0 as torch's does
  (its Hessian is zero wherever it exists: the landscape is made of flat facets and kinks);
* ``bce``: (1/n)·Σ [log(1 + eᶻ) − y·z] = −(1/n)·Σ [y·log p + (1 − y)·log(1 − p)], torch's
  BCEWithLogitsLoss (the stable form: no log of 0 however large |z| grows).

Every function takes the backend namespace and the coordinates, floats (one ball) or
arrays (a crowd), like every surface's formulas::

    >>> import numpy as np
    >>> from app.engine.backend import SCALAR
    >>> loss = Loss("linear", "mse", 2, np.array([0.0, 1.0]), np.array([1.0, 3.0]))
    >>> loss.value(SCALAR, 2.0, 1.0), loss.grad(SCALAR, 2.0, 1.0)
    (0.0, (0.0, 0.0))
    >>> loss.hess(SCALAR, 2.0, 1.0)
    ((1.0, 1.0), (1.0, 2.0))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..surface import Formulas

# The weight a one-weight (1D) landscape holds fixed: b = 0, or the network's w₂ = 1.
FIXED = {"linear": 0.0, "logistic": 0.0, "tanh_net": 1.0}


def _lift(c: Any) -> np.ndarray:
    """A coordinate against the points: shape (..., 1), broadcasting with x of shape (n,)."""
    return np.asarray(c, dtype=np.float64)[..., None]


def _out(a: np.ndarray) -> Any:
    return float(a) if a.ndim == 0 else a


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow for any z


class Loss:
    """The mean loss of ``model`` under ``loss`` on points (x, y), on ``dim`` weights."""

    def __init__(self, model: str, loss: str, dim: int, x: np.ndarray, y: np.ndarray) -> None:
        self.model, self.loss, self.dim = model, loss, dim
        self.x, self.y = x, y
        self.x2 = x * x
        self.mean = np.full(len(x), 1.0 / len(x))  # a @ mean: the mean over the last axis
        self.fixed = FIXED[model]

    def on(self, points: np.ndarray) -> Formulas:
        """The formulas over the points at indices ``points`` only: a mini-batch's loss."""
        part = Loss(self.model, self.loss, self.dim, self.x[points], self.y[points])
        return part.formulas()

    def formulas(self) -> Formulas:
        return Formulas(self.value, self.grad, self.hess)

    def _weights(self, coords: tuple[Any, ...]) -> tuple[np.ndarray, Any]:
        first = _lift(coords[0])
        second = _lift(coords[1]) if self.dim == 2 else np.float64(self.fixed)
        return first, second

    def _m(self, a: np.ndarray) -> Any:
        return _out(a @ self.mean)

    # --- f ----------------------------------------------------------------------------

    def value(self, xp: Any, *coords: Any) -> Any:
        a, c = self._weights(coords)
        with np.errstate(all="ignore"):
            if self.model == "tanh_net":
                r = c * np.tanh(a * self.x) - self.y
                return self._m(r * r)
            z = a * self.x + c
            if self.loss == "bce":
                return self._m(np.logaddexp(0.0, z) - self.y * z)
            r = z - self.y
            return self._m(np.abs(r) if self.loss == "mae" else r * r)

    # --- ∇f ---------------------------------------------------------------------------

    def grad(self, xp: Any, *coords: Any) -> tuple[Any, ...]:
        a, c = self._weights(coords)
        x, m = self.x, self._m
        with np.errstate(all="ignore"):
            if self.model == "tanh_net":
                t = np.tanh(a * x)
                r = c * t - self.y
                g = (m(2.0 * r * c * (1.0 - t * t) * x), m(2.0 * r * t))
            else:
                z = a * x + c
                if self.loss == "bce":
                    e = _sigmoid(z) - self.y  # ∂/∂z of log(1 + eᶻ) − y·z
                elif self.loss == "mae":
                    e = np.sign(z - self.y)
                else:
                    e = 2.0 * (z - self.y)
                g = (m(e * x), m(e))
        return g[: self.dim]

    # --- ∇²f --------------------------------------------------------------------------

    def hess(self, xp: Any, *coords: Any) -> tuple[tuple[Any, ...], ...]:
        a, c = self._weights(coords)
        x, x2, m = self.x, self.x2, self._m
        with np.errstate(all="ignore"):
            if self.model == "tanh_net":
                t = np.tanh(a * x)
                s = 1.0 - t * t
                r = c * t - self.y
                h11 = m(2.0 * c * c * s * s * x2 - 4.0 * r * c * t * s * x2)
                h12 = m(2.0 * s * x * (c * t + r))
                h22 = m(2.0 * t * t)
            elif self.loss == "bce":
                p = _sigmoid(a * x + c)
                q = p * (1.0 - p)
                h11, h12, h22 = m(q * x2), m(q * x), m(q)
            else:
                shape = np.broadcast_shapes(a.shape[:-1], np.shape(c)[:-1])
                scale = 0.0 if self.loss == "mae" else 2.0  # MAE: flat facets
                h11, h12, h22 = (
                    _out(np.full(shape, scale * v))
                    for v in (self.x2 @ self.mean, x @ self.mean, 1.0)
                )
        if self.dim == 1:
            return ((h11,),)
        return ((h11, h12), (h12, h22))
