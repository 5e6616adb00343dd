"""The stream's running verdict and early ending: each `step` event says how each run stands
on the steps so far (null while too early), and a run with `end_early` ends where the engine
decides it, with the numbers of POST /api/runs."""

from __future__ import annotations

import httpx

from tests.stream.test_stream import RUN, merged, records, stream


def test_each_step_event_carries_the_running_verdict(server):
    events = stream(server, [{**RUN, "steps": 200}], speed=500)  # 100 steps an event
    verdicts = [(r["steps"][-1], r["verdict"]) for r in records(events)]
    assert verdicts[0] == (0, None)  # the starting point: too early to tell
    judged = [(step, v) for step, v in verdicts if step >= 64]
    assert judged and all(v == {"kind": "bouncing", "minimum": None} for _, v in judged)
    assert all(v is None for step, v in verdicts if step < 64)


def test_a_run_that_ends_early_ends_where_the_engine_decides_it(server):
    run = {**RUN, "steps": 1000, "end_early": True}
    events = stream(server, [run], speed=0)
    (end,) = [d for k, d in events if k == "end"]
    assert end["status"] == "decided" and end["outcome"] == "bouncing"
    assert end["state"]["step"] == 128  # bouncing for two full windows
    (bulk,) = httpx.post(f"{server.url}/api/runs", json={"runs": [run]}).json()["runs"]
    assert merged(events)["positions"] == bulk["positions"]
    assert (bulk["status"], bulk["outcome"]) == ("decided", "bouncing")
    # the unbroken run takes the same first steps
    (full,) = httpx.post(f"{server.url}/api/runs", json={"runs": [{**RUN, "steps": 1000}]}).json()[
        "runs"
    ]
    assert full["positions"][:129] == bulk["positions"]
    assert full["outcome"] == "bouncing"
