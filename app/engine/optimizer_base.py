"""What an optimizer is: its hyperparameters (torch's names, defaults and checks), its
state buffers and its update rule; plus the hyperparameters many optimizers share.

The optimizers themselves, and the operation order they follow, are in
:mod:`app.engine.optimizers`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from .errors import HyperparameterError

Scale = Literal["log", "linear", "bool", "choice"]
Update = Callable[..., tuple[Any, tuple[Any, ...]]]


class Problem(Protocol):
    """The landscape as a whole-point rule sees it around one ball (vectors of length dim).

    ``evaluate(x)`` is torch's closure: the loss at x and the gradient the optimizer is
    given there (after the run's gradient noise, precision and clipping).  ``hessian(x)``
    is the exact dim x dim Hessian of f.
    """

    def evaluate(self, x: np.ndarray) -> tuple[float, np.ndarray]: ...

    def hessian(self, x: np.ndarray) -> np.ndarray: ...


# A whole-point rule (L-BFGS, Newton): ``step(problem, step, x, memory)`` for one ball at x
# returns (new x, new memory, closure evaluations used); memory is None before the first.
PointUpdate = Callable[[Problem, int, np.ndarray, Any], tuple[np.ndarray, Any, int]]


@dataclass(frozen=True)
class Hyperparameter:
    name: str
    label: str
    default: float | bool | tuple[float, ...]
    scale: Scale
    help: str
    min: float | None = None
    max: float | None = None
    invalid: str = ""  # torch's message stem, e.g. "Invalid learning rate"
    integer: bool = False  # a whole number (a step count, a seed)
    choices: tuple[str, ...] = ()  # the allowed values of a "choice"

    def check(self, value: Any) -> Any:
        if self.scale == "bool":
            if not isinstance(value, bool):
                raise HyperparameterError(self.name, f"must be true or false, not {value!r}")
            return value
        if self.scale == "choice":
            if value not in self.choices:
                raise HyperparameterError(
                    self.name, f"must be one of {', '.join(map(repr, self.choices))}, not {value!r}"
                )
            return value
        if isinstance(self.default, tuple):
            size = len(self.default)
            if not isinstance(value, list | tuple) or len(value) != size:
                raise HyperparameterError(self.name, f"must be a list of {size} numbers")
            return tuple(self._number(v, index=i) for i, v in enumerate(value))
        return self._number(value)

    def _number(self, value: Any, index: int | None = None) -> float | int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise HyperparameterError(self.name, f"must be a number, not {value!r}")
        value = float(value)
        stem = (self.invalid or f"Invalid {self.name}") + (
            "" if index is None else f" at index {index}"
        )
        if not math.isfinite(value):
            raise HyperparameterError(self.name, f"{stem}: {value} (not finite)")
        assert self.min is not None and self.max is not None
        if not self.min <= value <= self.max:
            raise HyperparameterError(
                self.name,
                f"{stem}: {value} (must be between {self.min} and {self.max})",
            )
        if self.integer:
            if value != int(value):
                raise HyperparameterError(self.name, f"{stem}: {value} (must be a whole number)")
            return int(value)
        return value


def checked_values(
    parameters: Sequence[Hyperparameter], given: Mapping[str, Any], owner: str, noun: str
) -> dict[str, Any]:
    """Every value of ``given`` checked and the rest at their defaults, for anything that
    takes a set of :class:`Hyperparameter` (an optimizer, a schedule, a surface, the run
    options).  An unknown name is refused, naming it and what ``owner`` has instead, e.g.
    "SGD has no hyperparameter 'momentm'; it has lr, momentum, ..."."""
    known = {h.name: h for h in parameters}
    for name in given:
        if not known:
            raise HyperparameterError(name, f"{owner} has no {noun}s")
        if name not in known:
            raise HyperparameterError(
                name, f"{owner} has no {noun} {name!r}; it has {', '.join(known)}"
            )
    return {n: h.check(given[n]) if n in given else h.default for n, h in known.items()}


@dataclass(frozen=True)
class Preset:
    id: str
    name: str
    hyperparameters: Mapping[str, Any]


@dataclass(frozen=True)
class Optimizer:
    id: str
    name: str
    hyperparameters: tuple[Hyperparameter, ...]
    buffers: tuple[str, ...]
    rule: Callable[[Mapping[str, Any]], Update]
    formula: str
    nonnegative_buffers: frozenset[str] = frozenset()
    presets: tuple[Preset, ...] = ()
    cross_check: Callable[[Mapping[str, Any]], None] | None = field(default=None, repr=False)
    # How weight_decay acts: "l2" adds λ·x to the gradient (the optimizer then descends
    # f + (λ/2)·‖x‖²), "decoupled" shrinks x outside the gradient (AdamW); None: no decay.
    weight_decay: Literal["l2", "decoupled"] | None = None
    # Where the picker lists it: plain gradient steps ("classic"), per-coordinate step sizes
    # from gradient statistics ("adaptive"), curvature ("second-order"), noise ("stochastic").
    group: Literal["classic", "adaptive", "second-order", "stochastic"] = "adaptive"
    # "coordinate": ``rule(hp)`` returns an :data:`Update` applied to each coordinate;
    # "point": it returns a :data:`PointUpdate` applied to each ball's whole position, whose
    # memory ``memory_to_json`` / ``memory_from_json(raw, dim)`` turn into torch's state keys
    # (``buffers``) and back (the latter raising StateError naming the key).
    kind: Literal["coordinate", "point"] = "coordinate"
    # A coordinate rule that draws its own noise (SGLD) is called as
    # ``update(xp, step, p, g, buffers, z)`` with z ~ N(0, 1) from the run's seed.
    draws_noise: bool = False
    memory_to_json: Callable[[Any], dict[str, Any]] | None = field(default=None, repr=False)
    memory_from_json: Callable[[Mapping[str, Any], int], Any] | None = field(
        default=None, repr=False
    )

    def validate(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """torch's defaults for what is left out; every value checked, naming the field."""
        values = checked_values(self.hyperparameters, given, self.name, "hyperparameter")
        if self.cross_check is not None:
            self.cross_check(values)
        return values

    def empty_buffers(self) -> tuple[None, ...]:
        return (None,) * len(self.buffers)


def lerp(a: Any, b: Any, w: float) -> Any:
    """torch.lerp's CPU formula, which switches form at weight 0.5 for accuracy."""
    if abs(w) < 0.5:
        return a + w * (b - a)
    return b - (b - a) * (1.0 - w)


def signed_and_decayed(
    p: Any, g: Any, maximize: bool, weight_decay: float, decoupled_factor: float | None = None
) -> tuple[Any, Any]:
    """The first lines of torch's every step: ``maximize`` negates the gradient (ascent);
    weight decay either adds ``weight_decay·p`` to it (L2, coupled) or, when a
    ``decoupled_factor`` (torch's ``1 − lr·weight_decay``) is given, shrinks ``p`` by it.
    """
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled_factor is None:
            g = g + weight_decay * p
        else:
            p = p * decoupled_factor
    return p, g


# --- shared hyperparameters ----------------------------------------------------------------


def learning_rate(default: float) -> Hyperparameter:
    return Hyperparameter(
        "lr",
        "Learning rate",
        default,
        "log",
        "Step size: how far each update moves.",
        0.0,
        100.0,
        "Invalid learning rate",
    )


WEIGHT_DECAY = Hyperparameter(
    "weight_decay",
    "Weight decay",
    0.0,
    "log",
    "L2 penalty: adds weight_decay·x to the gradient, pulling the ball toward 0.",
    0.0,
    10.0,
    "Invalid weight_decay value",
)
MAXIMIZE = Hyperparameter(
    "maximize", "Maximize", False, "bool", "Climb instead of descend (gradient ascent)."
)


def epsilon(default: float) -> Hyperparameter:
    return Hyperparameter(
        "eps",
        "Epsilon",
        default,
        "log",
        "Added to the denominator so it is never zero.",
        0.0,
        1.0,
        "Invalid epsilon value",
    )


def betas(default: tuple[float, float], help: str) -> Hyperparameter:
    # torch checks 0 <= beta < 1 for each; the slider stops just short of 1.
    return Hyperparameter(
        "betas", "Betas (β₁, β₂)", default, "linear", help, 0.0, 0.9999, "Invalid beta parameter"
    )


DECOUPLED_WEIGHT_DECAY = Hyperparameter(
    "decoupled_weight_decay",
    "Decoupled weight decay",
    False,
    "bool",
    "Apply weight decay AdamW's way: shrink x by the factor (1 − lr·weight_decay) each step, "
    "instead of adding weight_decay·x to the gradient (where the adaptive scaling would "
    "weaken it).",
)
