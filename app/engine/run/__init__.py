"""Running an optimizer on a surface: the run options (:mod:`.options`: noise, precision,
clipping), learning-rate schedules (:mod:`.schedules`), what a step sees (:mod:`.problem`),
the resume state (:mod:`.state`), the step record (:mod:`.trace`), the runner
(:mod:`.runner`) and what happened in a run (:mod:`.outcome`)."""

from .runner import CONVERGED, DECIDED, DIVERGED, MAX_STEPS, RUNNING, Run, run, status_names
from .state import RunState, start_state
from .trace import Trace

__all__ = [
    "CONVERGED",
    "DECIDED",
    "DIVERGED",
    "MAX_STEPS",
    "RUNNING",
    "Run",
    "RunState",
    "Trace",
    "run",
    "start_state",
    "status_names",
]
