"""GET /api/models, /api/datasets and POST /api/surfaces/model: a small model's loss on
data as a surface."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag

from ...engine.surfaces.models import DATASETS, LOSSES, MAX_POINTS, MAX_VALUE, MODELS
from .catalog import GridOut, SurfaceOut
from .common import Input


class DataPoints(Input):
    """Points (x, y) for a model to fit: y a number, or a class label 0 or 1 for
    cross-entropy."""

    x: list[float] = Field(max_length=MAX_POINTS, description=f"Inputs, within ±{MAX_VALUE:g}.")
    y: list[float] = Field(
        max_length=MAX_POINTS, description="One answer per input, in the same order."
    )


def _data_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "str"
    return "DataPoints" if isinstance(value, dict | DataPoints) else None


DataChoice = Annotated[
    Annotated[str, Tag("str")] | Annotated[DataPoints, Tag("DataPoints")],
    Discriminator(
        _data_kind,
        custom_error_type="data_type",
        custom_error_message='must be a data set id or {"x": [...], "y": [...]}',
    ),
]


class ModelRequest(Input):
    """A small model's loss on a data set, over its weights (app/engine/surfaces/models/)."""

    model: str = Field(
        description="One of " + ", ".join(f"`{m}` ({MODELS[m].prediction})" for m in MODELS) + ".",
        examples=["linear"],
    )
    loss: str | None = Field(
        None,
        description="One of "
        + ", ".join(f"`{k}` ({name.lower()})" for k, (name, _) in LOSSES.items())
        + " that the model takes; left out, the model's usual one (linear: `mse`, "
        "logistic: `bce`, tanh_net: `mse`).",
        examples=["mse"],
    )
    data: DataChoice = Field(
        description="A built-in data set's id (GET /api/datasets: "
        + ", ".join(f"`{d}`" for d in DATASETS)
        + f"), or the points as `{{x: [...], y: [...]}}`, at most {MAX_POINTS}.",
        examples=["outlier"],
    )
    dim: Literal[1, 2] = Field(
        2,
        description="2: the coordinates are both weights, (w, b) or the network's (w₁, w₂); "
        "1: the first weight only, with b = 0 (the network: w₂ = 1).",
    )


class DatasetOut(BaseModel):
    """A built-in data set (drawn once from a fixed seed, shipped as data)."""

    id: str
    name: str
    kind: Literal["regression", "classes"] = Field(
        description="`regression`: y is a number; `classes`: y is a class label, 0 or 1."
    )
    description: str
    x: list[float]
    y: list[float]


class LossOut(BaseModel):
    id: str
    name: str
    formula: str = Field(description="As a mean over the points, in ŷ (or p) and y.")


class ModelOut(BaseModel):
    """A model a landscape can be made of (GET /api/models)."""

    id: str
    name: str
    prediction: str = Field(description="The model, e.g. `ŷ = w·x + b`.")
    weights: list[str] = Field(description="The coordinates' names, in order.")
    fixed: float = Field(description="The second weight's value on a one-weight (1D) landscape.")
    losses: list[LossOut] = Field(description="The losses it takes, its usual one first.")
    description: str


class ModelSurfaceOut(SurfaceOut):
    """A model landscape, as GET /api/surfaces lists a built-in one, with its model, its
    data and its grid as GET /api/surfaces/{id}/grid samples it."""

    model: ModelOut
    loss: LossOut
    data: DatasetOut = Field(description="The points (`id` empty for points given).")
    request: ModelRequest = Field(
        description="The surface as runs, streams and maps take it (`loss` filled in)."
    )
    grid: GridOut
