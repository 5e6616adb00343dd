"""Benchmark: deciding one ball's outcome with the one-ball decider and with the crowd's.

Issue #20 asked whether one decider over arrays (``decide_crowd``) could serve a single
ball too.  That is worth it only if it costs a one-ball run at most 10% more.  For each
scenario (a run of one ball, stopped the way the outcome tests stop theirs) this prints,
in one process so the two share the machine's noise:

1. ``decide``: the one-ball decider on ``run.ending()`` (what ``Run.outcome`` does today);
2. ``crowd``: ``decide_crowd`` on the same ball as a crowd of one (``run.crowd()``), with
   the codes turned back into an :class:`Outcome`, and the ratio crowd ÷ decide;
3. the same two deciders on inputs gathered beforehand ("core": the decision's arithmetic
   alone, whatever a leaner ``crowd()`` for one ball could save), and their ratio;
4. for scale, the whole one-ball run (its steps and ``decide``), and what the run would
   cost with the crowd's decider instead: new ÷ old, the criterion (≤ 1.10).

Timings are medians over interleaved rounds (old, new, old, new …) of many calls each.

Run: `.venv/bin/python bench/outcome.py`.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine.optimizers import OPTIMIZERS  # noqa: E402
from app.engine.run import Run, start_state  # noqa: E402
from app.engine.run.options import validate_options  # noqa: E402
from app.engine.run.outcome import NO_MINIMUM, OUTCOMES, Outcome, decide, decide_crowd  # noqa: E402
from app.engine.surfaces import SURFACES  # noqa: E402

# (surface, optimizer, hyperparameters, options, steps): one of each common ending.
SCENARIOS = [
    ("roll_downhill", "sgd", {"lr": 0.1}, {}, 300),  # settles at a minimum
    ("roll_downhill", "sgd", {"lr": 1.0}, {}, 200),  # bouncing
    ("rosenbrock", "sgd", {"lr": 0.001}, {}, 300),  # crawling
    ("saddle", "sgd", {"lr": 0.1}, {}, 300),  # ran away
    ("himmelblau", "sgld", {"lr": 0.01}, {}, 200),  # jittering
    ("plateau_wall", "sgd", {"lr": 0.1}, {}, 300),  # plateau (rests: the Hessian test)
]
ROUNDS, CALLS = 15, 200


def one_ball(sid: str, oid: str, given: dict, options: dict, steps: int, crowd: bool) -> Run:
    surface, optimizer = SURFACES[sid], OPTIMIZERS[oid]
    start = np.array([surface.start] if crowd else surface.start, dtype=np.float64)
    r = Run(
        surface,
        optimizer,
        optimizer.validate(given),
        start_state(surface, optimizer, start),
        options=validate_options(options),
    )
    r.advance(steps, record=False)
    r.finish()
    return r


def per_call(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    for _ in range(CALLS):
        fn()
    return (time.perf_counter() - t) / CALLS


def measure(case: tuple) -> dict[str, float]:
    """Seconds per call for one scenario: each decider with and without gathering its
    input from the run (``ending()`` / ``crowd()``), and the whole run with ``decide``."""
    single, crowd = one_ball(*case, crowd=False), one_ball(*case, crowd=True)
    surface, ending, arrays = single.surface, single.ending(), crowd.crowd()

    def outcome(codes: tuple[np.ndarray, np.ndarray]) -> Outcome:
        m = int(codes[1][0])
        return Outcome(OUTCOMES[codes[0][0]], None if m == NO_MINIMUM else m)

    pairs = {
        "decide": lambda: decide(surface, single.ending()),
        "crowd": lambda: outcome(decide_crowd(surface, crowd.crowd())),
        "decide core": lambda: decide(surface, ending),
        "crowd core": lambda: outcome(decide_crowd(surface, arrays)),
    }
    assert len({fn() for fn in pairs.values()}) == 1, case
    times: dict[str, list[float]] = {name: [] for name in pairs}
    for _ in range(ROUNDS):  # interleaved, so the machine's noise falls on all alike
        for name, fn in pairs.items():
            times[name].append(per_call(fn))
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        decide(surface, one_ball(*case, crowd=False).ending())
        runs.append(time.perf_counter() - t)
    out = {name: statistics.median(ts) for name, ts in times.items()}
    out["run"] = statistics.median(runs)
    return out


def main() -> None:
    print(
        f"{'scenario':34} {'decide':>8} {'crowd':>8} {'ratio':>6}"
        f" {'core d.':>8} {'core c.':>8} {'ratio':>6} {'run':>8} {'run ratio':>10}   (µs)"
    )
    core, whole = [], []
    for case in SCENARIOS:
        m = measure(case)
        core.append(m["crowd core"] / m["decide core"])
        whole.append((m["run"] - m["decide"] + m["crowd"]) / m["run"])
        label = f"{case[0]}/{case[1]} lr={case[2].get('lr')}"
        print(
            f"{label:34} {m['decide'] * 1e6:8.0f} {m['crowd'] * 1e6:8.0f}"
            f" {m['crowd'] / m['decide']:6.1f} {m['decide core'] * 1e6:8.0f}"
            f" {m['crowd core'] * 1e6:8.0f} {core[-1]:6.1f} {m['run'] * 1e6:8.0f}"
            f" {whole[-1]:10.2f}"
        )
    median = statistics.median
    print(f"the crowd's decider ÷ decide, on inputs already gathered: median {median(core):.2f}")
    print(f"a one-ball run with the crowd's decider ÷ with decide: median {median(whole):.2f}")
    print("(one decider for both only if a one-ball run costs at most 1.10 times as much)")


if __name__ == "__main__":
    main()
