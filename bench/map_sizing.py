"""Benchmark: how big each map is made when the page leaves its size out, and whether the
estimate it was sized by holds.

For every optimizer of the catalog × {basins, sweep, trainability} × {normal, fine}, the
map as the page asks for it (no size, ``detail`` given, the suggested learning rate, 200
steps) goes through the API's own checks (app/api/map_checks.py), which pick the size from
the engine's estimate (app/engine/maps/sizes.py); then the map is computed and timed.
Basin maps run on Himmelblau (2D, 80 × 80 by default) and on Roll Downhill (1D, 400
starts) — there also with a OneCycle schedule, the case that took 20 s before the cost
model knew schedules; sweeps and trainability maps on Roll Downhill (the trainability axes
are the engine's default ranges, lr against the optimizer's second numeric hyperparameter).

Prints, per map: the size picked, the estimate, the measured seconds (the checks, the
estimate's pilot and the map), measured ÷ estimate (target: between 0.5 and 2), and whether
it meets the time target (normal ≤ 3 s, fine ≤ 10 s); then the extremes.  The machine is
shared: the time measured is the process's CPU time (what the map costs on an idle core,
whatever else the machine runs), with the wall-clock time beside it; pin it
(``taskset -c 1``).

Run: `.venv/bin/python bench/map_sizing.py [optimizer ...]`.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.api.errors import InputError  # noqa: E402
from app.api.map_checks import (  # noqa: E402
    prepare_basins,
    prepare_sweep,
    prepare_trainability,
    trainability_axes,
)
from app.api.schemas.maps import (  # noqa: E402
    BasinsRequest,
    SweepRequest,
    TrainabilityAxesRequest,
    TrainabilityRequest,
)
from app.engine.optimizers import OPTIMIZERS  # noqa: E402
from app.engine.run.schedules import momentum_key  # noqa: E402
from app.engine.suggest import suggested_lr  # noqa: E402
from app.engine.surfaces import SURFACES  # noqa: E402
from app.settings import Settings  # noqa: E402

TARGET = {"normal": 3.0, "fine": 10.0}


PREFERRED_Y = ("momentum", "betas.0", "alpha", "rho")  # as static/js/maps/trainability.js


def second_axis(optimizer: str) -> str | None:
    """lr's partner on a trainability map, as the page picks it (None: nothing to map)."""
    names = []
    for h in OPTIMIZERS[optimizer].hyperparameters:
        if h.scale not in ("log", "linear") or h.integer:
            continue
        if isinstance(h.default, tuple):
            names += [f"{h.name}.{k}" for k in range(len(h.default))]
        else:
            names.append(h.name)
    others = [n for n in names if n != "lr"]
    return next((n for n in PREFERRED_Y if n in others), others[0] if others else None)


def cases(optimizer: str) -> list[tuple[str, str, Any]]:
    """(label, kind, body without detail) of every map the bench runs for ``optimizer``."""
    out: list[tuple[str, str, Any]] = []
    names = [h.name for h in OPTIMIZERS[optimizer].hyperparameters]
    cycles = momentum_key(names) is not None
    onecycle = {"name": "onecycle", "parameters": {"cycle_momentum": cycles}}
    for surface, schedule in (
        ("himmelblau", None),
        ("roll_downhill", None),
        ("roll_downhill", onecycle),
    ):
        body: dict[str, Any] = {
            "surface": surface,
            "optimizer": optimizer,
            "hyperparameters": {"lr": suggested_lr(SURFACES[surface], optimizer)},
        }
        if schedule is not None:
            body["schedule"] = schedule
        label = surface + (" onecycle" if schedule else "")
        out.append((label, "basins", body))
    body = {
        "surface": "roll_downhill",
        "optimizer": optimizer,
        "hyperparameters": {"lr": suggested_lr(SURFACES["roll_downhill"], optimizer)},
    }
    out.append(("roll_downhill", "sweep", body))
    if second_axis(optimizer) is not None:
        out.append(("roll_downhill", "trainability", body))
    return out


def prepare(kind: str, body: dict[str, Any], detail: str, settings: Settings) -> Any:
    if kind == "basins":
        return prepare_basins(BasinsRequest(**body, detail=detail), settings)
    if kind == "sweep":
        return prepare_sweep(SweepRequest(**body, detail=detail), settings)
    y = second_axis(body["optimizer"])
    assert y is not None
    axes = trainability_axes(TrainabilityAxesRequest(**body, x_name="lr", y_name=y), settings)
    return prepare_trainability(TrainabilityRequest(**body, **axes, detail=detail), settings)


def main() -> None:
    settings = Settings()
    chosen = sys.argv[1:] or list(OPTIMIZERS)
    print(
        f"{'optimizer':9s} {'map':27s} {'detail':6s} {'balls':>6s} "
        f"{'estimate':>8s} {'cpu s':>8s} {'wall s':>7s} {'ratio':>5s}  target"
    )
    worst_ratio: tuple[float, str] = (0.0, "")
    best_ratio: tuple[float, str] = (math.inf, "")
    misses = []
    for optimizer in chosen:
        for label, kind, body in cases(optimizer):
            for detail in ("normal", "fine"):
                name = f"{kind} {label}"
                t, cpu = time.perf_counter(), time.process_time()
                try:
                    job = prepare(kind, body, detail, settings)
                except InputError as exc:  # (Rprop's default etas axis: see the report)
                    print(f"{optimizer:9s} {name:27s} {detail:6s} refused: {exc.errors[0]}")
                    continue
                balls = job.total // 200
                job.compute(lambda n: None)
                wall = time.perf_counter() - t
                measured = time.process_time() - cpu
                ratio = measured / job.estimate
                ok = measured <= TARGET[detail]
                print(
                    f"{optimizer:9s} {name:27s} {detail:6s} {balls:6d} {job.estimate:8.2f} "
                    f"{measured:8.2f} {wall:7.2f} {ratio:5.2f}  {'ok' if ok else 'OVER'}",
                    flush=True,
                )
                where = f"{optimizer} {name} {detail}"
                if ratio > worst_ratio[0]:
                    worst_ratio = (ratio, where)
                if ratio < best_ratio[0]:
                    best_ratio = (ratio, where)
                if not ok:
                    misses.append(f"{where}: {measured:.1f} s")
    print(f"\nmeasured ÷ estimate: highest {worst_ratio[0]:.2f} ({worst_ratio[1]})")
    print(f"                     lowest  {best_ratio[0]:.2f} ({best_ratio[1]})   target 0.5–2")
    print(f"over the time target (normal ≤ 3 s, fine ≤ 10 s): {len(misses)}")
    for miss in misses:
        print("  " + miss)
    assert math.isfinite(worst_ratio[0])


if __name__ == "__main__":
    main()
