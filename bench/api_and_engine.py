"""Benchmarks, printed as figures (not timed tests).

1. The HTTP cost of a 1000-step Adam run: median time of POST /api/runs divided by the median
   of GET /healthz on the same uvicorn server (target <= 5).
2. When torch is installed: torch.optim's time per step (forward, backward, step) divided by
   the engine's on the same problem (target >= 10).
3. What the training options and the other rules cost per step of one ball: Adam with noise,
   float16 and clipping, with a cosine schedule; SGLD; Newton; L-BFGS (20 iterations a step).

Run: `make bench` (or `.venv/bin/python bench/api_and_engine.py`); torch is optional
(`pip install torch==2.13.0`).
"""

from __future__ import annotations

import itertools
import math
import statistics
import sys
import time
from functools import partial

import httpx
from server import ROOT, running_server

sys.path.insert(0, str(ROOT))

from app.engine.optimizers import OPTIMIZERS  # noqa: E402
from app.engine.run import Run, start_state  # noqa: E402
from app.engine.run.options import validate_options  # noqa: E402
from app.engine.run.schedules import bind_schedule  # noqa: E402
from app.engine.surfaces import SURFACES  # noqa: E402

# Adam at torch's default lr on the plateau: it never converges within 1000 steps, so every
# request really computes 1000 steps.
SURFACE, START, STEPS = "plateau_wall", 3.5, 1000
ADAM = {"lr": 1e-3}


def median_seconds(fn, repeat: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def http_ratio() -> None:
    with running_server() as server, httpx.Client(base_url=server.url) as client:
        body = {
            "runs": [
                {
                    "surface": SURFACE,
                    "optimizer": "adam",
                    "hyperparameters": ADAM,
                    "start": [START],
                    "steps": STEPS,
                }
            ]
        }
        run = client.post("/api/runs", json=body).json()["runs"][0]
        assert len(run["steps"]) == STEPS + 1, "the benchmark run stopped early"
        health = median_seconds(lambda: client.get("/healthz"), repeat=400)
        # Each request starts a hair apart, so each is computed (none from the result cache).
        fresh = (
            {"runs": [{**body["runs"][0], "start": [START + i * 1e-9]}]} for i in itertools.count()
        )
        runs = median_seconds(lambda: client.post("/api/runs", json=next(fresh)), repeat=100)
    print(f"GET /healthz median:               {health * 1e3:8.3f} ms")
    print(f"POST /api/runs (Adam, {STEPS} steps): {runs * 1e3:8.3f} ms")
    print(f"ratio runs/healthz:                {runs / health:8.2f}   (target <= 5)")


def engine_seconds_per_step() -> float:
    surface, adam = SURFACES[SURFACE], OPTIMIZERS["adam"]
    hp = adam.validate(ADAM)

    def once() -> None:
        run = Run(surface, adam, hp, start_state(surface, adam, [START]), 0.0, 0.0)
        run.advance(STEPS)

    return median_seconds(once, repeat=30) / STEPS


def _advance(run_cls, surface, opt, hp, state, options, schedule, n) -> None:
    run_cls(surface, opt, hp, state, 0.0, 0.0, options=options, schedule=schedule).advance(n)


def step_costs() -> None:
    """Engine time per step for one ball under each extra (no convergence stop)."""
    rosenbrock = SURFACES["rosenbrock"]
    cases = [
        ("Adam, plain", "adam", {"lr": 0.01}, {}, None),
        (
            "Adam + noise + float16 + clipping",
            "adam",
            {"lr": 0.01},
            {"noise": 1.0, "precision": "float16", "loss_scale": 8, "clip_grad_norm": 5.0},
            None,
        ),
        ("Adam + cosine schedule", "adam", {"lr": 0.01}, {}, ("cosine", {"T_max": 100})),
        ("SGLD", "sgld", {"lr": 1e-4, "temperature": 0.1}, {}, None),
        ("Newton (damped)", "newton", {"damping": 10.0}, {}, None),
        (
            "L-BFGS, 20 iterations/step",
            "lbfgs",
            {"tolerance_change": 0.0, "tolerance_grad": 0.0},
            {},
            None,
        ),
    ]
    for label, oid, given, options, schedule in cases:
        opt = OPTIMIZERS[oid]
        hp, opts = opt.validate(given), validate_options(options)
        bound = None if schedule is None else bind_schedule(*schedule)
        n = 50 if oid == "lbfgs" else STEPS

        state = start_state(rosenbrock, opt, [-1.5, 2.5])
        once = partial(_advance, Run, rosenbrock, opt, hp, state, opts, bound, n)
        per_step = median_seconds(once, repeat=10, warmup=2) / n
        print(f"engine per step, {label + ':':36s} {per_step * 1e6:9.2f} µs")


def torch_seconds_per_step() -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_default_dtype(torch.float64)
    shim = type("TorchXP", (), {"tanh": staticmethod(torch.tanh), "exp": staticmethod(torch.exp)})
    surface = SURFACES[SURFACE]

    def once() -> None:
        x = torch.tensor([START], requires_grad=True)
        opt = torch.optim.Adam([x], lr=ADAM["lr"], foreach=False)
        for _ in range(STEPS):
            opt.zero_grad()
            loss = surface.value(shim, x).sum()
            loss.backward()
            opt.step()

    return median_seconds(once, repeat=10, warmup=2) / STEPS


def main() -> None:
    http_ratio()
    ours = engine_seconds_per_step()
    print(f"engine per step (Adam, one ball):  {ours * 1e6:8.2f} µs")
    theirs = torch_seconds_per_step()
    if theirs is None:
        print("torch not installed (pip install torch==2.13.0): torch ratio skipped")
    else:
        print(f"torch.optim per step (fwd+bwd+step): {theirs * 1e6:6.2f} µs")
        print(f"ratio torch/engine:                {theirs / ours:8.2f}   (target >= 10)")
    assert math.isfinite(ours)
    step_costs()


if __name__ == "__main__":
    main()
