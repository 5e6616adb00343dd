"""Two uvicorn workers sharing one Redis (``DESCENT_LAB_REDIS_URL``): a class lives in Redis,
not in a worker, so a teacher whose requests reach one worker leads students whose requests
and streams reach the other; and an identical map asked of both is computed once.

Each request goes over a connection pinned to one worker (/healthz names its pid), as in
test_workers.py. Without Redis each worker keeps its own classes: the other worker would
answer 404 to every one of these students."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from app.api.classes import STUDENT_EVENT_MODELS, TEACHER_EVENT_MODELS
from tests.conftest import start_server, stop_server
from tests.stream.test_class_events import RUN, Events
from tests.stream.test_workers import Connection, one_connection_per_worker

if TYPE_CHECKING:
    from tests.conftest import RedisServer, Server

# Half a second or so of work on an idle core (no ball settles at Adam's default rate).
MAP = {"surface": "himmelblau", "optimizer": "adam", "resolution": [64, 64], "steps": 1000}
MAP_BALL_STEPS = 64 * 64 * 1000
QUESTION = {
    "asks": [{"label": "the ball"}],
    "choices": ["global_minimum", "local_minimum"],
    "runs": [RUN],
}


@pytest.fixture(scope="module")
def redis_workers(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[Server]:
    """`uvicorn --workers 2` on one port, both workers on this test process's Redis."""
    redis_server.flush()
    srv = start_server(
        tmp_path_factory.mktemp("redis-workers"),
        {"DESCENT_LAB_REDIS_URL": redis_server.url},
        workers=2,
    )
    yield srv
    stop_server(srv)


@pytest.fixture
def workers(redis_workers: Server) -> Iterator[tuple[Connection, Connection]]:
    """A connection to each worker: the teacher's (A) and the students' (B)."""
    conns = list(one_connection_per_worker(redis_workers).values())
    yield conns[0], conns[1]
    for conn in conns:
        conn.close()


def connection_to(srv: Server, pid: int) -> Connection:
    """A new connection that the worker `pid` accepted."""
    for _ in range(100):
        conn = Connection(srv.url)
        if conn.pid == pid:
            return conn
        conn.close()
    pytest.fail(f"worker {pid} accepted none of 100 connections")


def pinned_events(conn: Connection, path: str, models, **kwargs) -> Events:
    """An event stream over its own connection to one worker, read in a thread."""
    return Events(conn.client.base_url, path, models, client=conn.client, **kwargs)


@pytest.fixture
def streams() -> Iterator[list[Events]]:
    opened: list[Events] = []
    yield opened
    for events in opened:
        events.close()


def test_a_class_started_on_one_worker_is_joined_and_led_on_the_other(workers):
    teacher, students = workers
    created = teacher.client.post("/api/classes")
    assert created.status_code == 201
    code, key = created.json()["code"], {"X-Class-Key": created.json()["key"]}
    joined = [students.client.post(f"/api/classes/{code}/students", json={}) for _ in range(2)]
    assert [j.status_code for j in joined] == [201, 201]
    state = teacher.client.get(f"/api/classes/{code}", headers=key).json()
    assert state["joined"] == 2
    # the teacher's rights hold on every worker, and only with the key
    assert students.client.get(f"/api/classes/{code}", headers=key).json()["joined"] == 2
    assert students.client.get(f"/api/classes/{code}").status_code == 403
    teacher.check_same_worker()
    students.check_same_worker()


def test_students_streaming_from_one_worker_follow_a_teacher_on_the_other(
    redis_workers, workers, streams
):
    teacher, students = workers
    created = teacher.client.post("/api/classes").json()
    code, key = created["code"], {"X-Class-Key": created["key"]}
    tokens = [
        students.client.post(f"/api/classes/{code}/students", json={}).json()["student"]
        for _ in range(2)
    ]
    path = f"/api/classes/{code}/events"
    for token in tokens:  # each stream on its own connection, every one to worker B
        conn = connection_to(redis_workers, students.pid)
        streams.append(pinned_events(conn, path, STUDENT_EVENT_MODELS, params={"student": token}))
    board = pinned_events(
        connection_to(redis_workers, teacher.pid),
        f"/api/classes/{code}/teacher-events",
        TEACHER_EVENT_MODELS,
        headers=key,
    )
    streams.append(board)
    for events in streams:
        events.until("state")

    scene = {"page": "roll", "params": "lesson=bowl_lr", "mode": "follow"}
    shown = teacher.client.put(f"/api/classes/{code}/scene", json=scene, headers=key).json()
    control = {"action": "play", "step": 0}
    accepted = teacher.client.post(f"/api/classes/{code}/control", json=control, headers=key)
    assert accepted.status_code == 202
    for events in streams[:2]:
        assert events.until("scene") == shown
        assert events.until("control") == control

    asked = teacher.client.post(f"/api/classes/{code}/question", json=QUESTION, headers=key)
    question = asked.json()["id"]
    for events in streams[:2]:
        assert events.until("question")["id"] == question
    for token, guess in zip(tokens, ["local_minimum", "global_minimum"], strict=True):
        answer = {"student": token, "question": question, "guesses": [guess]}
        assert students.client.put(f"/api/classes/{code}/answers", json=answer).status_code == 200
    tally = board.until("tally")  # on worker A: the answers given on worker B
    while tally["answered"] < 2:
        tally = board.until("tally")
    assert tally == {"question": question, "answered": 2, "joined": 2, "counts": [[1, 1]]}

    revealed = teacher.client.post(f"/api/classes/{code}/question/reveal", headers=key).json()
    assert revealed["right"] == ["local_minimum"] and revealed["share_right"] == [0.5]
    for events in streams[:2]:
        assert events.until("reveal") == {"question": question, "right": ["local_minimum"]}
    teacher.check_same_worker()
    students.check_same_worker()


def test_an_identical_map_asked_of_both_workers_at_once_is_computed_once(workers):
    before = [conn.health() for conn in workers]
    answers: dict[int, httpx.Response] = {}

    def ask(conn: Connection) -> None:
        answers[conn.pid] = conn.client.post("/api/maps/basins", json=MAP)

    threads = [threading.Thread(target=ask, args=(conn,)) for conn in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [a.status_code for a in answers.values()] == [200, 200]
    one, other = answers.values()
    assert one.content == other.content and one.headers["ETag"] == other.headers["ETag"]
    after = [conn.health() for conn in workers]

    def added(name: str) -> int:
        return sum(a[name] - b[name] for a, b in zip(after, before, strict=True))

    assert added("map_ball_steps") == MAP_BALL_STEPS  # one map's work, on one worker
    assert added("answers_computed") == 1
    # and later, from either worker, out of the shared cache
    for conn in workers:
        again = conn.client.post("/api/maps/basins", json=MAP)
        assert again.content == one.content
    assert sum(c.health()["map_ball_steps"] for c in workers) == sum(
        a["map_ball_steps"] for a in after
    )
    for conn in workers:
        conn.check_same_worker()
