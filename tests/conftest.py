"""Shared fixtures: an in-process client, and a real uvicorn server on a free port; and the
tiers: every test is marked by the folder it lives in."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.schemas.runs import RunsResponse
from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

# The tier of each test folder (pyproject.toml registers the markers): a test is marked by where
# it lives, so a new module joins its tier without a `pytestmark` line. The fuzzer is an API
# test too, but takes long enough to stay out of `make test-fast`.
# The first folder that holds a test gives its tier.
TIERS = {
    ROOT / "tests" / "engine": "engine",
    ROOT / "app" / "engine": "engine",  # the doctests
    ROOT / "app": "api",  # the other doctests: the web layer, the lessons, the shared facts
    ROOT / "tests" / "api": "api",
    ROOT / "tests" / "stream": "stream",
    ROOT / "tests" / "browser": "browser",
}
FUZZ = ROOT / "tests" / "api" / "test_fuzz.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.resolve()
        for folder, tier in TIERS.items():
            if path.is_relative_to(folder):
                item.add_marker(tier)
                break
        if path == FUZZ:
            item.add_marker("fuzz")


@pytest.fixture
def settings() -> Settings:
    return Settings()


def check_runs_response(response: httpx.Response) -> None:
    """Every successful POST /api/runs must match its response model (RunsResponse, built
    from the engine's one step record): checked on every response the tests get."""
    if response.request.url.path == "/api/runs" and response.status_code == 200:
        response.read()
        RunsResponse.model_validate_json(response.content, strict=True)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app) as c:
        c.event_hooks["response"].append(check_runs_response)
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, port: int, process: subprocess.Popen, log: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"the server died (exit {self.process.returncode}):\n{self.output()}")


def start_server(
    folder: Path, env: dict[str, str] | None = None, workers: int = 1, port: int | None = None
) -> Server:
    """`uvicorn app.main:app` as a user runs it, on a free port (or `port`: a restart); its
    log is shown if it dies. With `workers` > 1, uvicorn's `--workers`: that many processes
    share the port."""
    port = port or _free_port()
    log = folder / "uvicorn.log"
    command = [sys.executable, "-m", "uvicorn", "app.main:app"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    srv = Server(port, process, log)
    deadline = time.monotonic() + 20
    while True:
        srv.check_alive()
        try:
            if httpx.get(f"{srv.url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the server did not start in 20 s:\n{srv.output()}")
        time.sleep(0.1)
    return srv


def stop_server(srv: Server) -> None:
    srv.process.terminate()
    try:
        srv.process.wait(10)
    except subprocess.TimeoutExpired:
        srv.process.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("server"))
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that serves one live stream at a time: a lecture hall in miniature."""
    srv = start_server(tmp_path_factory.mktemp("busy"), {"DESCENT_LAB_MAX_STREAMS": "1"})
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`uvicorn --workers 2` on one port, each worker allowed one live stream (the limit is
    per worker)."""
    srv = start_server(
        tmp_path_factory.mktemp("workers"), {"DESCENT_LAB_MAX_STREAMS": "1"}, workers=2
    )
    yield srv
    stop_server(srv)


# Debian's redis-server (`make redis-server` installs it where missing, as `make chromium` does
# Chromium): each xdist worker starts its own on a free port, keeping nothing on disk.
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    def __init__(self, port: int, process: subprocess.Popen, log: Path) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = process
        self.log = log

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16) == b"+PONG\r\n"
        except OSError:
            return False

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"FLUSHALL\r\n")
            assert s.recv(16) == b"+OK\r\n"


def start_redis(folder: Path) -> RedisServer:
    if not Path(REDIS_SERVER).exists():
        pytest.fail("redis-server is missing: run 'make redis-server' (or apt-get install it)")
    port = _free_port()
    log = folder / "redis.log"
    command = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder)]
    command += ["--save", "", "--appendonly", "no", "--logfile", str(log)]
    process = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL)
    srv = RedisServer(port, process, log)
    deadline = time.monotonic() + 10
    while not srv.ping():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output = log.read_text(errors="replace") if log.exists() else ""
            pytest.fail(f"redis-server did not start (exit {process.poll()}):\n{output}")
        time.sleep(0.05)
    return srv


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server for this test process (each xdist worker has its own)."""
    srv = start_redis(tmp_path_factory.mktemp("redis"))
    yield srv
    srv.process.terminate()
    try:
        srv.process.wait(10)
    except subprocess.TimeoutExpired:
        srv.process.kill()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied for this test."""
    redis_server.flush()
    return redis_server.url
