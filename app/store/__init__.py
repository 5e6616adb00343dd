"""Shared state: what must be the same for every worker — classes, their tallies, the result
cache — behind one small interface, the way Django's cache framework lets the same code run
on one machine or many.

``MemoryStore`` (memory.py) keeps it in the process: the default, right for one worker and
for the README's two commands. ``RedisStore`` (redis.py) keeps it in Redis when
``DESCENT_LAB_REDIS_URL`` is set, so every worker and replica sees the same classes and
answers.

Values are bytes (the callers encode JSON once); every key lives for a ``ttl`` in seconds and
is gone after it. Messages published on a channel reach every subscriber of that channel in
every worker, in order; a subscriber that falls too far behind is dropped (its iterator ends
with ``Overrun``) and starts again from the state it reads, never from a backlog.

Keys that start with ``cache:`` (``CACHE``) hold answers that can be computed again (the
result cache, app/api/once.py): a store may drop them before their ttl, least recently used
first, to keep within its memory (MemoryStore: ``cache_bytes``). Every other key lives for
its whole ttl.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Protocol

CACHE = "cache:"  # the prefix of keys a store may drop early (see above)


class Overrun(Exception):
    """A subscriber read too slowly and missed messages: read the state again, resubscribe."""


class StoreUnavailable(Exception):
    """The shared store (Redis) did not answer: the message names its address."""


class Store(Protocol):
    async def get(self, key: str) -> bytes | None:
        """The value at ``key``, or None when absent or expired."""

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """Set ``key`` to ``value`` for ``ttl`` seconds."""

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Set ``key`` only if it is absent (a lock, a new join code): True if this call did."""

    async def delete(self, key: str) -> None:
        """Remove ``key`` (and its fields, for a hash); absent is fine."""

    async def expire(self, key: str, ttl: float) -> None:
        """Make ``key`` (a value or a hash) live ``ttl`` seconds from now."""

    async def incr(self, key: str, ttl: float) -> int:
        """Add one to the counter at ``key`` and return it; a new counter lives ``ttl``
        seconds from its first increment (a rate limit's window)."""

    async def hset(self, key: str, field: str, value: bytes, ttl: float) -> int:
        """Set one field of the hash at ``key`` (the hash lives ``ttl`` seconds from now);
        returns how many fields the hash has after it."""

    async def hget(self, key: str, field: str) -> bytes | None:
        """One field of the hash at ``key``, or None."""

    async def hgetall(self, key: str) -> dict[str, bytes]:
        """Every field of the hash at ``key`` ({} when absent)."""

    async def hlen(self, key: str) -> int:
        """How many fields the hash at ``key`` has."""

    async def publish(self, channel: str, message: bytes) -> None:
        """Send ``message`` to every current subscriber of ``channel``, in every worker."""

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """``async with store.subscribe(ch) as messages: async for m in messages: ...`` —
        every message published on ``channel`` after the subscription starts."""

    async def close(self) -> None:
        """Release connections (at shutdown)."""


def open_store(redis_url: str | None, cache_bytes: int) -> Store:
    """The store the settings ask for: Redis at ``redis_url``, or this process's memory (its
    ``cache:`` keys held to ``cache_bytes``)."""
    if redis_url:
        from .redis import RedisStore

        return RedisStore(redis_url)
    from .memory import MemoryStore

    return MemoryStore(cache_bytes)
