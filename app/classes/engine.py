"""What the engine decides for a class: each asked run's outcome (the right answer) and each
student's experiment run — checked and run as POST /api/runs checks and runs them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..api.errors import InputError
from ..api.schemas.runs import RunRequest
from ..api.service import PreparedRun, execute, prepare_run
from ..engine.optimizers import OPTIMIZERS
from ..settings import Settings


def prepare(runs: Sequence[RunRequest], settings: Settings, where: str) -> list[PreparedRun]:
    """Check runs as POST /api/runs does; every problem named ``{where}.{i}.{field}``."""
    prepared, errors = [], []
    for i, run in enumerate(runs):
        try:
            prepared.append(prepare_named(run, settings, f"{where}.{i}"))
        except InputError as exc:
            errors += exc.errors
    if errors:
        raise InputError(errors)
    return prepared


def prepare_named(run: RunRequest, settings: Settings, where: str) -> PreparedRun:
    """Check one run as POST /api/runs does; every problem named ``{where}.{field}``."""
    try:
        return prepare_run(run, settings)
    except InputError as exc:
        raise InputError([(f"{where}.{field}", reason) for field, reason in exc.errors]) from None


def outcomes(prepared: Sequence[PreparedRun]) -> list[str]:
    """The engine's outcome of each run (blocking: call it in a worker thread)."""
    return [execute(p)["outcome"] for p in prepared]


def varied(base: RunRequest, kind: str, value: float | list[float] | str) -> RunRequest:
    """The base run with a student's value: the learning rate, the start or the optimizer
    (keeping the base's hyperparameters that optimizer has). A value of the wrong kind is a
    422 on ``value``."""
    if kind == "lr" and isinstance(value, float | int) and not isinstance(value, bool):
        if value <= 0:
            raise InputError([("value", f"a learning rate must be positive, got {value}")])
        return base.model_copy(update={"hyperparameters": {**base.hyperparameters, "lr": value}})
    if kind == "start" and isinstance(value, list):
        return base.model_copy(update={"start": value, "resume": None})
    if kind == "optimizer" and isinstance(value, str):
        optimizer = OPTIMIZERS.get(value)
        if optimizer is None:
            known = ", ".join(OPTIMIZERS)
            raise InputError([("value", f"unknown optimizer {value!r}; known: {known}")])
        names = {h.name for h in optimizer.hyperparameters}
        kept = {k: v for k, v in base.hyperparameters.items() if k in names}
        return base.model_copy(update={"optimizer": value, "hyperparameters": kept})
    wanted = {"lr": "a positive number", "start": "a list of coordinates", "optimizer": "an id"}
    raise InputError([("value", f"this experiment varies {kind}: give {wanted[kind]}")])


def prepare_varied(
    base: RunRequest, kind: str, value: float | list[float] | str, settings: Settings
) -> PreparedRun:
    """The student's run, checked; what the value broke is named under ``value``."""
    try:
        return prepare_run(varied(base, kind, value), settings)
    except InputError as exc:
        if exc.errors and exc.errors[0][0] == "value":
            raise
        raise InputError(
            [("value", f"{field}: {reason}") for field, reason in exc.errors]
        ) from None


def result(prepared: PreparedRun) -> dict[str, Any]:
    """Where the run ended, f there, the engine's outcome and the steps taken (blocking)."""
    run = execute(prepared)
    return {
        "end": [_finite(x) for x in run["positions"][-1]],
        "loss": _finite(run["losses"][-1]),
        "outcome": {"kind": run["outcome"], "minimum": run["minimum"]},
        "steps": run["steps"][-1],
    }


def _finite(x: float) -> float | None:
    """JSON has no ±inf or nan: a ball that flew off ends at null."""
    return float(x) if math.isfinite(x) else None
