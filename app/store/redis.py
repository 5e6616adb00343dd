"""The store in Redis, shared by every worker and replica (see __init__.py), with redis.asyncio.

One connection pool per store (one store per process: ``create_app``), connected on first
use and bounded (``MAX_CONNECTIONS``: more operations at once wait their turn); a Redis that
does not answer raises ``StoreUnavailable`` naming its address (the worker's startup asks
once, so a wrong ``DESCENT_LAB_REDIS_URL`` stops it there).

Keys are Redis keys with Redis' own expiry (``PX``, in milliseconds). The two operations that
take several commands run as one Lua script each, which Redis runs atomically: a counter is
incremented and, when new, given its window, so it never lives without one; a hash's field is
set, its expiry renewed and its size read at once. (A ``MULTI`` pipeline does the same in five
commands: twice the client's CPU per call, measured.)

Channels: one connection per process is subscribed to every channel this worker's
subscribers read, and one task reads it and hands each message to their queues (300 students
following a class on one worker cost one ``SUBSCRIBE``, not 300 connections). A subscriber
whose queue is full is dropped with ``Overrun``, as in memory.py; so is every subscriber when
the connection breaks (Redis closes it, too, when this worker reads too slowly: its
``client-output-buffer-limit pubsub``), since messages may have been lost in between. The next
``subscribe`` opens a new connection.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError, RedisError, TimeoutError

from . import Overrun, StoreUnavailable
from .memory import QUEUE

CONNECT_TIMEOUT = 5.0  # seconds to open a connection (a redis URL's own setting wins)
# Connections per worker. More operations at once (300 students opening their streams) wait
# for one to be free, up to POOL_WAIT seconds: Redis answers each in well under a millisecond.
MAX_CONNECTIONS = 32
POOL_WAIT = 10.0

log = logging.getLogger(__name__)

INCR = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
"""
HSET = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('HLEN', KEYS[1])
"""


def milliseconds(ttl: float) -> int:
    """A ttl in seconds as Redis' PX: whole milliseconds, at least one."""
    return max(1, math.ceil(ttl * 1000))


def redacted(url: str) -> str:
    """The URL without its password, to name the server in errors and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


class _Subscriber:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(QUEUE)  # None: dropped
        self.overrun = False

    def put(self, message: bytes) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:  # the reader is not waiting: it finds the flag first
            self.overrun = True

    def drop(self) -> None:
        self.overrun = True
        with suppress(asyncio.QueueFull):  # full: not waiting, finds the flag
            self.queue.put_nowait(None)  # else: wakes the reader waiting on it

    async def messages(self, channel: str) -> AsyncIterator[bytes]:
        while True:
            if self.overrun:
                raise Overrun(channel)
            message = await self.queue.get()
            if message is None:
                raise Overrun(channel)
            yield message


@dataclass
class _Channel:
    ready: asyncio.Future[None]  # Redis has confirmed the SUBSCRIBE
    subscribers: set[_Subscriber] = field(default_factory=set)


class _Listener:
    """The process's subscribed connection and the task that reads it."""

    def __init__(self, connection: AbstractConnection, address: str) -> None:
        self.connection = connection
        self.address = address
        self.channels: dict[str, _Channel] = {}
        # SUBSCRIBEs sent and not yet confirmed, by channel, in the order they were sent
        self.confirming: dict[str, deque[asyncio.Future[None]]] = {}
        self.broken = False
        self.task = asyncio.create_task(self.read())

    async def add(self, channel: str) -> _Subscriber:
        subscriber = _Subscriber()
        entry = self.channels.get(channel)
        if entry is None:
            entry = self.channels[channel] = _Channel(asyncio.get_running_loop().create_future())
            self.confirming.setdefault(channel, deque()).append(entry.ready)
            await self.send("SUBSCRIBE", channel)
        # before the confirmation: a message published right after it is not missed
        entry.subscribers.add(subscriber)
        try:
            await asyncio.shield(entry.ready)  # shared with the channel's other subscribers
        except BaseException:
            entry.subscribers.discard(subscriber)
            raise
        return subscriber

    async def remove(self, channel: str, subscriber: _Subscriber) -> None:
        entry = self.channels.get(channel)
        if entry is None or subscriber not in entry.subscribers:
            return  # the connection broke and dropped it
        entry.subscribers.discard(subscriber)
        if not entry.subscribers:
            del self.channels[channel]
            with suppress(StoreUnavailable):  # broken: the reader has told everyone
                await self.send("UNSUBSCRIBE", channel)

    async def send(self, *command: str) -> None:
        try:
            await self.connection.send_command(*command, check_health=False)
        except (RedisError, OSError) as error:
            self.broken = True  # the next subscribe opens a new connection
            self.task.cancel()
            raise StoreUnavailable(unreachable(self.address, error)) from error

    async def read(self) -> None:
        reason: BaseException = StoreUnavailable(f"Redis at {self.address}: store closed")
        try:
            while True:
                kind, name, payload = await self.connection.read_response(
                    timeout=math.inf, disconnect_on_error=False, push_request=True
                )  # push_request: RESP3 (redis-py's default) sends them as pushes
                channel = name.decode()
                if kind == b"message":
                    entry = self.channels.get(channel)
                    for subscriber in entry.subscribers if entry else ():
                        subscriber.put(payload)
                elif kind == b"subscribe":
                    ready = self.confirming[channel].popleft()
                    if not self.confirming[channel]:
                        del self.confirming[channel]
                    if not ready.done():
                        ready.set_result(None)
        except (RedisError, OSError) as error:
            log.error("Redis at %s: subscriptions lost (%s)", self.address, error)
            reason = StoreUnavailable(unreachable(self.address, error))
        finally:
            self.broken = True
            for entry in self.channels.values():
                for subscriber in entry.subscribers:
                    subscriber.drop()
            for waiting in self.confirming.values():
                for ready in waiting:
                    if not ready.done():
                        ready.set_exception(reason)
            self.channels.clear()
            self.confirming.clear()
            await self.connection.disconnect(nowait=True)

    async def close(self) -> None:
        self.task.cancel()
        with suppress(asyncio.CancelledError):
            await self.task


def unreachable(address: str, error: BaseException) -> str:
    return f"Redis at {address} (DESCENT_LAB_REDIS_URL) did not answer: {error}"


class RedisStore:
    """The Store protocol (__init__.py) on the Redis at ``url`` (redis://host:port/db)."""

    def __init__(self, url: str) -> None:
        self.address = redacted(url)
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=POOL_WAIT,
            socket_connect_timeout=CONNECT_TIMEOUT,
        )
        self._redis = Redis.from_pool(pool)  # closes the pool when it is closed
        self._incr = self._redis.register_script(INCR)  # run by its SHA1 (EVALSHA)
        self._hset = self._redis.register_script(HSET)
        self._listener: _Listener | None = None
        self._listening = asyncio.Lock()

    @contextmanager
    def _reaching(self) -> Iterator[None]:
        try:
            yield
        except (ConnectionError, TimeoutError, OSError) as error:
            raise StoreUnavailable(unreachable(self.address, error)) from error

    # --- keys ------------------------------------------------------------------------------

    async def get(self, key: str) -> bytes | None:
        with self._reaching():
            value = await self._redis.get(key)
        return cast(bytes | None, value)  # bytes: no decode_responses

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        with self._reaching():
            await self._redis.set(key, value, px=milliseconds(ttl))

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        with self._reaching():
            return bool(await self._redis.set(key, value, px=milliseconds(ttl), nx=True))

    async def delete(self, key: str) -> None:
        with self._reaching():
            await self._redis.delete(key)

    async def expire(self, key: str, ttl: float) -> None:
        with self._reaching():
            await self._redis.pexpire(key, milliseconds(ttl))

    async def incr(self, key: str, ttl: float) -> int:
        with self._reaching():
            return int(await self._incr(keys=[key], args=[milliseconds(ttl)]))

    # --- hashes ----------------------------------------------------------------------------

    async def hset(self, key: str, field: str, value: bytes, ttl: float) -> int:
        with self._reaching():
            return int(await self._hset(keys=[key], args=[field, value, milliseconds(ttl)]))

    async def hget(self, key: str, field: str) -> bytes | None:
        with self._reaching():
            value = await self._redis.hget(key, field)
        return cast(bytes | None, value)

    async def hgetall(self, key: str) -> dict[str, bytes]:
        with self._reaching():
            fields = cast(dict[bytes, bytes], await self._redis.hgetall(key))
        return {name.decode(): value for name, value in fields.items()}

    async def hlen(self, key: str) -> int:
        with self._reaching():
            return int(await self._redis.hlen(key))

    # --- channels --------------------------------------------------------------------------

    async def publish(self, channel: str, message: bytes) -> None:
        with self._reaching():
            await self._redis.publish(channel, message)

    async def _listen(self) -> _Listener:
        async with self._listening:  # one connection, even when many subscribe at once
            if self._listener is None or self._listener.broken:
                connection = self._redis.connection_pool.make_connection()
                with self._reaching():
                    await connection.connect()
                self._listener = _Listener(connection, self.address)
            return self._listener

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[bytes]]:
        listener = await self._listen()
        subscriber = await listener.add(channel)
        try:
            yield subscriber.messages(channel)
        finally:
            await listener.remove(channel, subscriber)

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        await self._redis.aclose()
