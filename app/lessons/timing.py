"""When a lesson's phenomenon shows: the step from which a racer's outcome is decided.

A page streams each racer with early ending (``Run(end_early=True)``) and words the running
verdict (``Run.verdict``) as it plays.  :func:`settled_step` takes a racer's run the same
way, one step at a time, and finds the first step from which the running verdict is the
outcome the run ends with (its kind) and stays so — or the step where the run ended.  Divided by the
lesson's ``speed``, that is how long a class waits (``bench/verdict_time.py`` prints it,
``tests/engine/test_lesson_timing.py`` holds it within 10 s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.run import RUNNING, Run, start_state
from ..engine.run.outcome import Outcome
from .lesson import Lesson, Racer
from .prepare import prepare


@dataclass(frozen=True)
class Timing:
    outcome: str  # how the run ends (the engine's outcome id)
    status: str  # the runner's status at the end (``decided``: ended early)
    ended: int  # the last step taken
    settled: int  # the first step from which the running verdict is the outcome, for good
    expected: bool  # the run ends in one of the racer's expected outcomes


def settled_step(lesson: Lesson, racer: Racer) -> Timing:
    ready = prepare(lesson, racer)
    state = start_state(ready.surface, ready.optimizer, np.asarray(lesson.start, np.float64))
    run = Run(
        ready.surface,
        ready.optimizer,
        ready.hyperparameters,
        state,
        options=ready.options,
        schedule=ready.schedule,
        end_early=True,
    )
    verdicts: list[Outcome | None] = [run.verdict()]
    while run.step < lesson.steps and run.status == RUNNING:
        run.advance(1)
        verdicts.append(run.verdict())
    run.finish()
    final = run.outcome()
    settled = len(verdicts) - 1
    while settled > 0 and _kind(verdicts[settled - 1]) == final.kind:
        settled -= 1
    return Timing(final.kind, run.status_of(), run.step, settled, final.kind in racer.expected)


def _kind(verdict: Outcome | None) -> str | None:
    # the kind alone: a jittering ball's nearest minimum may change as it goes
    return None if verdict is None else verdict.kind
