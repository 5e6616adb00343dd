"""A class's event stream in process, on the in-memory store: what a reader too slow for the
class's channel gets. (In process, so in the parallel tier: the serial tier's browser tests
leave an event loop running in their process, where asyncio.run cannot start another.)"""

from __future__ import annotations

import asyncio
import time

import anyio

from app.classes.events import INBOX, frame, relay
from app.store.memory import QUEUE, MemoryStore


def test_a_stream_that_falls_behind_starts_again_from_the_state():
    """A reader too slow for the channel (its backlog full) is not fed a backlog: the next
    event it gets is a fresh `state`, then it follows again."""

    async def scenario():
        store = MemoryStore()
        states = iter(range(100))

        async def state():
            return frame("state", {"n": next(states)})

        events = relay(store, "c", state, time.time() + 60, anyio.Event())
        assert await anext(events) == frame("state", {"n": 0})
        following = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0)
        for step in range(QUEUE * 3):  # far more than a subscriber may fall behind
            await store.publish("c", frame("control", {"step": step}))
            await asyncio.sleep(0)  # the stream's own helpers run, its reader does not
        seen = [await following]
        while not seen[-1].startswith(b"event: state"):
            seen.append(await anext(events))
        assert len(seen) <= QUEUE + INBOX + 1 and seen[-1] == frame("state", {"n": 1})
        await store.publish("c", frame("control", {"step": -1}))
        assert await anext(events) == frame("control", {"step": -1})
        await events.aclose()

    asyncio.run(scenario())
