"""Maps on a real server: Cancel (a hang-up) stops the work, and a full queue refuses new maps
(not the ones already in flight)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.conftest import start_server, stop_server

if TYPE_CHECKING:
    from tests.conftest import Server

# Some 20 s of work: far longer than the test waits.
BIG = {"surface": "himmelblau", "optimizer": "adam", "resolution": [256, 256], "steps": 2000}
TOTAL = 256 * 256 * 2000


@pytest.fixture(scope="module")
def map_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One map at a time, and one more may wait."""
    srv = start_server(
        tmp_path_factory.mktemp("maps"),
        {"DESCENT_LAB_MAP_CONCURRENCY": "1", "DESCENT_LAB_MAP_QUEUE": "1"},
    )
    yield srv
    stop_server(srv)


def health(srv: Server) -> dict:
    return httpx.get(f"{srv.url}/healthz", timeout=5).json()


def wait_for(srv: Server, test, seconds: float = 10.0) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        h = health(srv)
        if test(h) or time.monotonic() > deadline:
            return h
        time.sleep(0.05)


def open_map(srv: Server, path: str, body: dict) -> socket.socket:
    """A raw POST of a map stream, read up to its first progress event."""
    data = json.dumps(body).encode()
    sock = socket.create_connection(("127.0.0.1", srv.port))
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n".encode()
        + data
    )
    received = b""
    while b"event: progress" not in received:
        chunk = sock.recv(65536)
        assert chunk, received
        received += chunk
    assert received.startswith(b"HTTP/1.1 200"), received[:200]
    return sock


def test_hanging_up_a_streamed_map_stops_its_work(map_server: Server) -> None:
    sock = open_map(map_server, "/api/maps/basins/stream", BIG)
    computing = wait_for(map_server, lambda h: h["map_ball_steps"] > 0)
    assert computing["maps_running"] == 1
    sock.close()  # the page's Cancel aborts its fetch: the same hang-up
    stopped = wait_for(map_server, lambda h: h["maps_running"] == 0, 5)
    assert stopped["maps_running"] == 0, stopped
    later = wait_for(map_server, lambda h: False, 1.0)
    assert later["map_ball_steps"] == stopped["map_ball_steps"]  # nothing more computed
    assert later["map_ball_steps"] < TOTAL / 4


def test_hanging_up_a_json_map_stops_its_work_too(map_server: Server) -> None:
    before = health(map_server)["map_ball_steps"]

    def post() -> None:
        # The client gives up after 0.8 s: its connection closes.
        with contextlib.suppress(httpx.TimeoutException):
            httpx.post(f"{map_server.url}/api/maps/basins", json=BIG, timeout=0.8)

    thread = threading.Thread(target=post)
    thread.start()
    wait_for(map_server, lambda h: h["maps_running"] == 1)
    thread.join()
    stopped = wait_for(map_server, lambda h: h["maps_running"] == 0, 5)
    assert stopped["maps_running"] == 0, stopped
    assert stopped["map_ball_steps"] - before < TOTAL / 4


def test_a_full_queue_is_refused_with_retry_after_and_the_rest_still_answer(
    map_server: Server,
) -> None:
    running = open_map(map_server, "/api/maps/basins/stream", BIG)
    other = {**BIG, "steps": 1999}  # another map: it waits for the running one's turn
    waiting = open_map(map_server, "/api/maps/basins/stream", other)  # "waiting": true
    joined = None
    try:
        h = wait_for(map_server, lambda h: h["maps_waiting"] == 1)
        assert (h["maps_running"], h["maps_waiting"]) == (1, 1)
        refused = httpx.post(
            f"{map_server.url}/api/maps/basins", json={**BIG, "steps": 1998}, timeout=10
        )
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "5"
        assert "busy" in refused.json()["error"]
        # The running map asked for again joins it: no turn taken, nothing refused.
        joined = open_map(map_server, "/api/maps/basins/stream", BIG)
        h = health(map_server)
        assert (h["maps_running"], h["maps_waiting"]) == (1, 1)
        # Runs and pages are not held up by maps.
        run = {"surface": "roll_downhill", "optimizer": "sgd", "steps": 50}
        ok = httpx.post(f"{map_server.url}/api/runs", json={"runs": [run]}, timeout=5)
        assert ok.status_code == 200
    finally:
        running.close()
        waiting.close()
        if joined is not None:
            joined.close()
    h = wait_for(map_server, lambda h: h["maps_running"] == 0 and h["maps_waiting"] == 0, 5)
    assert (h["maps_running"], h["maps_waiting"]) == (0, 0)
