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
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
from pydantic_core import to_json

from ..store import Overrun, Store

RETRY_AFTER_S = 2  # what a stream closed by a shutdown tells the page to wait
INBOX = 64  # messages a stream holds beyond its subscription's own queue
WAKE = b""  # wakes a waiting stream to send its last event
# the events after which a stream ends
END = (b"event: closed\n", b"event: closing\n")


def frame(event: str, data: Any) -> bytes:
    """One SSE event: compact JSON has no line breaks, so it is one `data:` line."""
    return b"event: %s\ndata: %s\n\n" % (event.encode(), to_json(data, inf_nan_mode="null"))


def everyone(code: str) -> str:
    return f"class:{code}"


def teacher(code: str) -> str:
    return f"class:{code}:teacher"


class _Inbox:
    """What a stream sends next: the channel's messages (a bounded queue, so a slow reader's
    backlog stays in the store's subscription, which drops it: Overrun), and its last event
    (shutdown, time up), which goes before anything still queued."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(INBOX)
        self.last: bytes | None = None

    def end(self, event: bytes) -> None:
        self.last = event
        with contextlib.suppress(asyncio.QueueFull):  # full: the stream is not waiting
            self.queue.put_nowait(WAKE)


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
            inbox = _Inbox()
            # Two helpers feed one inbox, so the stream waits on one thing per event: a race
            # of waits per event (asyncio.wait) cost ten times as much across 300 streams.
            helpers = [
                asyncio.create_task(_pump(messages, inbox)),
                asyncio.create_task(_watch(until, closing, inbox)),
            ]
            try:
                while inbox.last is None:
                    message = await inbox.queue.get()
                    if message is None:  # fell behind: subscribe again, from the state
                        break
                    if message is WAKE:
                        continue
                    yield message
                    if message.startswith(END):
                        return
                else:
                    yield inbox.last
                    return
            finally:
                for task in helpers:
                    task.cancel()


async def _pump(messages: AsyncIterator[bytes], inbox: _Inbox) -> None:
    """The channel's messages into the stream's inbox; None when it fell behind."""
    try:
        async for message in messages:
            await inbox.queue.put(message)
    except Overrun:
        await inbox.queue.put(None)


async def _watch(until: float, closing: anyio.Event, inbox: _Inbox) -> None:
    """The stream's last event: on the server's shutdown, or when the class's time is up."""
    try:
        async with asyncio.timeout(max(until - time.time(), 0)):
            await closing.wait()
        reason = "the server is shutting down"
        inbox.end(frame("closing", {"reason": reason, "retry_after": RETRY_AFTER_S}))
    except TimeoutError:
        inbox.end(frame("closed", {"reason": "the class's time is up"}))
