"""Conditional GET for the pages and the API's JSON: an ETag, and 304 Not Modified on a match.

A repeat visit to the explorer fetched the same 100 KB again: the landscape's grid and the
catalogs, which change only with a deploy. Each such answer now carries a weak ETag (a hash of
its body; weak because the gzip layer outside re-encodes it) and `Cache-Control: no-cache`, so
the browser keeps it and asks again with If-None-Match: the answer is still computed, but an
unchanged one crosses the network as a bodiless 304. Never stale: a new deploy that changes an
answer changes its tag.

Only whole answers of a GET are buffered: JSON and HTML. Streams (text/event-stream), files
(static assets, which StaticFiles tags itself) and answers that carry their own ETag (the
result cache's, app/api/once.py, which answers 304 before computing anything) pass through
untouched.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TAGGED_TYPES = ("application/json", "text/html")


def etag(body: bytes) -> str:
    return 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str, tag: str) -> bool:
    """If-None-Match's weak comparison: any listed tag equal to `tag` once W/ is dropped."""
    if if_none_match.strip() == "*":
        return True
    bare = tag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") == bare for t in if_none_match.split(","))


class ConditionalGet:
    """Pure ASGI middleware: ETags on GET answers (JSON, HTML) and 304s for matching ones."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        if_none_match = Headers(scope=scope).get("if-none-match")
        start: Message | None = None
        body: list[bytes] = []

        async def tagging_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = Headers(raw=message["headers"])
                content_type = headers.get("content-type", "")
                tagged = message["status"] == 200 and "etag" not in headers
                if tagged and content_type.startswith(TAGGED_TYPES):
                    start = message  # held until the whole body is here
                    return
            elif start is not None and message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await send_tagged(start, b"".join(body))
                return
            await send(message)

        async def send_tagged(start: Message, content: bytes) -> None:
            tag = etag(content)
            headers = MutableHeaders(scope=start)
            headers["ETag"] = tag
            headers.setdefault("Cache-Control", "no-cache")
            if if_none_match is not None and matches(if_none_match, tag):
                del headers["content-length"]
                del headers["content-type"]
                await send({**start, "status": 304})
                await send({"type": "http.response.body", "body": b""})
                return
            await send(start)
            await send({"type": "http.response.body", "body": content})

        await self.app(scope, receive, tagging_send)
