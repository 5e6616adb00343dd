"""POST /api/runs: whole runs at once (GET /api/stream, in stream.py, sends them step by step)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from ..settings import Settings, app_settings
from .schemas import ErrorOut, RunsRequest, RunsResponse
from .service import execute, json_bytes, prepare_runs

router = APIRouter(prefix="/api", tags=["runs"])

ERRORS: dict[int | str, dict[str, Any]] = {422: {"model": ErrorOut, "description": "Invalid input"}}


@router.post("/runs", response_model=RunsResponse, responses=ERRORS)
def create_runs(
    body: RunsRequest, settings: Annotated[Settings, Depends(app_settings)]
) -> Response:
    """Run each optimizer on its surface and return every step at once."""
    prepared = prepare_runs(body.runs, settings)
    # Encoded directly: a thousand steps are trusted engine output, not worth re-validating.
    return Response(
        json_bytes({"runs": [execute(p) for p in prepared]}), media_type="application/json"
    )
