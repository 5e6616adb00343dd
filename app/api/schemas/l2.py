"""POST /api/surfaces/l2: where coupled weight decay moves a surface's lowest point."""

from __future__ import annotations

from pydantic import BaseModel, Field, JsonValue

from ...engine.optimizers.shared import WEIGHT_DECAY
from .common import Input, MinimumOut
from .runs import SurfaceChoice


class L2Request(Input):
    """A surface, as a run names it, and the weight decay λ of an optimizer that adds λ·x
    to the gradient (and so descends f + (λ/2)·‖x‖²)."""

    surface: SurfaceChoice = Field(
        description="Surface id, typed formula or model on data, as a run's `surface`.",
        examples=["roll_downhill"],
    )
    surface_parameters: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="Values for the surface's parameters, as a run's `surface_parameters`.",
        examples=[{"kappa": 50}],
    )
    weight_decay: float = Field(
        gt=0,
        le=WEIGHT_DECAY.max,
        description="λ, as the optimizers' `weight_decay` takes it (above 0).",
        examples=[1.0],
    )


class L2Out(BaseModel):
    weight_decay: float
    lowest: MinimumOut | None = Field(
        description="The global minimum of f + (λ/2)·‖x‖² on the surface's domain (`value` "
        "includes the penalty); null where there is none the engine can verify there (the "
        "pull toward 0 too weak to hold it inside, or at the kinks of an absolute error)."
    )
