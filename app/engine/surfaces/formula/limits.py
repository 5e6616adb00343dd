"""What a typed formula may cost, and the one error every refusal raises.

A formula is text from a stranger: every stage (reading, differentiating, compiling) is
bounded before it starts and while it runs.  The caps:

* :data:`MAX_LENGTH` characters, checked before Python's parser sees the text;
* :data:`MAX_DEPTH` levels of brackets (counted on the raw text, before parsing, because
  the parser itself recurses) and of nesting in the expression tree;
* :data:`MAX_NODES` nodes in the formula, :data:`MAX_DERIVED_NODES` in each derivative
  (first and second), after simplification;
* :data:`MAX_CONSTANT` for a number written in the text, and every number the
  simplifier works out must be finite;
* :data:`MAX_EXPONENT` for a constant exponent (``x^20`` is fine, ``x^21`` and
  ``9^9^9`` are refused before anything is raised to a power); an exponent that depends
  on a variable (``x^y``, ``2^x``) is allowed, but not one that itself holds such a power
  (``x^x^x``: a power tower);
* :data:`TIME_LIMIT` seconds for reading, differentiating and compiling together, as a
  deadline the tree walkers check (no threads, no signals).  A backstop: the caps above
  already bound the work (a valid formula takes 1–4 ms, the largest derivatives allowed
  about 20 ms, a refused input about 1 ms); wall-clock time also counts a busy machine's
  other work, so the deadline sits well above them.
"""

from __future__ import annotations

import time

MAX_LENGTH = 500
MAX_DEPTH = 30
MAX_NODES = 200
MAX_DERIVED_NODES = 5000
MAX_CONSTANT = 1e6
MAX_EXPONENT = 20
TIME_LIMIT = 0.5


class FormulaError(ValueError):
    """A formula refused: ``reason`` in words, ``column`` (1-based) where, when known."""

    def __init__(self, reason: str, column: int | None = None) -> None:
        where = "" if column is None else f" (column {column})"
        super().__init__(f"{reason}{where}")
        self.reason = reason
        self.column = column


class Budget:
    """A deadline shared by every stage of one formula's preparation."""

    def __init__(self, seconds: float = TIME_LIMIT) -> None:
        self.seconds = seconds
        self.deadline = time.perf_counter() + seconds

    def check(self) -> None:
        if time.perf_counter() > self.deadline:
            raise FormulaError(
                f"the formula takes too long to prepare (more than {self.seconds * 1000:.0f} ms)"
            )
