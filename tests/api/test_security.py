"""Security headers on every kind of response; the policy per page; who may embed the pages."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.main import create_app
from app.settings import Settings

RUN = {"surface": "roll_downhill", "optimizer": "sgd", "hyperparameters": {"lr": 0.1}}


def policy(response: httpx.Response) -> dict[str, list[str]]:
    """The Content-Security-Policy as {directive: [sources]}."""
    header = response.headers["content-security-policy"]
    directives = [d.split() for d in header.split(";") if d.strip()]
    return {name: sources for name, *sources in directives}


def check_headers(response: httpx.Response) -> dict[str, list[str]]:
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"][0] == "'self'"
    assert csp["connect-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["*"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "x-frame-options" not in response.headers  # it would block embedding in an LMS
    return csp


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_every_kind_of_response_carries_the_security_headers(client):
    page = client.get("/")
    css = next(u for u in asset_urls(page.text) if u.endswith(".css"))
    docs = client.get("/docs")
    swagger_js = next(u for u in asset_urls(docs.text) if u.endswith(".js"))
    responses = {
        "page": (page, 200),
        "explorer": (client.get("/explore"), 200),
        "API": (client.get("/api/surfaces"), 200),
        "422": (client.post("/api/runs", json={"runs": "none"}), 422),
        "404": (client.get("/no/such/page"), 404),
        "405": (client.delete("/api/surfaces"), 405),
        "static file": (client.get(css), 200),
        "Swagger UI file": (client.get(swagger_js), 200),
        "/docs": (docs, 200),
        "/openapi.json": (client.get("/openapi.json"), 200),
        "/healthz": (client.get("/healthz"), 200),
    }
    for kind, (response, status) in responses.items():
        assert response.status_code == status, kind
        check_headers(response)


def test_a_server_error_carries_them_too():
    app = create_app()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/boom")
    assert response.status_code == 500
    check_headers(response)


def test_the_stream_starts_with_the_headers_and_is_not_buffered(server):
    """Five steps a second for 1000 steps: the first event arrives long before the end."""
    params = {"runs": json.dumps([{**RUN, "steps": 1000}]), "speed": 5}
    with (
        httpx.Client(base_url=server.url, timeout=10) as c,
        c.stream("GET", "/api/stream", params=params) as response,
    ):
        began = time.monotonic()
        assert response.status_code == 200
        check_headers(response)
        first = next(response.iter_lines())
        assert first.startswith("event: step")
        assert time.monotonic() - began < 5


@pytest.mark.parametrize("path", ["/", "/?surface=double_well", "/explore", "/docs"])
def test_scripts_come_from_this_server_only(client, path):
    """No page allows eval, inline scripts in general, or any other origin's scripts."""
    csp = check_headers(client.get(path))
    assert "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "*" not in csp["script-src"]
    assert all(s == "'self'" or s.startswith("'sha256-") for s in csp["script-src"]), csp
    assert "default-src" in csp and "'unsafe-eval'" not in csp["default-src"]


@pytest.mark.parametrize("path", ["/", "/explore"])
def test_the_simulator_pages_allow_only_self_scripts_and_have_no_inline_ones(client, path):
    response = client.get(path)
    assert policy(response)["script-src"] == ["'self'"]
    scripts = re.findall(r"<script([^>]*)>", response.text)
    # the one data block (app/facts.py) is JSON, which a browser never runs
    code = [attrs for attrs in scripts if attrs != ' type="application/json" id="facts"']
    assert code and all("src=" in attrs for attrs in code)
    assert len(code) == len(scripts) - 1


def test_docs_allows_exactly_its_own_inline_script_by_hash(client):
    response = client.get("/docs")
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert len(inline) == 1 and "SwaggerUIBundle(" in inline[0]
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert policy(response)["script-src"] == ["'self'", f"'sha256-{digest}'"]
    # and no other page gets that allowance
    assert f"'sha256-{digest}'" not in client.get("/").headers["content-security-policy"]


def test_docs_loads_swagger_ui_from_this_server(client):
    html = client.get("/docs").text
    urls = asset_urls(html)
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls)
    assert any(u.endswith("swagger-ui.css") for u in urls)
    for url in urls:
        assert url.startswith("/"), url  # no CDN
        response = client.get(url)
        assert response.status_code == 200, url
        assert "immutable" in response.headers["cache-control"]
    assert "'/openapi.json'" in html
    assert client.get("/redoc").status_code == 404  # ReDoc would need a CDN: not offered


def test_frame_ancestors_follows_the_setting():
    lms = "https://canvas.example.edu"
    app = create_app(Settings(frame_ancestors=lms))
    with TestClient(app) as c:
        for path in ["/", "/explore", "/docs", "/api/surfaces"]:
            assert policy(c.get(path))["frame-ancestors"] == [lms], path


def test_frame_ancestors_reads_the_environment(monkeypatch):
    monkeypatch.setenv(
        "DESCENT_LAB_FRAME_ANCESTORS", "'self'\n https://a.example https://b.example"
    )
    assert Settings().frame_ancestors == "'self' https://a.example https://b.example"
    monkeypatch.delenv("DESCENT_LAB_FRAME_ANCESTORS")
    assert Settings().frame_ancestors == "*"


@pytest.mark.parametrize("value", ["", "  ", "https://a.example; script-src *", "*, *"])
def test_frame_ancestors_cannot_add_directives(value):
    with pytest.raises(ValidationError, match="DESCENT_LAB_FRAME_ANCESTORS"):
        Settings(frame_ancestors=value)


def test_create_app_settings_also_answer_the_routes():
    app = create_app(Settings(max_runs=1))
    with TestClient(app) as c:
        response = c.post("/api/runs", json={"runs": [RUN, RUN]})
    assert response.status_code == 422
