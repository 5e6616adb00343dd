"""A comparison as a request names it: the data, the network, the racers — built once.

:func:`build` turns the plain values of a request (``POST /api/networks/runs``) or a lesson
into a :class:`Scenario`: the :class:`~.train.Setup` every racer shares, the initial weights
θ₀ they all start from, the run options, and each racer's optimizer, checked
hyperparameters and schedule.  Every refusal names its field as the request spells it
(``model.hidden.2``, ``optimizers.0.hyperparameters.lr``).  :func:`grid_of` and
:func:`unit_grids` are what the page draws: the prediction over the data's plane (or line)
and each hidden unit's output there.

    >>> s = build({"data": {"dataset": "xor", "points": 40}, "model": {"hidden": [4]},
    ...            "optimizers": [{"optimizer": "adam", "hyperparameters": {"lr": 0.05}}]})
    >>> s.setup.spec.shapes, len(s.racers), s.steps
    (((4, 2), (1, 4)), 1, 500)
    >>> trace = s.start(0).advance(10)
    >>> len(trace.train_loss)
    11
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import FieldError
from ..optimizers import OPTIMIZERS, Optimizer
from ..run.options import RunOptions, check_sam, validate_options
from ..run.schedules import BoundSchedule, bind_schedule, check_cycle_momentum
from .data import NetData, NetworkError, feature_matrix, generate, own_points
from .model import hidden_outputs, init_weights, predict
from .train import NetworkRun, Setup, setup

DATA = {
    "dataset": "circle",
    "points": 200,
    "noise": 0.1,
    "seed": 0,
    "own": None,
    "test_ratio": 0.3,
    "split_seed": 0,
}
MODEL = {
    "features": ["x1", "x2"],
    "hidden": [4, 4],
    "activation": "tanh",
    "init": "xavier",
    "init_seed": 0,
    "l1": 0.0,
    "l2": 0.0,
}
STEPS = 500
UNIT_GRID = 16  # a hidden unit's thumbnail, a side (the line of a 1D set: 4×)
PAD = 0.1  # the plane drawn reaches this share of the data's range beyond it
# Newton's exact Hessian is P × P from P Hessian-vector products over every point: its
# memory and time grow as P²·n, so a network for Newton stays small.
NEWTON_MAX_WEIGHTS = 200


@dataclass(frozen=True)
class Racer:
    optimizer: Optimizer
    hyperparameters: Mapping[str, Any]  # checked, torch's defaults filled in
    schedule: BoundSchedule | None


@dataclass(frozen=True, eq=False)
class Scenario:
    setup: Setup
    theta0: np.ndarray
    options: RunOptions
    racers: tuple[Racer, ...]
    steps: int
    init: tuple[str, int] = ("xavier", 0)  # how θ₀ was drawn: the scheme and its seed

    def start(self, racer: int, state: Mapping[str, Any] | None = None) -> NetworkRun:
        """Racer ``racer``'s run from θ₀, or from a state it sent earlier."""
        r = self.racers[racer]
        return NetworkRun(
            self.setup,
            r.optimizer,
            r.hyperparameters,
            theta0=self.theta0,
            options=self.options,
            schedule=r.schedule,
            state=state,
        )


def _prefixed(field: str, exc: FieldError) -> NetworkError:
    return NetworkError(f"{field}.{exc.field}" if exc.field else field, exc.reason)


def data_of(raw: Mapping[str, Any]) -> NetData:
    d = {**DATA, **raw}
    own = d.get("own")
    if own:
        return own_points(own.get("x", []), own.get("y", []), own.get("task", "binary"))
    return generate(d["dataset"], d["points"], d["noise"], d["seed"])


def build(raw: Mapping[str, Any]) -> Scenario:
    """The scenario of a request's (or lesson's) plain values; defaults for what is left out.
    NetworkError (a FieldError) names the field of anything refused."""
    d = {**DATA, **raw.get("data", {})}
    m = {**MODEL, **raw.get("model", {})}
    data = data_of(d)
    s = setup(
        data,
        tuple(m["features"]),
        tuple(m["hidden"]),
        m["activation"],
        l1=m["l1"],
        l2=m["l2"],
        test_ratio=d["test_ratio"],
        split_seed=d["split_seed"],
    )
    theta0 = init_weights(s.spec, m["init"], m["init_seed"])
    try:
        options = validate_options(raw.get("options", {}), len(s.y_train))
    except FieldError as exc:
        raise _prefixed("options", exc) from None
    racers = []
    for i, r in enumerate(raw.get("optimizers") or [{"optimizer": "sgd"}]):
        racers.append(_racer(r, f"optimizers.{i}"))
        if racers[-1].optimizer.id == "newton" and s.spec.size > NEWTON_MAX_WEIGHTS:
            raise NetworkError(
                f"optimizers.{i}.optimizer",
                f"Newton's method needs the Hessian of every pair of weights: at most "
                f"{NEWTON_MAX_WEIGHTS} weights, and this network has {s.spec.size} "
                "(L-BFGS builds its curvature from gradients alone)",
            )
        if racers[-1].optimizer.id == "muon" and not s.spec.hidden:
            raise NetworkError(
                "model.hidden",
                f"Muon (optimizers.{i}) steps the hidden layers' weight matrices (with AdamW "
                "for the biases and the output layer), and this network has no hidden layer: "
                "add one, or pick AdamW",
            )
    for racer in racers:
        try:
            check_sam(options, racer.optimizer)
        except FieldError as exc:
            raise _prefixed("options", exc) from None
    steps = int(raw.get("steps", STEPS))
    return Scenario(s, theta0, options, tuple(racers), steps, (m["init"], m["init_seed"]))


def _racer(raw: Mapping[str, Any], field: str) -> Racer:
    oid = raw.get("optimizer", "sgd")
    if oid not in OPTIMIZERS:
        raise NetworkError(f"{field}.optimizer", f"unknown optimizer {oid!r}")
    optimizer = OPTIMIZERS[oid]
    try:
        hp = optimizer.validate(raw.get("hyperparameters", {}))
    except FieldError as exc:
        raise _prefixed(f"{field}.hyperparameters", exc) from None
    sched = raw.get("schedule") or {}
    name = sched.get("name", "constant")
    try:
        bound = bind_schedule(name, sched.get("parameters", {}))
        check_cycle_momentum(bound, hp)
    except FieldError as exc:  # as the request spells it: schedule.name, schedule.parameters.T_max
        where = "name" if exc.field == "name" else f"parameters.{exc.field}"
        raise NetworkError(f"{field}.schedule.{where}", exc.reason) from None
    return Racer(optimizer, hp, None if bound.is_constant else bound)


# --- what the page draws ---------------------------------------------------------------------


def extent(data: NetData) -> list[list[float]]:
    """The plotted range of each input coordinate: the data's, padded by PAD a side."""
    out = []
    for col in data.x.T:
        lo, hi = float(col.min()), float(col.max())
        pad = PAD * (hi - lo) if hi > lo else 1.0
        out.append([lo - pad, hi + pad])
    return out


_PLANES: dict[tuple[int, int], tuple[Setup, list[np.ndarray], np.ndarray]] = {}


def _plane(s: Setup, size: int) -> tuple[list[np.ndarray], np.ndarray]:
    """The axes of a size × size grid over the data (rows over x₂; a line of size in 1D)
    and the network's features at its points: the same for every frame of a run, so kept
    for the last few setups (a stream draws one 5 times a second)."""
    key = (id(s), size)
    hit = _PLANES.get(key)
    if hit is not None and hit[0] is s:
        return hit[1], hit[2]
    axes = [np.linspace(lo, hi, size) for lo, hi in extent(s.data)]
    if len(axes) == 1:
        points = axes[0][:, None]
    else:
        g1, g2 = np.meshgrid(axes[0], axes[1])
        points = np.column_stack([g1.ravel(), g2.ravel()])
    features = feature_matrix(points, s.features)
    if len(_PLANES) >= 64:
        _PLANES.pop(next(iter(_PLANES)))
    _PLANES[key] = (s, axes, features)
    return axes, features


def grid_of(s: Setup, theta: np.ndarray, size: int) -> dict[str, Any]:
    """The prediction over the plane: p(class 1) (binary), the top class and its
    probability (several classes), or the fitted curve (regression)."""
    axes, features = _plane(s, size)
    with np.errstate(all="ignore"):
        p = predict(s.spec, theta, features)
    out: dict[str, Any] = {"size": size, "x1": axes[0].tolist()}
    if len(axes) == 2:
        out["x2"] = axes[1].tolist()
    if s.spec.head == "ce":
        out["values"] = p.argmax(axis=1).reshape(size, size).tolist()
        out["confidence"] = _rounded(p.max(axis=1).reshape(size, size))
    elif len(axes) == 2:
        out["values"] = _rounded(p.reshape(size, size))
    else:
        out["values"] = _rounded(p)
    return out


def unit_grids(s: Setup, theta: np.ndarray, size: int = UNIT_GRID) -> list[dict[str, Any]]:
    """Each hidden unit's output over the plane (size × size; a line of 4·size in 1D)."""
    line = s.data.x.shape[1] == 1
    _, features = _plane(s, 4 * size if line else size)
    with np.errstate(all="ignore"):
        outs = hidden_outputs(s.spec, theta, features)
    units = []
    for layer, a in enumerate(outs):
        for unit in range(a.shape[1]):
            v = a[:, unit] if line else a[:, unit].reshape(size, size)
            units.append({"layer": layer, "unit": unit, "values": _rounded(v)})
    return units


def _rounded(v: np.ndarray) -> Any:
    """Values to draw, to 4 decimals (a colour needs no more, and the JSON shrinks);
    non-finite ones (a diverged network) as None."""
    r = np.round(v, 4)
    if np.isfinite(r).all():
        return r.tolist()
    return (
        [None if not np.isfinite(x) else x for x in r.ravel().tolist()]
        if r.ndim == 1
        else [_rounded(row) for row in r]
    )
