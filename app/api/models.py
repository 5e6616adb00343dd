"""Landscapes from data: the models and data sets on offer, and one model landscape with all
a page needs to draw it (POST /api/surfaces/model).

The surface is the one a run, stream or map with the same ``{"model", "loss", "data",
"dim"}`` uses (``surface_requests.data_surface``, cached by the engine), described by the catalog's
own builders, with its model, loss, points and grid.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from ..engine.surfaces.models import DATASETS, LOSSES, MODELS, Dataset, Model
from ..engine.surfaces.models.losses import FIXED
from .catalog import grid_json, surface_out
from .once import Flight, answer
from .schemas.common import ErrorOut
from .schemas.models import DatasetOut, LossOut, ModelOut, ModelRequest, ModelSurfaceOut
from .service import json_bytes
from .surface_requests import data_surface

router = APIRouter(prefix="/api", tags=["catalog"])


def loss_out(loss: str) -> LossOut:
    name, formula = LOSSES[loss]
    return LossOut(id=loss, name=name, formula=formula)


def model_out(model: Model) -> ModelOut:
    return ModelOut(
        id=model.id,
        name=model.name,
        prediction=model.prediction,
        weights=list(model.weights),
        fixed=FIXED[model.id],
        losses=[loss_out(loss) for loss in model.losses],
        description=model.description,
    )


def dataset_out(data: Dataset) -> DatasetOut:
    return DatasetOut(
        id=data.id,
        name=data.name,
        kind=data.kind,
        description=data.description,
        x=data.x.tolist(),
        y=data.y.tolist(),
    )


@router.get("/models", response_model=list[ModelOut])
async def list_models() -> Response:
    """The models a landscape can be made of, with the losses each takes."""
    return Response(_models_json(), media_type="application/json")


@cache
def _models_json() -> bytes:
    return json_bytes([model_out(m).model_dump(mode="json") for m in MODELS.values()])


@router.get("/datasets", response_model=list[DatasetOut])
async def list_datasets() -> Response:
    """The built-in data sets, drawn once from a fixed seed (tools/make_datasets.py)."""
    return Response(_datasets_json(), media_type="application/json")


@cache
def _datasets_json() -> bytes:
    return json_bytes([dataset_out(d).model_dump(mode="json") for d in DATASETS.values()])


@router.post(
    "/surfaces/model",
    response_model=ModelSurfaceOut,
    responses={422: {"model": ErrorOut, "description": "The model, loss or data is refused"}},
)
async def model_landscape(body: ModelRequest, request: Request) -> Response:
    """A model's loss on a data set as a landscape: its surface (id, formula, domain, start,
    minima — least squares from the normal equations — suggested learning rates, and
    `no_minimum` where there is none), the model, the loss, the points and f sampled on
    the pages' grid.  A refusal is a 422 naming the field (`loss`, `data.x.3` …)."""

    async def produce(flight: Flight) -> bytes:
        return await run_in_threadpool(_landscape, body)

    return await answer(request, "model", body.model_dump(mode="json"), produce)


def _landscape(body: ModelRequest) -> bytes:
    surface = data_surface(body)
    spec = surface.model
    data = spec.dataset()
    out: dict[str, Any] = {
        **surface_out(surface).model_dump(mode="json"),
        "model": model_out(MODELS[spec.model]).model_dump(mode="json"),
        "loss": loss_out(spec.loss).model_dump(mode="json"),
        "data": dataset_out(data).model_dump(mode="json"),
        "request": spec.to_json(),
        "grid": grid_json(surface),
    }
    return json_bytes(out)
