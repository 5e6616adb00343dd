"""From a network request to training runs and back: the one place /api/networks checks a
request against this server's limits, has the engine build it (``scenario.build``: the
shared setup, the initial weights, the racers, every refusal naming its field), and shapes
what the engine answers into the wire's JSON.

The limits are checked first, all of them named at once, so nothing is built past them (a
layer of a million units is refused, not allocated).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.errors import FieldError
from ..engine.networks.data import DATASETS, FEATURES, NetworkError, parse_csv
from ..engine.networks.model import ACTIVATIONS, INITS, layers_of
from ..engine.networks.outcome import NET_OUTCOMES
from ..engine.networks.scenario import Scenario, build, extent, grid_of, unit_grids
from ..engine.networks.train import HEADS, NetTrace, NetworkRun
from ..settings import Settings
from .errors import InputError
from .schemas.networks import MAX_RACERS, NetworkRequest

Errors = list[tuple[str, str]]


# --- the catalog and a CSV file -------------------------------------------------------------


def catalog_json(settings: Settings) -> dict[str, Any]:
    """GET /api/networks/catalog: what the page offers, and this server's limits."""
    return {
        "datasets": [dataclasses.asdict(d) for d in DATASETS.values()],
        "features": [
            {"id": f.id, "label": f.label, "needs": list(f.needs)} for f in FEATURES.values()
        ],
        "activations": list(ACTIVATIONS),
        "inits": list(INITS),
        "heads": dict(HEADS),
        "outcomes": list(NET_OUTCOMES),
        "limits": {
            "layers": settings.network_max_layers,
            "units": settings.network_max_units,
            "points": settings.network_max_points,
            "steps": settings.network_max_steps,
            "grid": settings.network_max_grid,
            "csv_bytes": settings.network_csv_bytes,
            "racers": MAX_RACERS,
            "grid_per_second": settings.network_grid_per_second,
        },
    }


def csv_points(text: str, settings: Settings) -> dict[str, Any]:
    """A CSV file's points, as ``data.own`` takes them; a refusal names ``data.csv``."""
    if len(text.encode()) > settings.network_csv_bytes:
        raise InputError([("data.csv", csv_too_large(settings))], status=413)
    try:
        data = parse_csv(text)
    except NetworkError as exc:
        raise InputError([(exc.field, exc.reason)]) from None
    if len(data.y) > settings.network_max_points:
        reason = f"at most {settings.network_max_points} rows, got {len(data.y)}"
        raise InputError([("data.csv", reason)])
    return {"x": data.x.tolist(), "y": data.y.tolist(), "task": data.task, "classes": data.classes}


def csv_too_large(settings: Settings) -> str:
    return f"a CSV file of at most {settings.network_csv_bytes} bytes"


# --- a request, checked ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class NetworkPlan:
    """A checked request: the engine's scenario, each racer's resume state, the grid's size
    and the request with every default filled in (the result cache's key)."""

    scenario: Scenario
    states: list[dict[str, Any] | None]
    grid: int
    canonical: dict[str, Any]

    @property
    def steps(self) -> int:
        return self.scenario.steps

    def start(self) -> list[NetworkRun]:
        """Each racer's run, from the initial weights or its resume state."""
        return [self.scenario.start(i, state) for i, state in enumerate(self.states)]


def prepare_network(req: NetworkRequest, settings: Settings) -> NetworkPlan:
    """Check a request against the limits, then have the engine build it; a refusal names
    the request's field (InputError)."""
    errors = _over_limits(req, settings)
    if errors:
        raise InputError(errors)
    scenario = build_scenario(req)
    states: list[dict[str, Any] | None] = [None] * len(req.optimizers)
    if req.resume is not None:
        states = [dict(state) for state in req.resume]
    plan = NetworkPlan(scenario, states, req.grid, canonical_network(req, scenario))
    for i, state in enumerate(plan.states):
        if state is not None:  # refused before anything runs
            try:
                scenario.start(i, state)
            except FieldError as exc:
                errors.append((f"resume.{i}.{exc.field}", exc.reason))
    if errors:
        raise InputError(errors)
    return plan


def build_scenario(req: NetworkRequest) -> Scenario:
    """The engine's scenario of a request within the limits; a refusal names the request's
    field (InputError)."""
    try:
        return build(req.model_dump(include={"data", "model", "optimizers", "options", "steps"}))
    except NetworkError as exc:
        field = _own_field(exc.field) if req.data.own is not None else exc.field
        raise InputError([(field, exc.reason)]) from None


def _over_limits(req: NetworkRequest, settings: Settings) -> Errors:
    """Everything in the request past this server's limits."""
    errors = network_limits(req, settings)
    if req.grid > settings.network_max_grid:
        errors.append(("grid", f"at most {settings.network_max_grid} per side, got {req.grid}"))
    if req.resume is not None and len(req.resume) != len(req.optimizers):
        given, wanted = len(req.resume), len(req.optimizers)
        errors.append(("resume", f"give one state per racer ({wanted}), got {given}"))
    return errors


def network_limits(req: NetworkRequest, settings: Settings) -> Errors:
    """The network's own size past this server's limits: its steps, layers, units and
    points (what a run and a landscape view share)."""
    errors: Errors = []
    if req.steps > settings.network_max_steps:
        errors.append(("steps", f"at most {settings.network_max_steps} steps, got {req.steps}"))
    hidden, layers, units = (
        req.model.hidden,
        settings.network_max_layers,
        settings.network_max_units,
    )
    if len(hidden) > layers:
        errors.append(("model.hidden", f"at most {layers} hidden layers, got {len(hidden)}"))
    for i, n in enumerate(hidden):
        if not 1 <= n <= units:
            errors.append((f"model.hidden.{i}", f"1 to {units} units, got {n}"))
    points = settings.network_max_points
    if req.data.own is not None and len(req.data.own.x) > points:
        errors.append(("data.own.x", f"at most {points} points, got {len(req.data.own.x)}"))
    elif req.data.own is None and req.data.points > points:
        errors.append(("data.points", f"at most {points} points, got {req.data.points}"))
    return errors


OWN = ("x", "y", "task")  # what own_points names as data.<field>


def _own_field(field: str) -> str:
    """The engine names a point ``data.x.3``: in the request it is ``data.own.x.3``."""
    parts = field.split(".")
    if parts[0] == "data" and len(parts) > 1 and parts[1] in OWN:
        return ".".join(["data", "own", *parts[1:]])
    return field


def canonical_network(req: NetworkRequest, scenario: Scenario) -> dict[str, Any]:
    """The request as JSON with every default filled in: two requests for the same work read
    the same (the result cache's key, once.py)."""
    out = req.model_dump(mode="json")
    options = scenario.options
    out["options"] = {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}
    for entry, racer in zip(out["optimizers"], scenario.racers, strict=True):
        entry["hyperparameters"] = dict(racer.hyperparameters)
        schedule = racer.schedule
        entry["schedule"] = (
            None if schedule is None else {"name": schedule.id, "parameters": dict(schedule.values)}
        )
    if req.data.own is not None:  # the generator's fields say nothing then
        out["data"] = {k: out["data"][k] for k in ("own", "test_ratio", "split_seed")}
    return out


# --- what the engine answers, as the wire has it ---------------------------------------------


def pictures(plan: NetworkPlan, theta: np.ndarray) -> dict[str, Any]:
    """The prediction grid and each hidden unit's thumbnail at ``theta``."""
    s = plan.scenario.setup
    return {"grid": grid_of(s, theta, plan.grid), "units": unit_grids(s, theta)}


def data_json(plan: NetworkPlan) -> dict[str, Any]:
    """The points, the split and the plotted extent."""
    s = plan.scenario.setup
    return {
        "x": s.data.x.tolist(),
        "y": s.data.y.tolist(),
        "train": s.train.tolist(),
        "test": s.test.tolist(),
        "task": s.data.task,
        "classes": s.data.classes,
        "extent": extent(s.data),
    }


def start_json(plan: NetworkPlan, runs: Sequence[NetworkRun]) -> dict[str, Any]:
    """The data, the shared initial weights and each racer's picture where it starts."""
    return {
        "data": data_json(plan),
        "initial_weights": layers_of(plan.scenario.setup.spec, plan.scenario.theta0),
        "racers": [pictures(plan, run.theta) for run in runs],
    }


def steps_json(plan: NetworkPlan, trace: NetTrace) -> dict[str, Any]:
    steps = trace.to_json()
    if plan.scenario.setup.data.task == "regression":
        steps["train_accuracy"] = steps["test_accuracy"] = None
    return steps


def end_json(plan: NetworkPlan, run: NetworkRun) -> dict[str, Any]:
    return {
        "outcome": run.outcome().to_json(),
        "final_weights": layers_of(plan.scenario.setup.spec, run.theta),
        "state": run.state_json(),
    }


class Training:
    """A whole comparison, as POST /api/networks/runs answers it, advanced in slices of
    wall-clock time: a caller runs each slice in a worker thread and, between slices, can be
    cancelled (every client waiting for it hung up)."""

    CHUNK = 50  # steps between looks at the clock

    def __init__(self, plan: NetworkPlan) -> None:
        self.plan = plan
        self.runs = plan.start()
        self.traces = [run.advance(0) for run in self.runs]  # the start (step 0)
        self.left = [plan.steps for _ in self.runs]

    def advance(self, seconds: float) -> bool:
        """Take steps for about ``seconds``; True when every racer is done."""
        deadline = time.perf_counter() + seconds
        for i, run in enumerate(self.runs):
            while self.left[i] > 0 and run.status == "running":
                n = min(self.CHUNK, self.left[i])
                _extend(self.traces[i], run.advance(n))
                self.left[i] -= n
                if time.perf_counter() > deadline:
                    return False
        return True

    def result(self) -> dict[str, Any]:
        plan = self.plan
        racers = [
            {"steps": steps_json(plan, trace), **end_json(plan, run), **pictures(plan, run.theta)}
            for run, trace in zip(self.runs, self.traces, strict=True)
        ]
        return {**start_json(plan, []), "racers": racers}


def _extend(trace: NetTrace, more: NetTrace) -> None:
    for f in dataclasses.fields(trace):
        getattr(trace, f.name).extend(getattr(more, f.name))
