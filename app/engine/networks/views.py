"""The landscape views of a network run, each computed whole for one scenario.

A view is asked of a comparison as the network page has it (:func:`.scenario.build`'s
scenario, whose ``steps`` is the step the page is at): every racer is trained from θ₀ for
that many steps (fewer when it stopped) and the view is computed from their paths and where
they are now.  :func:`compute` answers with plain values (the JSON of
``POST /api/networks/views``); :func:`work` bounds its work beforehand, for a progress bar.

* ``line``: the loss along the straight line from θ₀ to each racer's θ (Goodfellow et al.
  2015), the barrier above the chord, and whether the loss falls all the way.
* ``plane``: a random plane of two filter-normalised directions (Li et al. 2018) centred at
  one racer's θ, with every racer's path projected onto it — and how far each point of a
  path lies off the plane, so the page can say when the picture is not the path.
* ``pca``: the plane of the first two principal components of all the racers' paths taken
  together, through θ₀: one picture on which optimizers can be compared.
* ``sharpness``: the top eigenvalue of the Hessian (Lanczos on exact Hessian-vector
  products) at steps along each run, beside the sharpness the step's learning rate can
  bear (2/lr for gradient descent: the edge of stability, Cohen et al. 2021).
* ``seeds``: the same optimizer trains a second copy from another seed; its hidden units are
  matched to the first's (Ainsworth et al. 2023) and the barrier between the two is measured
  before and after.

Work is counted in units (a training step, the loss of one weight vector, half a
Hessian-vector product) and reported through ``progress(n)`` chunk by chunk; an exception it
raises (a cancel, a time limit) stops the computation there.

    >>> from .scenario import build
    >>> s = build({"data": {"dataset": "xor", "points": 40}, "model": {"hidden": [3]},
    ...            "optimizers": [{"optimizer": "adam", "hyperparameters": {"lr": 0.05}}],
    ...            "steps": 30})
    >>> req = ViewRequest("line", Sizes(5, 11, 4, 8, 2, 10))
    >>> answer = compute(s, req)
    >>> answer["steps"], len(answer["racers"][0]["train"])
    ([30], 11)
    >>> work(s, req) >= 30 + 11
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..run.schedules import hyperparameters_at
from .data import NetworkError
from .landscape import (
    Interpolation,
    barrier,
    data_losses,
    filter_normalised,
    pca_plane,
    project,
    top_eigenvalues,
)
from .matching import match
from .model import init_weights
from .scenario import Scenario

__all__ = ["DETAIL", "VIEWS", "Sizes", "ViewRequest", "compute", "work"]

VIEWS = ("line", "plane", "pca", "sharpness", "seeds")
LOSS_NAMES = {"bce": "binary cross-entropy", "ce": "cross-entropy", "mse": "mean squared error"}
CHUNK = 128  # weight vectors per stacked forward pass (and per progress report)
HVP_UNITS = 2  # a Hessian-vector product costs about two loss evaluations' work
PCA_MARGIN = 0.25  # the path's plane reaches this share of the paths' extent beyond them
MONOTONE_TOL = 1e-9  # a rise smaller than this (relative) still counts as going down
EDGE_REACHED = 0.9  # sharpness at this share of the limit has reached the edge


@dataclass(frozen=True)
class Sizes:
    side: int  # plane / pca grid: side × side points
    points: int  # points along a line (line, seeds)
    samples: int  # sharpness: steps sampled along each run
    lanczos: int  # Lanczos iterations per top eigenvalue
    top: int  # how many eigenvalues at the end
    path: int  # points kept per projected path


DETAIL = {
    "coarse": Sizes(21, 21, 30, 15, 3, 100),
    "normal": Sizes(41, 41, 60, 20, 5, 200),
    "fine": Sizes(61, 81, 120, 30, 8, 400),
}


@dataclass(frozen=True)
class ViewRequest:
    kind: str
    sizes: Sizes
    racer: int = 0  # plane: whose θ is the centre; seeds: whose optimizer trains both copies
    seed: int = 0  # plane: the random directions' seed
    span: float = 1.0  # plane: α, β ∈ [−span, span], in multiples of the directions
    second_seed: int | None = None  # seeds: the other copy's init seed (None: init seed + 1)


Progress = Callable[[int], None]


def _none(n: int) -> None:
    """No progress reporting."""


# --- the runs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Path:
    thetas: np.ndarray  # (T + 1) × P: θ₀ and θ after each step taken
    lrs: list[float | None]  # the learning rate of the step taken from each point (None: none)


def _train(scenario: Scenario, racer: int, progress: Progress) -> Path:
    """Racer ``racer``'s path for the scenario's steps (fewer if it stopped)."""
    run = scenario.start(racer)
    thetas, lrs = [run.theta.copy()], []
    while run.step < scenario.steps and run.status == "running":
        n = min(CHUNK, scenario.steps - run.step)
        for _ in range(n):
            trace = run.advance(1)
            if run.step < len(thetas):  # it stopped (diverged) without taking the step
                break
            thetas.append(run.theta.copy())
            lrs.append(trace.lr[-1])
        progress(n)
    return Path(np.array(thetas), lrs)


def _check_racer(scenario: Scenario, racer: int) -> None:
    if not 0 <= racer < len(scenario.racers):
        raise NetworkError(
            "racer", f"there are {len(scenario.racers)} racers: 0 to {len(scenario.racers) - 1}"
        )


# --- losses of many weight vectors ---------------------------------------------------------


def _losses(
    scenario: Scenario, thetas: np.ndarray, progress: Progress
) -> tuple[np.ndarray, np.ndarray | None]:
    """The train (and test, when there is a test set) data loss of each row, in chunks."""
    s = scenario.setup
    train, test = [], []
    for lo in range(0, len(thetas), CHUNK):
        chunk = thetas[lo : lo + CHUNK]
        train.append(data_losses(s.spec, chunk, s.x_train, s.y_train))
        if len(s.y_test):
            test.append(data_losses(s.spec, chunk, s.x_test, s.y_test))
        progress(len(chunk) * _per_theta(scenario))
    return np.concatenate(train), (np.concatenate(test) if test else None)


def _per_theta(scenario: Scenario) -> int:
    return 2 if len(scenario.setup.y_test) else 1


def _clean(values: np.ndarray | Sequence[float] | None) -> Any:
    """Plain floats, with anything not finite as None (JSON has no inf)."""
    if values is None:
        return None
    arr = np.asarray(values, dtype=np.float64)
    return [_num(v) for v in arr.ravel()] if arr.ndim == 1 else [_clean(r) for r in arr]


def _num(v: float | None) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


def _line_answer(line: Interpolation, test: np.ndarray | None) -> dict[str, Any]:
    test_line = None if test is None else Interpolation(line.alphas, test)
    return {
        "alphas": line.alphas.tolist(),
        "train": _clean(line.losses),
        "test": _clean(test),
        "barrier": {
            "train": _num(barrier(line)),
            "test": None if test_line is None else _num(barrier(test_line)),
        },
    }


def _along(
    scenario: Scenario, a: np.ndarray, b: np.ndarray, points: int, progress: Progress
) -> dict[str, Any]:
    alphas = np.linspace(0.0, 1.0, points)
    thetas = (1.0 - alphas)[:, None] * a + alphas[:, None] * b
    train, test = _losses(scenario, thetas, progress)
    return _line_answer(Interpolation(alphas, train), test)


# --- the views -----------------------------------------------------------------------------


def _line(scenario: Scenario, req: ViewRequest, progress: Progress) -> dict[str, Any]:
    racers, steps = [], []
    for i in range(len(scenario.racers)):
        path = _train(scenario, i, progress)
        steps.append(len(path.thetas) - 1)
        end = path.thetas[-1]
        answer = _along(scenario, scenario.theta0, end, req.sizes.points, progress)
        train = np.array([np.inf if v is None else v for v in answer["train"]])
        rises = np.diff(train) > MONOTONE_TOL * np.maximum(1.0, np.abs(train[:-1]))
        answer["monotone"] = bool(np.isfinite(train).all() and not rises.any())
        answer["distance"] = float(np.linalg.norm(end - scenario.theta0))
        racers.append(answer)
    return {"view": "line", "steps": steps, "racers": racers}


def _kept(count: int, most: int) -> np.ndarray:
    """Indices of at most ``most`` evenly spread points of ``count``, both ends included."""
    if count <= most:
        return np.arange(count)
    return np.unique(np.round(np.linspace(0, count - 1, most)).astype(int))


def _grid(
    scenario: Scenario,
    origin: np.ndarray,
    d1: np.ndarray,
    d2: np.ndarray,
    alphas: np.ndarray,
    betas: np.ndarray,
    progress: Progress,
) -> dict[str, Any]:
    a, b = np.meshgrid(alphas, betas)
    thetas = origin + a.reshape(-1, 1) * d1 + b.reshape(-1, 1) * d2
    train, test = _losses(scenario, thetas, progress)
    shape = (len(betas), len(alphas))
    lowest = int(np.argmin(np.where(np.isfinite(train), train, np.inf)))
    return {
        "alphas": alphas.tolist(),
        "betas": betas.tolist(),
        "train": _clean(train.reshape(shape)),
        "test": None if test is None else _clean(test.reshape(shape)),
        "lowest": {
            "alpha": float(a.ravel()[lowest]),
            "beta": float(b.ravel()[lowest]),
            "train": _num(float(train[lowest])),
        },
    }


def _paths_on(
    scenario: Scenario,
    paths: list[Path],
    origin: np.ndarray,
    d1: np.ndarray,
    d2: np.ndarray,
    most: int,
    progress: Progress,
) -> list[dict[str, Any]]:
    """Each path (at most ``most`` of its points) projected onto origin + α·d1 + β·d2: where,
    how far off, and the true loss there beside the loss the plane shows."""
    out = []
    for path in paths:
        keep = _kept(len(path.thetas), most)
        points = path.thetas[keep]
        on = project(origin, d1, d2, points)
        shown = origin + on.alphas[:, None] * d1 + on.betas[:, None] * d2
        true_train = _train_losses(scenario, points, progress)
        plane_train = _train_losses(scenario, shown, progress)
        out.append(
            {
                "step": keep.tolist(),
                "alpha": on.alphas.tolist(),
                "beta": on.betas.tolist(),
                "off": on.off.tolist(),
                "distance": np.linalg.norm(points - origin, axis=1).tolist(),
                "train": _clean(true_train),
                "plane_train": _clean(plane_train),
            }
        )
    return out


def _train_losses(scenario: Scenario, thetas: np.ndarray, progress: Progress) -> np.ndarray:
    s = scenario.setup
    out = []
    for lo in range(0, len(thetas), CHUNK):
        chunk = thetas[lo : lo + CHUNK]
        out.append(data_losses(s.spec, chunk, s.x_train, s.y_train))
        progress(len(chunk))
    return np.concatenate(out)


def _ends(scenario: Scenario, theta: np.ndarray) -> dict[str, float | None]:
    train, test = _losses(scenario, theta[None], _none)
    return {"train": _num(float(train[0])), "test": None if test is None else _num(float(test[0]))}


def _plane(scenario: Scenario, req: ViewRequest, progress: Progress) -> dict[str, Any]:
    _check_racer(scenario, req.racer)
    paths = [_train(scenario, i, progress) for i in range(len(scenario.racers))]
    spec = scenario.setup.spec
    centre = paths[req.racer].thetas[-1]
    d1 = filter_normalised(spec, centre, req.seed, 0)
    d2 = filter_normalised(spec, centre, req.seed, 1)
    axis = np.linspace(-req.span, req.span, req.sizes.side)
    grid = _grid(scenario, centre, d1, d2, axis, axis, progress)
    return {
        "view": "plane",
        "steps": [len(p.thetas) - 1 for p in paths],
        "racer": req.racer,
        "seed": req.seed,
        "span": req.span,
        **grid,
        "centre": _ends(scenario, centre),
        "direction_norms": [float(np.linalg.norm(d1)), float(np.linalg.norm(d2))],
        "paths": _paths_on(scenario, paths, centre, d1, d2, req.sizes.path, progress),
    }


def _pca(scenario: Scenario, req: ViewRequest, progress: Progress) -> dict[str, Any]:
    paths = [_train(scenario, i, progress) for i in range(len(scenario.racers))]
    origin = scenario.theta0
    pca = pca_plane(origin, [p.thetas for p in paths])
    every = np.concatenate([p.thetas for p in paths])
    on = project(origin, pca.d1, pca.d2, every)
    axes = []
    for c in (on.alphas, on.betas):
        lo, hi = float(c.min()), float(c.max())
        pad = PCA_MARGIN * (hi - lo) if hi > lo else 1.0
        axes.append(np.linspace(lo - pad, hi + pad, req.sizes.side))
    grid = _grid(scenario, origin, pca.d1, pca.d2, axes[0], axes[1], progress)
    return {
        "view": "pca",
        "steps": [len(p.thetas) - 1 for p in paths],
        "explained": list(pca.explained),
        **grid,
        "origin": _ends(scenario, origin),
        "paths": _paths_on(scenario, paths, origin, pca.d1, pca.d2, req.sizes.path, progress),
    }


def _limit(scenario: Scenario, racer: int, lr: float | None, step: int) -> float | None:
    """The sharpness at which this step's learning rate is on the edge of stability: 2/lr
    for plain gradient descent, the optimizer's own (momentum's) limit where it has one."""
    if lr is None or not lr > 0:
        return None
    r = scenario.racers[racer]
    own = r.optimizer.stability_limit
    if own is None:
        return 2.0 / lr
    hp = (
        r.hyperparameters
        if r.schedule is None
        else hyperparameters_at(r.schedule, r.hyperparameters, step)
    )
    decay = float(hp.get("weight_decay", 0.0))
    at_one = own(hp, 1.0)  # lr_max(λ) = c / (λ + decay): c from λ = 1
    if at_one is None:
        return None
    return at_one[0] * (1.0 + decay) / lr - decay


def _sharpness(scenario: Scenario, req: ViewRequest, progress: Progress) -> dict[str, Any]:
    s, sizes = scenario.setup, req.sizes
    racers, steps = [], []
    for i, racer in enumerate(scenario.racers):
        path = _train(scenario, i, progress)
        count = len(path.thetas)
        steps.append(count - 1)
        keep = _kept(count, sizes.samples)
        first_lr = racer.hyperparameters.get("lr")
        tops, lrs, limits = [], [], []
        for t in keep:
            lr = path.lrs[t] if t < len(path.lrs) else (path.lrs[-1] if path.lrs else first_lr)
            lam = top_eigenvalues(s.spec, path.thetas[t], s.x_train, s.y_train, 1, sizes.lanczos)
            progress(HVP_UNITS * min(sizes.lanczos, s.spec.size))
            tops.append(float(lam[0]))
            lrs.append(lr)
            limits.append(_limit(scenario, i, lr, int(t)))
        iterations = max(sizes.lanczos, 3 * sizes.top)
        final = top_eigenvalues(
            s.spec, path.thetas[-1], s.x_train, s.y_train, sizes.top, iterations
        )
        progress(HVP_UNITS * min(iterations, s.spec.size))
        racers.append(
            {
                "step": keep.tolist(),
                "top": _clean(tops),
                "lr": [_num(v) for v in lrs],
                "limit": [_num(v) for v in limits],
                "final": _clean(final),
                "edge": _edge(keep, tops, limits),
                "preconditioned": racer.optimizer.lr_scales != "gradient",
            }
        )
    return {"view": "sharpness", "steps": steps, "racers": racers}


def _edge(steps: np.ndarray, tops: list[float], limits: list[float | None]) -> dict[str, Any]:
    """How close the sharpness came to its limit: the median ratio over the last third of
    the samples, and the first sampled step at EDGE_REACHED of it."""
    ratios = [
        t / lim if lim is not None and lim > 0 and math.isfinite(t) else math.nan
        for t, lim in zip(tops, limits, strict=True)
    ]
    tail = [r for r in ratios[len(ratios) - max(1, len(ratios) // 3) :] if math.isfinite(r)]
    reached = next(
        (int(st) for st, r in zip(steps, ratios, strict=True) if r >= EDGE_REACHED), None
    )
    return {"ratio": float(np.median(tail)) if tail else None, "reached": reached}


def _seeds(scenario: Scenario, req: ViewRequest, progress: Progress) -> dict[str, Any]:
    _check_racer(scenario, req.racer)
    spec = scenario.setup.spec
    scheme, first = scenario.init
    second = first + 1 if req.second_seed is None else req.second_seed
    one = replace(scenario, racers=(scenario.racers[req.racer],))
    a = _train(one, 0, progress)
    other = replace(one, theta0=init_weights(spec, scheme, second))
    b = _train(other, 0, progress)
    ta, tb = a.thetas[-1], b.thetas[-1]
    matched = match(spec, ta, tb)
    alphas_points = req.sizes.points
    return {
        "view": "seeds",
        "steps": [len(a.thetas) - 1, len(b.thetas) - 1],
        "racer": req.racer,
        "seeds": [first, second],
        "alphas": np.linspace(0.0, 1.0, alphas_points).tolist(),
        "before": _strip(_along(scenario, ta, tb, alphas_points, progress)),
        "after": _strip(_along(scenario, ta, matched.theta, alphas_points, progress)),
        "ends": {"a": _ends(scenario, ta), "b": _ends(scenario, tb)},
        "distance": {
            "before": float(np.linalg.norm(ta - tb)),
            "after": float(np.linalg.norm(ta - matched.theta)),
        },
        "moved": int(sum((order != np.arange(len(order))).sum() for order in matched.orders)),
        "sweeps": matched.sweeps,
    }


def _strip(line: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in line.items() if k != "alphas"}


COMPUTE = {"line": _line, "plane": _plane, "pca": _pca, "sharpness": _sharpness, "seeds": _seeds}


def compute(scenario: Scenario, req: ViewRequest, progress: Progress = _none) -> dict[str, Any]:
    """View ``req.kind`` of the scenario (the JSON answer; see the module's doc)."""
    if req.kind not in COMPUTE:
        raise NetworkError("view", f"one of {', '.join(VIEWS)}, not {req.kind!r}")
    with np.errstate(all="ignore"):  # a diverged racer's losses overflow: shown as null
        answer = COMPUTE[req.kind](scenario, req, progress)
    head = scenario.setup.spec.head
    return {**answer, "task": scenario.setup.data.task, "loss_name": LOSS_NAMES[head]}


def work(scenario: Scenario, req: ViewRequest) -> int:
    """The view's units of work at most: the progress bar's total."""
    sizes, racers = req.sizes, len(scenario.racers)
    each = _per_theta(scenario)
    training = scenario.steps * racers
    paths = racers * 2 * min(sizes.path, scenario.steps + 1)
    if req.kind == "line":
        return training + racers * sizes.points * each
    if req.kind in ("plane", "pca"):
        return training + sizes.side**2 * each + paths
    if req.kind == "sharpness":
        size = scenario.setup.spec.size
        per_racer = sizes.samples * min(sizes.lanczos, size)
        per_racer += min(max(sizes.lanczos, 3 * sizes.top), size)
        return training + HVP_UNITS * racers * per_racer
    if req.kind == "seeds":
        return 2 * scenario.steps + 2 * sizes.points * each
    raise NetworkError("view", f"one of {', '.join(VIEWS)}, not {req.kind!r}")
