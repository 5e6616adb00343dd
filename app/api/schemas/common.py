"""What every area shares: the strict input base, the outcome words, a minimum, and the
one error shape of every 4xx."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ...engine.run.outcome import OUTCOMES
from ...engine.surfaces import Minimum

OutcomeKind = Literal[OUTCOMES]  # type: ignore[valid-type]


class Input(BaseModel):
    """Every request model: unknown fields, non-finite numbers and coercion refused."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


class MinimumOut(BaseModel):
    position: list[float]
    value: float
    kind: Literal["global", "local"]


def minimum_json(m: Minimum) -> dict[str, Any]:
    """A minimum as MinimumOut's fields, for every answer that lists one."""
    return {"position": list(m.position), "value": m.value, "kind": m.kind}


class ErrorDetail(BaseModel):
    field: str
    reason: str


class ErrorOut(BaseModel):
    ok: Literal[False] = False
    status: int
    error: str
    errors: list[ErrorDetail]
