"""GET /api/stream against a real uvicorn server: pacing, batching, end events, disconnects."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from app.api.schemas import EndEvent, StepEvent
from app.engine.run.trace import FIELDS

RUN = {
    "surface": "roll_downhill",
    "optimizer": "sgd",
    "hyperparameters": {"lr": 1.2},
    "start": [3.5],
}


EVENT_MODELS = {"step": StepEvent, "end": EndEvent}


def read_events(response, limit=None):
    """Parse SSE from an httpx streaming response into (event, data) pairs, each checked
    against its model (StepEvent, EndEvent: what OpenAPI documents)."""
    events, kind, data = [], None, []
    for line in response.iter_lines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and data:
            EVENT_MODELS[kind].model_validate_json("\n".join(data), strict=True)
            events.append((kind, json.loads("\n".join(data))))
            kind, data = None, []
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


def merged(events, run=0):
    """One run's step events as one step record (a field sent as null stays null)."""
    out: dict[str, list | None] = {key: [] for key in FIELDS}
    for kind, data in events:
        if kind == "step" and data["run"] == run:
            for key in FIELDS:
                if data[key] is None:
                    out[key] = None
                else:
                    out[key] += data[key]
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
    first_half = [d for k, d in events if k == "step" and d["steps"][-1] <= 15]
    state = first_half[-1]["state"]
    assert state["step"] == first_half[-1]["steps"][-1]
    rest = stream(server, [{**RUN, "steps": 30 - state["step"], "resume": state}], speed=0)
    assert merged(rest)["positions"][-1] == merged(events)["positions"][-1]


def test_paced_stream_takes_steps_over_speed_seconds(server):
    t0 = time.monotonic()
    events = stream(server, [{**RUN, "steps": 10}], speed=20)
    elapsed = time.monotonic() - t0
    steps = [d for k, d in events if k == "step"]
    assert sum(len(d["steps"]) for d in steps) == 11  # the start and 10 steps
    assert len(steps) == 11  # one step per event at this speed
    assert 0.4 <= elapsed <= 2.0, elapsed


def test_fast_streams_batch_steps_into_fewer_events(server):
    events = stream(server, [{**RUN, "steps": 600}], speed=1200)
    sizes = [len(d["steps"]) for k, d in events if k == "step"][1:]
    assert sum(sizes) == 600
    assert max(sizes) >= 10  # 1200 steps/s at most 60 events/s -> 20 steps per event
    assert len(sizes) <= 60


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
    before = health(server)["steps_streamed"]
    events = stream(server, runs, speed=speed, limit=12)  # then the client hangs up
    assert len(events) == 12
    deadline = time.monotonic() + 5
    while health(server)["streams_active"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert health(server)["streams_active"] == 0
    settled = health(server)["steps_streamed"]
    time.sleep(0.5)
    assert health(server)["steps_streamed"] == settled  # no more work after the hang-up
    assert settled - before < 8 * 10_000 / 4  # far fewer than the 80,000 steps asked for
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
    mid = next(d for k, d in events if k == "step" and d["run"] == 0 and d["steps"][-1] >= 60)
    rest = {**runs[0], "steps": 120 - mid["state"]["step"], "resume": mid["state"]}
    (resumed,) = httpx.post(f"{server.url}/api/runs", json={"runs": [rest]}).json()["runs"]
    assert resumed["positions"][-1] == bulk[0]["positions"][-1]
    assert resumed["lrs"][1:] == bulk[0]["lrs"][mid["state"]["step"] + 1 :]


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
