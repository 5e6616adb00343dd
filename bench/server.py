"""The app under uvicorn on a free port, for benchmark scripts (as `make run` serves it).

On a machine with two cores or more the server is pinned to core 0 and the calling script to
core 1, so the figures are the server's and not a fight between the two (this machine is
shared and noisy: compare within one run)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def running_server() -> Iterator[str]:
    """Start the server, wait until /healthz answers, yield its base URL, stop it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port),
               "--log-level", "warning"]  # fmt: skip
    if (os.cpu_count() or 1) > 1 and shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
        os.sched_setaffinity(0, {1})
    server = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{url}/healthz")
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait()
