"""The app under uvicorn on a free port, for benchmark scripts (as `make run` serves it).

On a machine with two cores or more one worker is pinned to core 0 and the calling script to
the other cores, so the figures are the server's and not a fight between the two (this
machine is shared and noisy: compare within one run)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Served:
    url: str
    port: int
    pid: int  # uvicorn's process (with --workers, the parent of the workers)


@contextmanager
def running_server(workers: int = 1) -> Iterator[Served]:
    """Start the server (`workers` uvicorn workers), wait until /healthz answers, yield it,
    stop it. One worker is pinned to core 0 and the caller to the others; several share the
    first `workers` cores with the caller."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port),
               "--log-level", "warning", "--workers", str(workers)]  # fmt: skip
    cpus = os.cpu_count() or 1
    if cpus > 1 and shutil.which("taskset"):
        cores = "0" if workers == 1 else f"0-{min(workers, cpus) - 1}"
        command = ["taskset", "-c", cores, *command]
        os.sched_setaffinity(0, set(range(1, cpus)) if workers == 1 else set(range(cpus)))
    server = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit("the server did not start")
        time.sleep(0.5 if workers > 1 else 0)  # let every worker come up
        yield Served(url, port, server.pid)
    finally:
        server.terminate()
        server.wait()
