"""Landscapes from data: the loss of a small model on a data set, over its weights.

A :class:`ModelSpec` names a model, a loss, a data set (a built-in id or the points
themselves) and how many weights are free; :func:`model_surface` turns it into a
:class:`~app.engine.surfaces.surface.Surface` that every optimizer, map and outcome uses
like any other, with three things more:

* the formulas over any subset of the points (``Surface.on_points``), so a run can take
  real mini-batches (:mod:`app.engine.run.batches`);
* minima worked out from the data where there is a closed form: least squares from the
  normal equations, least absolute deviations at the best line through two points (where
  the minimum of a sum of kinks always lies); otherwise the domain is searched;
* where there is no minimum at all — classes that a threshold separates, under
  cross-entropy — ``Surface.no_minimum`` says why, and the outcome of a run that heads off
  downhill is ``ran_away`` even while it is still on the map.

    >>> s = model_surface(ModelSpec("linear", "mse", "noisy_line"))
    >>> s.dim, s.data_size, [m.kind for m in s.minima]
    (2, 20, ['global'])
    >>> model_surface(ModelSpec("logistic", "bce", "separable")).no_minimum != ""
    True
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ...backend import SCALAR
from ..minima import classify
from ..surface import Minimum, Surface
from .data import DATASETS, MAX_POINTS, MAX_VALUE, Dataset, ModelError, checked_data
from .losses import FIXED, Loss

__all__ = [
    "DATASETS",
    "LOSSES",
    "MAX_POINTS",
    "MAX_VALUE",
    "MODELS",
    "Dataset",
    "Model",
    "ModelError",
    "ModelSpec",
    "model_surface",
]

MODEL_ID = "model-"  # + 12 hex digits of sha256: a model landscape's surface id


@dataclass(frozen=True)
class Model:
    id: str
    name: str
    prediction: str  # the model as a formula, for the page
    weights: tuple[str, str]  # the coordinates' names
    losses: tuple[str, ...]  # the losses it may be trained with, the first its usual one
    domains: tuple[tuple[tuple[float, float], ...], tuple[tuple[float, float], ...]]  # 1D, 2D
    starts: tuple[tuple[float, ...], tuple[float, ...]]  # 1D, 2D
    description: str


MODELS: dict[str, Model] = {
    m.id: m
    for m in (
        Model(
            "linear",
            "Linear regression",
            "ŷ = w·x + b",
            ("w", "b"),
            ("mse", "mae"),
            (((-4.0, 4.0),), ((-4.0, 4.0), (-4.0, 4.0))),
            ((-3.0,), (-3.0, 3.0)),
            "A straight line through the points: slope w, intercept b.",
        ),
        Model(
            "logistic",
            "Logistic regression",
            "p = σ(w·x + b)",
            ("w", "b"),
            ("bce",),
            (((-8.0, 8.0),), ((-8.0, 8.0), (-8.0, 8.0))),
            ((-5.0,), (-5.0, 5.0)),
            "The chance that a point is in class 1, an S-shaped curve σ(z) = 1/(1 + e⁻ᶻ) "
            "of w·x + b; it says class 1 where p > ½, right of x = −b/w when w > 0.",
        ),
        Model(
            "tanh_net",
            "A two-weight network",
            "ŷ = w₂·tanh(w₁·x)",
            ("w₁", "w₂"),
            ("mse",),
            (((-3.0, 3.0),), ((-3.0, 3.0), (-3.0, 3.0))),
            ((-2.5,), (0.3, -2.5)),
            "One hidden tanh unit and one output weight. Flipping both weights' signs gives "
            "the same curve, so every minimum has a mirror image, and the origin is a saddle.",
        ),
    )
}

LOSSES: dict[str, tuple[str, str]] = {  # id: (name, formula in the residual r = ŷ − y)
    "mse": ("Mean squared error", "(1/n)·Σ (ŷᵢ − yᵢ)²"),
    "mae": ("Mean absolute error", "(1/n)·Σ |ŷᵢ − yᵢ|"),
    "bce": ("Binary cross-entropy", "−(1/n)·Σ [yᵢ·log pᵢ + (1 − yᵢ)·log(1 − pᵢ)]"),
}


@dataclass(frozen=True)
class ModelSpec:
    """A model landscape as a request names it: ``data`` is a built-in data set's id or
    the points as ``(x, y)`` tuples; ``dim`` 2 frees both weights, 1 the first only."""

    model: str
    loss: str
    data: str | tuple[tuple[float, ...], tuple[float, ...]]
    dim: int = 2

    def dataset(self) -> Dataset:
        if isinstance(self.data, str):
            found = DATASETS.get(self.data)
            if found is None:
                raise ModelError(
                    "data", f"unknown data set {self.data!r}; known: {', '.join(DATASETS)}"
                )
            return found
        return checked_data(*self.data)

    def to_json(self) -> dict[str, Any]:
        """As a request sends it (``surface`` of a run, stream or map)."""
        data: Any = self.data
        if not isinstance(data, str):
            data = {"x": list(data[0]), "y": list(data[1])}
        return {"model": self.model, "loss": self.loss, "data": data, "dim": self.dim}


def model_surface(spec: ModelSpec) -> Surface:
    """The landscape ``spec`` names; ModelError names the field to change."""
    return _surface(spec)


@lru_cache(maxsize=128)
def _surface(spec: ModelSpec) -> Surface:
    # Cached: the same landscape comes back with every run, stream and map of a page, and a
    # searched landscape keeps its minima.
    model = MODELS.get(spec.model)
    if model is None:
        raise ModelError("model", f"unknown model {spec.model!r}; known: {', '.join(MODELS)}")
    if spec.loss not in model.losses:
        known = ", ".join(model.losses)
        raise ModelError("loss", f"{model.name} is trained with {known}, not {spec.loss!r}")
    if spec.dim not in (1, 2):
        raise ModelError("dim", f"must be 1 (one weight) or 2 (two weights), got {spec.dim!r}")
    data = spec.dataset()
    _check_fit(model, spec, data)
    loss = Loss(model.id, spec.loss, spec.dim, data.x, data.y)
    domain = model.domains[spec.dim - 1]
    no_minimum = _no_minimum(spec, data)
    exact = _exact_minima(spec, data, loss, domain)
    name, formula = LOSSES[spec.loss]
    weights = model.weights[: spec.dim]
    held = "" if spec.dim == 2 else f" with {model.weights[1]} = {FIXED[model.id]:g}"
    return Surface(
        id=model_id(spec),
        name=f"{model.name} · {name} · {data.name}",
        formula=f"L({', '.join(weights)}) = {formula}, {model.prediction}{held}",
        domain=domain,
        start=model.starts[spec.dim - 1],
        **loss.formulas()._asdict(),
        description=f"{model.description} The loss is the {name.lower()} over "
        f"{data.size} points; the coordinates are the weights {' and '.join(weights)}{held}.",
        search=exact is None and not no_minimum,
        trusted=False,
        exact_minima=exact if exact is not None else (),
        no_minimum=no_minimum,
        model=spec,
        on_points=loss.on,
    )


def model_id(spec: ModelSpec) -> str:
    """The same model, loss, data and weights have the same id (a run's state names it)."""
    key = json.dumps(spec.to_json(), sort_keys=True)
    return MODEL_ID + hashlib.sha256(key.encode()).hexdigest()[:12]


def _check_fit(model: Model, spec: ModelSpec, data: Dataset) -> None:
    """Refuse data whose landscape has a whole line of equally good weights (no single
    minimum to roll to): through a single x every slope fits alike."""
    if spec.loss == "bce":
        bad = np.nonzero((data.y != 0) & (data.y != 1))[0]
        if len(bad):
            i = int(bad[0])
            raise ModelError(
                f"data.y.{i}", f"cross-entropy needs class labels 0 or 1, got {data.y[i]:g}"
            )
    if spec.dim == 2 and len(np.unique(data.x)) < 2:
        raise ModelError(
            "data.x",
            f"give points at two different x at least: with one x, {model.weights[0]} and "
            f"{model.weights[1]} trade off along a line of equally good weights",
        )
    if spec.dim == 1 and not np.any(data.x):
        raise ModelError("data.x", "give a point with x ≠ 0: at x = 0 the weight does nothing")


def _no_minimum(spec: ModelSpec, data: Dataset) -> str:
    """Why cross-entropy has no minimum on these points, or "" when it has one.

    With two weights, a threshold that puts every class-1 point on one side and every
    class-0 point on the other (ties allowed) separates them; with one (b = 0), the
    threshold is x = 0.  Then a steeper sigmoid always fits better: the loss falls towards 0
    as the weights grow, and never gets there.
    """
    if spec.loss != "bce":
        return ""
    x0, x1 = data.x[data.y == 0], data.x[data.y == 1]
    if spec.dim == 2:
        separated = len(x0) == 0 or len(x1) == 0 or x0.max() <= x1.min() or x1.max() <= x0.min()
    else:
        signed = np.concatenate([-x0, x1])
        separated = bool((signed >= 0).all() or (signed <= 0).all())
    if not separated:
        return ""
    return (
        "The classes separate: a steeper sigmoid always fits them better, so the "
        "cross-entropy keeps falling towards 0 as the weights grow and has no minimum."
    )


def _exact_minima(
    spec: ModelSpec, data: Dataset, loss: Loss, domain: tuple[tuple[float, float], ...]
) -> tuple[Minimum, ...] | None:
    """Closed-form minima (on the domain), or None where the domain must be searched."""
    if spec.model != "linear":
        return None
    x, y = data.x, data.y
    candidates: list[tuple[float, ...]]
    if spec.loss == "mse":  # the normal equations
        if spec.dim == 1:
            candidates = [(float(x @ y / (x @ x)),)]
        else:
            a = np.array([[x @ x, x.sum()], [x.sum(), len(x)]])
            w, b = np.linalg.solve(a, np.array([x @ y, y.sum()]))
            candidates = [(float(w), float(b))]
    elif spec.dim == 1:  # MAE: the minimum sits at a kink, where a line meets a point
        nonzero = x != 0
        candidates = [(float(w),) for w in y[nonzero] / x[nonzero]]
    else:  # MAE: the best of the lines through two points at different x
        i, j = np.triu_indices(len(x), 1)
        apart = x[i] != x[j]
        i, j = i[apart], j[apart]
        w = (y[j] - y[i]) / (x[j] - x[i])
        b = y[i] - w * x[i]
        values = np.abs(w[:, None] * x + b[:, None] - y).mean(axis=1)
        best = int(np.argmin(values))
        candidates = [(float(w[best]), float(b[best]))]
    values = [loss.value(SCALAR, *c) for c in candidates]
    best = int(np.argmin(values))
    point, value = candidates[best], values[best]
    inside = all(lo < c < hi for c, (lo, hi) in zip(point, domain, strict=True))
    return classify([(point, value)]) if inside else ()
