"""A map request checked up front, into the job that computes it.

Every problem is named by its field, as the runs' are; the size (given, or picked by the
engine's sizing rules for the ``detail`` asked for) is held against the map settings and
against the server's time for one map, estimated before any ball moves.
"""

from __future__ import annotations

import dataclasses
import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ..engine.errors import HyperparameterError
from ..engine.maps import Axis, Setting, basins, sweep, trainability
from ..engine.maps.crowd import with_value
from ..engine.maps.sizes import (
    BASINS_1D,
    BASINS_2D,
    SWEEP,
    TRAINABILITY,
    basins_seconds,
    fit,
    sweep_seconds,
    trainability_seconds,
)
from ..engine.maps.sweep import log_rates
from ..engine.maps.trainability import default_range
from ..settings import Settings
from .errors import InputError
from .map_answers import basins_json, sweep_json, trainability_json
from .map_jobs import MapJob
from .schemas.maps import (
    AxisRequest,
    BasinsRequest,
    MapRequest,
    SweepRequest,
    TrainabilityAxesRequest,
    TrainabilityRequest,
)
from .service import canonical, check_start, json_bytes, prepare_setting


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


# A map's estimate comes from a pilot of some of its balls (a few ms; L-BFGS with a schedule,
# a tenth of a second), and a class asks for the same map hundreds of times within a second:
# each worker remembers the estimates of the last requests it sized, by the request with its
# defaults filled in (the pilot is a pure function of it).
PILOTS_KEPT = 256
_pilots: OrderedDict[tuple[str, bytes], Callable[..., float]] = OrderedDict()


def _piloted(
    kind: str, req: MapRequest, setting: Setting, pilot: Callable[[], Callable[..., float]]
) -> Callable[..., float]:
    """``pilot()``'s estimate for this request, made once per worker while it is remembered."""
    key = (kind, json_bytes(canonical(req, setting)))
    estimate = _pilots.get(key)
    if estimate is None:
        estimate = _pilots[key] = pilot()
        if len(_pilots) > PILOTS_KEPT:
            _pilots.popitem(last=False)
    else:
        _pilots.move_to_end(key)
    return estimate


def _fit(
    default: tuple[int, ...],
    seconds: Callable[[tuple[int, ...]], float],
    settings: Settings,
    largest: int,
    detail: str,
    smallest: int = 8,
) -> tuple[int, ...]:
    """The engine's sizing rule, within this server's time budgets."""
    auto, fine = settings.map_auto_seconds, settings.map_fine_seconds
    return fit(default, seconds, largest, detail, auto, fine, smallest)


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


def prepare_basins(req: BasinsRequest, settings: Settings) -> MapJob:
    errors: list[tuple[str, str]] = []
    setting = _setting(req, settings, errors)
    surface = setting.surface
    resolution: tuple[int, ...] = ()
    # the pilot rolls the map's own balls: only with settings the engine has accepted
    estimate = None if errors else _piloted("basins", req, setting, lambda: basins_seconds(setting))
    if req.resolution is None:
        default, top = (
            (BASINS_1D, settings.map_max_points)
            if surface.dim == 1
            else (BASINS_2D, settings.map_max_side)
        )
        resolution = (
            default if estimate is None else _fit(default, estimate, settings, top, req.detail)
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
    if not errors and estimate is not None:
        balls = math.prod(resolution)
        seconds = estimate(resolution)
        _check_seconds(setting, balls, seconds, settings, errors, "resolution")
    if errors:
        raise InputError(errors)
    return MapJob(
        canonical={**canonical(req, setting), "resolution": list(resolution)},
        compute=lambda progress: basins(setting, resolution, progress),
        total=math.prod(resolution) * setting.steps,
        answer=lambda m: basins_json(m, surface),
        estimate=seconds,
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

    count = req.count
    if not errors:
        by_count = _piloted(
            "sweep",
            req,
            setting,
            lambda: sweep_seconds(setting, tuple(start), req.lr_min, req.lr_max),
        )

        def seconds(size: tuple[int, ...]) -> float:
            return by_count(size[0])

    if count is None:
        top = settings.map_max_points
        count = SWEEP[0] if errors else _fit(SWEEP, seconds, settings, top, req.detail, 16)[0]
    if count > settings.map_max_points:
        errors.append(("count", f"at most {settings.map_max_points} rates, got {count}"))
    if req.keep > req.steps:
        errors.append(("keep", f"at most `steps` ({req.steps}), got {req.keep}"))
    lrs = log_rates(req.lr_min, req.lr_max, count)
    estimate = 0.0
    if not errors:
        estimate = seconds((count,))
        _check_seconds(setting, count, estimate, settings, errors, "count")
    if errors:
        raise InputError(errors)
    return MapJob(
        canonical={**canonical(req, setting), "count": count},
        compute=lambda progress: sweep(setting, tuple(start), lrs, req.keep, progress),
        total=count * setting.steps,
        size_field="count",
        answer=lambda m: sweep_json(m, setting.surface),
        estimate=estimate,
    )


def _check_name(name: str, where: str, setting: Setting, errors: list[tuple[str, str]]) -> bool:
    """Whether ``name`` is a numeric hyperparameter of the optimizer (said in ``errors``)."""
    optimizer = setting.optimizer
    numeric = [
        f"{p.name}.{i}" if isinstance(p.default, tuple) else p.name
        for p in optimizer.hyperparameters
        if p.scale in ("log", "linear") and not p.integer
        for i in range(len(p.default) if isinstance(p.default, tuple) else 1)
    ]
    if name in numeric:
        return True
    errors.append(
        (
            where,
            f"{optimizer.name} has no numeric hyperparameter {name!r} to map; "
            f"it has {', '.join(numeric)}",
        )
    )
    return False


def _axis(
    req: AxisRequest, where: str, count: int, setting: Setting, errors: list[tuple[str, str]]
) -> Axis | None:
    """A trainability axis, checked: a numeric hyperparameter, both ends in its range."""
    key, _, entry = req.name.partition(".")
    h = next((h for h in setting.optimizer.hyperparameters if h.name == key), None)
    if not _check_name(req.name, f"{where}.name", setting, errors) or h is None:
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
    estimate = 0.0
    if not errors and x_axis is not None and y_axis is not None:
        _check_corners(setting, x_axis, y_axis, errors)
    if not errors and x_axis is not None and y_axis is not None:
        axes = (x_axis, y_axis)
        seconds = _piloted(
            "trainability",
            req,
            setting,
            lambda: trainability_seconds(setting, tuple(start), *axes),
        )
        if req.resolution is None:
            nx, ny = _fit(TRAINABILITY, seconds, settings, settings.map_max_side, req.detail)
        x_axis = dataclasses.replace(x_axis, count=nx)
        y_axis = dataclasses.replace(y_axis, count=ny)
        estimate = seconds((nx, ny))
        _check_seconds(setting, nx * ny, estimate, settings, errors, "resolution")
    if errors:
        raise InputError(errors)
    assert x_axis is not None and y_axis is not None
    return MapJob(
        canonical={**canonical(req, setting), "resolution": [nx, ny]},
        compute=lambda progress: trainability(setting, tuple(start), x_axis, y_axis, progress),
        total=nx * ny * setting.steps,
        answer=lambda m: trainability_json(m, setting.surface, x_axis, y_axis),
        estimate=estimate,
    )


def trainability_axes(req: TrainabilityAxesRequest, settings: Settings) -> dict[str, Any]:
    """The engine's default range of each axis for this landscape and run."""
    errors: list[tuple[str, str]] = []
    setting = _setting(req, settings, errors)
    named = [
        _check_name(getattr(req, field), field, setting, errors) for field in ("x_name", "y_name")
    ]
    if errors or not all(named):
        raise InputError(errors)
    out = {}
    for field, name in (("x_axis", req.x_name), ("y_axis", req.y_name)):
        lo, hi, scale = default_range(setting, name)
        out[field] = {"name": name, "min": lo, "max": hi, "scale": scale}
    return out


def _check_corners(
    setting: Setting, x_axis: Axis, y_axis: Axis, errors: list[tuple[str, str]]
) -> None:
    """The optimizer's own cross-checks (Nesterov needs momentum > 0 …) at the grid's
    corners: every value in between lies in the same box."""
    for x in (x_axis.min, x_axis.max):
        for y in (y_axis.min, y_axis.max):
            hp = with_value(with_value(setting.hyperparameters, x_axis.name, x), y_axis.name, y)
            plain = {k: list(v) if isinstance(v, tuple) else v for k, v in hp.items()}
            try:
                setting.optimizer.validate(plain)
            except HyperparameterError as exc:
                errors.append(("y_axis", f"at {x_axis.name}={x}, {y_axis.name}={y}: {exc.reason}"))
                return
