"""Benchmark: a 256×256-start, 500-step Adam basin map on Himmelblau.

Prints, in one run (the machine is shared: compare ratios, not absolute times):

1. the engine's time for the whole map (every start run, every outcome decided), at torch's
   default lr = 1e-3, where no ball settles within 500 steps (all 65,536 balls take every
   step), and at the explorer's suggested lr = 0.1, where most settle early and are set
   aside;
2. when torch is installed, the same batched computation as one torch tensor on the CPU:
   torch.optim.Adam on a (65,536, 2) parameter, the gradient from the same closed form,
   500 steps (torch has no per-ball stopping, so it always takes every step) — and the
   ratio engine ÷ torch (target <= 1.0), with torch on 1 thread and on all of them;
3. the speed-up over a loop of single-ball runs (the engine's fastest path for one ball),
   extrapolated from 512 starts;
4. peak RSS: the process's high-water mark before and after a 128×128 and a 256×256 map
   (the map keeps each ball's end, not its path, so memory grows with the starts only).

Run: `make bench` (or `.venv/bin/python bench/maps.py`); with torch, from an environment that
has it (`pip install torch==2.13.0`), e.g. `/path/to/torch-env/bin/python bench/maps.py`.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine.maps import Setting, basins  # noqa: E402
from app.engine.maps.basins import grid_starts  # noqa: E402
from app.engine.optimizers import OPTIMIZERS  # noqa: E402
from app.engine.run import Run, start_state  # noqa: E402
from app.engine.surfaces import SURFACES  # noqa: E402

SIDE, STEPS = 256, 500
RATES = (("torch's default", 1e-3), ("suggested", 0.1))
REPEAT = 3


def median_time(fn, repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def setting(lr: float) -> Setting:
    adam = OPTIMIZERS["adam"]
    return Setting(SURFACES["himmelblau"], adam, adam.validate({"lr": lr}), steps=STEPS)


def engine_seconds(lr: float) -> tuple[float, float]:
    """The map's time, and the fraction of balls that settled."""
    s = setting(lr)
    settled = []

    def once() -> None:
        m = basins(s, (SIDE, SIDE))
        settled.append(float((m.ends.status == 1).mean()))

    return median_time(once), settled[-1]


def loop_seconds(lr: float, sample: int = 512) -> float:
    """One ball at a time (the single-ball path), extrapolated to the whole grid."""
    s = setting(lr)
    _, starts = grid_starts(s, (SIDE, SIDE))
    picks = starts.reshape(-1, 2)[np.linspace(0, SIDE * SIDE - 1, sample).astype(int)]

    def once() -> None:
        for p in picks:
            r = Run(
                s.surface, s.optimizer, s.hyperparameters, start_state(s.surface, s.optimizer, p)
            )
            r.advance(STEPS, record=False)
            r.finish()
            r.outcome()

    return median_time(once, 1) * SIDE * SIDE / sample


def torch_seconds(lr: float, threads: int | None) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_default_dtype(torch.float64)
    if threads is not None:
        torch.set_num_threads(threads)
    surface = SURFACES["himmelblau"]
    _, starts = grid_starts(setting(lr), (SIDE, SIDE))
    xp = type("TorchXP", (), {k: staticmethod(getattr(torch, k)) for k in ("sin", "cos", "exp")})

    def once() -> None:
        p = torch.tensor(starts.reshape(-1, 2))
        p.grad = torch.zeros_like(p)
        opt = torch.optim.Adam([p], lr=lr)
        with torch.no_grad():
            for _ in range(STEPS):
                gx, gy = surface.grad(xp, p[:, 0], p[:, 1])
                p.grad[:, 0], p.grad[:, 1] = gx, gy
                opt.step()

    once()  # warm-up
    return median_time(once)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    print(f"Basin map: Adam on Himmelblau, {SIDE}×{SIDE} starts × {STEPS} steps")
    rss_start = peak_rss_mb()
    basins(setting(1e-3), (SIDE // 2, SIDE // 2))
    rss_half = peak_rss_mb()
    basins(setting(1e-3), (SIDE, SIDE))
    rss_full = peak_rss_mb()
    print(
        f"peak RSS: {rss_start:.0f} MB at start, {rss_half:.0f} MB after a "
        f"{SIDE // 2}×{SIDE // 2} map, {rss_full:.0f} MB after {SIDE}×{SIDE}"
    )
    for label, lr in RATES:
        ours, settled = engine_seconds(lr)
        loop = loop_seconds(lr)
        print(f"\nlr = {lr:g} ({label}): {settled:.0%} of the balls settle within {STEPS} steps")
        print(f"  engine, whole map:            {ours:7.2f} s")
        print(f"  one ball at a time (est.):    {loop:7.1f} s   speed-up {loop / ours:6.1f}×")
        for threads in (1, None):
            theirs = torch_seconds(lr, threads)
            if theirs is None:
                print("  torch not installed (pip install torch==2.13.0): ratio skipped")
                break
            name = "1 thread" if threads == 1 else "all threads"
            print(
                f"  torch, one tensor, {name + ':':13s}{theirs:7.2f} s   "
                f"engine ÷ torch {ours / theirs:5.2f}   (target <= 1.0)"
            )


if __name__ == "__main__":
    main()
