"""A lecture hall on one core: many viewers opening the same link, each watching a race of two
racers stream at 60 steps per second.

The server (one uvicorn worker) is pinned to core 0 with `taskset -c 0` and this script — the
load generator, raw sockets on loopback — to core 1, so the figures are the server's. A round
opens every viewer's stream, the arrivals spread evenly over `--ramp` seconds (a class
pressing Play), and holds each for `--seconds`; it prints, over the viewers, the
delivered/target step rate (min, p5, median; a viewer's rate is that of its slowest racer,
from its first event to its last), the first event's latency (p50, p99), errors, and the
server's memory (RSS) before, at the peak and after the round, and how busy the server was
(CPU time over the round, per worker). Two such rounds run, so memory
growth between them shows, then one with every viewer arriving in the same instant. Then all
of it again with 2 workers on both cores (the generator shares them there: a lower bound).

Targets (issue 11): with 300 viewers on one core, every viewer ≥ 95% of its rate, first event
p99 ≤ 200 ms, no errors, the second round's memory within 20 MB of the first.

Run: `.venv/bin/python bench/lecture_hall.py [--clients 300] [--seconds 10] [--ramp 1]
[--rounds 2] [--workers 1 2]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from server import running_server

MAX_CLIENTS, MAX_SECONDS = 2000, 120  # the bench is bounded whatever it is asked
SPEED = 60  # steps per second per racer
# An explorer race whose two racers keep moving for the whole round: on Rosenbrock's curved
# valley both are still crawling after thousands of steps.
RACERS = [
    {"surface": "rosenbrock", "optimizer": "sgd", "hyperparameters": {"lr": 2e-4},
     "start": [-1.5, 2.5]},
    {"surface": "rosenbrock", "optimizer": "adam", "hyperparameters": {"lr": 1e-3},
     "start": [-1.5, 2.5]},
]  # fmt: skip


@dataclass
class Viewer:
    connected_at: float = 0.0
    first_event_at: float | None = None
    last_event_at: float = 0.0
    steps: dict[int, int] = field(default_factory=dict)  # racer -> steps after the first event
    error: str | None = None


def _family(pid: int) -> list[int]:
    """A process and its children (the workers of `--workers N`)."""
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return pids


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the server has used so far, its workers included."""
    total = 0
    for p in _family(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _rss_bytes(pid: int) -> int:
    """Resident memory of a process and its children."""
    total = 0
    for p in _family(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


async def _watch(port: int, target: str, viewer: Viewer, until: float, delay: float = 0) -> None:
    """One viewer: after `delay` seconds, request the stream, read events until `until`,
    count each racer's steps."""
    await asyncio.sleep(delay)
    viewer.connected_at = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as exc:
        viewer.error = f"connect: {exc}"
        return
    writer.write(
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), until - time.monotonic())
        status = head.split(b" ", 2)[1]
        if status != b"200":
            viewer.error = f"HTTP {status.decode()}"
            return
        buffer = b""
        while time.monotonic() < until:
            chunk = await asyncio.wait_for(reader.read(65536), until - time.monotonic())
            if not chunk:
                viewer.error = "closed by the server"
                return
            buffer += chunk.replace(b"\r\n", b"\n")  # SSE lines may end either way
            *events, buffer = buffer.split(b"\n\n")
            for event in events:
                _count(event, viewer)
    except TimeoutError:
        pass  # the round is over
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        viewer.error = f"{type(exc).__name__}: {exc}"
    finally:
        writer.close()


def _count(event: bytes, viewer: Viewer) -> None:
    # Chunked transfer encoding puts size lines between chunks; SSE lines are what matter.
    kind, data = None, None
    for line in event.split(b"\n"):
        line = line.rstrip(b"\r")
        if line.startswith(b"event: "):
            kind = line[7:]
        elif line.startswith(b"data: "):
            data = line[6:]
    if kind != b"step" or data is None:
        return
    payload = json.loads(data)
    records = payload.get("runs", [payload])  # racers in one event (or, before, one each)
    first = viewer.first_event_at is None
    viewer.last_event_at = time.monotonic()
    if first:
        viewer.first_event_at = viewer.last_event_at
    for record in records:
        if first:
            viewer.steps.setdefault(record["run"], 0)  # the starting point: not a step
        else:
            viewer.steps[record["run"]] = viewer.steps.get(record["run"], 0) + len(record["steps"])


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def _round(port: int, clients: int, seconds: float, ramp: float) -> list[Viewer]:
    steps = int(SPEED * (seconds + 10))
    runs = [{**racer, "steps": steps} for racer in RACERS]
    query = urllib.parse.urlencode({"runs": json.dumps(runs), "speed": SPEED})
    viewers = [Viewer() for _ in range(clients)]
    until = time.monotonic() + ramp + seconds
    delays = [ramp * i / clients for i in range(clients)]  # arrivals spread evenly
    target = f"/api/stream?{query}"
    pairs = zip(viewers, delays, strict=True)
    await asyncio.gather(*(_watch(port, target, v, until, d) for v, d in pairs))
    end = time.monotonic()
    for v in viewers:
        if v.error is None and v.first_event_at is None:
            v.error = "no event"
        # Steps per second from the first event to the last: a batched stream's steps arrive
        # an event at a time, so counting to the round's end would miss the batch in flight.
        # A last event long before the end is a stall, and is counted as one.
        last = v.last_event_at if end - v.last_event_at < 1.0 else end
        v.rate = (  # type: ignore[attr-defined]
            min(v.steps.values(), default=0) / (SPEED * (last - v.first_event_at))
            if v.first_event_at is not None and last > v.first_event_at
            else 0.0
        )
    return viewers


def _report(label: str, viewers: list[Viewer], rss: tuple[int, int, int], busy: float) -> None:
    rates = [v.rate for v in viewers]  # type: ignore[attr-defined]
    firsts = [
        (v.first_event_at - v.connected_at) * 1e3 for v in viewers if v.first_event_at is not None
    ]
    errors = [v.error for v in viewers if v.error]
    before, peak, after = (x / 2**20 for x in rss)
    print(
        f"{label:26s} rate min {min(rates):5.2f}  p5 {_percentile(rates, 5):5.2f}  "
        f"median {statistics.median(rates):5.2f} | first event p50 "
        f"{_percentile(firsts, 50) if firsts else float('nan'):6.0f} ms  p99 "
        f"{_percentile(firsts, 99) if firsts else float('nan'):6.0f} ms | errors {len(errors)}"
        f" | RSS {before:5.1f} → peak {peak:5.1f} → {after:5.1f} MB | server busy {busy:4.0%}"
    )
    for message in sorted(set(errors))[:3]:
        print(f"{'':26s} error: {message} (×{errors.count(message)})")


async def _sample_peak(pid: int, stop: asyncio.Event) -> int:
    peak = 0
    while not stop.is_set():
        peak = max(peak, _rss_bytes(pid))
        await asyncio.sleep(0.1)
    return peak


async def _measure(port: int, pid: int, workers: int, args: argparse.Namespace) -> None:
    label = f"{workers} worker(s)"
    plan = [(f"ramp {args.ramp:g} s, round {r}", args.ramp) for r in range(1, args.rounds + 1)]
    if args.ramp > 0:
        plan.append(("all at once", 0.0))  # the same viewers in the same instant
    for name, ramp in plan:
        before = _rss_bytes(pid)
        stop = asyncio.Event()
        sampler = asyncio.create_task(_sample_peak(pid, stop))
        cpu, wall = _cpu_seconds(pid), time.monotonic()
        viewers = await _round(port, args.clients, args.seconds, ramp)
        busy = (_cpu_seconds(pid) - cpu) / (time.monotonic() - wall) / workers
        await asyncio.sleep(1.0)  # the server notices the closed streams
        stop.set()
        peak = await sampler
        after = _rss_bytes(pid)
        _report(f"{label}, {name}", viewers, (before, max(peak, after), after), busy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0, help="each viewer watches")
    parser.add_argument("--ramp", type=float, default=1.0, help="arrivals spread over")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    args = parser.parse_args()
    args.clients = max(1, min(args.clients, MAX_CLIENTS))
    args.seconds = max(1.0, min(args.seconds, MAX_SECONDS))
    args.ramp = max(0.0, min(args.ramp, MAX_SECONDS))
    args.rounds = max(1, min(args.rounds, 5))
    cpus = os.cpu_count() or 1
    print(
        f"{args.clients} viewers × {len(RACERS)} racers × {SPEED} steps/s, each watching "
        f"{args.seconds:g} s; arrivals over {args.ramp:g} s, then all at once ({cpus} cores)"
    )
    for workers in args.workers:
        with running_server(workers) as server:
            asyncio.run(_measure(server.port, server.pid, workers, args))


if __name__ == "__main__":
    main()
