"""From a checked network request to training runs and back: the one place /api/networks
checks a request against the catalogs and this server's limits, builds the engine's setup,
and shapes what the engine answers into the wire's JSON.

Every refusal names the request's field (``data.own.x.3``, ``model.hidden.2``,
``optimizers.0.hyperparameters.lr``), all of a request's problems in one InputError.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.errors import FieldError, HyperparameterError
from ..engine.networks.data import (
    DATASETS,
    FEATURES,
    NetData,
    NetworkError,
    feature_matrix,
    generate,
    own_points,
    parse_csv,
)
from ..engine.networks.model import (
    ACTIVATIONS,
    INITS,
    hidden_outputs,
    init_weights,
    layers_of,
    predict,
)
from ..engine.networks.outcome import NET_OUTCOMES
from ..engine.networks.train import HEADS, NetTrace, NetworkRun, Setup, setup
from ..engine.optimizers import OPTIMIZERS, Optimizer
from ..engine.run.options import PLAIN, RunOptions, validate_options
from ..engine.run.schedules import BoundSchedule, bind_schedule, check_cycle_momentum
from ..settings import Settings
from .errors import InputError
from .schemas.networks import MAX_RACERS, NetDataRequest, NetOptimizerRequest, NetworkRequest

UNIT_GRID = 16  # a hidden unit's thumbnail: 16 × 16 over the plane
UNIT_LINE = 64  # … or 64 points along the line (1D data)
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
    size = len(text.encode())
    if size > settings.network_csv_bytes:
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


@dataclass(frozen=True)
class Racer:
    optimizer: Optimizer
    hyperparameters: dict[str, Any]
    schedule: BoundSchedule | None
    options: RunOptions
    state: dict[str, Any] | None


@dataclass(frozen=True)
class NetworkPlan:
    """A checked request: the shared setup and initial weights, and each racer."""

    setup: Setup
    theta0: np.ndarray
    racers: list[Racer]
    steps: int
    grid: int
    canonical: dict[str, Any]  # the request with every default filled in (the cache's key)

    def start(self) -> list[NetworkRun]:
        """Each racer's run, from the initial weights or its resume state (checked already)."""
        return [
            NetworkRun(
                self.setup,
                r.optimizer,
                r.hyperparameters,
                theta0=self.theta0,
                options=r.options,
                schedule=r.schedule,
                state=r.state,
            )
            for r in self.racers
        ]


def prepare_network(req: NetworkRequest, settings: Settings) -> NetworkPlan:
    """Check a request against the catalogs and the limits; every problem in one InputError."""
    errors: Errors = []
    if req.steps > settings.network_max_steps:
        errors.append(("steps", f"at most {settings.network_max_steps} steps, got {req.steps}"))
    if req.grid > settings.network_max_grid:
        errors.append(("grid", f"at most {settings.network_max_grid} per side, got {req.grid}"))
    _check_model(req, settings, errors)
    data = _data(req.data, settings, errors)
    built = _setup(req, data, errors) if data is not None and not errors else None
    racers = [_racer(o, f"optimizers.{i}", errors) for i, o in enumerate(req.optimizers)]
    if req.resume is not None and len(req.resume) != len(req.optimizers):
        given, wanted = len(req.resume), len(req.optimizers)
        errors.append(("resume", f"give one state per racer ({wanted}), got {given}"))
    options = PLAIN
    if built is not None:
        options = _options(req.options, len(built[0].y_train), errors)
    if errors:
        raise InputError(errors)
    assert built is not None
    checked = []
    for i, racer in enumerate(racers):
        assert racer is not None
        state = None if req.resume is None else dict(req.resume[i])
        checked.append(Racer(*racer, options, state))
    plan = NetworkPlan(*built, checked, req.steps, req.grid, _canonical(req, checked))
    _check_resume(plan)
    return plan


def _check_model(req: NetworkRequest, settings: Settings, errors: Errors) -> None:
    model = req.model
    if len(model.hidden) > settings.network_max_layers:
        errors.append(
            (
                "model.hidden",
                f"at most {settings.network_max_layers} hidden layers, got {len(model.hidden)}",
            )
        )
    for i, units in enumerate(model.hidden):
        if not 1 <= units <= settings.network_max_units:
            errors.append(
                (f"model.hidden.{i}", f"1 to {settings.network_max_units} units, got {units}")
            )
    if model.activation not in ACTIVATIONS:
        errors.append(
            (
                "model.activation",
                f"unknown activation {model.activation!r}; known: {', '.join(ACTIVATIONS)}",
            )
        )
    if model.init not in INITS:
        errors.append(("model.init", f"unknown init {model.init!r}; known: {', '.join(INITS)}"))


def _data(req: NetDataRequest, settings: Settings, errors: Errors) -> NetData | None:
    """The points: generated, or the student's own (``data.own``)."""
    limit = settings.network_max_points
    if req.own is not None:
        own = req.own
        if len(own.x) > limit:
            errors.append(("data.own.x", f"at most {limit} points, got {len(own.x)}"))
            return None
        try:
            return own_points(own.x, own.y, own.task)
        except NetworkError as exc:
            errors.append((_own_field(exc.field), exc.reason))
            return None
    if req.dataset not in DATASETS:
        errors.append(
            (
                "data.dataset",
                f"unknown data set {req.dataset!r}; known: {', '.join(DATASETS)}",
            )
        )
        return None
    if req.points > limit:
        errors.append(("data.points", f"at most {limit} points, got {req.points}"))
        return None
    try:
        return generate(req.dataset, req.points, req.noise, req.seed)
    except NetworkError as exc:
        errors.append((exc.field, exc.reason))
        return None


def _own_field(field: str) -> str:
    """own_points names ``data.x.3``: in the request that is ``data.own.x.3``."""
    head, _, rest = field.partition(".")
    return f"data.own.{rest}" if head == "data" and not rest.startswith("own") else field


def _setup(req: NetworkRequest, data: NetData, errors: Errors) -> tuple[Setup, np.ndarray] | None:
    model = req.model
    try:
        built = setup(
            data,
            model.features,
            model.hidden,
            model.activation,
            l1=model.l1,
            l2=model.l2,
            test_ratio=req.data.test_ratio,
            split_seed=req.data.split_seed,
        )
        if len(built.y_train) == 0:
            raise NetworkError("data.test_ratio", "leaves no training points")
        return built, init_weights(built.spec, model.init, model.init_seed)
    except NetworkError as exc:
        errors.append((exc.field, exc.reason))
        return None


def _racer(
    req: NetOptimizerRequest, where: str, errors: Errors
) -> tuple[Optimizer, dict[str, Any], BoundSchedule | None] | None:
    optimizer = OPTIMIZERS.get(req.optimizer)
    if optimizer is None:
        known = ", ".join(OPTIMIZERS)
        errors.append(
            (f"{where}.optimizer", f"unknown optimizer {req.optimizer!r}; known: {known}")
        )
        return None
    hyperparameters: dict[str, Any] = {}
    try:
        hyperparameters = optimizer.validate(req.hyperparameters)
    except HyperparameterError as exc:
        errors.append((f"{where}.hyperparameters.{exc.field}", exc.reason))
    schedule = None
    try:
        schedule = bind_schedule(req.schedule.name, req.schedule.parameters)
        check_cycle_momentum(schedule, [h.name for h in optimizer.hyperparameters])
    except HyperparameterError as exc:
        field = "name" if exc.field == "name" else f"parameters.{exc.field}"
        errors.append((f"{where}.schedule.{field}", exc.reason))
    return optimizer, hyperparameters, schedule


def _options(given: dict[str, Any], train_points: int, errors: Errors) -> RunOptions:
    try:
        return validate_options(given, train_points)
    except HyperparameterError as exc:
        errors.append((f"options.{exc.field}", exc.reason))
        return PLAIN


def _check_resume(plan: NetworkPlan) -> None:
    """A resume state that does not fit its racer is refused before anything runs."""
    errors: Errors = []
    for i, racer in enumerate(plan.racers):
        if racer.state is None:
            continue
        try:
            NetworkRun(
                plan.setup,
                racer.optimizer,
                racer.hyperparameters,
                theta0=plan.theta0,
                options=racer.options,
                schedule=racer.schedule,
                state=racer.state,
            )
        except FieldError as exc:
            errors.append((f"resume.{i}.{exc.field}", exc.reason))
    if errors:
        raise InputError(errors)


def _canonical(req: NetworkRequest, racers: Sequence[Racer]) -> dict[str, Any]:
    """The request as JSON with every default filled in: two requests for the same work read
    the same (the result cache's key, once.py)."""
    out = req.model_dump(mode="json")
    options = racers[0].options
    out["options"] = {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}
    for entry, racer in zip(out["optimizers"], racers, strict=True):
        entry["hyperparameters"] = dict(racer.hyperparameters)
        if racer.schedule is not None:
            entry["schedule"] = {
                "name": racer.schedule.id,
                "parameters": dict(racer.schedule.values),
            }
    if req.data.own is not None:  # the generator's fields say nothing then
        out["data"] = {k: out["data"][k] for k in ("own", "test_ratio", "split_seed")}
    return out


# --- what the engine answers, as the wire has it ---------------------------------------------


def pictures(plan: NetworkPlan, theta: np.ndarray) -> dict[str, Any]:
    """The prediction grid and each hidden unit's thumbnail at ``theta``."""
    s = plan.setup
    units = UNIT_GRID if s.data.x.shape[1] == 2 else UNIT_LINE
    return {"grid": grid_of(s, theta, plan.grid), "units": unit_grids(s, theta, units)}


MARGIN = 0.1  # the plotted plane reaches this share of the data's range past its points


def plane(setup: Setup, size: int) -> tuple[list[np.ndarray], np.ndarray]:
    """The axes over the data (x1, and x2 for 2D data), ``size`` values each, and the
    network's inputs at every grid point (rows over x2, columns over x1)."""
    x = setup.data.x
    axes = []
    for column in x.T:
        lo, hi = float(column.min()), float(column.max())
        pad = max(MARGIN * (hi - lo), 0.5)
        axes.append(np.linspace(lo - pad, hi + pad, size))
    if len(axes) == 1:
        points = axes[0][:, None]
    else:
        g1, g2 = np.meshgrid(axes[0], axes[1])
        points = np.column_stack([g1.ravel(), g2.ravel()])
    return axes, feature_matrix(points, setup.features)


def grid_of(setup: Setup, theta: np.ndarray, size: int) -> dict[str, Any]:
    """The prediction over the plane (binary: p(class 1); multiclass: the top class and its
    probability; regression: the fitted curve)."""
    axes, X = plane(setup, size)
    spec = setup.spec
    with np.errstate(all="ignore"):
        p = predict(spec, theta, X)
    out: dict[str, Any] = {"size": size, "x1": axes[0].tolist()}
    shape = (size,) if len(axes) == 1 else (size, size)
    if len(axes) == 2:
        out["x2"] = axes[1].tolist()
    if spec.head == "ce":
        out["values"] = p.argmax(axis=1).reshape(shape).tolist()
        out["confidence"] = p.max(axis=1).reshape(shape).tolist()
    else:
        out["values"] = p.reshape(shape).tolist()
    return out


def unit_grids(setup: Setup, theta: np.ndarray, size: int) -> list[dict[str, Any]]:
    """Each hidden unit's output over the plane (or the line)."""
    axes, X = plane(setup, size)
    shape = (size,) if len(axes) == 1 else (size, size)
    with np.errstate(all="ignore"):
        layers = hidden_outputs(setup.spec, theta, X)
    return [
        {"layer": n, "unit": u, "values": a[:, u].reshape(shape).tolist()}
        for n, a in enumerate(layers)
        for u in range(a.shape[1])
    ]


def data_json(plan: NetworkPlan, grid: dict[str, Any]) -> dict[str, Any]:
    """The points, the split and the plotted extent (the grid's)."""
    s = plan.setup
    extent = [[grid["x1"][0], grid["x1"][-1]]]
    if grid.get("x2") is not None:
        extent.append([grid["x2"][0], grid["x2"][-1]])
    return {
        "x": s.data.x.tolist(),
        "y": s.data.y.tolist(),
        "train": s.train.tolist(),
        "test": s.test.tolist(),
        "task": s.data.task,
        "classes": s.data.classes,
        "extent": extent,
    }


def start_json(plan: NetworkPlan, runs: Sequence[NetworkRun]) -> dict[str, Any]:
    """The data, the shared initial weights and each racer's picture where it starts."""
    racers = [pictures(plan, run.theta) for run in runs]
    return {
        "data": data_json(plan, racers[0]["grid"]),
        "initial_weights": layers_of(plan.setup.spec, plan.theta0),
        "racers": racers,
    }


def steps_json(plan: NetworkPlan, trace: NetTrace) -> dict[str, Any]:
    steps = trace.to_json()
    if plan.setup.data.task == "regression":
        steps["train_accuracy"] = steps["test_accuracy"] = None
    return steps


def end_json(plan: NetworkPlan, run: NetworkRun) -> dict[str, Any]:
    return {
        "outcome": run.outcome().to_json(),
        "final_weights": layers_of(plan.setup.spec, run.theta),
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
        return {
            "data": data_json(plan, racers[0]["grid"]),
            "initial_weights": layers_of(plan.setup.spec, plan.theta0),
            "racers": racers,
        }


def _extend(trace: NetTrace, more: NetTrace) -> None:
    for f in dataclasses.fields(trace):
        getattr(trace, f.name).extend(getattr(more, f.name))
