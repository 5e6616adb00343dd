"""A network's landscape views on a real server, computed as the maps are: a hang-up (the
page's Cancel) stops the work, identical views asked for at once share one computation, and
views wait in the same queue as the maps."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.conftest import start_server, stop_server
from tests.stream.test_maps import BIG as BIG_MAP
from tests.stream.test_maps import health, open_map, wait_for
from tests.stream.test_once import read_to_the_end

if TYPE_CHECKING:
    from tests.conftest import Server

VIEWS = "/api/networks/views"
LARGE = {
    "data": {"dataset": "spiral", "points": 1000},
    "model": {"hidden": [16, 16, 16, 16]},
    "optimizers": [
        {"optimizer": "sgd", "hyperparameters": {"lr": 0.05}},
        {"optimizer": "adam", "hyperparameters": {"lr": 0.01}},
        {"optimizer": "rmsprop", "hyperparameters": {"lr": 0.01}},
    ],
    "steps": 5000,
}
# Ten seconds of work or more: far longer than the tests wait.
BIG = {**LARGE, "view": "sharpness", "detail": "fine"}
# A second or two of work on an idle core.
SHARED = {**LARGE, "optimizers": LARGE["optimizers"][:1], "steps": 1500, "view": "plane"}


@pytest.fixture(scope="module")
def view_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One map or view at a time, and one more may wait; time enough for the big view."""
    srv = start_server(
        tmp_path_factory.mktemp("views"),
        {
            "DESCENT_LAB_MAP_CONCURRENCY": "1",
            "DESCENT_LAB_MAP_QUEUE": "1",
            "DESCENT_LAB_MAP_MAX_SECONDS": "600",
        },
    )
    yield srv
    stop_server(srv)


def first_progress(sock: socket.socket) -> dict:
    """Read a stream opened by open_map on to the data of its first progress event."""
    received = b""
    while b"\n\n" not in received.partition(b"event: progress")[2]:
        chunk = sock.recv(65536)
        assert chunk, received
        received += chunk
    data = received.partition(b"event: progress")[2].split(b"\n")[1]
    return json.loads(data.removeprefix(b"data: "))


def test_hanging_up_a_streamed_view_stops_its_work(view_server: Server) -> None:
    sock = open_map(view_server, f"{VIEWS}/stream", BIG)
    total = first_progress(sock)["total"]
    computing = wait_for(view_server, lambda h: h["network_view_work"] > 0)
    assert computing["maps_running"] == 1
    sock.close()  # the page's Cancel aborts its fetch: the same hang-up
    stopped = wait_for(view_server, lambda h: h["maps_running"] == 0, 5)
    assert stopped["maps_running"] == 0, stopped
    later = wait_for(view_server, lambda h: False, 1.0)
    assert later["network_view_work"] == stopped["network_view_work"]  # nothing more done
    assert later["network_view_work"] < total / 4


def test_hanging_up_a_json_view_stops_its_work_too(view_server: Server) -> None:
    before = health(view_server)["network_view_work"]

    def post() -> None:
        # The client gives up after 0.8 s: its connection closes.
        with contextlib.suppress(httpx.TimeoutException):
            httpx.post(f"{view_server.url}{VIEWS}", json=BIG, timeout=0.8)

    thread = threading.Thread(target=post)
    thread.start()
    wait_for(view_server, lambda h: h["maps_running"] == 1)
    thread.join()
    stopped = wait_for(view_server, lambda h: h["maps_running"] == 0, 5)
    assert stopped["maps_running"] == 0, stopped
    later = wait_for(view_server, lambda h: False, 1.0)
    assert later["network_view_work"] == stopped["network_view_work"]
    assert stopped["network_view_work"] > before


def test_identical_views_asked_for_at_once_share_one_computation(view_server: Server) -> None:
    before = health(view_server)
    streams = [open_map(view_server, f"{VIEWS}/stream", SHARED) for _ in range(3)]
    answers: list[httpx.Response] = []
    json_one = threading.Thread(
        target=lambda: answers.append(
            httpx.post(f"{view_server.url}{VIEWS}", json=SHARED, timeout=120)
        )
    )
    json_one.start()
    results = [read_to_the_end(sock) for sock in streams]
    json_one.join()
    after = health(view_server)
    assert after["answers_computed"] - before["answers_computed"] == 1
    assert after["answers_shared"] - before["answers_shared"] == 3
    assert all(progress >= 1 for progress, _ in results)  # each saw the shared progress
    (answer,) = answers
    assert answer.status_code == 200
    assert {data for _, data in results} == {answer.content}
    plane = answer.json()
    assert plane["view"] == "plane" and len(plane["alphas"]) == 41


def test_views_wait_their_turn_behind_maps_and_a_full_queue_refuses(
    view_server: Server,
) -> None:
    running = open_map(view_server, "/api/maps/basins/stream", BIG_MAP)
    waiting = open_map(view_server, f"{VIEWS}/stream", BIG)
    try:
        h = wait_for(view_server, lambda h: h["maps_waiting"] == 1)
        assert (h["maps_running"], h["maps_waiting"]) == (1, 1)
        assert first_progress(waiting)["waiting"] is True  # behind the map
        other = {**BIG, "steps": 4999}  # another view: no turn left for it
        refused = httpx.post(f"{view_server.url}{VIEWS}", json=other, timeout=10)
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "5"
        assert refused.json()["status"] == 503
    finally:
        running.close()
        waiting.close()
    h = wait_for(view_server, lambda h: h["maps_running"] == 0 and h["maps_waiting"] == 0, 5)
    assert (h["maps_running"], h["maps_waiting"]) == (0, 0)
