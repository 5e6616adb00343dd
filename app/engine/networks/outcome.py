"""What happened to a network's training: one word, decided here and worded by the page.

:func:`decide` reads the run's status, its weights and a compact :class:`History` of its
losses (the best test loss so far and the last :data:`WINDOW` training losses: enough to
decide, small enough to travel in a resume state).  The rules, first match wins:

1. ``diverged`` — a loss or weight became non-finite or ran off (the runner stopped).
2. ``dead_relu`` — ReLU units that output 0 for every training point get no gradient and
   never come back: a whole hidden layer dead (nothing passes), or at least half of all
   hidden units.
3. ``symmetric`` — a hidden layer of two or more units whose units are all identical (the
   same incoming weights and bias, the same outgoing weights): they get identical gradients
   and stay identical, so the layer is one unit however wide it is — what a zero start does.
4. ``overfitting`` — with a test set: the test loss has risen at least :data:`RISE` above
   its lowest point while the training loss kept falling below where it was then; the
   early-stopping step is where the test loss was lowest.
5. ``converged`` — the runner found the gradient zero, or over the last WINDOW steps the
   training loss fell by less than :data:`FLAT` of itself.
6. ``still_improving`` — otherwise: more steps would still help.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import StateError
from .model import NetworkSpec, hidden_outputs, unpack

NET_OUTCOMES = ("converged", "still_improving", "diverged", "dead_relu", "symmetric", "overfitting")
WINDOW = 100  # steps the "stopped improving" test looks back over
FLAT = 1e-3  # a loss that fell by less than this share of itself over WINDOW steps has settled
FLAT_ABS = 1e-6  # … or by less than this at all
RISE = 0.05  # test loss this share above its best (and at least RISE_ABS) is overfitting
RISE_ABS = 0.01
SAME = 1e-9  # units whose weights agree within this (relative) are identical


class History:
    """The losses the outcome needs: the start, the best test loss, the last WINDOW."""

    def __init__(self) -> None:
        self.recorded = False
        self.last_step = 0
        self.first_train = math.nan
        self.recent: deque[float] = deque(maxlen=WINDOW + 1)  # training losses, last first out
        self.best_step: int | None = None  # where the test loss was lowest
        self.best_test = math.inf
        self.train_at_best = math.nan
        self.last_test: float | None = None
        self.accuracy: tuple[float | None, float | None] = (None, None)  # last (train, test)

    def add(
        self,
        step: int,
        train: float,
        test: float | None,
        accuracy: tuple[float | None, float | None] = (None, None),
    ) -> None:
        if not self.recorded:
            self.first_train = train
        self.recorded, self.last_step = True, step
        self.recent.append(train)
        self.last_test, self.accuracy = test, accuracy
        if test is not None and test < self.best_test:
            self.best_step, self.best_test, self.train_at_best = step, test, train

    def to_json(self) -> dict[str, Any]:
        return {
            "last_step": self.last_step if self.recorded else None,
            "first_train": None if not self.recorded else self.first_train,
            "recent": list(self.recent),
            "best_step": self.best_step,
            "best_test": None if self.best_step is None else self.best_test,
            "train_at_best": None if self.best_step is None else self.train_at_best,
            "last_test": self.last_test,
            "accuracy": list(self.accuracy),
        }

    @classmethod
    def from_json(cls, raw: Any) -> History:
        h = cls()
        if raw is None:
            return h
        if not isinstance(raw, Mapping):
            raise StateError("history", "must be an object")
        try:
            if raw.get("last_step") is not None:
                h.recorded, h.last_step = True, int(raw["last_step"])
                h.first_train = float(raw["first_train"])
            h.recent.extend(float(v) for v in raw.get("recent", ())[-(WINDOW + 1) :])
            if raw.get("best_step") is not None:
                h.best_step = int(raw["best_step"])
                h.best_test = float(raw["best_test"])
                h.train_at_best = float(raw["train_at_best"])
            last = raw.get("last_test")
            h.last_test = None if last is None else float(last)
            acc = raw.get("accuracy") or (None, None)
            train_acc, test_acc = (None if a is None else float(a) for a in acc)
            h.accuracy = (train_acc, test_acc)
        except (KeyError, TypeError, ValueError):
            raise StateError("history", "is not a history this server wrote") from None
        return h


@dataclass(frozen=True)
class NetOutcome:
    code: str  # one of NET_OUTCOMES
    step: int  # the steps taken
    early_stop_step: int | None  # where the test loss was lowest (None: no test set)
    best_test_loss: float | None
    dead_units: int  # hidden ReLU units silent on every training point
    symmetric_layers: tuple[int, ...]  # hidden layers (from 0) whose units are all identical
    train_accuracy: float | None
    test_accuracy: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "step": self.step,
            "early_stop_step": self.early_stop_step,
            "best_test_loss": self.best_test_loss,
            "dead_units": self.dead_units,
            "symmetric_layers": list(self.symmetric_layers),
            "train_accuracy": self.train_accuracy,
            "test_accuracy": self.test_accuracy,
        }


def dead_units(spec: NetworkSpec, theta: np.ndarray, X: np.ndarray) -> list[int]:
    """Per hidden layer, how many ReLU units output 0 on every point of X."""
    if spec.activation != "relu" or not spec.hidden or len(X) == 0:
        return [0] * len(spec.hidden)
    return [int((~(a > 0).any(axis=0)).sum()) for a in hidden_outputs(spec, theta, X)]


def symmetric_layers(spec: NetworkSpec, theta: np.ndarray) -> tuple[int, ...]:
    """The hidden layers of ≥ 2 units whose units all have the same weights in and out."""
    layers = unpack(spec, theta)
    out = []
    for n, units in enumerate(spec.hidden):
        if units < 2:
            continue
        (w, b), (w_next, _) = layers[n], layers[n + 1]
        scale = SAME * (1.0 + max(float(np.abs(w).max()), float(np.abs(w_next).max())))
        # units 0 and 1 first: almost always they differ, and that settles it
        if abs(b[0] - b[1]) > scale or np.abs(w[0] - w[1]).max() > scale:
            continue
        rows = np.column_stack([w, b, w_next.T])  # one row per unit: in, bias, out
        if float(np.abs(rows - rows[0]).max()) <= scale:
            out.append(n)
    return tuple(out)


def decide(
    spec: NetworkSpec,
    theta: np.ndarray,
    x_train: np.ndarray,
    history: History,
    status: str,
) -> NetOutcome:
    train_accuracy, test_accuracy = history.accuracy
    dead = dead_units(spec, theta, x_train)
    symmetric = symmetric_layers(spec, theta)
    early = history.best_step if history.best_step is not None else None

    def outcome(code: str) -> NetOutcome:
        best = None if history.best_step is None else history.best_test
        return NetOutcome(
            code,
            history.last_step,
            early,
            best,
            sum(dead),
            symmetric,
            train_accuracy,
            test_accuracy,
        )

    if status == "diverged":
        return outcome("diverged")
    if spec.hidden and (
        any(d == u for d, u in zip(dead, spec.hidden, strict=True))
        or 2 * sum(dead) >= sum(spec.hidden)
    ):
        return outcome("dead_relu")
    if symmetric:
        return outcome("symmetric")
    recent = history.recent
    if (
        history.best_step is not None
        and history.last_test is not None
        and history.best_step < history.last_step
        and history.last_test >= history.best_test * (1 + RISE) + RISE_ABS
        and recent
        and recent[-1] < history.train_at_best
    ):
        return outcome("overfitting")
    if status == "converged":
        return outcome("converged")
    if len(recent) == WINDOW + 1 and recent[0] - recent[-1] <= FLAT * abs(recent[-1]) + FLAT_ABS:
        return outcome("converged")
    return outcome("still_improving")
