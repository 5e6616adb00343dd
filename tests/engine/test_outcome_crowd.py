"""decide_crowd (every ball at once, what the maps use) agrees with decide ball by ball."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.optimizers import OPTIMIZERS
from app.engine.run import Run, start_state
from app.engine.run.options import validate_options
from app.engine.run.outcome import NO_MINIMUM, OUTCOMES, decide
from app.engine.surfaces import SURFACES

# (surface, optimizer, hyperparameters, options, steps): between them every outcome but
# float16_stuck's rarer cousins shows up (the last test checks which ones did).
CASES = [
    ("roll_downhill", "sgd", {"lr": 0.1}, {}, 300),
    ("roll_downhill", "sgd", {"lr": 1.0}, {}, 200),
    ("roll_downhill", "sgd", {"lr": 0.01}, {}, 40),
    ("parabola", "sgd", {"lr": 1.0}, {}, 100),
    ("parabola", "sgd", {"lr": 1.5}, {}, 100),
    ("parabola", "sgd", {"lr": 0.1, "maximize": True}, {}, 100),
    ("saddle", "sgd", {"lr": 0.1}, {}, 300),
    ("plateau_wall", "sgd", {"lr": 0.1}, {}, 300),
    ("plateau", "adam", {"lr": 0.01}, {"precision": "float16"}, 200),
    ("himmelblau", "adam", {"lr": 0.1}, {}, 300),
    ("himmelblau", "sgd", {"lr": 0.01, "momentum": 0.9}, {}, 300),
    ("himmelblau", "sgld", {"lr": 0.01}, {}, 200),
    ("rosenbrock", "sgd", {"lr": 0.001}, {}, 300),
    ("saddle", "sgd", {"lr": 0.05}, {"noise": 0.5}, 200),
    ("roll_downhill", "lbfgs", {"lr": 1.0}, {}, 20),
    ("himmelblau", "newton", {"lr": 1.0}, {}, 30),
    ("beale", "rprop", {}, {}, 200),
]


def _crowd_run(sid: str, oid: str, given: dict, options: dict, steps: int, n: int = 97) -> Run:
    surface, optimizer = SURFACES[sid], OPTIMIZERS[oid]
    rng = np.random.default_rng(len(sid) + steps)
    lo = np.array([a for a, _ in surface.domain])
    hi = np.array([b for _, b in surface.domain])
    starts = lo + (hi - lo) * rng.random((n, surface.dim))
    starts[0] = surface.start
    if surface.minima:
        starts[1] = surface.minima[0].position
    r = Run(
        surface,
        optimizer,
        optimizer.validate(given),
        start_state(surface, optimizer, starts),
        options=validate_options(options),
    )
    r.advance(steps, record=False)
    r.finish()
    return r


SEEN: set[str] = set()


@pytest.mark.parametrize(("sid", "oid", "given", "options", "steps"), CASES)
def test_the_crowd_decides_as_each_ball(sid, oid, given, options, steps) -> None:
    r = _crowd_run(sid, oid, given, options, steps)
    kinds, minima = r.outcome_codes()
    for index in np.ndindex(r.batch_shape):
        alone = decide(r.surface, r.ending(index))
        m = int(minima[index])
        assert (OUTCOMES[kinds[index]], None if m == NO_MINIMUM else m) == (
            alone.kind,
            alone.minimum,
        ), (index, r.ending(index))
        SEEN.add(alone.kind)


def test_the_cases_reach_most_outcomes() -> None:
    # Runs last (file order): the comparison above can only fail where the cases go.
    for case in CASES:
        r = _crowd_run(*case)
        SEEN.update(OUTCOMES[k] for k in np.unique(r.outcome_codes()[0]))
    missing = set(OUTCOMES) - SEEN
    assert missing <= {"maximum", "stalled", "float16_stuck"}, missing
