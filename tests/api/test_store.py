"""The Store contract (app/store/__init__.py), held by both stores alike: the process's memory
and a real Redis (tests/conftest.py starts one per test process). Whatever a class or the
result cache relies on is asserted here once, for both."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import anyio
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.store import Overrun, Store, StoreUnavailable
from app.store.memory import QUEUE, MemoryStore
from app.store.redis import MAX_CONNECTIONS, RedisStore, redacted
from tests.conftest import start_redis

pytestmark = pytest.mark.anyio

TTL = 0.25  # seconds: short enough to wait out, long enough for a loaded machine to act in


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "memory":
        s: Store = MemoryStore()
    else:
        s = RedisStore(request.getfixturevalue("redis_url"))
    yield s
    await s.close()


async def test_a_value_lives_for_its_ttl_and_a_new_set_starts_it_again(store):
    assert await store.get("a") is None
    await store.set("a", b"1", ttl=TTL)
    await store.set("b", b"2", ttl=60)
    assert await store.get("a") == b"1"
    await anyio.sleep(TTL / 2)
    await store.set("a", b"3", ttl=TTL)  # replaced, and its ttl counted again from now
    await anyio.sleep(TTL * 0.75)
    assert await store.get("a") == b"3"
    await anyio.sleep(TTL)
    assert (await store.get("a"), await store.get("b")) == (None, b"2")


async def test_add_sets_a_key_only_while_it_is_absent(store):
    assert await store.add("lock", b"first", ttl=TTL) is True
    assert await store.add("lock", b"second", ttl=60) is False
    assert await store.get("lock") == b"first"
    await anyio.sleep(TTL * 1.5)  # expired: free again
    assert await store.add("lock", b"third", ttl=60) is True
    await store.delete("lock")
    assert await store.add("lock", b"fourth", ttl=60) is True
    assert await store.get("lock") == b"fourth"
    await store.delete("never-set")  # absent is fine


async def test_expire_moves_the_end_of_a_value_and_of_a_hash(store):
    await store.set("v", b"1", ttl=60)
    await store.hset("h", "f", b"1", ttl=60)
    await store.expire("v", TTL)
    await store.expire("h", TTL)
    await store.expire("absent", TTL)
    assert (await store.get("v"), await store.hlen("h")) == (b"1", 1)
    await anyio.sleep(TTL * 1.5)
    assert (await store.get("v"), await store.hlen("h")) == (None, 0)
    assert await store.get("absent") is None


async def test_a_counter_counts_within_the_window_of_its_first_increment(store):
    assert [await store.incr("rate", ttl=TTL) for _ in range(3)] == [1, 2, 3]
    await anyio.sleep(TTL / 2)
    assert await store.incr("rate", ttl=TTL) == 4  # later increments do not extend the window
    await anyio.sleep(TTL * 0.75)
    assert await store.incr("rate", ttl=TTL) == 1  # a new window
    assert await store.get("rate") == b"1"
    assert [await store.incr("other", ttl=60) for _ in range(2)] == [1, 2]


async def test_hash_fields_are_counted_read_and_expire_together(store):
    assert (await store.hgetall("votes"), await store.hlen("votes")) == ({}, 0)
    assert await store.hget("votes", "s1") is None
    assert await store.hset("votes", "s1", b"A", ttl=TTL) == 1
    assert await store.hset("votes", "s2", b"B", ttl=TTL) == 2
    assert await store.hset("votes", "s1", b"C", ttl=TTL) == 2  # changed, not added
    assert await store.hget("votes", "s1") == b"C"
    assert await store.hgetall("votes") == {"s1": b"C", "s2": b"B"}
    assert await store.hlen("votes") == 2
    await anyio.sleep(TTL / 2)
    await store.hset("votes", "s3", b"A", ttl=TTL)  # every field lives as long as the last set
    await anyio.sleep(TTL * 0.75)
    assert await store.hlen("votes") == 3
    await anyio.sleep(TTL)
    assert await store.hgetall("votes") == {}
    await store.hset("gone", "f", b"1", ttl=60)
    await store.delete("gone")
    assert (await store.hget("gone", "f"), await store.hlen("gone")) == (None, 0)


async def read(messages: AsyncIterator[bytes], count: int) -> list[bytes]:
    out = []
    with anyio.fail_after(5):
        async for message in messages:
            out.append(message)
            if len(out) == count:
                break
    return out


async def test_a_subscriber_gets_what_is_published_after_it_subscribed_in_order(store):
    await store.publish("ch", b"before")  # nobody listens: nobody gets it
    async with store.subscribe("ch") as messages:
        for i in range(200):
            await store.publish("ch", str(i).encode())
        await store.publish("elsewhere", b"not for ch")
        await store.publish("ch", b"last")
        assert await read(messages, 201) == [str(i).encode() for i in range(200)] + [b"last"]


async def test_every_subscriber_of_a_channel_gets_every_message(store):
    async with store.subscribe("ch") as one, store.subscribe("ch") as two:
        async with store.subscribe("other") as other:
            await store.publish("ch", b"a")
            await store.publish("other", b"x")
            await store.publish("ch", b"b")
            assert await read(one, 2) == [b"a", b"b"]
            assert await read(two, 2) == [b"a", b"b"]
            assert await read(other, 1) == [b"x"]
        async with store.subscribe("ch") as three:  # the channel is shared, not restarted
            await store.publish("ch", b"c")
            assert await read(three, 1) == [b"c"]
        await store.publish("ch", b"d")  # after one has left, the others still get theirs
        assert await read(one, 2) == [b"c", b"d"]
        assert await read(two, 2) == [b"c", b"d"]
    async with store.subscribe("ch") as again:  # a channel everyone left, subscribed anew
        await store.publish("ch", b"e")
        assert await read(again, 1) == [b"e"]


async def test_a_subscriber_that_falls_behind_is_dropped_and_the_others_go_on(store):
    total = QUEUE + 50
    async with store.subscribe("ch") as slow, store.subscribe("ch") as fast:
        got: list[bytes] = []

        async def keep_up() -> None:
            got.extend(await read(fast, total))

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(keep_up)
            for i in range(total):
                await store.publish("ch", str(i).encode())
                await anyio.sleep(0)  # the fast one reads between messages
        assert got == [str(i).encode() for i in range(total)]
        # the slow one read nothing meanwhile: it kept at most QUEUE messages, then was dropped
        late: list[bytes] = []
        with pytest.raises(Overrun):
            async for message in slow:
                late.append(message)
        assert len(late) <= QUEUE
    async with store.subscribe("ch") as fresh:  # subscribing again starts afresh
        await store.publish("ch", b"new")
        assert await read(fresh, 1) == [b"new"]


# --- Redis only: shared by processes, and loud when it is not there -------------------------


async def test_two_redis_stores_share_values_hashes_counters_and_channels(redis_url):
    one, two = RedisStore(redis_url), RedisStore(redis_url)  # as two workers would
    try:
        await one.set("class", b"state", ttl=60)
        assert await two.add("class", b"other", ttl=60) is False
        assert await two.get("class") == b"state"
        await one.hset("votes", "s1", b"A", ttl=60)
        assert await two.hset("votes", "s2", b"B", ttl=60) == 2
        assert await one.hgetall("votes") == {"s1": b"A", "s2": b"B"}
        assert [await one.incr("n", 60), await two.incr("n", 60)] == [1, 2]
        async with two.subscribe("class:ABC") as messages:
            await one.publish("class:ABC", b"play")
            assert await read(messages, 1) == [b"play"]
    finally:
        await one.close()
        await two.close()


def redis_clients(port: int, kind: str) -> None:
    """Redis's own CLIENT KILL: drop every connection of `kind` (pubsub, normal)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"CLIENT KILL TYPE {kind}\r\n".encode())
        assert s.recv(16).startswith(b":")


async def test_a_broken_subscription_drops_its_subscribers_and_a_new_one_works(
    redis_url, redis_server
):
    store = RedisStore(redis_url)
    try:
        async with store.subscribe("ch") as one, store.subscribe("other") as two:
            await store.publish("ch", b"a")
            assert await read(one, 1) == [b"a"]
            redis_clients(redis_server.port, "pubsub")  # messages may be lost from here
            for messages in (one, two):
                with anyio.fail_after(5), pytest.raises(Overrun):
                    await read(messages, 1)
        async with store.subscribe("ch") as again:
            await store.publish("ch", b"b")
            assert await read(again, 1) == [b"b"]
    finally:
        await store.close()


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_an_unreachable_redis_is_named_at_first_use():
    url = f"redis://:secret@127.0.0.1:{unused_port()}/0"
    store = RedisStore(url)
    try:
        with pytest.raises(StoreUnavailable, match=r"Redis at redis://:\*\*\*@127\.0\.0\.1:"):
            await store.get("a")
        with pytest.raises(StoreUnavailable, match="DESCENT_LAB_REDIS_URL"):
            async with store.subscribe("ch"):
                pass
    finally:
        await store.close()


def test_an_app_with_an_unreachable_redis_fails_at_startup():
    url = f"redis://127.0.0.1:{unused_port()}/0"
    app = create_app(Settings(redis_url=url))
    with pytest.raises(StoreUnavailable, match=f"Redis at {url}"), TestClient(app):
        pass


def test_the_address_in_messages_keeps_no_password():
    assert redacted("redis://user:pw@host:6379/0") == "redis://user:***@host:6379/0"
    assert redacted("rediss://:pw@host/1") == "rediss://:***@host/1"
    assert redacted("redis://host:6379/0") == "redis://host:6379/0"


def test_a_request_while_redis_is_down_gets_a_503_and_the_log_names_redis(
    tmp_path, caplog: pytest.LogCaptureFixture
):
    redis = start_redis(tmp_path)
    app = create_app(Settings(redis_url=redis.url))
    with TestClient(app) as client:
        assert client.post("/api/classes").status_code == 201
        redis.process.kill()
        redis.process.wait(5)
        refused = client.post("/api/classes")
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "5"
        assert refused.json() == {
            "ok": False,
            "status": 503,
            "error": "The shared store did not answer: try again in a moment",
            "errors": [],
        }
        assert f"POST /api/classes: Redis at {redis.url}" in caplog.text


async def test_more_operations_at_once_than_connections_wait_their_turn(redis_url):
    store = RedisStore(redis_url)  # 300 students opening their streams at once, say
    try:
        many = 10 * MAX_CONNECTIONS
        async with anyio.create_task_group() as tasks:
            for i in range(many):
                tasks.start_soon(store.hset, "students", f"s{i}", b"1", 60)
        assert await store.hlen("students") == many
    finally:
        await store.close()
