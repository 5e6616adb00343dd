"""GET /api/stream against a real uvicorn server: pacing, batching, racers in one event, end
events, disconnects, stalled readers, shutdown."""

from __future__ import annotations

import json
import signal
import socket
import struct
import threading
import time

import httpx
import pytest

from app.api.stream import EVENTS
from app.engine.run.trace import FIELDS
from tests.conftest import start_server, stop_server

RUN = {
    "surface": "roll_downhill",
    "optimizer": "sgd",
    "hyperparameters": {"lr": 1.2},
    "start": [3.5],
}


def iter_events(response):
    """Parse SSE from an httpx streaming response into (event, data) pairs, each checked
    against its model (StepEvent, EndEvent, ClosingEvent: what OpenAPI documents)."""
    kind, data = None, []
    for line in response.iter_lines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and data:
            EVENTS[kind].model_validate_json("\n".join(data), strict=True)
            yield kind, json.loads("\n".join(data))
            kind, data = None, []


def read_events(response, limit=None):
    events = []
    for event in iter_events(response):
        events.append(event)
        if limit and len(events) >= limit:
            break
    return events


def stream(server, runs, speed, limit=None):
    with (
        httpx.Client(base_url=server.url, timeout=30) as c,
        c.stream(
            "GET", "/api/stream", params={"runs": json.dumps(runs), "speed": speed}
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return read_events(response, limit)


def records(events, run=0):
    """What the step events carried for one run: its records, in order."""
    return [r for kind, data in events if kind == "step" for r in data["runs"] if r["run"] == run]


def merged(events, run=0):
    """One run's step records as one step record (a field sent as null stays null)."""
    out: dict[str, list | None] = {key: [] for key in FIELDS}
    for record in records(events, run):
        for key in FIELDS:
            if record[key] is None:
                out[key] = None
            else:
                out[key] += record[key]
    return out


def test_stream_carries_the_same_numbers_as_bulk_runs(server):
    runs = [
        {**RUN, "steps": 300},
        {
            "surface": "double_well",
            "optimizer": "adam",
            "hyperparameters": {"lr": 0.05},
            "steps": 300,
        },
    ]
    events = stream(server, runs, speed=0)
    bulk = httpx.post(f"{server.url}/api/runs", json={"runs": runs}).json()["runs"]
    for i in range(2):
        got = merged(events, i)
        for key in got:
            assert got[key] == bulk[i][key]
        (end,) = [d for k, d in events if k == "end" and d["run"] == i]
        assert end["status"] == bulk[i]["status"]
        assert end["state"] == bulk[i]["state"]
    assert events[-1][0] == "end"


def test_every_step_event_carries_a_state_to_resume_from(server):
    events = stream(server, [{**RUN, "steps": 30}], speed=0)
    first_half = [r for r in records(events) if r["steps"][-1] <= 15]
    state = first_half[-1]["state"]
    assert state["step"] == first_half[-1]["steps"][-1]
    rest = stream(server, [{**RUN, "steps": 30 - state["step"], "resume": state}], speed=0)
    assert merged(rest)["positions"][-1] == merged(events)["positions"][-1]


def test_paced_stream_takes_steps_over_speed_seconds(server):
    t0 = time.monotonic()
    events = stream(server, [{**RUN, "steps": 10}], speed=20)
    elapsed = time.monotonic() - t0
    sizes = [len(r["steps"]) for r in records(events)]
    # the start, then 10 steps; at most 5 events a second: four steps in each
    assert sizes == [1, 4, 4, 2]
    assert 0.4 <= elapsed <= 2.0, elapsed


def test_fast_streams_batch_steps_into_fewer_events(server):
    events = stream(server, [{**RUN, "steps": 600}], speed=1200)
    sizes = [len(r["steps"]) for r in records(events)][1:]
    assert sum(sizes) == 600
    assert sizes == [240, 240, 120]  # 1200 steps/s, at most 5 events/s: 240 steps an event


def test_the_racers_of_a_race_move_together_in_one_event(server):
    runs = [
        {**RUN, "steps": 24},
        {"surface": "roll_downhill", "optimizer": "adam", "hyperparameters": {"lr": 0.3}}
        | {"steps": 40},
    ]
    events = stream(server, runs, speed=60)
    steps = [d["runs"] for k, d in events if k == "step"]
    assert len(steps) == 5  # the starts, then 12 steps of each per event: 24, then 40 steps
    for batch in steps[:3]:  # both racers in each event, at the same steps
        assert [r["run"] for r in batch] == [0, 1]
        assert batch[0]["steps"] == batch[1]["steps"]
    assert [r["run"] for batch in steps[3:] for r in batch] == [1, 1]  # run 0 has ended
    kinds = [k for k, _ in events]
    assert kinds.index("end") == 3  # run 0's end comes right after its last steps


def test_an_end_event_per_run_with_status_and_state(server):
    runs = [
        {**RUN, "steps": 5},
        {"surface": "parabola", "optimizer": "sgd", "hyperparameters": {"lr": 1.5}, "steps": 100},
    ]
    ends = {d["run"]: d for k, d in stream(server, runs, speed=0) if k == "end"}
    assert ends[0]["status"] == "max_steps" and ends[0]["state"]["step"] == 5
    assert ends[1]["status"] == "diverged"


def health(server):
    return httpx.get(f"{server.url}/healthz").json()


@pytest.mark.parametrize("speed", [0, 200])
def test_server_stops_working_when_the_client_goes_away(server, speed):
    runs = [{**RUN, "steps": 10_000}] * 8
    # the session's server: a stream another test left for the server to notice is not ours
    already = health(server)["streams_active"]
    before = health(server)["steps_streamed"]
    # A tab closed mid-stream: the first event read, then the connection reset at once (a
    # client library that closes politely can take long enough, on a busy machine, for an
    # unpaced stream to run most of its course first).
    query = httpx.QueryParams({"runs": json.dumps(runs), "speed": speed})
    with socket.create_connection(("127.0.0.1", server.port)) as tab:
        tab.sendall(f"GET /api/stream?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        received = b""
        while b"event: step" not in received:
            received += tab.recv(65536)
        tab.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    deadline = time.monotonic() + 5
    while health(server)["streams_active"] > already and time.monotonic() < deadline:
        time.sleep(0.05)
    assert health(server)["streams_active"] <= already, health(server)
    settled = health(server)["steps_streamed"]
    time.sleep(0.5)
    assert health(server)["steps_streamed"] == settled  # no more work after the hang-up
    assert settled - before < 8 * 10_000 / 2  # far fewer than the 80,000 steps asked for
    server.check_alive()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"runs": "[{", "speed": 1}, "runs"),
        ({"runs": "[]", "speed": 1}, "runs"),
        ({"runs": json.dumps([{**RUN, "surface": "nope"}]), "speed": 1}, "runs.0.surface"),
        ({"runs": json.dumps([RUN]), "speed": -1}, "speed"),
        ({"runs": json.dumps([RUN]), "speed": "nan"}, "speed"),
        ({"runs": json.dumps([RUN]), "speed": 10**9}, "speed"),
        ({"speed": 1}, "runs"),
    ],
)
def test_bad_streams_are_refused_before_streaming(server, params, field):
    response = httpx.get(f"{server.url}/api/stream", params=params)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_noise_schedules_and_lbfgs_stream_as_they_run_in_bulk(server):
    runs = [
        {
            "surface": "roll_downhill",
            "optimizer": "sgld",
            "hyperparameters": {"lr": 0.01, "temperature": 0.3},
            "options": {"noise": 0.5, "batch_size": 4, "seed": 11, "clip_grad_norm": 2.0},
            "schedule": {"name": "cosine", "parameters": {"T_max": 50}},
            "steps": 120,
        },
        {
            "surface": "himmelblau",
            "optimizer": "lbfgs",
            "hyperparameters": {"line_search_fn": "strong_wolfe", "max_iter": 3},
            "options": {"precision": "float16", "loss_scale": 8},
            "steps": 40,
        },
    ]
    events = stream(server, runs, speed=0)
    bulk = httpx.post(f"{server.url}/api/runs", json={"runs": runs}).json()["runs"]
    for i in range(2):
        got = merged(events, i)
        assert set(got) >= {"lrs", "applied_gradients", "underflows", "evaluations"}
        for key in got:
            assert got[key] == bulk[i][key], key
    # resumed from a mid-stream state, the noise and the schedule carry on unchanged
    mid = next(r for r in records(events) if r["steps"][-1] >= 60)
    rest = {**runs[0], "steps": 120 - mid["state"]["step"], "resume": mid["state"]}
    (resumed,) = httpx.post(f"{server.url}/api/runs", json={"runs": [rest]}).json()["runs"]
    assert resumed["positions"][-1] == bulk[0]["positions"][-1]
    assert resumed["lrs"][1:] == bulk[0]["lrs"][mid["state"]["step"] + 1 :]


def test_an_averaging_optimizer_streams_its_average(server):
    # ASGD's ax (Trace.averages) streams as it runs in bulk; a rule without one sends null.
    runs = [
        {
            "surface": "himmelblau",
            "optimizer": "asgd",
            "hyperparameters": {"lr": 0.01, "t0": 5},
            "options": {"noise": 2.0, "seed": 3},
            "steps": 60,
        },
        {**RUN, "steps": 20},
    ]
    events = stream(server, runs, speed=0)
    bulk = httpx.post(f"{server.url}/api/runs", json={"runs": runs}).json()["runs"]
    averages = merged(events, 0)["averages"]
    assert averages == bulk[0]["averages"]
    assert averages[0] is None and all(len(a) == 2 for a in averages[1:])
    assert averages[-1] != bulk[0]["positions"][-1]  # averaging started at step 7
    assert merged(events, 1)["averages"] is None


def wait_for_streams(srv, count: int) -> None:
    deadline = time.monotonic() + 5
    while health(srv)["streams_active"] != count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert health(srv)["streams_active"] == count


def test_past_the_stream_limit_a_stream_is_refused_with_retry_after(busy_server):
    with (
        httpx.Client(base_url=busy_server.url, timeout=30) as c,
        c.stream(
            "GET", "/api/stream", params={"runs": json.dumps([{**RUN, "steps": 50}]), "speed": 5}
        ) as first,
    ):
        assert first.status_code == 200
        wait_for_streams(busy_server, 1)  # it is live, and counted
        second = c.get("/api/stream", params={"runs": json.dumps([RUN]), "speed": 5})
        assert second.status_code == 503
        assert second.headers["Retry-After"] == "2"
        body = second.json()
        assert body["ok"] is False and body["status"] == 503
        assert "limit of 1 live streams" in body["error"]
    wait_for_streams(busy_server, 0)  # once the first has gone, the next is served
    events = stream(busy_server, [{**RUN, "steps": 3}], speed=0)
    assert events[-1][0] == "end"


def test_a_reader_that_stops_reading_is_dropped(tmp_path):
    """A phone that loses the page mid-stream (or a crafted client) stops reading: once the
    buffers are full and a send has waited DESCENT_LAB_SEND_TIMEOUT, the stream is dropped,
    and the worker serves everyone else meanwhile."""
    srv = start_server(tmp_path, {"DESCENT_LAB_SEND_TIMEOUT": "1"})
    try:
        runs = json.dumps([{**RUN, "steps": 10_000}] * 8)
        query = httpx.QueryParams({"runs": runs, "speed": 0})
        reader = socket.socket()
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        reader.connect(("127.0.0.1", srv.port))
        reader.sendall(f"GET /api/stream?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        wait_for_streams(srv, 1)
        # never read: the server fills its buffers, waits a second on the next send, gives up
        deadline = time.monotonic() + 15
        while health(srv)["streams_active"] and time.monotonic() < deadline:
            assert httpx.get(f"{srv.url}/healthz", timeout=2).status_code == 200
            time.sleep(0.1)
        assert health(srv)["streams_active"] == 0
        sent = health(srv)["steps_streamed"]
        assert sent < 8 * 10_000  # it stopped working for the stalled reader
        time.sleep(0.3)
        assert health(srv)["steps_streamed"] == sent
        reader.close()
        srv.check_alive()
        assert "Traceback" not in srv.output()  # dropped quietly, not as an error
    finally:
        stop_server(srv)


def test_on_shutdown_every_stream_gets_a_last_closing_event(tmp_path):
    """A restart (a new release, a scaled-down replica) ends every stream with `closing`; the
    steps before it carry the state the page resumes from elsewhere."""
    srv = start_server(tmp_path)
    try:
        runs = [{**RUN, "steps": 1000}, {**RUN, "optimizer": "adam", "steps": 1000}]
        with (
            httpx.Client(base_url=srv.url, timeout=30) as c,
            c.stream(
                "GET", "/api/stream", params={"runs": json.dumps(runs), "speed": 20}
            ) as response,
        ):
            events = []
            t0 = None
            for event in iter_events(response):
                events.append(event)
                if len(events) == 3:
                    srv.process.send_signal(signal.SIGTERM)
                    t0 = time.monotonic()
        closed_after = time.monotonic() - t0
        kind, data = events[-1]
        assert kind == "closing"
        assert data["retry_after"] == 2 and "shutting down" in data["reason"]
        assert [k for k, _ in events[:-1]] == ["step"] * (len(events) - 1)
        assert closed_after < 3
        srv.process.wait(5)  # and the server stops at once, cleanly
        assert "Finished server process" in srv.output()
        assert "Traceback" not in srv.output()
        last = records(events, 1)[-1]
        assert last["state"]["step"] == last["steps"][-1]  # resumable from there
    finally:
        stop_server(srv)


def test_a_long_post_does_not_hold_up_the_streams(server):
    """One heavy request (eight long L-BFGS runs) while a class watches: it computes in a
    worker thread, and the stream's events keep their pace."""
    heavy = {"surface": "rosenbrock", "optimizer": "lbfgs", "steps": 300}
    heavy["hyperparameters"] = {"tolerance_grad": 0.0, "tolerance_change": 0.0}
    posted: list[float] = []

    def post() -> None:
        t0 = time.monotonic()
        response = httpx.post(f"{server.url}/api/runs", json={"runs": [heavy] * 8}, timeout=120)
        assert response.status_code == 200
        posted.append(time.monotonic() - t0)

    with (
        httpx.Client(base_url=server.url, timeout=30) as c,
        c.stream(
            "GET", "/api/stream", params={"runs": json.dumps([{**RUN, "steps": 60}]), "speed": 20}
        ) as response,
    ):
        worker = threading.Thread(target=post)
        arrivals = []
        for _event in iter_events(response):
            arrivals.append(time.monotonic())
            if len(arrivals) == 2:
                worker.start()  # the heavy request lands mid-stream
        worker.join()
    gaps = [b - a for a, b in zip(arrivals[1:], arrivals[2:], strict=False)]
    assert posted and posted[0] > 1.0  # it really was heavy, and overlapped the stream
    assert max(gaps) < 0.5, (gaps, posted)  # events every 0.2 s, held up by a tick at most
