"""Generate learning-rate schedule goldens with torch.optim.lr_scheduler for
tests/engine/test_schedules.py.

Run from the repository root with a torch install (torch is not a dependency of the app)::

    PYTHONPATH=. .venv/bin/python tools/make_schedule_goldens.py [stem ...]
    PYTHONPATH=. .venv/bin/python tools/make_schedule_goldens.py --measure

With file name stems, only those goldens are written.  ``--measure`` writes nothing: it
runs torch over a grid of parameters and prints, per schedule, the largest relative
difference between torch's (recursive) learning rates and app.engine.schedules' closed
forms.

Each golden is torch's training loop on one float64 parameter::

    optimizer = SGD([p], lr=base_lr, momentum=0.9)    # or Adam([p], lr=base_lr)
    scheduler = <Scheduler>(optimizer, **parameters)  # none for "constant"
    for k in 1..epochs:
        record param_groups[0]["lr"] (and "momentum" / betas[0])
        optimizer.step(); scheduler.step()

so ``lrs[e]`` (and ``momenta[e]``) is what optimizer step e + 1 runs with: the value after
e ``scheduler.step()`` calls, epoch e.  OneCycleLR is given ``max_lr = base_lr`` and run for
exactly ``total_steps`` epochs; what torch does after that is recorded under
``torch_past_total_steps``: the value it reaches at epoch total_steps (which no optimizer
step of a total_steps-step loop uses) and the error of the next ``scheduler.step()``.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import torch
from torch.optim import lr_scheduler

from app.engine.schedules import SCHEDULES, bind_schedule, momentum_key

OUT = Path(__file__).resolve().parent.parent / "tests" / "golden" / "schedules"
EPOCHS = 1000

# (stem, schedule id, parameters, optimizer, base_lr).  Every schedule appears with
# non-default parameters; cosine runs through several periods, LinearLR warms up and decays.
CONFIGS: tuple[tuple[str, str, dict[str, Any], str, float], ...] = (
    ("constant", "constant", {}, "sgd", 0.1),
    ("step-default", "step", {}, "sgd", 0.1),
    ("step-size30_gamma0.5", "step", {"step_size": 30, "gamma": 0.5}, "sgd", 0.05),
    ("exponential-default", "exponential", {}, "sgd", 0.1),
    ("exponential-gamma0.995", "exponential", {"gamma": 0.995}, "adam", 0.3),
    # T_max 200 over 1000 epochs: two and a half periods of torch's non-restarting cosine.
    ("cosine-default", "cosine", {}, "sgd", 0.1),
    ("cosine-tmax100_eta0.001", "cosine", {"T_max": 100, "eta_min": 0.001}, "sgd", 0.1),
    ("cosine-tmax7_eta0.02", "cosine", {"T_max": 7, "eta_min": 0.02}, "sgd", 0.5),
    # T_max 1: the rate alternates lr, η_min, lr, ... (torch's special branch every step).
    ("cosine-tmax1_eta0.01", "cosine", {"T_max": 1, "eta_min": 0.01}, "sgd", 0.1),
    ("linear-default", "linear", {}, "sgd", 0.1),
    (
        "linear-warmup100_from0.01",
        "linear",
        {"start_factor": 0.01, "end_factor": 1.0, "total_iters": 100},
        "adam",
        0.01,
    ),
    (
        "linear-decay400_to0",
        "linear",
        {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 400},
        "sgd",
        0.2,
    ),
    (
        "linear-0.5_to_0.2_in37",
        "linear",
        {"start_factor": 0.5, "end_factor": 0.2, "total_iters": 37},
        "sgd",
        0.1,
    ),
    ("onecycle-default-sgd", "onecycle", {}, "sgd", 0.1),
    ("onecycle-default-adam", "onecycle", {}, "adam", 0.01),
    (
        "onecycle-linear_pct0.25-adam",
        "onecycle",
        {
            "anneal_strategy": "linear",
            "pct_start": 0.25,
            "div_factor": 10.0,
            "final_div_factor": 100.0,
            "base_momentum": 0.8,
            "max_momentum": 0.9,
        },
        "adam",
        0.05,
    ),
    (
        "onecycle-three_phase_100-sgd",
        "onecycle",
        {"total_steps": 100, "three_phase": True},
        "sgd",
        0.1,
    ),
    (
        "onecycle-three_phase_linear_100-adam",
        "onecycle",
        {"total_steps": 100, "three_phase": True, "anneal_strategy": "linear", "pct_start": 0.4},
        "adam",
        0.1,
    ),
    (
        "onecycle-no_cycle_momentum_500-sgd",
        "onecycle",
        {"total_steps": 500, "cycle_momentum": False, "pct_start": 0.1},
        "sgd",
        0.1,
    ),
    # pct_start·total_steps < 1: the warm-up phase ends before epoch 0 and is skipped.
    ("onecycle-total3-sgd", "onecycle", {"total_steps": 3}, "sgd", 0.1),
)


def make_optimizer(name: str, base_lr: float, p: torch.Tensor) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD([p], lr=base_lr, momentum=0.9, foreach=False)
    return torch.optim.Adam([p], lr=base_lr, foreach=False)


def make_scheduler(
    schedule: str, parameters: dict[str, Any], optimizer: torch.optim.Optimizer, base_lr: float
) -> lr_scheduler.LRScheduler | None:
    # torch's own defaults fill in what a golden leaves out, except where torch has none.
    p = dict(parameters)
    if schedule == "constant":
        return None
    if schedule == "step":
        p.setdefault("step_size", SCHEDULES["step"].parameters[0].default)
        return lr_scheduler.StepLR(optimizer, **p)
    if schedule == "exponential":
        p.setdefault("gamma", SCHEDULES["exponential"].parameters[0].default)
        return lr_scheduler.ExponentialLR(optimizer, **p)
    if schedule == "cosine":
        p.setdefault("T_max", SCHEDULES["cosine"].parameters[0].default)
        return lr_scheduler.CosineAnnealingLR(optimizer, **p)
    if schedule == "linear":
        return lr_scheduler.LinearLR(optimizer, **p)
    if schedule == "onecycle":
        p.setdefault("total_steps", SCHEDULES["onecycle"].parameters[0].default)
        return lr_scheduler.OneCycleLR(optimizer, max_lr=base_lr, **p)
    raise ValueError(schedule)


def group_momentum(optimizer: torch.optim.Optimizer) -> float:
    group = optimizer.param_groups[0]
    return float(group["betas"][0]) if "betas" in group else float(group["momentum"])


def torch_run(
    schedule: str, parameters: dict[str, Any], optimizer_name: str, base_lr: float, epochs: int
) -> dict[str, Any]:
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer(optimizer_name, base_lr, p)
    scheduler = make_scheduler(schedule, parameters, optimizer, base_lr)
    lrs, momenta = [], []
    past: dict[str, Any] = {}
    for epoch in range(epochs):
        lrs.append(float(optimizer.param_groups[0]["lr"]))
        momenta.append(group_momentum(optimizer))
        p.grad = torch.ones_like(p)
        optimizer.step()
        if scheduler is None:
            continue
        if schedule == "onecycle" and epoch == epochs - 1:
            # The step to epoch total_steps, which no optimizer step of the loop uses: torch
            # allows it (its anneal fraction passes 1), unless that phase has no length.
            try:
                scheduler.step()
            except ZeroDivisionError as error:
                past = {"epoch": epochs, "error": f"ZeroDivisionError: {error}"}
                break
            past = {
                "epoch": epochs,
                "lr": float(optimizer.param_groups[0]["lr"]),
                "momentum": group_momentum(optimizer),
            }
            try:
                scheduler.step()
            except ValueError as error:
                past["next_step_error"] = f"ValueError: {error}"
        else:
            scheduler.step()
    run: dict[str, Any] = {"lrs": lrs, "momenta": momenta}
    if past:
        run["torch_past_total_steps"] = past
    return run


def golden(config: tuple[str, str, dict[str, Any], str, float]) -> dict[str, Any]:
    stem, schedule, parameters, optimizer_name, base_lr = config
    bound = bind_schedule(schedule, parameters)  # the parameters must be valid for us too
    epochs = bound.values["total_steps"] if schedule == "onecycle" else EPOCHS
    run = torch_run(schedule, parameters, optimizer_name, base_lr, epochs)
    data: dict[str, Any] = {
        "name": stem,
        "torch_version": torch.__version__,
        "schedule": schedule,
        "parameters": parameters,
        "optimizer": optimizer_name,
        "base_lr": base_lr,
        "epochs": epochs,
        "lrs": run["lrs"],
    }
    if bound.cycles_momentum:
        data["momentum_key"] = momentum_key(["betas"] if optimizer_name == "adam" else ["momentum"])
        data["momenta"] = run["momenta"]
    if "torch_past_total_steps" in run:
        data["torch_past_total_steps"] = run["torch_past_total_steps"]
    return data


def deviation(ours: list[float], ref: list[float], scale: float) -> tuple[float, float]:
    """The largest |ours − ref|/|ref| where |ref| > 1e-12·scale, and the largest
    |ours − ref| elsewhere (where torch's rate is 0 or rounding noise around 0)."""
    relative, absolute = 0.0, 0.0
    for a, b in zip(ours, ref, strict=True):
        if abs(b) > 1e-12 * scale:
            relative = max(relative, abs(a - b) / abs(b))
        else:
            absolute = max(absolute, abs(a - b))
    return relative, absolute


def closed_form_deviation(data: dict[str, Any]) -> tuple[float, float]:
    bound = bind_schedule(data["schedule"], data["parameters"])
    ours = [bound.lr(data["base_lr"], e) for e in range(data["epochs"])]
    return deviation(ours, data["lrs"], data["base_lr"])


def show(deviations: tuple[float, float]) -> str:
    return f"relative {deviations[0]:.3g}, absolute near 0 {deviations[1]:.3g}"


# --measure: a grid of parameters per schedule, 1000 epochs (OneCycleLR: total_steps).
MEASURE_GRID: dict[str, list[dict[str, Any]]] = {
    "step": [
        {"step_size": s, "gamma": g} for s in (1, 3, 30, 100, 999) for g in (0.1, 0.5, 0.9, 0.99)
    ],
    "exponential": [{"gamma": g} for g in (0.5, 0.9, 0.97, 0.99, 0.995, 0.999, 0.9999)],
    "cosine": [
        {"T_max": t, "eta_min": eta}
        for t in (1, 2, 3, 7, 50, 100, 200, 333, 500, 1000, 5000)
        for eta in (0.0, 1e-4, 0.001, 0.01, 0.05)
    ],
    "linear": [
        {"start_factor": s, "end_factor": e, "total_iters": n}
        for s in (1e-3, 0.01, 1 / 3, 0.5, 1.0)
        for e in (0.0, 0.2, 1.0)
        for n in (1, 5, 37, 100, 400, 1000)
    ],
    "onecycle": [
        {"total_steps": n, "pct_start": pct, "anneal_strategy": a, "three_phase": three}
        for n in (3, 100, 1000)
        for pct in (0.0, 0.25, 0.3, 0.5, 0.75, 1.0)
        for a in ("cos", "linear")
        for three in (False, True)
    ],
}


def measure() -> int:
    for schedule, grid in MEASURE_GRID.items():
        worst: dict[str, tuple[float, Any]] = {}
        for parameters in grid:
            data = golden((schedule, schedule, parameters, "sgd", 0.1))
            found = {"lr": closed_form_deviation(data)}
            if "momenta" in data:
                bound = bind_schedule(schedule, parameters)
                ours = [bound.momentum(e) for e in range(data["epochs"])]
                found["momentum"] = deviation(ours, data["momenta"], 1.0)
            for key, (relative, absolute) in found.items():
                for kind, value in ((f"{key} relative", relative), (f"{key} absolute", absolute)):
                    if value >= worst.get(kind, (0.0, None))[0]:
                        worst[kind] = (value, parameters)
        print(f"{schedule} ({len(grid)} parameter sets):")
        for kind, (value, parameters) in worst.items():
            print(f"    {kind:20s} {value:.3g} at {parameters}")
    return 0


def main(argv: list[str]) -> int:
    torch.set_default_dtype(torch.float64)
    # A golden must not come from a loop torch itself warns about (say, the two steps in
    # the wrong order).
    warnings.simplefilter("error")
    if argv == ["--measure"]:
        return measure()
    known = {c[0] for c in CONFIGS}
    unknown = set(argv) - known
    if unknown:
        print(f"unknown stems: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    for config in CONFIGS:
        if argv and config[0] not in argv:
            continue
        data = golden(config)
        path = OUT / f"{data['name']}.json"
        # json writes floats with repr: the shortest string that round-trips.
        path.write_text(json.dumps(data, separators=(",", ":"), allow_nan=False) + "\n")
        print(f"{path.name:40s} epochs={data['epochs']:5d}  {show(closed_form_deviation(data))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
