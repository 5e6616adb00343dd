"""Training streams on one core: many students each watching a network learn at 60 steps per
second, with its 48×48 prediction grid (and unit thumbnails and weights) five times a second.

The server (one uvicorn worker) is pinned to core 0 and this script — the clients, raw sockets
on loopback — to the other cores (bench/server.py). Each client POSTs the page's default
network (circle, 200 points, 2-4-4-1 tanh, SGD, mini-batches of 10) to
`/api/networks/runs/stream?speed=60`, arrivals spread over `--ramp` seconds, and reads for
`--seconds`. Printed: each client's achieved step rate (steps received after the first steps
event ÷ the time to the last one) and frames per second, the share of clients at ≥ 95% of
the target rate, errors, and the server's CPU use.

Target (issue 23): 30 streams on one core, every client at ≥ 95% of 60 steps/s.

Run: `.venv/bin/python bench/network_streams.py [--clients 30] [--seconds 10] [--ramp 1]
[--speed 60] [--grid 48]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from server import running_server

MAX_CLIENTS, MAX_SECONDS = 500, 120  # the bench is bounded whatever it is asked
MAX_STEPS = 5000  # DESCENT_LAB_NETWORK_MAX_STEPS's default
BODY = {
    "data": {"dataset": "circle", "points": 200, "noise": 0.1, "test_ratio": 0.3},
    "model": {"features": ["x1", "x2"], "hidden": [4, 4], "activation": "tanh"},
    "optimizers": [{"optimizer": "sgd", "hyperparameters": {"lr": 0.03}}],
    "options": {"batch_size": 10},
}


@dataclass
class Client:
    first_steps_at: float | None = None
    last_steps_at: float = 0.0
    steps: int = 0  # received after the first steps event
    frames: int = 0
    error: str | None = None

    @property
    def rate(self) -> float:
        if self.first_steps_at is None or self.last_steps_at <= self.first_steps_at:
            return 0.0
        return self.steps / (self.last_steps_at - self.first_steps_at)


def _count(event: bytes, client: Client) -> None:
    kind, data = None, None
    for line in event.split(b"\n"):
        if line.startswith(b"event: "):
            kind = line[7:]
        elif line.startswith(b"data: "):
            data = line[6:]
    if kind == b"frame":
        client.frames += 1
    if kind != b"steps" or data is None:
        return
    steps = len(json.loads(data)["racers"][0]["steps"]["step"])
    now = time.monotonic()
    if client.first_steps_at is None:
        client.first_steps_at = now  # the start point: not a step taken
    else:
        client.steps += steps
    client.last_steps_at = now


async def _watch(
    port: int, body: bytes, speed: float, client: Client, until: float, delay: float
) -> None:
    """One client: after `delay` seconds, open the stream and read it until `until`."""
    await asyncio.sleep(delay)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as exc:
        client.error = f"connect: {exc}"
        return
    writer.write(
        f"POST /api/networks/runs/stream?speed={speed:g} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), until - time.monotonic())
        status = head.split(b" ", 2)[1]
        if status != b"200":
            client.error = f"HTTP {status.decode()}"
            return
        buffer = b""
        while time.monotonic() < until:
            chunk = await asyncio.wait_for(reader.read(1 << 20), until - time.monotonic())
            if not chunk:
                client.error = "closed by the server"
                return
            buffer += chunk.replace(b"\r\n", b"\n")
            *events, buffer = buffer.split(b"\n\n")
            for event in events:
                _count(event, client)
    except TimeoutError:
        pass  # the round is over
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        client.error = f"{type(exc).__name__}: {exc}"
    finally:
        writer.close()


def _cpu_seconds(pid: int) -> float:
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


async def _round(port: int, pid: int, args: argparse.Namespace) -> tuple[list[Client], float]:
    steps = min(MAX_STEPS, int(args.speed * (args.ramp + args.seconds + 10)))
    body = json.dumps({**BODY, "steps": steps, "grid": args.grid}).encode()
    clients = [Client() for _ in range(args.clients)]
    until = time.monotonic() + args.ramp + args.seconds
    cpu, wall = _cpu_seconds(pid), time.monotonic()
    await asyncio.gather(
        *(
            _watch(port, body, args.speed, c, until, args.ramp * i / args.clients)
            for i, c in enumerate(clients)
        )
    )
    return clients, (_cpu_seconds(pid) - cpu) / (time.monotonic() - wall)


def _report(clients: list[Client], busy: float, args: argparse.Namespace) -> None:
    rates = [c.rate for c in clients]
    watched = [c.last_steps_at - c.first_steps_at for c in clients if c.first_steps_at is not None]
    print("client  steps/s  frames/s")
    for i, c in enumerate(clients):
        span = c.last_steps_at - c.first_steps_at if c.first_steps_at is not None else 0.0
        frames = c.frames / span if span > 0 else 0.0
        print(f"{i:6d}  {c.rate:7.2f}  {frames:8.2f}" + (f"  error: {c.error}" if c.error else ""))
    good = sum(r >= 0.95 * args.speed for r in rates)
    print(
        f"\n{len(clients)} streams × {args.speed:g} steps/s, grid {args.grid}×{args.grid}: "
        f"rate min {min(rates):.2f}  median {statistics.median(rates):.2f}  max {max(rates):.2f}"
        f" steps/s | at ≥ 95% of {args.speed:g}: {good}/{len(clients)} "
        f"({good / len(clients):.0%}) | watched {statistics.median(watched or [0]):.1f} s"
        f" | errors {sum(c.error is not None for c in clients)} | server busy {busy:.0%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=10.0, help="each client watches")
    parser.add_argument("--ramp", type=float, default=1.0, help="arrivals spread over")
    parser.add_argument("--speed", type=float, default=60.0, help="steps per second")
    parser.add_argument("--grid", type=int, default=48, help="cells along a side")
    args = parser.parse_args()
    args.clients = max(1, min(args.clients, MAX_CLIENTS))
    args.seconds = max(1.0, min(args.seconds, MAX_SECONDS))
    args.ramp = max(0.0, min(args.ramp, MAX_SECONDS))
    with running_server() as server:
        clients, busy = asyncio.run(_round(server.port, server.pid, args))
    _report(clients, busy, args)


if __name__ == "__main__":
    main()
