"""Input the engine refuses, naming the offending field so callers can point at it."""

from __future__ import annotations


class FieldError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class HyperparameterError(FieldError):
    """A hyperparameter value torch would reject (or that is out of the product's range)."""

    @property
    def name(self) -> str:
        return self.field


class StateError(FieldError):
    """A resume state that does not fit the run it is meant to continue."""
