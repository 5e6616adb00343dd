"""Generate learning-rate schedule goldens with torch.optim.lr_scheduler for
tests/engine/test_schedules.py.

Run from the repository root with a torch install (torch is not a dependency of the app)::

    PYTHONPATH=. .venv/bin/python tools/make_schedule_goldens.py [stem ...]
    PYTHONPATH=. .venv/bin/python tools/make_schedule_goldens.py --measure

With file name stems, only those goldens are written.  ``--measure`` writes nothing: it
runs torch over a grid of parameters and prints, per schedule, the largest relative
difference between torch's (recursive) learning rates and the engine's closed forms
(``bind_schedule``, from the schedules module that tools/golden.py imports).  What the
golden scripts share is in tools/golden.py.

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

import sys
import warnings
from dataclasses import dataclass
from typing import Any

import torch

from tools.golden import GOLDEN_DIR, bind_schedule, generate, momentum_key, torch_scheduler

OUT = GOLDEN_DIR / "schedules"
EPOCHS = 1000


@dataclass(frozen=True)
class Config:
    """One golden: the file name stem, the schedule id and its parameters, and the optimizer
    ("sgd" or "adam") with its learning rate, OneCycleLR's max_lr."""

    stem: str
    schedule: str
    parameters: dict[str, Any]
    optimizer: str
    base_lr: float


# Every schedule appears with non-default parameters; cosine runs through several periods,
# LinearLR warms up and decays.
CONFIGS: tuple[Config, ...] = (
    Config("constant", "constant", {}, "sgd", 0.1),
    Config("step-default", "step", {}, "sgd", 0.1),
    Config("step-size30_gamma0.5", "step", {"step_size": 30, "gamma": 0.5}, "sgd", 0.05),
    Config("exponential-default", "exponential", {}, "sgd", 0.1),
    Config("exponential-gamma0.995", "exponential", {"gamma": 0.995}, "adam", 0.3),
    # T_max 200 over 1000 epochs: two and a half periods of torch's non-restarting cosine.
    Config("cosine-default", "cosine", {}, "sgd", 0.1),
    Config("cosine-tmax100_eta0.001", "cosine", {"T_max": 100, "eta_min": 0.001}, "sgd", 0.1),
    Config("cosine-tmax7_eta0.02", "cosine", {"T_max": 7, "eta_min": 0.02}, "sgd", 0.5),
    # T_max 1: the rate alternates lr, η_min, lr, ... (torch's special branch every step).
    Config("cosine-tmax1_eta0.01", "cosine", {"T_max": 1, "eta_min": 0.01}, "sgd", 0.1),
    Config("linear-default", "linear", {}, "sgd", 0.1),
    Config(
        "linear-warmup100_from0.01",
        "linear",
        {"start_factor": 0.01, "end_factor": 1.0, "total_iters": 100},
        "adam",
        0.01,
    ),
    Config(
        "linear-decay400_to0",
        "linear",
        {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 400},
        "sgd",
        0.2,
    ),
    Config(
        "linear-0.5_to_0.2_in37",
        "linear",
        {"start_factor": 0.5, "end_factor": 0.2, "total_iters": 37},
        "sgd",
        0.1,
    ),
    Config("onecycle-default-sgd", "onecycle", {}, "sgd", 0.1),
    Config("onecycle-default-adam", "onecycle", {}, "adam", 0.01),
    Config(
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
    Config(
        "onecycle-three_phase_100-sgd",
        "onecycle",
        {"total_steps": 100, "three_phase": True},
        "sgd",
        0.1,
    ),
    Config(
        "onecycle-three_phase_linear_100-adam",
        "onecycle",
        {"total_steps": 100, "three_phase": True, "anneal_strategy": "linear", "pct_start": 0.4},
        "adam",
        0.1,
    ),
    Config(
        "onecycle-no_cycle_momentum_500-sgd",
        "onecycle",
        {"total_steps": 500, "cycle_momentum": False, "pct_start": 0.1},
        "sgd",
        0.1,
    ),
    # pct_start·total_steps < 1: the warm-up phase ends before epoch 0 and is skipped.
    Config("onecycle-total3-sgd", "onecycle", {"total_steps": 3}, "sgd", 0.1),
)


def make_optimizer(name: str, base_lr: float, p: torch.Tensor) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD([p], lr=base_lr, momentum=0.9, foreach=False)
    return torch.optim.Adam([p], lr=base_lr, foreach=False)


def group_momentum(optimizer: torch.optim.Optimizer) -> float:
    group = optimizer.param_groups[0]
    return float(group["betas"][0]) if "betas" in group else float(group["momentum"])


def torch_run(config: Config, epochs: int) -> dict[str, Any]:
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer(config.optimizer, config.base_lr, p)
    scheduler = torch_scheduler(optimizer, config.schedule, config.parameters)
    lrs, momenta = [], []
    past: dict[str, Any] = {}
    for epoch in range(epochs):
        lrs.append(float(optimizer.param_groups[0]["lr"]))
        momenta.append(group_momentum(optimizer))
        p.grad = torch.ones_like(p)
        optimizer.step()
        if scheduler is None:
            continue
        if config.schedule == "onecycle" and epoch == epochs - 1:
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


def golden(config: Config) -> dict[str, Any]:
    # The parameters must be valid for us too.
    bound = bind_schedule(config.schedule, config.parameters)
    epochs = bound.values["total_steps"] if config.schedule == "onecycle" else EPOCHS
    run = torch_run(config, epochs)
    data: dict[str, Any] = {
        "name": config.stem,
        "torch_version": torch.__version__,
        "schedule": config.schedule,
        "parameters": config.parameters,
        "optimizer": config.optimizer,
        "base_lr": config.base_lr,
        "epochs": epochs,
        "lrs": run["lrs"],
    }
    if bound.cycles_momentum:
        names = ["betas"] if config.optimizer == "adam" else ["momentum"]
        data["momentum_key"] = momentum_key(names)
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
            data = golden(Config(schedule, schedule, parameters, "sgd", 0.1))
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


def line(name: str, data: dict[str, Any]) -> str:
    return f"{name:40s} epochs={data['epochs']:5d}  {show(closed_form_deviation(data))}"


def main(argv: list[str]) -> int:
    torch.set_default_dtype(torch.float64)
    # A golden must not come from a loop torch itself warns about (say, the two steps in
    # the wrong order).
    warnings.simplefilter("error")
    if argv == ["--measure"]:
        return measure()
    return generate(argv, OUT, CONFIGS, golden, line)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
