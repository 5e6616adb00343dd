"""The store in this process's memory: the default for one worker (see __init__.py).

Every operation runs on the event loop without awaiting anything, so each is atomic as it is
in Redis. Expired keys are dropped when touched and, so that keys nobody touches again do not
pile up, in a sweep every ``SWEEP_EVERY`` writes. Values under ``cache:`` (answers that can be
computed again, see __init__.py) are held to ``cache_bytes`` in all: past it the least
recently used go first, and a value larger than the whole bound is not kept at all.

>>> import asyncio
>>> async def demo():
...     store = MemoryStore()
...     await store.set("a", b"1", ttl=60)
...     first = await store.add("lock", b"me", ttl=60)
...     second = await store.add("lock", b"you", ttl=60)
...     await store.hset("votes", "s1", b"A", ttl=60)
...     return await store.get("a"), first, second, await store.hgetall("votes")
>>> asyncio.run(demo())
(b'1', True, False, {'s1': b'A'})
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from . import CACHE, Overrun

SWEEP_EVERY = 1000  # writes between sweeps of expired keys
QUEUE = 512  # messages a subscriber may fall behind before it is dropped (Overrun)
CACHE_BYTES = 64 * 2**20  # the cache's bound when none is given


class _Subscriber:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE)
        self.overrun = False

    def put(self, message: bytes) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:  # the reader is not waiting (its queue is full): it finds
            self.overrun = True  # the flag before its next message


class MemoryStore:
    def __init__(self, cache_bytes: int = CACHE_BYTES) -> None:
        self._values: dict[str, tuple[bytes, float]] = {}
        self._cache: OrderedDict[str, tuple[bytes, float]] = OrderedDict()  # oldest use first
        self._cache_bytes = cache_bytes
        self._cached = 0  # bytes held under cache:, keys and values
        self._hashes: dict[str, tuple[dict[str, bytes], float]] = {}
        self._channels: dict[str, set[_Subscriber]] = {}
        self._writes = 0

    # --- keys ------------------------------------------------------------------------------

    def _now(self) -> float:
        return time.monotonic()

    def _wrote(self) -> None:
        self._writes += 1
        if self._writes % SWEEP_EVERY == 0:
            now = self._now()
            for key in [k for k, (_, until) in self._values.items() if until <= now]:
                del self._values[key]
            for key in [k for k, (_, until) in self._hashes.items() if until <= now]:
                del self._hashes[key]
            for key in [k for k, (_, until) in self._cache.items() if until <= now]:
                self._uncache(key)

    def _value(self, key: str) -> bytes | None:
        if key.startswith(CACHE):
            return self._cached_value(key)
        entry = self._values.get(key)
        if entry is None:
            return None
        if entry[1] <= self._now():
            del self._values[key]
            return None
        return entry[0]

    def _put(self, key: str, value: bytes, until: float) -> None:
        if not key.startswith(CACHE):
            self._values[key] = (value, until)
            return
        self._uncache(key)
        size = len(key) + len(value)
        if size > self._cache_bytes:
            return  # larger than the whole cache: computed again when asked again
        while self._cached + size > self._cache_bytes:
            self._uncache(next(iter(self._cache)))  # the least recently used
        self._cache[key] = (value, until)
        self._cached += size

    def _cached_value(self, key: str) -> bytes | None:
        entry = self._cache.get(key)
        if entry is None:
            return None
        if entry[1] <= self._now():
            self._uncache(key)
            return None
        self._cache.move_to_end(key)  # used: the last to go
        return entry[0]

    def _uncache(self, key: str) -> None:
        entry = self._cache.pop(key, None)
        if entry is not None:
            self._cached -= len(key) + len(entry[0])

    def _hash(self, key: str) -> dict[str, bytes] | None:
        entry = self._hashes.get(key)
        if entry is None:
            return None
        if entry[1] <= self._now():
            del self._hashes[key]
            return None
        return entry[0]

    async def get(self, key: str) -> bytes | None:
        return self._value(key)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        self._put(key, value, self._now() + ttl)
        self._wrote()

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        if self._value(key) is not None:
            return False
        await self.set(key, value, ttl)
        return True

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)
        self._uncache(key)
        self._hashes.pop(key, None)

    async def expire(self, key: str, ttl: float) -> None:
        until = self._now() + ttl
        if (value := self._value(key)) is not None:
            self._put(key, value, until)
        if (fields := self._hash(key)) is not None:
            self._hashes[key] = (fields, until)

    async def incr(self, key: str, ttl: float) -> int:
        value = self._value(key)
        count = int(value) + 1 if value is not None else 1
        table = self._cache if key.startswith(CACHE) else self._values
        until = table[key][1] if value is not None else self._now() + ttl
        self._put(key, str(count).encode(), until)
        self._wrote()
        return count

    # --- hashes ----------------------------------------------------------------------------

    async def hset(self, key: str, field: str, value: bytes, ttl: float) -> int:
        fields = self._hash(key)
        if fields is None:
            fields = {}
        fields[field] = value
        self._hashes[key] = (fields, self._now() + ttl)
        self._wrote()
        return len(fields)

    async def hget(self, key: str, field: str) -> bytes | None:
        fields = self._hash(key)
        return None if fields is None else fields.get(field)

    async def hgetall(self, key: str) -> dict[str, bytes]:
        return dict(self._hash(key) or {})

    async def hlen(self, key: str) -> int:
        return len(self._hash(key) or {})

    # --- channels --------------------------------------------------------------------------

    async def publish(self, channel: str, message: bytes) -> None:
        for subscriber in self._channels.get(channel, ()):
            subscriber.put(message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[bytes]]:
        subscriber = _Subscriber()
        self._channels.setdefault(channel, set()).add(subscriber)

        async def messages() -> AsyncIterator[bytes]:
            while True:
                if subscriber.overrun:
                    raise Overrun(channel)
                yield await subscriber.queue.get()

        try:
            yield messages()
        finally:
            subscribers = self._channels.get(channel)
            if subscribers is not None:
                subscribers.discard(subscriber)
                if not subscribers:
                    del self._channels[channel]

    async def close(self) -> None:
        self._channels.clear()
