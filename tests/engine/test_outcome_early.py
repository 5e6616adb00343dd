"""Early ending and the running verdict (``Run(end_early=True)``, ``Run.verdict``).

A run the pages stream ends at its outcome's step when the engine can already decide it: the
ball stopped moving, ran away, or has bounced for two full windows without its swings dying.
It only shortens a run the engine has judged: the steps taken are the unbroken run's, and
the outcome is the one the unbroken run ends with.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.engine.optimizers import OPTIMIZERS
from app.engine.run import DECIDED, Run, run, start_state
from app.engine.run.options import validate_options
from app.engine.run.outcome import WINDOW, Outcome, decide
from app.engine.surfaces import SURFACES

from .test_outcome import REAL_RUNS


def both(
    sid: str, oid: str, given: dict[str, Any], start: list[float], steps: int, options: dict
) -> tuple[tuple[Any, Run], tuple[Any, Run]]:
    """The unbroken run and the one that ends early, from the same start."""
    surface, opt = SURFACES[sid], OPTIMIZERS[oid]
    hp, opts = opt.validate(given), validate_options(options)
    state = start_state(surface, opt, np.asarray(start, dtype=np.float64))
    full = run(surface, opt, hp, state, steps, options=opts)
    early = run(surface, opt, hp, state, steps, options=opts, end_early=True)
    return full, early


@pytest.mark.parametrize(
    ("kind", "sid", "oid", "given", "start", "steps", "near", "options"), REAL_RUNS
)
def test_ending_early_keeps_the_steps_and_the_outcome(
    kind: str,
    sid: str,
    oid: str,
    given: dict[str, Any],
    start: list[float],
    steps: int,
    near: Any,
    options: dict[str, Any],
) -> None:
    (full_trace, full), (trace, early) = both(sid, oid, given, start, steps, options)
    n = len(trace)
    assert trace.positions == full_trace.positions[:n]
    assert trace.losses == full_trace.losses[:n]
    assert early.outcome() == full.outcome()
    if early.status == DECIDED:
        assert n - 1 < steps


@pytest.mark.parametrize(
    ("sid", "oid", "given", "start", "options", "kind", "within"),
    [
        # the lessons' slow verdicts, now decided early
        ("roll_downhill", "sgd", {"lr": 1.2}, [3.5], {}, "bouncing", 300),
        ("saddle", "sgd", {"lr": 0.01}, [1.8, 0.01], {}, "ran_away", 300),
        ("plateau_wall", "sgd", {"lr": 0.01}, [7.0], {}, "plateau", 300),
        ("rosenbrock", "lbfgs", {"tolerance_change": 0.01}, [-1.5, 2.5], {}, "stalled", 300),
    ],
)
def test_a_decided_run_ends_there(
    sid: str, oid: str, given: dict, start: list, options: dict, kind: str, within: int
) -> None:
    _, (trace, early) = both(sid, oid, given, start, 1000, options)
    assert early.status_of() == "decided"
    assert len(trace) - 1 <= within
    assert early.outcome().kind == kind


def test_swings_dying_slowly_are_not_ended_as_bouncing() -> None:
    """GD at lr 0.99 on the parabola bounces in any one window (ρ = 0.98 a step), but
    settles within a press of Play: it is not ended early as bouncing."""
    (_, full), (trace, early) = both("parabola", "sgd", {"lr": 0.99}, [2.5], 1000, {})
    assert full.outcome().kind == "global_minimum"
    assert early.status_of() != "decided" or early.outcome().kind != "bouncing"
    assert early.outcome() == full.outcome()


def test_the_running_verdict_waits_for_a_full_window_then_is_decides() -> None:
    surface, opt = SURFACES["roll_downhill"], OPTIMIZERS["sgd"]
    state = start_state(surface, opt, np.asarray([3.5]))
    r = Run(surface, opt, opt.validate({"lr": 1.2}), state, end_early=True)
    seen = []
    for _ in range(WINDOW + 1):
        seen.append(r.verdict())
        r.advance(1)
    assert seen[:WINDOW] == [None] * WINDOW
    assert r.verdict() == decide(surface, r.ending()) == Outcome("bouncing", None)


def test_a_crowd_cannot_end_early() -> None:
    surface, opt = SURFACES["parabola"], OPTIMIZERS["sgd"]
    state = start_state(surface, opt, np.linspace(-1, 1, 4)[:, None])
    with pytest.raises(ValueError, match="one ball"):
        Run(surface, opt, opt.validate({"lr": 0.1}), state, end_early=True)
