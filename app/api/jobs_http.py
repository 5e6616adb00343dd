"""A checked job (map_jobs.py) answered over HTTP — the one way every computed-in-chunks
answer is served: the maps (/api/maps/*) and a network's landscape views
(/api/networks/views).

Each job is computed once for every identical request and then answered from the result
cache or with 304 (once.py), in a thread of its own with progress and cancel
(map_jobs.py); here it is answered as JSON once ready, or streamed as Server-Sent Events:
`progress` (MapProgressEvent) every TICK_S, then `result` (the JSON answer) or `error` (the
422 body of a job stopped for running too long).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Request, Response
from sse_starlette import EventSourceResponse

from ..settings import Settings
from .errors import retry_later
from .map_jobs import TICK_S, MapJob, admit, compute
from .once import Answer, Flight, Once, Produce, answer
from .openapi import document_sse
from .schemas.common import ErrorOut
from .schemas.maps import MapProgressEvent
from .service import json_bytes

ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorOut, "description": "Invalid input"},
    503: retry_later(
        "The worker's queue of maps and network views is full: try again after Retry-After"
    ),
}


def stream_doc(what: str) -> str:
    """The description of a job's stream (``what``: "map", "view" …)."""
    return (
        "Server-Sent Events: `progress` events (MapProgressEvent) about five times a second, "
        "then one `result` event whose data is the JSON answer of the endpoint without "
        f"`/stream` — or, for a {what} still computing after twice "
        "DESCENT_LAB_MAP_MAX_SECONDS, an `error` event with the 422 error body."
    )


def document_stream(openapi: dict[str, Any], path: str, result: Any, what: str) -> None:
    """Describe a job stream's events (progress, then the result or the error)."""
    events: dict[str, Any] = {"progress": MapProgressEvent, "result": result, "error": ErrorOut}
    document_sse(openapi, path, "post", events, stream_doc(what))


def _produce(job: MapJob, metrics: dict[str, int], settings: Settings) -> Produce:
    """The job's computation, for its flight: progress reported, the answer's bytes."""

    async def produce(flight: Flight) -> bytes:
        def report(done: int, waiting: bool) -> None:
            flight.report(done=done, waiting=waiting)

        return json_bytes(await compute(job, metrics, settings, report))

    return produce


def _admit(metrics: dict[str, int], settings: Settings) -> Callable[[], None]:
    return lambda: admit(metrics, settings)


async def answer_job(request: Request, kind: str, job: MapJob, settings: Settings) -> Response:
    """The JSON form: the answer once it is ready (see once.py)."""
    metrics: dict[str, int] = request.app.state.metrics
    produce, admitting = _produce(job, metrics, settings), _admit(metrics, settings)
    return await answer(request, kind, job.canonical, produce, admitting)


def _event(kind: str, data: bytes) -> bytes:
    return b"event: %s\ndata: %s\n\n" % (kind.encode(), data)


def _last(done: Answer) -> bytes:
    """The stream's last event: the result, or (too long) the 422 error body."""
    return _event("result" if done.status == 200 else "error", done.body)


async def _events(once: Once, flight: Flight, total: int) -> AsyncIterator[bytes]:
    try:
        while True:
            progress = MapProgressEvent(
                done=flight.progress.get("done", 0),
                total=total,
                waiting=flight.progress.get("waiting", False),
            )
            yield _event("progress", progress.model_dump_json().encode())
            if await flight.wait(TICK_S):
                break
        yield _last(flight.result())
    finally:
        once.leave(flight)


async def stream_job(request: Request, kind: str, job: MapJob, settings: Settings) -> Response:
    """The streamed form: progress (the shared computation's), then the result."""
    metrics: dict[str, int] = request.app.state.metrics
    once: Once = request.app.state.once
    key = once.key(kind, job.canonical)
    if (cached := await once.cached(key)) is not None:  # the whole stream at once
        return Response(_last(cached), media_type="text/event-stream")
    flight = once.join(key, _produce(job, metrics, settings), _admit(metrics, settings))
    return EventSourceResponse(_events(once, flight, job.total), sep="\n")
