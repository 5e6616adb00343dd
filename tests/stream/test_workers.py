"""Several uvicorn workers on one port (`--workers 2`): each worker serves runs and streams, and
gives the same numbers, because nothing a user depends on stays in a worker between requests —
a run's state travels with the request (`resume`), the seeded noise depends only on the seed
and the step."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from tests.conftest import Server

RUNS = [
    {
        "surface": "himmelblau",
        "optimizer": "adam",
        "hyperparameters": {"lr": 0.05},
        "options": {"noise": 0.5, "batch_size": 4, "seed": 7},
        "schedule": {"name": "cosine", "parameters": {"T_max": 80}},
        "start": [-1.0, 2.0],
        "steps": 80,
    },
    {"surface": "roll_downhill", "optimizer": "sgd", "hyperparameters": {"lr": 1.2}, "steps": 80},
]
END_FIELDS = ("status", "outcome", "minimum", "state")


class Connection:
    """One kept-alive connection: every request on it reaches the worker process that
    accepted it, which /healthz names (`pid`)."""

    def __init__(self, url: str) -> None:
        one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self.client = httpx.Client(base_url=url, timeout=30, limits=one)
        self.pid, self.port = self.whoami()

    def whoami(self) -> tuple[int, int]:
        response = self.client.get("/healthz")
        local = response.extensions["network_stream"].get_extra_info("client_addr")
        return response.json()["pid"], local[1]

    def check_same_worker(self) -> None:
        # the same local port: the work went over this one connection, to this worker
        assert self.whoami() == (self.pid, self.port)

    def health(self) -> dict:
        return self.client.get("/healthz").json()

    def run(self, runs: list[dict]) -> list[dict]:
        response = self.client.post("/api/runs", json={"runs": runs})
        assert response.status_code == 200, response.text
        return response.json()["runs"]

    def stream_ends(self, runs: list[dict]) -> dict[int, dict]:
        """A whole unpaced stream, read to its end (so the connection is kept): the end
        events by run. The step events' shape is the stream tests' business."""
        ends, kind = {}, None
        params = {"runs": json.dumps(runs), "speed": 0}
        with self.client.stream("GET", "/api/stream", params=params) as response:
            assert response.status_code == 200, response.read()
            for line in response.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "end":
                    data = json.loads(line[6:])
                    ends[data["run"]] = data
        return ends

    def close(self) -> None:
        self.client.close()


def one_connection_per_worker(srv: Server, count: int = 2) -> dict[int, Connection]:
    """Fresh connections until each of `count` workers has accepted one (the kernel hands a
    new connection to whichever worker takes it first)."""
    found: dict[int, Connection] = {}
    deadline = time.monotonic() + 10  # the second worker may still be starting
    while len(found) < count and time.monotonic() < deadline:
        conn = Connection(srv.url)
        if conn.pid in found:
            conn.close()
        else:
            found[conn.pid] = conn
    assert len(found) == count, f"only workers {list(found)} answered:\n{srv.output()}"
    assert srv.process.pid not in found  # workers, not the supervising process
    return found


@pytest.fixture
def connections(two_workers: Server) -> Iterator[list[Connection]]:
    conns = one_connection_per_worker(two_workers)
    yield list(conns.values())
    for conn in conns.values():
        conn.close()


def test_every_worker_runs_and_streams_the_same_numbers(connections):
    answers = []
    for conn in connections:
        bulk = conn.run(RUNS)
        ends = conn.stream_ends(RUNS)
        conn.check_same_worker()
        assert sorted(ends) == [0, 1]
        for i, run in enumerate(bulk):
            assert ends[i] == {"run": i, **{key: run[key] for key in END_FIELDS}}
        answers.append((bulk, ends))
    a, b = answers
    assert a == b  # every step of every run, and every end event, alike on both workers
    assert a[0][0]["outcome"] != a[0][1]["outcome"]  # two different runs, not one twice


def test_a_run_stopped_on_one_worker_continues_exactly_on_the_other(connections):
    first, other = connections
    (whole,) = first.run([RUNS[0]])
    (half,) = first.run([{**RUNS[0], "steps": 35}])
    rest = {**RUNS[0], "steps": 45, "resume": half["state"]}
    (resumed,) = other.run([rest])  # as the page does when Play is pressed again
    assert resumed["positions"][-1] == whole["positions"][-1]
    assert resumed["lrs"][1:] == whole["lrs"][36:]  # the schedule carried on
    assert other.stream_ends([rest])[0] == {"run": 0, **{k: whole[k] for k in END_FIELDS}}
    first.check_same_worker()
    other.check_same_worker()


def test_each_worker_has_its_own_stream_limit(two_workers, connections):
    live = [{**RUNS[1], "steps": 10_000}]
    params = {"runs": json.dumps(live), "speed": 1}
    with (
        connections[0].client.stream("GET", "/api/stream", params=params) as one,
        connections[1].client.stream("GET", "/api/stream", params=params) as two,
    ):
        # a limit of 1 per worker, two workers: two live streams at once
        assert (one.status_code, two.status_code) == (200, 200)
        refused = httpx.get(f"{two_workers.url}/api/stream", params=params)
        assert refused.status_code == 503  # the third, on either worker
        assert refused.headers["Retry-After"] == "2"
    # each worker frees its own slot once its client has gone
    probes = one_connection_per_worker(two_workers)
    deadline = time.monotonic() + 5
    while any(p.health()["streams_active"] for p in probes.values()):
        assert time.monotonic() < deadline, [p.health() for p in probes.values()]
        time.sleep(0.05)
    for probe in probes.values():
        probe.close()
