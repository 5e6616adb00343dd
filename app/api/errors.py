"""One JSON error shape for every 4xx.

{"ok": false, "status": 422, "error": "Invalid input",
 "errors": [{"field": "runs.0.hyperparameters.lr", "reason": "..."}]}
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..store import StoreUnavailable
from .schemas.common import ErrorOut

log = logging.getLogger(__name__)


class InputError(Exception):
    """Bad input found after schema validation (unknown id, out-of-range value, ...)."""

    def __init__(self, errors: Sequence[tuple[str, str]], status: int = 422) -> None:
        super().__init__("; ".join(f"{f}: {r}" for f, r in errors))
        self.errors = list(errors)
        self.status = status


def retry_later(description: str) -> dict[str, Any]:
    """The OpenAPI entry of a 503 that tells the client when to come back (Retry-After)."""
    return {
        "model": ErrorOut,
        "description": description,
        "headers": {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        },
    }


def error_body(status: int, error: str, errors: Iterable[tuple[str, str]] = ()) -> dict[str, Any]:
    return {
        "ok": False,
        "status": status,
        "error": error,
        "errors": [{"field": f, "reason": r} for f, r in errors],
    }


def pydantic_errors(
    errors: Iterable[Any], prefix: Sequence[str | int] = ()
) -> list[tuple[str, str]]:
    """pydantic/FastAPI error dicts -> (dotted field path, readable reason)."""
    out = []
    for e in errors:
        if e.get("type") == "json_invalid":
            where = "".join(f" at position {p}" for p in e.get("loc", ())[1:])
            error = e.get("ctx", {}).get("error", e.get("msg"))
            out.append(("body", f"malformed JSON{where}: {error}"))
            continue
        loc = list(e.get("loc", ()))
        if loc and loc[0] in {"body", "query", "path", "header", "cookie"}:
            loc = loc[1:]
        loc = [*prefix, *(p for p in loc if not _is_union_tag(p))]
        out.append((".".join(str(p) for p in loc) or "body", e.get("msg", "invalid")))
    return out


def _is_union_tag(part: str | int) -> bool:
    # pydantic names the member of a union it tried ("float", "list[...]", a model by its
    # class name, or a tag: "FormulaRequest" in schemas.runs.SurfaceChoice): not a field.
    return isinstance(part, str) and (
        part
        in {"float", "int", "str", "bool", "none", "FormulaRequest", "ModelRequest", "DataPoints"}
        or "[" in part
        or part.startswith("function-")
    )


def unreadable_body(exc: StarletteHTTPException) -> str | None:
    """Why a JSON body could not be read, when that is FastAPI's 400: bytes that do not
    decode, or arrays nested past the parser's depth.  Either is malformed JSON, refused like
    any other (422, field ``body``) rather than as a 400 with no reason."""
    cause = exc.__cause__
    if exc.status_code != 400:
        return None
    if isinstance(cause, UnicodeDecodeError):
        return (
            f"malformed JSON: cannot be decoded as {cause.encoding} "
            f"({cause.reason} at byte {cause.start})"
        )
    if isinstance(cause, RecursionError):
        return "malformed JSON: nested too deeply"
    return None


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = pydantic_errors(exc.errors())
        return JSONResponse(error_body(422, "Invalid input", errors), status_code=422)

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse(error_body(exc.status, "Invalid input", exc.errors), exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if (reason := unreadable_body(exc)) is not None:
            return JSONResponse(error_body(422, "Invalid input", [("body", reason)]), 422)
        return JSONResponse(
            error_body(exc.status_code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(StoreUnavailable)
    async def _store(request: Request, exc: StoreUnavailable) -> JSONResponse:
        # Redis (DESCENT_LAB_REDIS_URL) went away: the log names it, the client may retry
        log.error("%s %s: %s", request.method, request.url.path, exc)
        error = "The shared store did not answer: try again in a moment"
        return JSONResponse(error_body(503, error), 503, headers={"Retry-After": "5"})
