"""Rate limits as counters in the Store: a fixed window per client or student, so every
worker counts the same requests."""

from __future__ import annotations

from starlette.exceptions import HTTPException

from ..store import Store


def too_many(what: str, window: float) -> HTTPException:
    retry = str(int(window))
    return HTTPException(429, f"{what}; try again in {retry} s", headers={"Retry-After": retry})


async def count(store: Store, key: str, limit: int, window: float, what: str) -> None:
    """Count one more request at ``key`` and refuse it (429) past ``limit`` per ``window``."""
    if await store.incr(key, window) > limit:
        raise too_many(what, window)


async def check(store: Store, key: str, limit: int, window: float, what: str) -> None:
    """Refuse (429) when ``key`` has already counted ``limit`` in its window, counting
    nothing (failures are counted after they happen, with ``count``'s ``store.incr``)."""
    value = await store.get(key)
    if value is not None and int(value) >= limit:
        raise too_many(what, window)
