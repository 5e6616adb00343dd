"""From validated requests to engine runs and back: the one place the run endpoints (and the
maps, for what a map shares with a run) check a request and run it."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel
from pydantic_core import to_json

from ..engine.errors import HyperparameterError, StateError
from ..engine.optimizers import OPTIMIZERS, Optimizer
from ..engine.run import RUNNING, Run, RunState, start_state
from ..engine.run.options import PLAIN, RunOptions, check_sam, validate_options
from ..engine.run.schedules import BoundSchedule, bind_schedule, check_cycle_momentum
from ..engine.surfaces import Surface
from ..settings import Settings
from .errors import InputError
from .schemas.runs import RunRequest, RunSetting
from .surface_requests import request_surface


@dataclass
class PreparedRun:
    surface: Surface
    optimizer: Optimizer
    hyperparameters: dict[str, Any]
    state: RunState
    steps: int
    options: RunOptions = PLAIN
    schedule: BoundSchedule | None = None
    sharpness: bool = False
    end_early: bool = False

    def start(self) -> Run:
        return Run(
            self.surface,
            self.optimizer,
            self.hyperparameters,
            self.state,
            options=self.options,
            schedule=self.schedule,
            sharpness=self.sharpness,
            end_early=self.end_early,
        )


def prepare_runs(requests: Sequence[RunRequest], settings: Settings) -> list[PreparedRun]:
    """Check every run against the catalog and the limits; all problems in one InputError."""
    errors: list[tuple[str, str]] = []
    if len(requests) > settings.max_runs:
        errors.append(
            ("runs", f"at most {settings.max_runs} runs per request, got {len(requests)}")
        )
    prepared = []
    for i, req in enumerate(requests):
        try:
            prepared.append(_prepare(req, settings))
        except InputError as exc:
            errors.extend((f"runs.{i}.{field}", reason) for field, reason in exc.errors)
    if errors:
        raise InputError(errors)
    return prepared


@dataclass
class PreparedSetting:
    """A request's surface, optimizer, hyperparameters, options and schedule, checked."""

    surface: Surface
    optimizer: Optimizer
    hyperparameters: dict[str, Any]
    options: RunOptions
    schedule: BoundSchedule | None


def prepare_setting(req: RunSetting, errors: list[tuple[str, str]]) -> PreparedSetting | None:
    """Check what a run and a map share against the catalog; problems go to ``errors``
    (None when the surface or optimizer is unknown or a formula is refused, so nothing else
    could be checked)."""
    surface = request_surface(req, errors)
    optimizer = OPTIMIZERS.get(req.optimizer)
    if optimizer is None:
        errors.append(
            ("optimizer", f"unknown optimizer {req.optimizer!r}; known: {', '.join(OPTIMIZERS)}")
        )
    if surface is None or optimizer is None:
        return None

    hyperparameters: dict[str, Any] = {}
    try:
        hyperparameters = optimizer.validate(req.hyperparameters)
    except HyperparameterError as exc:
        errors.append((f"hyperparameters.{exc.field}", exc.reason))
    options = PLAIN
    try:
        options = validate_options(req.options, surface.data_size)
        check_sam(options, optimizer)
    except HyperparameterError as exc:
        errors.append((f"options.{exc.field}", exc.reason))
    schedule = None
    try:
        schedule = bind_schedule(req.schedule.name, req.schedule.parameters)
        check_cycle_momentum(schedule, [h.name for h in optimizer.hyperparameters])
    except HyperparameterError as exc:
        where = "schedule.name" if exc.field == "name" else f"schedule.parameters.{exc.field}"
        errors.append((where, exc.reason))
    return PreparedSetting(surface, optimizer, hyperparameters, options, schedule)


def check_start(
    start: list[float] | None, surface: Surface, errors: list[tuple[str, str]]
) -> list[float]:
    """The start (default: the surface's), checked against its dimension and domain."""
    point = list(surface.start) if start is None else start
    if len(point) != surface.dim:
        errors.append(
            (
                "start",
                f"{surface.name} is {surface.dim}D: give {surface.dim} "
                f"coordinate(s), got {len(point)}",
            )
        )
        return point
    for axis, (value, (lo, hi)) in enumerate(zip(point, surface.domain, strict=True)):
        if not lo <= value <= hi:
            errors.append((f"start.{axis}", f"{value} is outside the domain [{lo}, {hi}]"))
    return point


def prepare_run(req: RunRequest, settings: Settings) -> PreparedRun:
    """One run checked, its errors named by its own fields (``steps``, not ``runs.0.steps``)."""
    return _prepare(req, settings)


def _prepare(req: RunRequest, settings: Settings) -> PreparedRun:
    errors: list[tuple[str, str]] = []
    if req.steps > settings.max_steps:
        errors.append(("steps", f"at most {settings.max_steps} steps per run, got {req.steps}"))
    setting = prepare_setting(req, errors)
    if setting is None:
        raise InputError(errors)
    surface, optimizer = setting.surface, setting.optimizer
    state: RunState | None = None
    if req.resume is not None:
        try:
            state = RunState.from_json(req.resume.model_dump(), surface, optimizer)
        except StateError as exc:
            errors.append((f"resume.{exc.field}", exc.reason))
        if state is not None and state.batch_shape != ():
            errors.append(("resume.position", "must be one point"))
    else:
        start = check_start(req.start, surface, errors)
        if not errors:
            state = start_state(surface, optimizer, start)
    if errors:
        raise InputError(errors)
    assert state is not None
    return PreparedRun(
        surface,
        optimizer,
        setting.hyperparameters,
        state,
        req.steps,
        setting.options,
        setting.schedule,
        req.sharpness,
        req.end_early,
    )


def end_json(run: Run) -> dict[str, Any]:
    """How a finished run ended: status, outcome (decided by the engine) and state."""
    outcome = run.outcome()
    return {
        "status": run.status_of(),
        "outcome": outcome.kind,
        "minimum": outcome.minimum,
        "state": run.state().to_json(),
    }


class Execution:
    """Whole runs, as POST /api/runs returns them, advanced in chunks: so a caller can run
    them on the event loop while they are quick and hand the rest to a worker thread."""

    CHUNK = 100  # steps between looks at the clock

    def __init__(self, prepared: Sequence[PreparedRun]) -> None:
        self.runs = [p.start() for p in prepared]
        self.traces = [run.current() for run in self.runs]
        self.left = [p.steps for p in prepared]

    def advance(self, deadline: float | None = None) -> bool:
        """Take the runs' steps, until `deadline` (time.perf_counter) if given; True when
        every run is done."""
        for i, run in enumerate(self.runs):
            while self.left[i] > 0 and run.status == RUNNING:
                n = min(self.CHUNK, self.left[i])
                self.traces[i].extend(run.advance(n))
                self.left[i] -= n
                if deadline is not None and time.perf_counter() > deadline:
                    return False
        return True

    def results(self) -> list[dict[str, Any]]:
        out = []
        for run, trace in zip(self.runs, self.traces, strict=True):
            run.finish()
            out.append({**trace.to_json(run.nulls()), **end_json(run)})
        return out


def execute(prepared: PreparedRun) -> dict[str, Any]:
    """A whole run at once, as POST /api/runs returns it."""
    execution = Execution([prepared])
    execution.advance()
    return execution.results()[0]


class Configured(Protocol):
    """A checked setting: PreparedRun, PreparedSetting, a map's Setting."""

    @property
    def surface(self) -> Surface: ...
    @property
    def hyperparameters(self) -> Mapping[str, Any]: ...
    @property
    def options(self) -> RunOptions: ...
    @property
    def schedule(self) -> BoundSchedule | None: ...


def canonical(req: BaseModel, setting: Configured) -> dict[str, Any]:
    """The request as JSON with its setting's defaults filled in — the optimizer's
    hyperparameters, the surface's parameters, the options, the schedule's parameters — so
    two requests for the same work read the same (the result cache's key, once.py)."""
    out = req.model_dump(mode="json")
    out["hyperparameters"] = dict(setting.hyperparameters)
    options = setting.options
    out["options"] = {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}
    if setting.schedule is not None:
        out["schedule"] = {"name": setting.schedule.id, "parameters": dict(setting.schedule.values)}
    if isinstance(out.get("surface"), str):
        out["surface_parameters"] = dict(setting.surface.parameter_values)
    return out


def json_bytes(data: Any) -> bytes:
    """Fast JSON for step data (pydantic-core); a non-finite number would become null."""
    return to_json(data, inf_nan_mode="null")
