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
# the events after which a stream ends
END = (b"event: closed\n", b"event: closing\n")


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
            inbox: asyncio.Queue[bytes | None] = asyncio.Queue()
            # Two helpers feed one queue, so the stream waits on one thing per event: a race
            # of waits per event (asyncio.wait) cost ten times as much across 300 streams.
            helpers = [
                asyncio.create_task(_pump(messages, inbox)),
                asyncio.create_task(_watch(until, closing, inbox)),
            ]
            try:
                while (message := await inbox.get()) is not None:
                    yield message
                    if message.startswith(END):
                        return
            finally:
                for task in helpers:
                    task.cancel()
            # None: the subscriber fell behind (Overrun): subscribe again, from the state


async def _pump(messages: AsyncIterator[bytes], inbox: asyncio.Queue[bytes | None]) -> None:
    """The channel's messages into the stream's inbox; None when it fell behind."""
    try:
        async for message in messages:
            inbox.put_nowait(message)
    except Overrun:
        inbox.put_nowait(None)


async def _watch(until: float, closing: anyio.Event, inbox: asyncio.Queue[bytes | None]) -> None:
    """The stream's last event into its inbox: on the server's shutdown, or when the class's
    time is up."""
    try:
        async with asyncio.timeout(max(until - time.time(), 0)):
            await closing.wait()
        reason = "the server is shutting down"
        inbox.put_nowait(frame("closing", {"reason": reason, "retry_after": RETRY_AFTER_S}))
    except TimeoutError:
        inbox.put_nowait(frame("closed", {"reason": "the class's time is up"}))
