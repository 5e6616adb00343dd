"""Benchmark: what a model landscape costs against a built-in surface, in one run.

Prints (the machine is shared: compare the ratios, not the absolute times):

1. one ball, 1,000 steps of SGD with momentum (the web API's path): on Himmelblau, and on
   linear regression (MSE) over 20 points with the whole data set, and with mini-batches of
   4 — microseconds per step and the ratio to Himmelblau;
2. the same with L-BFGS (strong Wolfe), which evaluates the batch in its closure;
3. a 128×128-start, 200-step basin map of the two-weight network on 24 points, against the
   same map on Himmelblau — seconds and ratio (each step of a crowd is one (starts, points)
   array per formula).

Run: `make bench` (or `.venv/bin/python bench/models.py`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine.maps import Setting, basins  # noqa: E402
from app.engine.optimizers import OPTIMIZERS  # noqa: E402
from app.engine.run import run, start_state  # noqa: E402
from app.engine.run.options import validate_options  # noqa: E402
from app.engine.surfaces import SURFACES  # noqa: E402
from app.engine.surfaces.models import ModelSpec, model_surface  # noqa: E402

REPEATS = 5


def best_of(work) -> float:
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        work()
        times.append(time.perf_counter() - t)
    return min(times)


def one_ball(surface, optimizer: str, hp: dict, options: dict, steps: int = 1000) -> float:
    o = OPTIMIZERS[optimizer]
    hyperparameters = o.validate(hp)
    opts = validate_options(options, surface.data_size)

    def work() -> None:
        state = start_state(surface, o, surface.start)
        run(surface, o, hyperparameters, state, steps, grad_tol=0.0, step_tol=0.0, options=opts)

    return best_of(work) / steps * 1e6


def main() -> None:
    himmelblau = SURFACES["himmelblau"]
    line = model_surface(ModelSpec("linear", "mse", "noisy_line"))
    print("one ball, µs per step (ratio to Himmelblau)")
    for name, optimizer, hp in (
        ("SGD momentum", "sgd", {"lr": 0.001, "momentum": 0.9}),
        ("L-BFGS", "lbfgs", {"line_search_fn": "strong_wolfe"}),
    ):
        base = one_ball(himmelblau, optimizer, hp, {})
        full = one_ball(line, optimizer, hp, {})
        batched = one_ball(line, optimizer, hp, {"batch_size": 4})
        print(
            f"  {name:13s} Himmelblau {base:7.1f}   linear, 20 points {full:7.1f} "
            f"({full / base:.1f}×)   batches of 4 {batched:7.1f} ({batched / base:.1f}×)"
        )

    network = model_surface(ModelSpec("tanh_net", "mse", "tanh_curve"))
    times = {}
    sgd = OPTIMIZERS["sgd"]
    for label, surface in (("Himmelblau", himmelblau), ("network, 24 points", network)):
        setting = Setting(surface, sgd, sgd.validate({"lr": 0.01}), steps=200)
        times[label] = best_of(lambda s=setting: basins(s, (128, 128)))
    ratio = times["network, 24 points"] / times["Himmelblau"]
    print("basin map 128×128 × 200 steps, SGD lr 0.01, seconds")
    print(
        f"  Himmelblau {times['Himmelblau']:.2f}   network, 24 points "
        f"{times['network, 24 points']:.2f} ({ratio:.1f}×)"
    )


if __name__ == "__main__":
    main()
