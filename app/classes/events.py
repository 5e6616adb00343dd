"""A class's events: Server-Sent Event frames, published on the class's channels and relayed
to each page's stream.

Each event is framed once, where it happens, and published as the bytes every stream sends:
on ``class:{code}`` (every student) and ``class:{code}:teacher``; the teacher's channel
gets the students' events too, and its own (``joined``, ``tally``, ``run``). A stream
subscribes, then reads the class's state and sends it as its first event (``state``), then
relays what is published: so nothing published after the state was read is missed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
from pydantic_core import to_json

from ..store import Overrun, Store

RETRY_AFTER_S = 2  # what a stream closed by a shutdown tells the page to wait
CLOSED = b"event: closed\n"


def frame(event: str, data: Any) -> bytes:
    """One SSE event: compact JSON has no line breaks, so it is one `data:` line."""
    return b"event: %s\ndata: %s\n\n" % (event.encode(), to_json(data, inf_nan_mode="null"))


def everyone(code: str) -> str:
    return f"class:{code}"


def teacher(code: str) -> str:
    return f"class:{code}:teacher"


async def relay(
    store: Store,
    channel: str,
    state: Callable[[], Awaitable[bytes | None]],
    until: float,
    closing: anyio.Event,
) -> AsyncIterator[bytes]:
    """The events of a stream on ``channel``: ``state()`` first (None: the class is gone),
    then what is published, until a `closed` event, the class's end (``until``, epoch
    seconds) or the server's shutdown (``closing``: a last `closing` event). A stream that
    fell behind (Overrun) starts again from the state."""
    while True:
        async with store.subscribe(channel) as messages:
            first = await state()
            if first is None:
                yield frame("closed", {"reason": "the class has ended"})
                return
            yield first
            try:
                async for message in _until(messages, until, closing):
                    yield message
                    if message.startswith(CLOSED):
                        return
                return
            except Overrun:
                continue


async def _until(
    messages: AsyncIterator[bytes], until: float, closing: anyio.Event
) -> AsyncIterator[bytes]:
    """``messages``, ended by the class's end or the server's shutdown (each with its last
    event). The next message is awaited as a task of its own: a timeout must not cancel the
    subscription's iterator mid-wait."""
    following = asyncio.ensure_future(anext(messages))
    shutdown = asyncio.ensure_future(closing.wait())
    try:
        while True:
            left = until - time.time()
            done, _ = await asyncio.wait(
                {following, shutdown}, timeout=max(left, 0), return_when=asyncio.FIRST_COMPLETED
            )
            if shutdown in done:
                reason = "the server is shutting down"
                yield frame("closing", {"reason": reason, "retry_after": RETRY_AFTER_S})
                return
            if following in done:
                yield following.result()
                following = asyncio.ensure_future(anext(messages))
            else:  # the class's time is up
                yield frame("closed", {"reason": "the class's time is up"})
                return
    finally:
        following.cancel()
        shutdown.cancel()
