"""Identical maps on a real server: everyone who asks at once shares one computation — the
streams all see its progress and its result — and it stops only when the last of them hangs
up (app/api/once.py)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.conftest import start_server, stop_server
from tests.stream.test_maps import health, open_map, wait_for

if TYPE_CHECKING:
    from tests.conftest import Server

# About a second or two of work on an idle core (no ball settles at Adam's default rate).
SHARED = {"surface": "himmelblau", "optimizer": "adam", "resolution": [128, 128], "steps": 1000}
SHARED_STEPS = 128 * 128 * 1000
# Some 20 s of work: far longer than the tests wait.
BIG = {"surface": "himmelblau", "optimizer": "adam", "resolution": [256, 256], "steps": 2000}
RESULT = re.compile(rb"event: result\r?\ndata: (.*?)\r?\n\r?\n", re.S)


@pytest.fixture(scope="module")
def once_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One map at a time, none waiting: any second map in flight would be refused."""
    srv = start_server(
        tmp_path_factory.mktemp("once"),
        {"DESCENT_LAB_MAP_CONCURRENCY": "1", "DESCENT_LAB_MAP_QUEUE": "0"},
    )
    yield srv
    stop_server(srv)


def read_to_the_end(sock: socket.socket) -> tuple[int, bytes]:
    """The rest of a map stream: how many progress events it held, and the result's data."""
    received = b""
    sock.settimeout(60)
    while not received.endswith(b"0\r\n\r\n"):  # the last chunk: the stream is over
        chunk = sock.recv(65536)
        assert chunk, received[-300:]
        received += chunk
    sock.close()
    match = RESULT.search(received)
    assert match is not None, received[-300:]
    return received.count(b"event: progress"), match.group(1)


def test_a_class_asking_for_one_map_at_once_shares_one_computation(once_server: Server) -> None:
    before = health(once_server)
    streams = [open_map(once_server, "/api/maps/basins/stream", SHARED) for _ in range(8)]
    answers: list[httpx.Response] = []

    def ask() -> None:
        answers.append(httpx.post(f"{once_server.url}/api/maps/basins", json=SHARED, timeout=60))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    results = [read_to_the_end(s) for s in streams]
    for t in threads:
        t.join()
    after = health(once_server)
    # every student has it — none refused, though no second map could have been queued
    assert [a.status_code for a in answers] == [200] * 8
    assert {a.content for a in answers} == {results[0][1]}
    assert {data for _, data in results} == {results[0][1]}
    assert all(progress >= 1 for progress, _ in results)  # each stream saw the work go on
    # rolled once
    assert after["map_ball_steps"] - before["map_ball_steps"] == SHARED_STEPS
    assert after["answers_computed"] - before["answers_computed"] == 1
    joined = after["answers_shared"] - before["answers_shared"]
    late = after["answers_cached"] - before["answers_cached"]  # (a fast machine's last few)
    assert joined >= 7 and joined + late == 15


def test_one_student_hanging_up_does_not_stop_the_map_for_the_others(
    once_server: Server,
) -> None:
    body = {**SHARED, "steps": 999}
    before = health(once_server)["map_ball_steps"]
    leaving = open_map(once_server, "/api/maps/basins/stream", body)
    staying = open_map(once_server, "/api/maps/basins/stream", body)
    leaving.close()
    progress, data = read_to_the_end(staying)
    assert progress >= 1
    assert data.startswith(b'{"x":')
    assert health(once_server)["map_ball_steps"] - before == 128 * 128 * 999


def test_the_map_stops_when_the_last_student_hangs_up(once_server: Server) -> None:
    students = [open_map(once_server, "/api/maps/basins/stream", BIG) for _ in range(3)]
    wait_for(once_server, lambda h: h["maps_running"] == 1)
    for s in students[:2]:
        s.close()
    time.sleep(1.0)
    h = health(once_server)
    assert h["maps_running"] == 1  # one student still waits
    rolling = h["map_ball_steps"]
    assert wait_for(once_server, lambda h: h["map_ball_steps"] > rolling, 5)["maps_running"] == 1
    students[2].close()
    stopped = wait_for(once_server, lambda h: h["maps_running"] == 0, 5)
    assert stopped["maps_running"] == 0, stopped
    later = wait_for(once_server, lambda h: False, 1.0)
    assert later["map_ball_steps"] == stopped["map_ball_steps"]  # nothing more computed
    # and asked again, it starts afresh rather than joining the cancelled one
    again = open_map(once_server, "/api/maps/basins/stream", BIG)
    try:
        assert wait_for(once_server, lambda h: h["maps_running"] == 1)["maps_running"] == 1
    finally:
        again.close()
    wait_for(once_server, lambda h: h["maps_running"] == 0, 5)
