"""bfloat16 arithmetic as torch 2.13 does it on the CPU, in numpy: what Muon's Newton–Schulz
iteration (:mod:`.muon`) computes in.

A bfloat16 number is a float32 with the low 16 bits of its mantissa zero (8 significant
bits), so a value here is a float32 array holding bfloat16 values.  Each function below is
one torch op on bfloat16 tensors, with the rounding torch does, established op by op against
torch 2.13 (``tools/make_bfloat16_goldens.py`` writes the cases, ``tests/engine/
test_bfloat16.py`` checks them without torch):

* converting float64 goes **through float32**: ``t.bfloat16()`` rounds to float32 first,
  then to bfloat16 (round to nearest, ties to even, on the float32's bits) — a double
  rounding, so 1 + 2⁻⁸ + 2⁻³⁰ becomes 1, not the nearer 1 + 2⁻⁷;
* ``norm``, ``/``, ``@`` work in float32 and round the result to bfloat16 once;
* ``addmm(C, A, B, beta, alpha)`` works in float32 with one fused multiply-add:
  ``β·C + (α·(A@B))`` with α·(A@B) rounded to float32 and β·C added without rounding.

For the matrices Muon sees on a landscape (1×1 and 1×2) every product of two bfloat16
numbers is exact in float32 and every matrix product sums at most two of them, so these are
bit for bit torch's.  For larger matrices float32 sums in numpy's order, which may differ
from torch's by a float32 rounding before the bfloat16 one (rarely visible).

    >>> float(to_bfloat16(1 + 2**-8 + 2**-30)[()]), float(to_bfloat16(1 + 2**-7)[()])
    (1.0, 1.0078125)
"""

from __future__ import annotations

from typing import Any

import numpy as np

_ROUND = np.uint32(0x7FFF)
_HIGH = np.uint32(0xFFFF0000)


def to_bfloat16(x: Any) -> np.ndarray:
    """``x`` rounded to bfloat16 as torch's ``.bfloat16()`` does (float64 through float32);
    the result is a float32 array.  NaN stays NaN and overflow gives ±inf, as in torch."""
    with np.errstate(over="ignore"):  # beyond float32's range: inf, as torch gives
        f = np.asarray(x).astype(np.float32)
    bits = f.view(np.uint32)
    rounded = ((bits + _ROUND + ((bits >> 16) & np.uint32(1))) & _HIGH).view(np.float32)
    return np.where(np.isnan(f), f, rounded)


def norm(x: np.ndarray) -> np.ndarray:
    """``x.norm()`` over each matrix of a stack (..., m, n): float32 sum of squares, float32
    square root, then bfloat16.  Shape (..., 1, 1), ready to divide by."""
    squares = np.sum(x * x, axis=(-2, -1), keepdims=True, dtype=np.float32)
    return to_bfloat16(np.sqrt(squares))


def clamp_min(x: np.ndarray, low: float) -> np.ndarray:
    """``x.clamp(min=low)``: the bound rounded to bfloat16 (1e-7 becomes 1.0012e-7)."""
    bounded: np.ndarray = np.maximum(x, to_bfloat16(low))
    return bounded


def divide(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``x / y`` (``x.div_(y)``): float32 division, then bfloat16."""
    return to_bfloat16(np.float32(x) / np.float32(y))


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b``: float32 products and sums, then bfloat16."""
    return to_bfloat16(np.matmul(a, b, dtype=np.float32))


def addmm(c: np.ndarray, a: np.ndarray, b: np.ndarray, beta: float, alpha: float) -> np.ndarray:
    """``torch.addmm(c, a, b, beta=beta, alpha=alpha)``: ``fma(β, c, α·(a@b))`` in float32
    (β and α are float32 there), then bfloat16.  The fused step is done in float64, where
    β·c (a float32 times a bfloat16) is exact."""
    scaled = np.float32(alpha) * np.matmul(a, b, dtype=np.float32)
    fused = np.float64(np.float32(beta)) * c.astype(np.float64) + scaled.astype(np.float64)
    return to_bfloat16(fused)


def newton_schulz(
    g: np.ndarray, coefficients: tuple[float, float, float], steps: int, eps: float
) -> np.ndarray:
    """torch's ``_zeropower_via_newtonschulz`` on a stack of matrices (..., m, n) of
    float64: in bfloat16, the matrix divided by its norm (at least ``eps``), then ``steps``
    quintic iterations X ← a·X + (b·A + c·A²)·X with A = X·Xᵀ, on the wide orientation
    (a tall matrix is transposed and back).  Returns the bfloat16 values as float32.

    A 1×n matrix (a point on a landscape) has A = ‖X‖², a number, so the result is the
    direction of g times the iteration's polynomial run from 1 (0.68–0.72 in bfloat16 for
    the default coefficients, not 1): (3, 4) becomes 0.6836·(0.6, 0.8).

        >>> o = newton_schulz(np.array([[3.0, 4.0]]), (3.4445, -4.7750, 2.0315), 5, 1e-7)
        >>> [float(v) for v in o[0]]
        [0.41015625, 0.546875]
    """
    a, b, c = coefficients
    x = to_bfloat16(g)
    tall = g.shape[-2] > g.shape[-1]
    if tall:
        x = np.swapaxes(x, -2, -1)
    # Coefficients far from the defaults can overflow bfloat16: inf and NaN, as in torch.
    with np.errstate(over="ignore", invalid="ignore"):
        x = divide(x, clamp_min(norm(x), eps))
        for _ in range(steps):
            gram = matmul(x, np.swapaxes(x, -2, -1))
            gram_update = addmm(gram, gram, gram, beta=b, alpha=c)
            x = addmm(x, gram_update, x, beta=a, alpha=1.0)
    return np.swapaxes(x, -2, -1) if tall else x
