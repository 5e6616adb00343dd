"""Whole-landscape maps: crowds of balls of one run setting, run together.

* :mod:`.basins` — a grid of starts over the plotted domain: where each start ends up
  (the basin-of-attraction map);
* :mod:`.sweep` — one start, many learning rates: the bifurcation diagram, and the rate
  above which plain descent cannot settle at each minimum;
* :mod:`.trainability` — one start, a grid over two hyperparameters: outcome and steps to
  converge per cell (the fractal converge/diverge boundary).

All three go through :func:`.crowd.roll`, the runner's crowd path with nothing recorded
but each ball's end (and, for the sweep, its last few positions), and decide each ball's
outcome with :func:`~app.engine.run.outcome.decide_crowd` — the same words, by the same
rules, as a single run from the same start.  Work comes in chunks with a progress
callback, which can stop it by raising :class:`.crowd.Cancelled`.  :mod:`.sizes` holds
the sizing rules: the size a map gets when it names none, and the work a size costs.
"""

from .basins import BasinMap, basins
from .crowd import Cancelled, Ends, Setting, roll
from .sweep import Stability, SweepMap, stability, sweep
from .trainability import Axis, TrainabilityMap, trainability

__all__ = [
    "Axis",
    "BasinMap",
    "Cancelled",
    "Ends",
    "Setting",
    "Stability",
    "SweepMap",
    "TrainabilityMap",
    "basins",
    "roll",
    "stability",
    "sweep",
    "trainability",
]
