"""Bounded requests: a body larger than the limit is refused with 413 before anything parses
it, so one crafted request (a 22 MB list of runs, say) costs the worker nothing.

A pure ASGI layer: a declared Content-Length over the limit is answered at once, unread; a
body sent without one (chunked) is read here, at most up to the limit, and handed on. A path
may have a smaller limit of its own, refused naming its field (a CSV upload: ``data.csv``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _too_large(limit: int, field: str = "body", reason: str = "") -> bytes:
    # The one error shape (app/api/errors.py), written here: this layer runs outside FastAPI.
    reason = reason or f"at most {limit} bytes"
    return json.dumps(
        {
            "ok": False,
            "status": 413,
            "error": "Request body too large",
            "errors": [{"field": field, "reason": reason}],
        }
    ).encode()


class PathLimit:
    """A smaller limit for one path: its bytes, and the field and reason a refusal names."""

    def __init__(self, max_bytes: int, field: str, reason: str) -> None:
        self.max_bytes, self.field, self.reason = max_bytes, field, reason


class BodyLimit:
    def __init__(
        self, app: ASGIApp, max_bytes: int, paths: Mapping[str, PathLimit] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.paths = dict(paths or {})
        self.default = PathLimit(max_bytes, "body", "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.paths.get(scope["path"], self.default)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > limit.max_bytes:
                await self._refuse(send, limit)
                return
            await self.app(scope, receive, send)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b""):
            await self.app(scope, receive, send)
            return
        # Chunked: read it here, never past the limit, then replay it to the app.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit.max_bytes:
                await self._refuse(send, limit)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks)}]

        async def replayed() -> Message:
            return replay.pop() if replay else await receive()

        await self.app(scope, replayed, send)

    async def _refuse(self, send: Send, limit: PathLimit) -> None:
        body = _too_large(limit.max_bytes, limit.field, limit.reason)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
