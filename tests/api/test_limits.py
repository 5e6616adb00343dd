"""Bounded requests: a body over the limit is refused with 413 before it is parsed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

JSON = {"content-type": "application/json"}


def many_runs(n: int) -> bytes:
    run = {"surface": "parabola", "optimizer": "sgd", "steps": 1}
    return json.dumps({"runs": [run] * n}).encode()


def post(client: TestClient, body: bytes | Iterable[bytes]):
    return client.post("/api/runs", content=body, headers=JSON)


def test_a_huge_body_is_refused_at_once_in_the_error_shape(client):
    body = many_runs(200_000)  # about 10 MB
    assert len(body) > 5_000_000
    t0 = time.perf_counter()
    response = post(client, body)
    elapsed = time.perf_counter() - t0
    assert response.status_code == 413
    assert response.json() == {
        "ok": False,
        "status": 413,
        "error": "Request body too large",
        "errors": [{"field": "body", "reason": "at most 1000000 bytes"}],
    }
    assert "Content-Security-Policy" in response.headers
    assert elapsed < 2.0  # never parsed: validating this body took seconds


def test_a_chunked_body_is_cut_off_at_the_limit():
    with TestClient(create_app(Settings(max_body_bytes=2048))) as c:
        assert post(c, (b" " * 1000 for _ in range(10))).status_code == 413
        assert post(c, iter([many_runs(1)])).status_code == 200


def test_the_limit_is_a_setting_and_normal_requests_pass(client):
    assert post(client, many_runs(1)).status_code == 200
    with TestClient(create_app(Settings(max_body_bytes=1024))) as c:
        assert post(c, many_runs(30)).status_code == 413
        assert post(c, many_runs(1)).status_code == 200
