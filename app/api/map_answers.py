"""A finished map as its JSON answer: the engine's arrays as nested lists, outcome
indices as their words, and each map's summary of how its balls ended."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from ..engine.maps import Axis, BasinMap, Ends, SweepMap, TrainabilityMap
from ..engine.run import CONVERGED
from ..engine.run.outcome import NO_MINIMUM, OUTCOMES
from ..engine.surfaces import Surface
from .schemas.common import minimum_json


def _minima_json(surface: Surface) -> list[dict[str, Any]]:
    return [minimum_json(m) for m in surface.minima]


def _words(ends: Ends) -> tuple[list[Any], list[Any]]:
    """Outcome words and minimum indices (None for none), nested as the batch."""
    words = np.array(OUTCOMES, dtype=object)[ends.outcome]
    minimum = np.where(ends.minimum == NO_MINIMUM, None, ends.minimum.astype(object))
    return words.tolist(), minimum.tolist()


def _summary(ends: Ends) -> list[dict[str, Any]]:
    pairs = Counter(zip(ends.outcome.ravel().tolist(), ends.minimum.ravel().tolist(), strict=True))
    total = ends.outcome.size
    return [
        {
            "outcome": OUTCOMES[k],
            "minimum": None if m == NO_MINIMUM else m,
            "count": n,
            "fraction": n / total,
        }
        for (k, m), n in sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
    ]


def basins_json(m: BasinMap, surface: Surface) -> dict[str, Any]:
    outcome, minimum = _words(m.ends)
    return {
        "x": m.x.tolist(),
        "y": None if m.y is None else m.y.tolist(),
        "outcome": outcome,
        "minimum": minimum,
        "steps": m.ends.steps.tolist(),
        "minima": _minima_json(surface),
        "summary": _summary(m.ends),
    }


def sweep_json(m: SweepMap, surface: Surface) -> dict[str, Any]:
    outcome, minimum = _words(m.ends)
    assert m.ends.last is not None and m.ends.last_loss is not None
    return {
        "lr": m.lr.tolist(),
        "last": np.moveaxis(m.ends.last, 0, 1).tolist(),
        "last_loss": m.ends.last_loss.T.tolist(),
        "final_loss": m.ends.loss.tolist(),
        "outcome": outcome,
        "minimum": minimum,
        "steps": m.ends.steps.tolist(),
        "minima": _minima_json(surface),
        "stability": [
            {
                "minimum": s.minimum,
                "position": list(s.position),
                "sharpness": s.sharpness,
                "descent_limit": s.descent_limit,
                "limit": s.limit,
                "limit_rule": s.limit_rule,
            }
            for s in m.stability
        ],
    }


def trainability_json(
    m: TrainabilityMap, surface: Surface, x_axis: Axis, y_axis: Axis
) -> dict[str, Any]:
    outcome, minimum = _words(m.ends)
    converged = m.ends.status == CONVERGED
    return {
        "x": m.x.tolist(),
        "y": m.y.tolist(),
        "x_name": x_axis.name,
        "y_name": y_axis.name,
        "outcome": outcome,
        "minimum": minimum,
        "steps": np.where(converged, m.ends.steps.astype(object), None).tolist(),
        "final_loss": m.ends.loss.tolist(),
        "minima": _minima_json(surface),
        "summary": _summary(m.ends),
    }
