"""POST /api/runs/export: a run's answer with what it takes to replay it."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, JsonValue, StringConstraints

from .common import MinimumOut
from .runs import RunResult, RunsRequest


class RunsExportRequest(RunsRequest):
    """POST /api/runs' body, and what the page calls each run."""

    names: list[Annotated[str, StringConstraints(min_length=1, max_length=120)]] | None = Field(
        None,
        description="One name per run, as the page shows it (e.g. `Gradient descent, batch "
        "size 1`), for the HTML replay's captions and legend; left out, a run is named by "
        "its optimizer (SGD's preset when its settings are the preset's).",
    )


class ExportSurface(BaseModel):
    """The surface a run used, as bound to its parameters: enough to redraw and replay it."""

    id: str
    name: str
    formula: str
    domain: list[list[float]]
    parameters: dict[str, float] = Field(description="The surface parameters' values.")
    minima: list[MinimumOut]


class ExportContext(BaseModel):
    """What a run was, beyond its request: the surface it used and every hyperparameter's
    value (torch's defaults filled in)."""

    name: str = Field(description="The run's name: the request's `names`, or its optimizer's.")
    surface: ExportSurface
    optimizer: str = Field(description="The optimizer's name, e.g. `Adam`.")
    hyperparameters: dict[str, JsonValue]


class ExportApp(BaseModel):
    name: str
    version: str


class RunsExport(BaseModel):
    """POST /api/runs/export?format=json: the POST /api/runs response (`runs`) with what it
    takes to replay it: the request, the app's version and each run's context."""

    app: ExportApp
    request: RunsRequest
    context: list[ExportContext] = Field(description="One per run, in the request's order.")
    runs: list[RunResult]
