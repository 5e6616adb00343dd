"""Each thing computed once: identical requests share one computation and later ones are
answered from the bounded result cache, with an ETag and 304 (app/api/once.py).

What is counted is the worker's own: /healthz's `answers_computed` (computations run),
`answers_cached` (answered from the cache or with 304) and, for maps, the ball-steps the engine
took (`map_ball_steps`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.once import CACHE_CONTROL, Once, code_version
from app.main import create_app
from app.settings import Settings
from app.store import CACHE
from app.store.memory import MemoryStore

RUN = {"surface": "himmelblau", "optimizer": "sgd", "hyperparameters": {"lr": 0.01}, "steps": 300}
MAP = {
    "surface": "himmelblau",
    "optimizer": "sgd",
    "hyperparameters": {"lr": 0.01},
    "resolution": [24, 24],
    "steps": 300,
}


def health(client: TestClient) -> dict:
    return client.get("/healthz").json()


def runs(client: TestClient, *bodies: dict, **headers: str) -> httpx.Response:
    return client.post("/api/runs", json={"runs": list(bodies)}, headers=headers)


def test_identical_runs_are_computed_once_and_answered_alike(client: TestClient) -> None:
    first = runs(client, RUN)
    again = runs(client, RUN)
    h = health(client)
    assert (h["answers_computed"], h["answers_cached"]) == (1, 1)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert first.headers["cache-control"] == CACHE_CONTROL


def test_runs_that_differ_are_computed_each(client: TestClient) -> None:
    slow = runs(client, RUN)
    fast = runs(client, {**RUN, "hyperparameters": {"lr": 0.02}})
    later = runs(client, {**RUN, "steps": 301})
    h = health(client)
    assert (h["answers_computed"], h["answers_cached"]) == (3, 0)
    assert len({slow.headers["etag"], fast.headers["etag"], later.headers["etag"]}) == 3
    assert slow.json()["runs"][0]["positions"] != fast.json()["runs"][0]["positions"]


def test_what_is_left_out_and_its_default_written_out_share_one_answer(
    client: TestClient,
) -> None:
    """torch's defaults filled in: {"lr": 0.01} and {"lr": 0.01, "momentum": 0, …} ask for the
    same run, and so do a surface's, the options' and the schedule's defaults."""
    ravine = {"surface": "ravine", "optimizer": "sgd", "hyperparameters": {"lr": 0.01}}
    written_out = {
        **ravine,
        "hyperparameters": {"lr": 0.01, "momentum": 0, "nesterov": False, "weight_decay": 0},
        "surface_parameters": {"kappa": 100},
        "options": {"noise": 0, "seed": 0, "precision": "float64"},
        "schedule": {"name": "constant"},
        "steps": 100,
    }
    first = runs(client, ravine)
    second = runs(client, written_out)
    h = health(client)
    assert (h["answers_computed"], h["answers_cached"]) == (1, 1)
    assert second.content == first.content


def test_an_etag_held_is_answered_304_without_computing(client: TestClient) -> None:
    tag = runs(client, RUN).headers["etag"]
    for held in (tag, f'"other", {tag}', tag.removeprefix("W/")):
        again = runs(client, RUN, **{"If-None-Match": held})
        assert again.status_code == 304, held
        assert again.content == b""
        assert again.headers["etag"] == tag
    other = runs(client, {**RUN, "steps": 10}, **{"If-None-Match": tag})
    assert other.status_code == 200  # another request: another tag
    h = health(client)
    assert h["answers_computed"] == 2


def test_the_landscape_grid_carries_the_tag_of_its_request(client: TestClient) -> None:
    grid = client.get("/api/surfaces/ravine/grid?kappa=50")
    assert grid.status_code == 200
    tag = grid.headers["etag"]
    assert client.get("/api/surfaces/ravine/grid?kappa=50.0").headers["etag"] == tag
    assert client.get("/api/surfaces/ravine/grid?kappa=20").headers["etag"] != tag
    held = client.get("/api/surfaces/ravine/grid?kappa=50", headers={"If-None-Match": tag})
    assert held.status_code == 304
    h = health(client)
    assert (h["answers_computed"], h["answers_cached"]) == (2, 2)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/runs/explain", {**RUN, "steps": 7}),
        ("/api/surfaces/formula", {"expression": "x^2 + 3*y^2 + x*y"}),
        ("/api/surfaces/model", {"model": "linear", "data": "noisy_line"}),
        ("/api/surfaces/l2", {"surface": "double_well", "weight_decay": 0.5}),
    ],
)
def test_explanations_and_landscapes_come_from_the_cache_the_second_time(
    client: TestClient, path: str, body: dict
) -> None:
    first = client.post(path, json=body)
    again = client.post(path, json=body)
    assert first.status_code == again.status_code == 200, first.text
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    h = health(client)
    assert (h["answers_computed"], h["answers_cached"]) == (1, 1)


def test_a_refused_landscape_is_refused_again_alike(client: TestClient) -> None:
    bad = {"expression": "x^2 +* y"}
    first = client.post("/api/surfaces/formula", json=bad)
    again = client.post("/api/surfaces/formula", json=bad)
    assert first.status_code == again.status_code == 422
    assert again.json() == first.json()
    assert first.json()["errors"][0]["field"] == "expression"
    assert "etag" not in first.headers


def test_identical_maps_roll_their_balls_once_json_and_streamed(client: TestClient) -> None:
    first = client.post("/api/maps/basins", json=MAP)
    rolled = health(client)["map_ball_steps"]
    assert 0 < rolled <= 24 * 24 * 300
    again = client.post("/api/maps/basins", json={**MAP, "hyperparameters": {"lr": 0.01}})
    streamed = client.post("/api/maps/basins/stream", json=MAP)
    h = health(client)
    assert h["map_ball_steps"] == rolled  # no ball rolled again
    assert (h["answers_computed"], h["answers_cached"]) == (1, 2)
    assert again.content == first.content
    assert streamed.text.replace("\r\n", "\n") == f"event: result\ndata: {first.text}\n\n"
    other = client.post("/api/maps/basins", json={**MAP, "steps": 20})
    assert other.status_code == 200 and other.content != first.content
    assert health(client)["map_ball_steps"] > rolled


def grid(client: TestClient, surface: str) -> httpx.Response:
    response = client.get(f"/api/surfaces/{surface}/grid?points=150")
    assert response.status_code == 200
    return response


@pytest.fixture
def small_cache() -> Iterator[TestClient]:
    """A worker whose result cache holds 1 MB: two 150² grids (some 450 KB each), not three."""
    with TestClient(create_app(Settings(cache_mb=1))) as c:
        yield c


def test_the_cache_keeps_its_bound_the_least_recently_used_going_first(
    small_cache: TestClient,
) -> None:
    size = len(grid(small_cache, "himmelblau").content)
    assert 2**20 / 3 < size < 2**20 / 2
    grid(small_cache, "rosenbrock")
    grid(small_cache, "himmelblau")  # used again: now rosenbrock's is the oldest
    grid(small_cache, "booth")
    assert health(small_cache)["answers_computed"] == 3
    grid(small_cache, "himmelblau")
    grid(small_cache, "booth")
    assert health(small_cache)["answers_computed"] == 3  # both still kept
    grid(small_cache, "rosenbrock")
    assert health(small_cache)["answers_computed"] == 4  # it had gone


def test_no_cache_keeps_nothing() -> None:
    with TestClient(create_app(Settings(cache_mb=0))) as c:
        first, again = runs(c, RUN), runs(c, RUN)
        assert again.content == first.content
        assert health(c)["answers_computed"] == 2


def test_the_memory_store_drops_only_cache_keys_and_the_least_recently_used_first() -> None:
    async def scenario() -> tuple[list[bytes | None], bytes | None, bytes | None]:
        store = MemoryStore(cache_bytes=120)  # three of the values below
        await store.set("class:ABC", b"x" * 500, ttl=60)  # not a cache key: never dropped
        for name in "abc":
            await store.set(CACHE + name, name.encode() * 30, ttl=60)  # 36 bytes each
        await store.get(CACHE + "a")  # used: b is now the oldest
        await store.set(CACHE + "d", b"d" * 30, ttl=60)
        await store.set(CACHE + "huge", b"h" * 200, ttl=60)  # larger than the whole bound
        kept = [await store.get(CACHE + name) for name in "abcd"]
        return kept, await store.get(CACHE + "huge"), await store.get("class:ABC")

    kept, huge, other = anyio.run(scenario)
    assert kept == [b"a" * 30, None, b"c" * 30, b"d" * 30]
    assert huge is None
    assert other == b"x" * 500


def test_a_deploy_that_changes_the_code_changes_every_key_and_tag(tmp_path: Path) -> None:
    (tmp_path / "engine.py").write_text("STEP = 1\n")
    before = code_version(tmp_path)
    (tmp_path / "engine.py").write_text("STEP = 2\n")
    code_version.cache_clear()
    after = code_version(tmp_path)
    assert before != after
    code_version.cache_clear()
    old, new = Once(MemoryStore(), {}, 60), Once(MemoryStore(), {}, 60)
    new.version = after
    assert old.key("runs", [RUN]) != new.key("runs", [RUN])


# --- two workers, one store ----------------------------------------------------------------

# Some seconds of work: long enough for the second worker to find it in flight.
LONG_MAP = {**MAP, "optimizer": "adam", "hyperparameters": {}, "resolution": [96, 96]}
LONG_MAP["steps"] = 2000


def workers_sharing_a_store() -> tuple[list, MemoryStore]:
    """Two apps as two workers of one deploy: one store between them, as Redis would be."""
    store = MemoryStore()
    apps = []
    for _ in range(2):
        app = create_app(Settings())
        app.state.store = store
        app.state.once = Once(store, app.state.metrics, ttl=60)
        apps.append(app)
    return apps, store


async def post(app, path: str, body: dict) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://worker") as c:
        return await c.post(path, json=body, timeout=60)


async def started(app) -> None:
    """Until the app's map is rolling."""
    while app.state.metrics["map_ball_steps"] == 0:
        await anyio.sleep(0.01)


def test_a_map_in_flight_on_one_worker_is_followed_by_the_other() -> None:
    apps, _ = workers_sharing_a_store()
    answers: dict[int, httpx.Response] = {}

    async def ask(i: int) -> None:
        answers[i] = await post(apps[i], "/api/maps/basins", LONG_MAP)

    async def scenario() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(ask, 0)
            await started(apps[0])
            tg.start_soon(ask, 1)

    anyio.run(scenario)
    assert answers[0].status_code == answers[1].status_code == 200
    assert answers[1].content == answers[0].content
    assert answers[1].headers["etag"] == answers[0].headers["etag"]
    assert apps[1].state.metrics["map_ball_steps"] == 0  # the second worker rolled nothing
    assert apps[1].state.metrics["answers_computed"] == 0
    assert apps[0].state.metrics["answers_computed"] == 1


def test_when_one_workers_students_all_hang_up_the_other_worker_computes_it() -> None:
    apps, _ = workers_sharing_a_store()
    answers: list[httpx.Response] = []

    async def scenario() -> None:
        async with anyio.create_task_group() as tg:
            leaving = anyio.CancelScope()

            async def leaver() -> None:
                with leaving:
                    await post(apps[0], "/api/maps/basins", LONG_MAP)

            async def stayer() -> None:
                answers.append(await post(apps[1], "/api/maps/basins", LONG_MAP))

            tg.start_soon(leaver)
            await started(apps[0])
            tg.start_soon(stayer)
            await anyio.sleep(0.3)  # following the first worker's map
            assert apps[1].state.metrics["map_ball_steps"] == 0
            leaving.cancel()  # the first worker's only student hangs up

    anyio.run(scenario)
    [answer] = answers
    assert answer.status_code == 200
    assert len(answer.json()["x"]) == 96
    assert apps[1].state.metrics["answers_computed"] == 1  # it took the map over
    assert apps[0].state.metrics["maps_running"] == 0


def test_a_stream_on_the_other_worker_shows_the_computing_workers_progress() -> None:
    apps, _ = workers_sharing_a_store()
    answers: dict[int, httpx.Response] = {}

    async def ask(i: int, path: str) -> None:
        answers[i] = await post(apps[i], path, LONG_MAP)

    async def scenario() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(ask, 0, "/api/maps/basins")
            await started(apps[0])
            tg.start_soon(ask, 1, "/api/maps/basins/stream")

    anyio.run(scenario)
    events = answers[1].text.replace("\r\n", "\n").split("\n\n")
    done = [
        json.loads(e.split("data: ", 1)[1])["done"]
        for e in events
        if e.startswith("event: progress")
    ]
    assert max(done) > 0  # the first worker's ball-steps, read from the store
    assert done == sorted(done)
    assert events[-2] == f"event: result\ndata: {answers[0].text}"
    assert apps[1].state.metrics["map_ball_steps"] == 0
