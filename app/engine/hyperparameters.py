"""A setting with torch's name, default, range and check: an optimizer's hyperparameter, a
schedule's or a surface's parameter, or a run option.  :func:`checked_values` checks a set
of them at once, naming the field that is wrong."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .errors import HyperparameterError

Scale = Literal["log", "linear", "bool", "choice"]


@dataclass(frozen=True)
class Hyperparameter:
    name: str
    label: str
    default: float | bool | str | tuple[float, ...]
    scale: Scale
    help: str
    min: float | None = None
    max: float | None = None
    invalid: str = ""  # torch's message stem, e.g. "Invalid learning rate"
    # a tuple whose entries torch checks with a message each (Adafactor's "epsilon1 …",
    # "epsilon2 …"): their stems, in place of "{invalid} at index i"
    invalid_each: tuple[str, ...] = ()
    integer: bool = False  # a whole number (a step count, a seed)
    choices: tuple[str, ...] = ()  # the allowed values of a "choice"
    powers_of_two: bool = False  # only 1, 2, 4, 8 … (a loss scale, as GradScaler keeps it)

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
        number = float(value)
        if index is not None and self.invalid_each:
            stem = self.invalid_each[index]
        else:
            stem = (self.invalid or f"Invalid {self.name}") + (
                "" if index is None else f" at index {index}"
            )
        if not math.isfinite(number):
            raise HyperparameterError(self.name, f"{stem}: {number} (not finite)")
        assert self.min is not None and self.max is not None
        if not self.min <= number <= self.max:
            raise HyperparameterError(
                self.name,
                f"{stem}: {number} (must be between {self.min} and {self.max})",
            )
        if self.powers_of_two and math.frexp(number)[0] != 0.5:
            raise HyperparameterError(self.name, f"{stem}: {number} (must be a power of two)")
        if self.integer:
            if number != int(number):
                raise HyperparameterError(self.name, f"{stem}: {number} (must be a whole number)")
            return int(number)
        return number


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
