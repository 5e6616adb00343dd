"""The landscape of a network: slices, planes and sharpness, for weights in the hundreds.

A network's loss lives over P dimensions; a picture shows one or two.  What this module
computes, each the way the research that made the picture does it:

* :func:`interpolate` — the loss along the straight line θ(α) = (1 − α)·θa + α·θb
  (Goodfellow et al. 2015), and :func:`barrier`: how far the path rises above the straight
  line between its two ends' losses (Frankle et al. 2020: max over α of
  L(θ(α)) − ((1 − α)·L(θa) + α·L(θb)), 0 when the path never rises above it).
* :func:`filter_normalised` — a seeded random direction scaled filter by filter (Li et al.
  2018): for a fully connected layer a *filter* is one unit's incoming weights, and each
  unit's block of the direction is scaled to that unit's weight norm; the biases' directions
  are 0, as the paper's code leaves biases out (``ignore='biasbn'``).
* :func:`plane` — the loss over θc + α·d1 + β·d2 on a grid, every point one row of a stacked
  forward pass; :func:`project` — where points of a path fall on such a plane and how far
  off it they lie (the picture is not the path when that distance is large).
* :func:`pca_plane` — the first two principal components of one or several paths (their
  points taken together, from the shared start), with the share of variance each explains.
* :func:`top_eigenvalues` — the largest eigenvalues of the exact Hessian by Lanczos
  iteration on Hessian-vector products (:func:`.model.hvp`, the R-operator), never H itself.

    >>> from app.engine.networks.scenario import build
    >>> s = build({"data": {"dataset": "xor", "points": 40}, "model": {"hidden": [3]}})
    >>> st = s.setup
    >>> line = interpolate(st.spec, s.theta0, 0.5 * s.theta0, st.x_train, st.y_train, 5)
    >>> line.alphas.tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    >>> top = top_eigenvalues(st.spec, s.theta0, st.x_train, st.y_train, k=2)
    >>> bool(top[0] >= top[1])
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import NetworkSpec, activate, head_losses, hvp, unpack

__all__ = [
    "Interpolation",
    "barrier",
    "data_losses",
    "filter_normalised",
    "interpolate",
    "pca_plane",
    "plane",
    "project",
    "top_eigenvalues",
]

DIRECTION_STREAM = 4  # the random stream of a plane's directions (see model.INIT_STREAM)


# --- many weight vectors at once -------------------------------------------------------------


def data_losses(spec: NetworkSpec, thetas: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The mean data loss of each row of ``thetas`` (m × P) on (X, y): one stacked forward
    pass, every weight vector a slice of the batch."""
    thetas = np.atleast_2d(thetas)
    layers = unpack(spec, thetas)  # (m, out, in) and (m, out)
    a = np.broadcast_to(X, (len(thetas), *X.shape))
    with np.errstate(all="ignore"):
        for n, (w, b) in enumerate(layers):
            z = a @ np.swapaxes(w, 1, 2) + b[:, None, :]
            a = activate(spec.activation, z) if n < len(layers) - 1 else z
        return head_losses(spec, a, y)


# --- the straight line -----------------------------------------------------------------------


@dataclass(frozen=True)
class Interpolation:
    alphas: np.ndarray  # from 0 (θa) to 1 (θb)
    losses: np.ndarray  # the mean data loss at each


def interpolate(
    spec: NetworkSpec,
    theta_a: np.ndarray,
    theta_b: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    points: int,
) -> Interpolation:
    """The loss at ``points`` evenly spaced points from θa to θb, both ends included."""
    alphas = np.linspace(0.0, 1.0, points)
    thetas = (1.0 - alphas)[:, None] * theta_a + alphas[:, None] * theta_b
    return Interpolation(alphas, data_losses(spec, thetas, X, y))


def barrier(path: Interpolation) -> float:
    """How far the loss rises above the straight line between the two ends' losses (0 when it
    never does): the height of the hill between two networks."""
    a = path.alphas
    chord = (1.0 - a) * path.losses[0] + a * path.losses[-1]
    return float(max(0.0, np.max(path.losses - chord)))


# --- planes ----------------------------------------------------------------------------------


def filter_normalised(spec: NetworkSpec, theta: np.ndarray, seed: int, which: int) -> np.ndarray:
    """Random direction number ``which`` (0, 1 …) for seed ``seed``, filter-normalised at θ:
    each unit's incoming weights scaled to the norm of that unit's weights in θ; biases 0."""
    rng = np.random.default_rng([seed, which, DIRECTION_STREAM])
    d = rng.standard_normal(spec.size)
    for (dw, db), (w, _) in zip(unpack(spec, d), unpack(spec, theta), strict=True):
        norms = np.linalg.norm(dw, axis=1, keepdims=True)
        dw *= np.linalg.norm(w, axis=1, keepdims=True) / np.where(norms > 0, norms, 1.0)
        db[...] = 0.0
    return d


def plane(
    spec: NetworkSpec,
    centre: np.ndarray,
    d1: np.ndarray,
    d2: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    alphas: np.ndarray,
    betas: np.ndarray,
) -> np.ndarray:
    """The loss at centre + α·d1 + β·d2, rows over β and columns over α."""
    a, b = np.meshgrid(alphas, betas)
    thetas = centre + a.reshape(-1, 1) * d1 + b.reshape(-1, 1) * d2
    return data_losses(spec, thetas, X, y).reshape(len(betas), len(alphas))


@dataclass(frozen=True)
class Projected:
    alphas: np.ndarray  # each point's coordinates along d1 ...
    betas: np.ndarray  # ... and d2 (least squares: the nearest point of the plane)
    off: np.ndarray  # its distance from the plane, in weight space


def project(centre: np.ndarray, d1: np.ndarray, d2: np.ndarray, points: np.ndarray) -> Projected:
    """Where each of ``points`` (m × P) falls on the plane centre + α·d1 + β·d2."""
    D = np.stack([d1, d2], axis=1)  # P × 2
    rel = np.atleast_2d(points) - centre
    coords, *_ = np.linalg.lstsq(D, rel.T, rcond=None)
    off = np.linalg.norm(rel - (D @ coords).T, axis=1)
    return Projected(coords[0], coords[1], off)


@dataclass(frozen=True)
class PCAPlane:
    origin: np.ndarray  # the shared start
    d1: np.ndarray  # unit directions: the first and second principal components
    d2: np.ndarray
    explained: tuple[float, float]  # the share of the paths' variance each explains


def pca_plane(origin: np.ndarray, paths: list[np.ndarray]) -> PCAPlane:
    """The plane of the paths' first two principal components, from their shared start: the
    points of every path (each T × P) taken together, so all racers share one picture."""
    rel = np.concatenate([np.atleast_2d(p) for p in paths]) - origin
    rel = rel - rel.mean(axis=0)
    _, s, vt = np.linalg.svd(rel, full_matrices=False)
    total = float((s * s).sum())
    share = (s * s) / total if total > 0 else np.zeros_like(s)
    second = vt[1] if len(vt) > 1 else np.zeros_like(vt[0])
    return PCAPlane(
        origin, vt[0], second, (float(share[0]), float(share[1]) if len(share) > 1 else 0.0)
    )


# --- sharpness -------------------------------------------------------------------------------


def top_eigenvalues(
    spec: NetworkSpec,
    theta: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    k: int = 1,
    iterations: int = 40,
    seed: int = 0,
) -> np.ndarray:
    """The k largest eigenvalues of the exact Hessian of the training loss at θ, largest
    first: Lanczos iteration (with full re-orthogonalisation) on Hessian-vector products,
    ``iterations`` of them (at most P; with P of them the answer is exact)."""
    P = spec.size
    m = min(iterations, P)
    Q = np.zeros((m, P))
    alpha, beta = np.zeros(m), np.zeros(m)
    q = np.random.default_rng([seed, DIRECTION_STREAM]).standard_normal(P)
    q /= np.linalg.norm(q)
    used = m
    for j in range(m):
        Q[j] = q
        w = hvp(spec, theta, X, y, q[None])[0]
        alpha[j] = q @ w
        w -= Q[: j + 1].T @ (Q[: j + 1] @ w)  # full re-orthogonalisation (twice is enough)
        w -= Q[: j + 1].T @ (Q[: j + 1] @ w)
        if j + 1 < m:
            beta[j] = np.linalg.norm(w)
            if beta[j] < 1e-12 * max(1.0, abs(alpha[j])):  # an invariant subspace: exact
                used = j + 1
                break
            q = w / beta[j]
    T = np.diag(alpha[:used]) + np.diag(beta[: used - 1], 1) + np.diag(beta[: used - 1], -1)
    return np.sort(np.linalg.eigvalsh(T))[::-1][:k]
