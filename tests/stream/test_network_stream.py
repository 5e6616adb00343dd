"""POST /api/networks/runs/stream against a real uvicorn server: the events in order, frames
at most a few a second, the numbers of the whole run, hang-ups, resuming."""

from __future__ import annotations

import json
import signal
import socket
import struct
import time

import httpx
import pytest

from app.api.networks import EVENTS
from tests.conftest import start_server, stop_server
from tests.stream.test_stream import wait_for_streams

BODY = {
    "data": {"dataset": "moons", "points": 80, "test_ratio": 0.25},
    "model": {"hidden": [6], "activation": "relu"},
    "optimizers": [
        {"optimizer": "sgd", "hyperparameters": {"lr": 0.2, "momentum": 0.5}},
        {"optimizer": "adam", "hyperparameters": {"lr": 0.02}},
    ],
    "options": {"batch_size": 16, "seed": 4},
    "steps": 60,
    "grid": 10,
}
STEP_FIELDS = (
    "step",
    "epoch",
    "batch",
    "lr",
    "train_loss",
    "test_loss",
    "train_accuracy",
    "test_accuracy",
    "grad_norm",
)


def events_of(response: httpx.Response) -> list[tuple[str, dict, float]]:
    """(event, data, seconds since the response began) of each event, each checked against
    the model the OpenAPI document gives it."""
    out, kind, t0 = [], None, time.monotonic()
    for line in response.iter_lines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            EVENTS[kind].model_validate_json(line[6:], strict=True)
            out.append((kind, json.loads(line[6:]), time.monotonic() - t0))
    return out


def stream(url: str, body: dict, speed: float) -> list[tuple[str, dict, float]]:
    with (
        httpx.Client(base_url=url, timeout=60) as c,
        c.stream("POST", "/api/networks/runs/stream", params={"speed": speed}, json=body) as r,
    ):
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        return events_of(r)


def merged(events: list, racer: int) -> dict[str, list]:
    """One racer's steps from every `steps` event, as one step record."""
    out: dict[str, list] = {k: [] for k in STEP_FIELDS}
    for kind, data, _ in events:
        if kind == "steps":
            for k in STEP_FIELDS:
                out[k] += data["racers"][racer]["steps"][k]
    return out


def test_the_stream_sends_start_steps_frames_and_end_in_order(server) -> None:
    events = stream(server.url, BODY, speed=300)
    kinds = [k for k, _, _ in events]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert kinds[1] == "steps"  # the start point, step 0
    assert set(kinds[1:-1]) == {"steps", "frame"}
    assert kinds[-2] == "frame"  # the final picture before the end
    start = events[0][1]
    assert len(start["racers"]) == 2 and start["racers"][0]["grid"]["size"] == 10
    assert [len(data["racers"]) for kind, data, _ in events if kind != "start"] == [2] * (
        len(events) - 1
    )
    # each frame shows each racer where its last steps took it
    last_step = {0: 0, 1: 0}
    for kind, data, _ in events:
        if kind == "steps":
            for i, racer in enumerate(data["racers"]):
                last_step[i] = (racer["steps"]["step"] or [last_step[i]])[-1]
                assert racer["verdict"] is None or isinstance(racer["verdict"], str)
        elif kind == "frame":
            assert [r["step"] for r in data["racers"]] == [last_step[0], last_step[1]]
            assert len(data["racers"][0]["weights"]) == 2  # nn.Linear(2, 6), nn.Linear(6, 1)
    end = events[-1][1]
    assert [r["outcome"]["step"] for r in end["racers"]] == [60, 60]


def test_the_stream_carries_the_numbers_of_the_whole_run(server) -> None:
    events = stream(server.url, BODY, speed=0)
    whole = httpx.post(f"{server.url}/api/networks/runs", json=BODY, timeout=60).json()
    assert events[0][1]["data"] == whole["data"]
    assert events[0][1]["initial_weights"] == whole["initial_weights"]
    end = events[-1][1]
    for i, racer in enumerate(whole["racers"]):
        assert merged(events, i) == racer["steps"]
        assert end["racers"][i]["outcome"] == racer["outcome"]
        assert end["racers"][i]["final_weights"] == racer["final_weights"]
        assert end["racers"][i]["state"] == racer["state"]
    last_frame = [data for kind, data, _ in events if kind == "frame"][-1]
    assert last_frame["racers"][1]["grid"] == whole["racers"][1]["grid"]
    assert last_frame["racers"][1]["units"] == whole["racers"][1]["units"]


def test_a_resumed_stream_continues_the_unbroken_run(server) -> None:
    first = stream(server.url, {**BODY, "steps": 25}, speed=0)
    states = [r["state"] for r in first[-1][1]["racers"]]
    rest = stream(server.url, {**BODY, "steps": 35, "resume": states}, speed=0)
    whole = stream(server.url, BODY, speed=0)
    for i in range(2):
        later = merged(rest, i)
        assert later["step"][0] == 26  # no second start point
        joined = {k: merged(first, i)[k] + later[k] for k in STEP_FIELDS}
        assert joined == merged(whole, i)
        assert rest[-1][1]["racers"][i] == whole[-1][1]["racers"][i]


def test_paced_steps_take_steps_over_speed_seconds(server) -> None:
    events = stream(server.url, {**BODY, "steps": 24}, speed=60)
    sizes = [len(d["racers"][0]["steps"]["step"]) for k, d, _ in events if k == "steps"]
    assert sizes == [1, 12, 12]  # the start, then 60 steps/s at 5 events a second
    took = events[-1][2] - events[1][2]
    assert 0.3 <= took <= 2.0, took


@pytest.fixture(scope="module")
def quick_events(tmp_path_factory: pytest.TempPathFactory):
    """A server that sends 20 step events a second and 2 frames."""
    env = {"DESCENT_LAB_EVENTS_PER_SECOND": "20", "DESCENT_LAB_NETWORK_GRID_PER_SECOND": "2"}
    srv = start_server(tmp_path_factory.mktemp("frames"), env)
    yield srv
    stop_server(srv)


def test_frames_come_at_most_network_grid_per_second(quick_events) -> None:
    events = stream(quick_events.url, {**BODY, "steps": 300}, speed=200)  # 1.5 s
    steps = [t for k, _, t in events if k == "steps"]
    frames = [t for k, _, t in events if k == "frame"]
    assert len(steps) >= 20  # 10 steps an event
    assert 2 <= len(frames) <= 1.5 * 2 + 2
    # between frames half a second, but for the final picture before the end
    gaps = [b - a for a, b in zip(frames, frames[1:-1], strict=False)]
    assert all(gap >= 0.4 for gap in gaps), gaps


def health(url: str) -> dict:
    return httpx.get(f"{url}/healthz").json()


@pytest.mark.parametrize("speed", [0, 300])
def test_the_server_stops_training_when_the_client_goes_away(server, speed) -> None:
    already = health(server.url)["streams_active"]
    before = health(server.url)["steps_streamed"]
    body = json.dumps({**BODY, "steps": 5000, "optimizers": BODY["optimizers"] + [{}]}).encode()
    request = (
        f"POST /api/networks/runs/stream?speed={speed} HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port)) as tab:
        tab.sendall(request + body)
        received = b""
        while b"event: steps" not in received:
            received += tab.recv(65536)
        tab.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    deadline = time.monotonic() + 5
    while health(server.url)["streams_active"] > already and time.monotonic() < deadline:
        time.sleep(0.05)
    assert health(server.url)["streams_active"] <= already
    settled = health(server.url)["steps_streamed"]
    time.sleep(0.5)
    assert health(server.url)["steps_streamed"] == settled  # no more work after the hang-up
    assert settled - before < 3 * 5000 / 2  # far fewer than the 15,000 steps asked for
    server.check_alive()


@pytest.mark.parametrize(
    ("params", "body", "field"),
    [
        ({"speed": 10**9}, BODY, "speed"),
        ({"speed": -1}, BODY, "speed"),
        ({"speed": 60}, {**BODY, "steps": 10**6}, "steps"),
        ({"speed": 60}, {**BODY, "model": {"hidden": [99]}}, "model.hidden.0"),
        ({"speed": 60}, {**BODY, "resume": [{"optimizer": "adam"}, {}]}, "resume.0.optimizer"),
    ],
)
def test_bad_streams_are_refused_before_streaming(server, params, body, field) -> None:
    response = httpx.post(
        f"{server.url}/api/networks/runs/stream", params=params, json=body, timeout=30
    )
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_on_shutdown_a_closing_event_carries_each_racers_state(server, tmp_path) -> None:
    srv = start_server(tmp_path)
    try:
        with (
            httpx.Client(base_url=srv.url, timeout=30) as c,
            c.stream(
                "POST", "/api/networks/runs/stream", params={"speed": 60}, json=BODY
            ) as response,
        ):
            events = events_until_closing(response, srv)
        kind, closing = events[-1]
        assert kind == "closing" and closing["retry_after"] == 2
        assert "shutting down" in closing["reason"]
        srv.process.wait(5)
        assert "Traceback" not in srv.output()
    finally:
        stop_server(srv)
    # the racers go on from there (on another server), as if never stopped
    states = [r["state"] for r in closing["racers"]]
    taken = states[0]["step"]
    assert 0 < taken < 60 and states[1]["step"] == taken
    rest = httpx.post(
        f"{server.url}/api/networks/runs",
        json={**BODY, "steps": 60 - taken, "resume": states},
        timeout=60,
    ).json()
    whole = httpx.post(f"{server.url}/api/networks/runs", json=BODY, timeout=60).json()
    for r, w in zip(rest["racers"], whole["racers"], strict=True):
        assert r["steps"]["train_loss"] == w["steps"]["train_loss"][taken + 1 :]
        assert r["final_weights"] == w["final_weights"]


def events_until_closing(response: httpx.Response, srv) -> list[tuple[str, dict]]:
    """The stream's events; after the third, the server is told to stop (SIGTERM)."""
    events, kind = [], None
    for line in response.iter_lines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            EVENTS[kind].model_validate_json(line[6:], strict=True)
            events.append((kind, json.loads(line[6:])))
            if len(events) == 3:
                srv.process.send_signal(signal.SIGTERM)
    return events


def test_network_streams_count_toward_the_stream_limit(busy_server) -> None:
    with (
        httpx.Client(base_url=busy_server.url, timeout=30) as c,
        c.stream("POST", "/api/networks/runs/stream", params={"speed": 5}, json=BODY) as first,
    ):
        assert first.status_code == 200
        wait_for_streams(busy_server, 1)  # it is live, and counted
        second = c.post("/api/networks/runs/stream", params={"speed": 5}, json=BODY)
        assert second.status_code == 503
        assert second.headers["Retry-After"] == "2"
        assert "limit of 1 live streams" in second.json()["error"]
    wait_for_streams(busy_server, 0)  # once the first has gone, the next is served
    assert stream(busy_server.url, {**BODY, "steps": 3}, speed=0)[-1][0] == "end"
