"""POST /api/maps/*: the whole landscape at once — basin maps, learning-rate sweeps and
trainability maps — each as one JSON answer, or streamed with progress (``/stream``).

A map is checked up front (every problem named by its field, sizes against the map
settings), then computed in a thread of its own, in chunks: between chunks it looks for a
cancel.  A client that hangs up (or the page's Cancel, which aborts the fetch) stops the
work at the next chunk.  A worker computes ``map_concurrency`` maps at once; up to
``map_queue`` more wait their turn, and past that a map is refused with 503.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sse_starlette import EventSourceResponse

from ..engine.errors import HyperparameterError
from ..engine.maps import Axis, Cancelled, Ends, Setting, basins, sweep, trainability
from ..engine.maps.basins import BasinMap
from ..engine.maps.crowd import groups
from ..engine.maps.sweep import SweepMap, log_rates
from ..engine.maps.trainability import TrainabilityMap
from ..engine.run import CONVERGED
from ..engine.run.outcome import NO_MINIMUM, OUTCOMES
from ..engine.surfaces import Surface
from ..settings import Settings, app_settings
from .errors import InputError, error_body, retry_later
from .schemas.common import ErrorOut
from .schemas.maps import (
    AxisRequest,
    BasinMapOut,
    BasinsRequest,
    MapProgressEvent,
    MapRequest,
    SweepOut,
    SweepRequest,
    TrainabilityOut,
    TrainabilityRequest,
)
from .service import check_start, json_bytes, prepare_setting
from .stream import document_sse

router = APIRouter(prefix="/api/maps", tags=["maps"])

COUNTERS = threading.Lock()  # the metrics a map's thread and the event loop both update
RETRY_AFTER_S = 5  # what a map refused for a full queue is told to wait
OVERTIME = 2.0  # a map still computing after this many times map_max_seconds is stopped
TICK_S = 0.2  # how often a map in progress reports (stream) or looks for a hang-up (JSON)
ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorOut, "description": "Invalid input"},
    503: retry_later("The worker's map queue is full: try again after Retry-After"),
}
STREAM_DOC = (
    "Server-Sent Events: `progress` events (MapProgressEvent) about five times a second, "
    "then one `result` event whose data is the JSON answer of the endpoint without `/stream` "
    "— or, for a map still computing after twice DESCENT_LAB_MAP_MAX_SECONDS, an `error` "
    "event with the 422 error body."
)


# --- checking a request --------------------------------------------------------------------


@dataclass
class MapJob:
    """A checked map: the work to do (``compute(progress)``), its size, and how to answer."""

    compute: Callable[[Callable[[int], None]], Any]
    total: int  # ball-steps at most
    answer: Callable[[Any], dict[str, Any]]
    size_field: str = "resolution"  # what to make smaller when it takes too long


def _setting(req: MapRequest, settings: Settings, errors: list[tuple[str, str]]) -> Setting:
    if req.steps > settings.map_max_steps:
        errors.append(("steps", f"at most {settings.map_max_steps} steps per map, got {req.steps}"))
    prepared = prepare_setting(req, errors)
    if prepared is None:
        raise InputError(errors)
    return Setting(
        prepared.surface,
        prepared.optimizer,
        prepared.hyperparameters,
        prepared.options,
        prepared.schedule,
        req.steps,
    )


def _check_work(
    setting: Setting,
    balls: int,
    crowds: int,
    settings: Settings,
    errors: list[tuple[str, str]],
    where: str,
) -> None:
    _check_seconds(setting, balls, setting.seconds(balls, crowds), settings, errors, where)


def _check_seconds(
    setting: Setting,
    balls: int,
    seconds: float,
    settings: Settings,
    errors: list[tuple[str, str]],
    where: str,
) -> None:
    if seconds > settings.map_max_seconds:
        errors.append(
            (
                where,
                f"{balls:,} balls × {setting.steps} steps of {setting.optimizer.name} is about "
                f"{seconds:,.0f} s of work, more than this server's {settings.map_max_seconds:g} "
                "s for one map: lower the resolution or the steps",
            )
        )


# The sizes a map gets when it leaves its size out (see fit).
BASINS_1D, BASINS_2D, SWEEP, TRAINABILITY = (400,), (80, 80), (256,), (48, 48)


DETAIL = {"coarse": 0.5, "normal": 1.0, "fine": 2.0}  # the default's sides, times this


def fit(
    default: tuple[int, ...],
    seconds: Callable[[tuple[int, ...]], float],
    settings: Settings,
    largest: int,
    detail: str = "normal",
    smallest: int = 8,
) -> tuple[int, ...]:
    """``default`` scaled for ``detail`` (at most ``largest`` a side), each side shrunk by
    the same factor until the estimated ``seconds`` fit ``map_auto_seconds`` — a fine map
    ``map_max_seconds`` — but no side below ``smallest``."""
    budget = settings.map_max_seconds if detail == "fine" else settings.map_auto_seconds
    smallest = min(smallest, largest)
    size = tuple(max(smallest, min(round(n * DETAIL[detail]), largest)) for n in default)
    while seconds(size) > budget and max(size) > smallest:
        size = tuple(max(smallest, int(n * 0.8)) for n in size)
    return size


def prepare_basins(req: BasinsRequest, settings: Settings) -> MapJob:
    errors: list[tuple[str, str]] = []
    setting = _setting(req, settings, errors)
    surface = setting.surface
    resolution: tuple[int, ...] = ()
    if req.resolution is None:
        default, top = (
            (BASINS_1D, settings.map_max_points)
            if surface.dim == 1
            else (BASINS_2D, settings.map_max_side)
        )
        resolution = fit(
            default, lambda r: setting.seconds(math.prod(r)), settings, top, req.detail
        )
        given = list(resolution)
    else:
        given = [req.resolution] if isinstance(req.resolution, int) else req.resolution
    if len(given) != surface.dim:
        form = "a count (or [n])" if surface.dim == 1 else "[nx, ny]"
        errors.append(("resolution", f"{surface.name} is {surface.dim}D: give {form}"))
    else:
        top = settings.map_max_points if surface.dim == 1 else settings.map_max_side
        for axis, n in enumerate(given):
            where = "resolution" if isinstance(req.resolution, int) else f"resolution.{axis}"
            if not 2 <= n <= top:
                errors.append((where, f"must be between 2 and {top}, got {n}"))
        resolution = tuple(given)
    if not errors:
        _check_work(setting, math.prod(resolution), 1, settings, errors, "resolution")
    if errors:
        raise InputError(errors)
    return MapJob(
        compute=lambda progress: basins(setting, resolution, progress),
        total=math.prod(resolution) * setting.steps,
        answer=lambda m: _basins_json(m, surface),
    )


def prepare_sweep(req: SweepRequest, settings: Settings) -> MapJob:
    errors: list[tuple[str, str]] = []
    setting = _setting(req, settings, errors)
    start = check_start(req.start, setting.surface, errors)
    lr = next(h for h in setting.optimizer.hyperparameters if h.name == "lr")
    for name in ("lr_min", "lr_max"):
        value = getattr(req, name)
        try:
            lr.check(value)
        except HyperparameterError as exc:
            errors.append((name, exc.reason))
    if not req.lr_min < req.lr_max:
        errors.append(("lr_max", f"must be above lr_min ({req.lr_min}), got {req.lr_max}"))

    def seconds(count: tuple[int, ...]) -> float:
        lrs = log_rates(req.lr_min, req.lr_max, count[0])
        return setting.seconds(count[0], len(groups(setting, {"lr": lrs})))

    count = req.count
    if count is None:
        top = settings.map_max_points
        count = SWEEP[0] if errors else fit(SWEEP, seconds, settings, top, req.detail, 16)[0]
    if count > settings.map_max_points:
        errors.append(("count", f"at most {settings.map_max_points} rates, got {count}"))
    if req.keep > req.steps:
        errors.append(("keep", f"at most `steps` ({req.steps}), got {req.keep}"))
    lrs = log_rates(req.lr_min, req.lr_max, count)
    if not errors:
        crowds = len(groups(setting, {"lr": lrs}))
        _check_work(setting, count, crowds, settings, errors, "count")
    if errors:
        raise InputError(errors)
    return MapJob(
        compute=lambda progress: sweep(setting, tuple(start), lrs, req.keep, progress),
        total=count * setting.steps,
        size_field="count",
        answer=lambda m: _sweep_json(m, setting.surface),
    )


def _axis(
    req: AxisRequest, where: str, count: int, setting: Setting, errors: list[tuple[str, str]]
) -> Axis | None:
    """A trainability axis, checked: a numeric hyperparameter, both ends in its range."""
    optimizer = setting.optimizer
    key, _, entry = req.name.partition(".")
    h = next((h for h in optimizer.hyperparameters if h.name == key), None)
    numeric = [
        f"{p.name}.{i}" if isinstance(p.default, tuple) else p.name
        for p in optimizer.hyperparameters
        if p.scale in ("log", "linear") and not p.integer
        for i in range(len(p.default) if isinstance(p.default, tuple) else 1)
    ]
    if req.name not in numeric or h is None:
        errors.append(
            (
                f"{where}.name",
                f"{optimizer.name} has no numeric hyperparameter {req.name!r} to map; "
                f"it has {', '.join(numeric)}",
            )
        )
        return None
    ok = True
    for end in ("min", "max"):
        value = getattr(req, end)
        try:
            # (the optimizer's default pair where the request's own values were refused)
            given = list(setting.hyperparameters.get(key, h.default)) if entry else None
            if given is not None:
                given[int(entry)] = value
            h.check(given if given is not None else value)
        except HyperparameterError as exc:
            errors.append((f"{where}.{end}", exc.reason))
            ok = False
    if ok and not req.min < req.max:
        errors.append((f"{where}.max", f"must be above min ({req.min}), got {req.max}"))
        ok = False
    if ok and req.scale == "log" and req.min <= 0:
        errors.append((f"{where}.min", "a log axis must start above 0"))
        ok = False
    return Axis(req.name, req.min, req.max, req.scale, count) if ok else None


def prepare_trainability(req: TrainabilityRequest, settings: Settings) -> MapJob:
    errors: list[tuple[str, str]] = []
    setting = _setting(req, settings, errors)
    start = check_start(req.start, setting.surface, errors)
    for axis, n in enumerate(req.resolution or ()):
        if not 2 <= n <= settings.map_max_side:
            errors.append(
                (f"resolution.{axis}", f"must be between 2 and {settings.map_max_side}, got {n}")
            )
    x_axis = _axis(req.x_axis, "x_axis", 2, setting, errors)
    y_axis = _axis(req.y_axis, "y_axis", 2, setting, errors)
    if req.x_axis.name == req.y_axis.name:
        errors.append(("y_axis.name", f"must differ from x_axis.name ({req.x_axis.name!r})"))
    nx, ny = req.resolution or [min(n, settings.map_max_side) for n in TRAINABILITY]
    if not errors and x_axis is not None and y_axis is not None:
        _check_corners(setting, x_axis, y_axis, errors)

        def seconds(resolution: tuple[int, ...]) -> float:
            nx, ny = resolution
            shape = (ny, nx)
            xs = dataclasses.replace(x_axis, count=nx).values()
            ys = dataclasses.replace(y_axis, count=ny).values()
            values = {
                x_axis.name: np.broadcast_to(xs[None, :], shape).reshape(-1),
                y_axis.name: np.broadcast_to(ys[:, None], shape).reshape(-1),
            }
            return setting.seconds(nx * ny, len(groups(setting, values)))

        if req.resolution is None:
            nx, ny = fit(TRAINABILITY, seconds, settings, settings.map_max_side, req.detail)
        x_axis = dataclasses.replace(x_axis, count=nx)
        y_axis = dataclasses.replace(y_axis, count=ny)
        _check_seconds(setting, nx * ny, seconds((nx, ny)), settings, errors, "resolution")
    if errors:
        raise InputError(errors)
    assert x_axis is not None and y_axis is not None
    return MapJob(
        compute=lambda progress: trainability(setting, tuple(start), x_axis, y_axis, progress),
        total=nx * ny * setting.steps,
        answer=lambda m: _trainability_json(m, setting.surface, x_axis, y_axis),
    )


def _check_corners(
    setting: Setting, x_axis: Axis, y_axis: Axis, errors: list[tuple[str, str]]
) -> None:
    """The optimizer's own cross-checks (Nesterov needs momentum > 0 …) at the grid's
    corners: every value in between lies in the same box."""
    from ..engine.maps.crowd import with_value

    for x in (x_axis.min, x_axis.max):
        for y in (y_axis.min, y_axis.max):
            hp = with_value(with_value(setting.hyperparameters, x_axis.name, x), y_axis.name, y)
            plain = {k: list(v) if isinstance(v, tuple) else v for k, v in hp.items()}
            try:
                setting.optimizer.validate(plain)
            except HyperparameterError as exc:
                errors.append(("y_axis", f"at {x_axis.name}={x}, {y_axis.name}={y}: {exc.reason}"))
                return


# --- answers -------------------------------------------------------------------------------


def _minima_json(surface: Surface) -> list[dict[str, Any]]:
    return [
        {"position": list(m.position), "value": m.value, "kind": m.kind} for m in surface.minima
    ]


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


def _basins_json(m: BasinMap, surface: Surface) -> dict[str, Any]:
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


def _sweep_json(m: SweepMap, surface: Surface) -> dict[str, Any]:
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


def _trainability_json(
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


# --- computing, with progress and cancel --------------------------------------------------


class TooLong(Exception):
    """A map ran past its time (its progress callback raises this)."""


@dataclass
class Work:
    """One map's work in its thread: progress counted, a cancel flag looked at per chunk."""

    job: MapJob
    metrics: dict[str, int]
    limit_s: float  # compute time allowed (the estimate can be off on a busy machine)
    done: int = 0
    started: float = 0.0
    cancel: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None
    on_finish: Callable[[], None] = lambda: None  # wakes the request that follows it

    def progress(self, n: int) -> None:
        if self.cancel.is_set():
            raise Cancelled
        if time.monotonic() - self.started > self.limit_s:
            raise TooLong
        self.done += n
        with COUNTERS:
            self.metrics["map_ball_steps"] += n

    def run(self) -> None:
        self.started = time.monotonic()
        try:
            self.result = self.job.answer(self.job.compute(self.progress))
        except Cancelled:
            pass
        except TooLong:
            share = self.done / self.job.total
            reason = (
                f"this map was still computing after {self.limit_s:g} s, the server's limit "
                f"(at {share:.0%} of its ball-steps): lower the {self.job.size_field} or the steps"
            )
            self.error = InputError([(self.job.size_field, reason)])
        except BaseException as exc:  # handed to the request, which reports it
            self.error = exc
        finally:
            with COUNTERS:
                self.metrics["maps_running"] -= 1
            self.finished.set()
            with contextlib.suppress(Exception):  # the request may be gone already
                self.on_finish()


def _admit(metrics: dict[str, int], settings: Settings) -> None:
    """Refuse a map when its worker's queue is full (503, Retry-After)."""
    if metrics["maps_waiting"] >= settings.map_queue and (
        metrics["maps_running"] >= settings.map_concurrency
    ):
        raise HTTPException(
            503,
            f"the server is busy with maps ({settings.map_queue} waiting); "
            f"try again in {RETRY_AFTER_S} s",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )


async def _follow(
    job: MapJob, metrics: dict[str, int], settings: Settings
) -> AsyncIterator[MapProgressEvent | dict[str, Any]]:
    """Wait for a turn, run the map in a thread, and report: progress every TICK_S, then
    the answer.  Closing the iterator early (a hang-up, Cancel) stops the work."""
    with COUNTERS:
        metrics["maps_waiting"] += 1
    waiting = True
    work = Work(job, metrics, OVERTIME * settings.map_max_seconds)
    try:
        while metrics["maps_running"] >= settings.map_concurrency:
            yield MapProgressEvent(done=0, total=job.total, waiting=True)
            await anyio.sleep(TICK_S)
        with COUNTERS:
            metrics["maps_waiting"] -= 1
            metrics["maps_running"] += 1
        waiting = False
        finished = anyio.Event()
        token = anyio.lowlevel.current_token()
        work.on_finish = lambda: anyio.from_thread.run_sync(finished.set, token=token)
        threading.Thread(target=work.run, name="map", daemon=True).start()
        while not work.finished.is_set():
            yield MapProgressEvent(done=work.done, total=job.total, waiting=False)
            with anyio.move_on_after(TICK_S):  # a small map answers as soon as it is done
                await finished.wait()
        if work.error is not None:
            raise work.error
        yield work.result
    finally:
        if waiting:
            with COUNTERS:
                metrics["maps_waiting"] -= 1
        work.cancel.set()


async def _answer(request: Request, job: MapJob, settings: Settings) -> Response:
    """The JSON form: the answer once it is ready; a hang-up in the meantime cancels it."""
    metrics: dict[str, int] = request.app.state.metrics
    _admit(metrics, settings)
    updates = _follow(job, metrics, settings)
    try:
        async for update in updates:
            if not isinstance(update, MapProgressEvent):
                return Response(json_bytes(update), media_type="application/json")
            if await request.is_disconnected():
                break
    finally:
        await updates.aclose()
    return Response(status_code=499)  # nobody is listening any more


def _event(kind: str, data: bytes) -> bytes:
    return b"event: %s\ndata: %s\n\n" % (kind.encode(), data)


async def _events(job: MapJob, metrics: dict[str, int], settings: Settings) -> AsyncIterator[bytes]:
    updates = _follow(job, metrics, settings)
    try:
        async for update in updates:
            if isinstance(update, MapProgressEvent):
                yield _event("progress", update.model_dump_json().encode())
            else:
                yield _event("result", json_bytes(update))
    except InputError as exc:  # too long: the stream has started, so it ends with the error
        yield _event("error", json_bytes(error_body(exc.status, "Invalid input", exc.errors)))
    finally:
        await updates.aclose()


def _stream(request: Request, job: MapJob, settings: Settings) -> EventSourceResponse:
    metrics: dict[str, int] = request.app.state.metrics
    _admit(metrics, settings)
    return EventSourceResponse(_events(job, metrics, settings), sep="\n")


def document_events(openapi: dict[str, Any]) -> None:
    """Describe each map stream's events (progress, then the result) in the document."""
    for name, result in (
        ("basins", BasinMapOut),
        ("sweep", SweepOut),
        ("trainability", TrainabilityOut),
    ):
        document_sse(
            openapi,
            f"{router.prefix}/{name}/stream",
            "post",
            {"progress": MapProgressEvent, "result": result, "error": ErrorOut},
            STREAM_DOC,
        )


# --- routes --------------------------------------------------------------------------------

SettingsDep = Annotated[Settings, Depends(app_settings)]
STREAM_RESPONSES = ERRORS


@router.post("/basins", response_model=BasinMapOut, responses=ERRORS)
async def basin_map(body: BasinsRequest, request: Request, settings: SettingsDep) -> Response:
    """Run a ball from every start of a grid over the surface's plotted domain and say
    where each ended: the basin-of-attraction map."""
    return await _answer(request, prepare_basins(body, settings), settings)


@router.post("/basins/stream", response_class=EventSourceResponse, responses=STREAM_RESPONSES)
async def basin_map_stream(
    body: BasinsRequest, request: Request, settings: SettingsDep
) -> EventSourceResponse:
    """POST /api/maps/basins with progress events; hanging up cancels the work."""
    return _stream(request, prepare_basins(body, settings), settings)


@router.post("/sweep", response_model=SweepOut, responses=ERRORS)
async def lr_sweep(body: SweepRequest, request: Request, settings: SettingsDep) -> Response:
    """Run one ball per learning rate (log-spaced) from one start: where each ended, its
    last positions (the bifurcation diagram), and each minimum's stability limit."""
    return await _answer(request, prepare_sweep(body, settings), settings)


@router.post("/sweep/stream", response_class=EventSourceResponse, responses=STREAM_RESPONSES)
async def lr_sweep_stream(
    body: SweepRequest, request: Request, settings: SettingsDep
) -> EventSourceResponse:
    """POST /api/maps/sweep with progress events; hanging up cancels the work."""
    return _stream(request, prepare_sweep(body, settings), settings)


@router.post("/trainability", response_model=TrainabilityOut, responses=ERRORS)
async def trainability_map(
    body: TrainabilityRequest, request: Request, settings: SettingsDep
) -> Response:
    """Run one ball per cell of a grid over two hyperparameters: how each run ended and how
    many steps it took to converge."""
    return await _answer(request, prepare_trainability(body, settings), settings)


@router.post("/trainability/stream", response_class=EventSourceResponse, responses=STREAM_RESPONSES)
async def trainability_map_stream(
    body: TrainabilityRequest, request: Request, settings: SettingsDep
) -> EventSourceResponse:
    """POST /api/maps/trainability with progress events; hanging up cancels the work."""
    return _stream(request, prepare_trainability(body, settings), settings)
